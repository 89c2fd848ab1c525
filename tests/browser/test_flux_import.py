import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from beneficiaries.models import Household

pytestmark = pytest.mark.django_db(transaction=True)

SEPTEMBER = Path(__file__).parent.parent / "beneficiaries" / "files" / "vrsb0801_2025_09.xml"


def test_a_pilot_drops_the_monthly_flux_reads_what_it_changes_and_confirms(
    page, live_server, a11y, log_in, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--beneficiaries", "20", "--no-snapshots", stdout=StringIO())
    households = Household.objects.count()
    log_in("pilote", "demo-pti-2026")
    page.goto(f"{live_server.url}/beneficiaires/")
    a11y.check(name="flux-beneficiaires")
    page.get_by_role("link", name="Importer le flux CAF ou MSA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer le flux CAF ou MSA")
    a11y.check(name="flux-depot")

    page.get_by_label("Fichier du flux (XML)").set_input_files(SEPTEMBER)
    page.get_by_role("button", name="Analyser le fichier").click()

    # The analysis says what the flux would change, and writes nothing.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Import du flux CAF ou MSA n° \d+$")
    )
    expect(page.get_by_text("Analyse terminée")).to_be_visible()
    expect(page.get_by_text("Foyers : 4 créé(s)")).to_be_visible()
    expect(page.get_by_text("à valider")).to_be_visible()
    a11y.check(name="flux-analyse")
    assert Household.objects.count() == households

    page.get_by_role("button", name="Confirmer l'import").click()

    expect(page.get_by_text("Import confirmé : il s'enregistre en arrière-plan.")).to_be_visible()
    expect(page.get_by_text("terminé", exact=True)).to_be_visible()
    a11y.check(name="flux-termine")
    assert Household.objects.count() == households + 4
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le rapport (CSV)").click()
    report = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert report.startswith("Rubrique;Texte\r\nRésumé;Flux du 06/10/2025")
    assert "Foyers : 4 créé(s)" in report
