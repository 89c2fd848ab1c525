import datetime
import io
import re
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_pilot_reads_the_dashboard_for_a_year_and_a_territory_and_downloads_oarsa(
    page, live_server, a11y, log_in
):
    call_command("seed_demo", "--beneficiaries", "400", stdout=StringIO())
    last_year = datetime.date.today().year - 1
    log_in("pilote", "demo-pti-2026")
    page.get_by_role("link", name="Évaluation", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le pacte fonctionne-t-il ?")
    a11y.check(name="evaluation")

    page.get_by_label("Année", exact=True).select_option(str(last_year))
    page.get_by_label("Territoire", exact=True).select_option(label="Forez")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(rf"annee={last_year}.*territoire=\d+"))
    expect(page.get_by_text(f"Chiffres {last_year} du territoire Forez")).to_be_visible()
    table = page.get_by_role("table", name=re.compile("Indicateurs du pacte"))
    expect(table.get_by_role("row", name=re.compile("Taux de contractualisation"))).to_contain_text(
        "%"
    )
    expect(page.get_by_role("img", name=re.compile("Taux du pacte en"))).to_be_visible()
    a11y.check(name="evaluation-forez")

    # The workbook is made in the background: its run's page offers it once done.
    page.get_by_role("button", name=f"Préparer le tableau OARSA {last_year}").click()
    expect(page.get_by_text(f"Tableau OARSA {last_year} (territoire Forez)")).to_be_visible()
    a11y.check(name="evaluation-oarsa-pret")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le tableau OARSA").click()
    download = download_info.value
    assert re.fullmatch(rf"oarsa-{last_year}-forez\.xlsx", download.suggested_filename)
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    assert workbook.sheetnames[0] == "Synthèse"
    title = workbook["Synthèse"]["A1"].value
    assert str(last_year) in title
    assert "territoire Forez" in title
    labels = [row[1] for row in workbook["Synthèse"].iter_rows(min_row=4, values_only=True)]
    assert "Taux de contractualisation" in labels
