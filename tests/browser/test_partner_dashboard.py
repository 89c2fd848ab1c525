"""A partner reads the dashboard under the secret statistique: hidden figures carry the mark
« s », which the legend explains in words, for a screen reader too."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_partner_reads_the_dashboard_with_the_secret_statistique_explained(
    page, live_server, a11y, log_in
):
    call_command("seed_demo", "--beneficiaries", "400", stdout=StringIO())
    log_in("partenaire", "demo-pti-2026")
    page.get_by_role("link", name="Évaluation", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le pacte fonctionne-t-il ?")
    legend = page.locator("#legende-secret")
    expect(legend).to_contain_text("secret statistique – moins de 11 personnes")
    table = page.get_by_role("table", name=re.compile("Indicateurs du pacte"))
    # 400 people over five territories: some figures rest on fewer than 11 people.
    marks = table.get_by_text("(secret statistique)")
    expect(marks.first).to_be_attached()
    expect(page.get_by_role("button", name=re.compile("tableau OARSA"))).to_have_count(0)
    a11y.check(name="evaluation-partenaire")

    page.get_by_label("Territoire", exact=True).select_option(label="Forez")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text(re.compile(r"Chiffres \d{4} du territoire Forez"))).to_be_visible()
    expect(legend).to_be_visible()
    a11y.check(name="evaluation-partenaire-forez")
