import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = pytest.mark.django_db(transaction=True)


def test_pilot_edits_the_amendment_adds_a_signatory_records_the_signature_and_downloads_the_pdf(
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
    page.get_by_role("link", name="Recueillir les signatures").click()
    page.get_by_role("link", name="Enregistrer la signature de Mobilité solidaire Loire").click()
    a11y.check(name="signature")
    page.get_by_label("Nom de la personne qui a signé").fill("Jacques Berthier")
    page.get_by_role("button", name="Enregistrer la signature").click()
    expect(page.locator(".pti-messages")).to_contain_text(
        "Signature de Mobilité solidaire Loire enregistrée (1 sur 7)"
    )
    row = page.get_by_role("row", name=re.compile("Mobilité solidaire Loire"))
    expect(row).to_contain_text("signé")
    expect(row).to_contain_text("Jacques Berthier")
    a11y.check(name="signataires-apres-signature")

    # Download the PDF of the amendment.
    page.get_by_role("link", name=re.compile("2023-2027 – avenant n° 1")).click()
    # Rendered on demand (a version being signed may still change): give WeasyPrint time.
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    assert (
        download.suggested_filename == "pacte-territorial-insertion-loire-2023-2027-avenant-1.pdf"
    )
    text = " ".join(p.extract_text() for p in PdfReader(download.path()).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Orientation 1 – Partage de la connaissance et observatoire de l'insertion" in text
    assert "Jacques Berthier" in text
    assert "Mobilité solidaire Loire" in text
