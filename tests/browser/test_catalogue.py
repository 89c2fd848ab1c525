import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_referent_filters_the_catalogue_by_territory_and_obstacle_and_opens_an_action(
    page, live_server, a11y, log_in
):
    call_command("seed_demo", "--beneficiaries", "50", "--no-snapshots", stdout=StringIO())
    log_in("referent", "demo-pti-2026")
    a11y.check(name="referent-accueil")
    page.get_by_role("link", name="Catalogue des actions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des actions")
    a11y.check(name="catalogue")
    everything = page.get_by_text(re.compile(r"^\d+ actions trouvées$")).inner_text()

    # Filtering updates the results in place (htmx) and keeps the search in the URL.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Territoire").select_option(label="Forez")
    page.get_by_label("Frein traité").select_option(label="mobilité")
    expect(page).to_have_url(re.compile(r"territory=\d+.*obstacle=mobility"))
    result = page.get_by_text(re.compile(r"^\d+ actions? trouvées?$"))
    expect(result).not_to_have_text(everything)
    assert page.evaluate("window.sameDocument") is True
    cards = page.locator("#resultats article")
    expect(cards.first).to_be_visible()
    for index in range(cards.count()):
        expect(cards.nth(index)).to_contain_text("Forez")
        expect(cards.nth(index)).to_contain_text("mobilité")
    a11y.check(name="catalogue-filtre")

    # The URL can be shared: opening it again gives the same results, filters selected.
    url = page.url
    page.goto(url)
    expect(page.get_by_label("Frein traité")).to_have_value("mobility")
    expect(page.get_by_text(re.compile(r"^\d+ actions? trouvées?$"))).to_have_text(
        result.inner_text()
    )
    a11y.check(name="catalogue-url-partagee")

    title = cards.first.get_by_role("heading").inner_text()
    cards.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="Places")).to_be_visible()
    expect(page.get_by_text("Qui la porte")).to_be_visible()
    a11y.check(name="action")


def test_the_catalogue_works_without_javascript(browser, live_server):
    call_command("seed_demo", "--beneficiaries", "50", "--no-snapshots", stdout=StringIO())
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant").fill("referent")
    page.get_by_label("Mot de passe").fill("demo-pti-2026")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/actions/catalogue/")
    page.get_by_label("Frein traité").select_option(label="santé")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"obstacle=health"))
    cards = page.locator("#resultats article")
    expect(cards.first).to_contain_text("santé")
    context.close()
