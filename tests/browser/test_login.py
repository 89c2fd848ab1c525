import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pti.enums import Role

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "demo-pti-2026"
DEMO_ACCOUNTS = {
    Role.PILOT: ("pilote", "Rédiger le pacte"),
    Role.MANAGER: ("responsable", "Réaffecter les personnes d'un référent à un autre"),
    Role.REFERENT: ("referent", "Tenir le parcours de chaque personne"),
    Role.OPERATOR: ("operateur", "Recevoir les prescriptions"),
    Role.PARTNER: ("partenaire", "Saisir vos propres chiffres"),
    Role.ADMIN: ("admin", "Créer les comptes"),
}


@pytest.fixture
def demo_data():
    call_command("seed_demo", "--beneficiaries", "50", "--no-snapshots", stdout=StringIO())


def test_an_anonymous_visitor_is_sent_to_the_login_page(page, live_server, a11y):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    a11y.check()


@pytest.mark.parametrize("role", Role.values)
def test_demo_user_logs_in_and_sees_their_home_page(
    page, live_server, a11y, log_in, demo_data, role
):
    username, sentence = DEMO_ACCOUNTS[role]
    log_in(username, DEMO_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.get_by_text(sentence)).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale")).to_be_visible()
    a11y.check(name=f"accueil-{role}")


def test_wrong_password_shows_a_french_error_and_keeps_the_username(
    page, live_server, a11y, log_in, demo_data
):
    log_in("referent", "pas-le-bon")
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect.")
    expect(page.get_by_label("Identifiant")).to_have_value("referent")
    a11y.check(name="connexion-erreur")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(
    page, live_server, a11y, log_in, demo_data
):
    log_in("pilote", DEMO_PASSWORD)
    a11y.check(name="accueil-clavier")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()


def test_a_user_logs_out_with_the_keyboard(page, live_server, a11y, log_in, demo_data):
    log_in("referent", DEMO_PASSWORD)
    a11y.check(name="accueil-avant-deconnexion")
    logout = page.get_by_role("button", name="Se déconnecter")
    logout.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/connexion/$"))
    a11y.check(name="connexion-apres-deconnexion")
