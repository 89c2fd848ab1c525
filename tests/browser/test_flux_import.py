import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from beneficiaries.models import HeldHousehold, Household

pytestmark = pytest.mark.django_db(transaction=True)

SEPTEMBER = Path(__file__).parent.parent / "beneficiaries" / "files" / "vrsb0801_2025_09.xml"
# As the MSA once sent it: a matricule of 13 digits where 7 are expected.
WRONG_MATRICULE = "1890442147123"


def september_with_a_faulty_household(folder):
    """The September flux where one of its four households carries a matricule that cannot
    be a CAF's: that household is to be held, the three others imported."""
    faulty = folder / "vrsb0801_2025_09_matricule.xml"
    content = SEPTEMBER.read_text(encoding="utf-8")
    assert content.count("<MATRICULE>0987654</MATRICULE>") == 1
    faulty.write_text(
        content.replace(
            "<MATRICULE>0987654</MATRICULE>", f"<MATRICULE>{WRONG_MATRICULE}</MATRICULE>"
        ),
        encoding="utf-8",
    )
    return faulty


def drop_the_flux(page, live_server, a11y, path):
    page.goto(f"{live_server.url}/beneficiaires/")
    a11y.check(name="flux-beneficiaires")
    page.get_by_role("link", name="Importer le flux CAF ou MSA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer le flux CAF ou MSA")
    a11y.check(name="flux-depot")
    page.get_by_label("Fichier du flux (XML)").set_input_files(path)
    page.get_by_role("button", name="Analyser le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Import du flux CAF ou MSA n° \d+$")
    )


def test_a_pilot_drops_the_monthly_flux_reads_what_it_changes_and_confirms(
    page, live_server, a11y, log_in, tmp_path
):
    call_command("seed_demo", "--beneficiaries", "20", "--no-snapshots", stdout=StringIO())
    households = Household.objects.count()
    log_in("pilote", "demo-pti-2026")

    drop_the_flux(page, live_server, a11y, september_with_a_faulty_household(tmp_path))

    # The analysis says what the flux would change, names the household it would hold and
    # why, and writes nothing.
    expect(page.get_by_text("Analyse terminée")).to_be_visible()
    expect(page.get_by_text("Foyers : 3 créé(s)")).to_be_visible()
    expect(page.get_by_text("à valider")).to_be_visible()
    held = page.get_by_role("region", name="Foyers mis de côté « à traiter » (1)")
    expect(held).to_contain_text(f"« {WRONG_MATRICULE} »")
    a11y.check(name="flux-analyse")
    assert Household.objects.count() == households
    assert not HeldHousehold.objects.exists()

    page.get_by_role("button", name="Confirmer l'import").click()

    expect(page.get_by_text("Import confirmé : il s'enregistre en arrière-plan.")).to_be_visible()
    expect(page.get_by_text("terminé", exact=True)).to_be_visible()
    a11y.check(name="flux-termine")
    assert Household.objects.count() == households + 3
    assert HeldHousehold.objects.filter(resolved_at=None).count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le rapport (CSV)").click()
    report = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert report.startswith("Rubrique;Texte\r\nRésumé;Flux du 06/10/2025")
    assert "Foyers : 3 créé(s)" in report
    assert WRONG_MATRICULE in report

    # The held household waits in its list for someone to settle it.
    page.get_by_role("link", name="« Foyers du flux à traiter »").click()
    expect(page.get_by_text("1 foyer en attente")).to_be_visible()
    a11y.check(name="flux-a-traiter")


def test_the_pilot_watches_a_real_worker_analyse_then_write_the_flux(
    page, live_server, a11y, log_in, worker_process
):
    """With the database queue and a worker process, as in production: the run's page moves
    by itself (htmx) from « en attente » to the analysis, then from the confirmation to the
    end, without the pilot reloading it."""
    call_command("seed_demo", "--beneficiaries", "20", "--no-snapshots", stdout=StringIO())
    households = Household.objects.count()
    log_in("pilote", "demo-pti-2026")

    drop_the_flux(page, live_server, a11y, SEPTEMBER)
    # No worker yet: the run waits, and says so.
    expect(
        page.get_by_text("Le traitement attend qu'un worker le prenne en charge.")
    ).to_be_visible()
    a11y.check(name="flux-en-attente")
    address = page.url

    worker = worker_process()
    # The page asks every two seconds; a loaded machine may take a while to start Django.
    expect(page.get_by_text("Analyse terminée")).to_be_visible(timeout=120_000)
    assert page.url == address
    expect(page.get_by_text("Foyers : 4 créé(s)")).to_be_visible()
    assert Household.objects.count() == households

    page.get_by_role("button", name="Confirmer l'import").click()

    expect(page.get_by_text("terminé", exact=True)).to_be_visible(timeout=120_000)
    assert worker.poll() is None
    assert Household.objects.count() == households + 4
