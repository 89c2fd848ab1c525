import datetime
import re
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = pytest.mark.django_db(transaction=True)


def test_pilot_edits_the_amendment_records_the_answers_closes_the_round_and_downloads_the_pdf(
    page, live_server, a11y, log_in
):
    call_command("seed_demo", "--beneficiaries", "50", "--no-snapshots", stdout=StringIO())
    log_in("pilote", "demo-pti-2026")
    a11y.check(name="pilote-accueil")

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Pacte", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le pacte et ses versions")
    a11y.check(name="pacte-liste")
    page.get_by_role("row", name=re.compile("avenant n° 1")).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pacte territorial d'insertion 2023-2027"
    )
    expect(page.get_by_text("Avenant à la version initiale")).to_be_visible()
    a11y.check(name="avenant")

    # Edit the first orientation.
    page.get_by_role("link", name="Modifier l'orientation 1").click()
    a11y.check(name="orientation-modifier")
    page.get_by_label("Intitulé").fill("Partage de la connaissance et observatoire de l'insertion")
    page.get_by_role("button", name="Enregistrer l'orientation").click()
    expect(
        page.get_by_role(
            "heading", name=re.compile("Orientation 1 – Partage de la connaissance et observatoire")
        )
    ).to_be_visible()
    a11y.check(name="avenant-apres-modification")

    # Add a signatory.
    page.get_by_role("link", name="Signataires et engagements").click()
    a11y.check(name="signataires")
    page.get_by_label("Organisation").select_option(label="Mobilité solidaire Loire")
    page.get_by_label("Qualité du signataire").fill("Président de l'association")
    page.get_by_role("button", name="Ajouter le signataire").click()
    expect(page.get_by_role("status").or_(page.locator(".pti-messages"))).to_contain_text(
        "Mobilité solidaire Loire est ajouté"
    )
    expect(page.get_by_role("row", name=re.compile("Mobilité solidaire Loire"))).to_be_visible()
    a11y.check(name="signataires-apres-ajout")

    # Adopt the amendment, then record the new party's signature.
    page.get_by_role("link", name=re.compile("2023-2027 – avenant n° 1")).click()
    page.get_by_role("link", name="Adopter le pacte").click()
    a11y.check(name="adopter")
    page.get_by_label("Date de la délibération de l'assemblée départementale").fill(
        datetime.date.today().isoformat()
    )
    page.get_by_role("button", name="Adopter le pacte").click()
    expect(page.locator(".pti-messages")).to_contain_text("Le pacte est adopté")
    a11y.check(name="avenant-adopte")
    expect(page.get_by_role("link", name="Clôturer la signature")).to_have_count(0)
    page.get_by_role("link", name="Enregistrer les signatures").click()

    # Record three answers on the one page, saved at once.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signatures du pacte 2023-2027")
    a11y.check(name="signatures")
    today = datetime.date.today().isoformat()
    departement = "Conseil départemental de la Loire"
    page.get_by_label(f"Réponse – {departement}").select_option(label="signé")
    page.get_by_label(f"Date de signature – {departement}").fill(today)
    page.get_by_label("Réponse – Caisse d'allocations familiales de la Loire").select_option(
        label="refusé"
    )
    page.get_by_label("Motif du refus – Caisse d'allocations familiales de la Loire").fill(
        "Attend la délibération de son conseil d'administration"
    )
    mobilite = "Mobilité solidaire Loire"
    page.get_by_label(f"Réponse – {mobilite}").select_option(label="signé")
    page.get_by_label(f"Date de signature – {mobilite}").fill(today)
    # A signature without the name of the person who signed is refused, row by row.
    page.get_by_role("button", name="Enregistrer les réponses").click()
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_role("alert")).to_contain_text(
        f"{mobilite} – Nom de la personne qui signe : Indiquez le nom de la personne qui a signé."
    )
    a11y.check(name="signatures-erreur")
    page.get_by_label(f"Nom de la personne qui signe – {mobilite}").fill("Jacques Berthier")
    page.get_by_role("button", name="Enregistrer les réponses").click()
    expect(page.locator(".pti-messages")).to_contain_text(
        "3 réponses enregistrées. 2 signataires sur 7 parties ; 1 refus ; 4 sans réponse."
    )
    a11y.check(name="signatures-enregistrees")

    # Close the round after reading who has not answered and who refused.
    page.get_by_role("link", name=re.compile("2023-2027 – avenant n° 1")).click()
    page.get_by_role("link", name="Clôturer la signature").click()
    expect(page.get_by_role("heading", name="Sans réponse (4)")).to_be_visible()
    expect(page.get_by_role("heading", name="Refus (1)")).to_be_visible()
    expect(page.get_by_text("Caisse d'allocations familiales de la Loire – motif")).to_be_visible()
    a11y.check(name="cloturer-signature")
    # Signing renders the signed PDF once (at once in tests): give WeasyPrint time.
    page.get_by_role("button", name="Clôturer et déclarer le pacte signé").click(timeout=120_000)
    expect(page.locator(".pti-messages")).to_contain_text("La signature est close")
    a11y.check(name="avenant-signe")

    # Download the PDF of the amendment: its cover counts the answers.
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    assert (
        download.suggested_filename == "pacte-territorial-insertion-loire-2023-2027-avenant-1.pdf"
    )
    cover = subprocess.run(
        [shutil.which("pdftotext"), "-f", "1", "-l", "1", download.path(), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "2 signataires sur 7 parties ; 1 refus ; 4 sans réponse" in re.sub(r"\s+", " ", cover)
    text = " ".join(p.extract_text() for p in PdfReader(download.path()).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Orientation 1 – Partage de la connaissance et observatoire de l'insertion" in text
    assert "Jacques Berthier" in text
    assert "Mobilité solidaire Loire" in text
