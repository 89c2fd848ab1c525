"""In Chromium: a pilot sets up the second factor at the first login and logs in with a code
the next time; the lock-out page, « Mon compte », the password page and the pilot's list of
failed logins, each checked with axe."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-de-test"


@pytest.fixture
def second_factor_required(settings):
    """The production default; the test settings switch it off for the rest of the suite."""
    settings.PTI_OTP_REQUIRED_ROLES = frozenset({"pilot", "manager", "admin"})


def application_code(secret, *, steps_ahead=0):
    """What the person's application shows for the secret written on the page."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def submit_password(page, live_server, username, password=PASSWORD):
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("domcontentloaded")


def test_a_pilot_sets_up_the_second_factor_then_logs_in_with_a_code(
    page, live_server, a11y, second_factor_required
):
    UserFactory(pilot=True, username="cmartin", first_name="Claire", last_name="Martin")
    page.goto(f"{live_server.url}/connexion/")
    a11y.check(name="connexion")
    submit_password(page, live_server, "cmartin")

    expect(page).to_have_url(re.compile(r"/compte/double-authentification/\?next=%2F$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer la double authentification")
    expect(page.get_by_role("img", name=re.compile("QR code à scanner"))).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale")).to_have_count(0)
    a11y.check(name="double-authentification-activation")

    secret = page.locator("#cle-secrete").inner_text()
    code_field = page.get_by_label("Code à 6 chiffres affiché par l'application")
    code_field.fill("000000" if application_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n'est pas le bon")
    a11y.check(name="double-authentification-code-refuse")
    time.sleep(1.1)  # django-otp makes the next try wait a second after a wrong code
    page.get_by_label("Code à 6 chiffres affiché par l'application").fill(application_code(secret))
    page.get_by_role("button", name="Activer").click()

    expect(page).to_have_url(re.compile(r"/compte/codes-de-secours/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator(".pti-recovery-codes li")).to_have_count(10)
    expect(page.get_by_role("status")).to_contain_text("La double authentification est activée.")
    a11y.check(name="codes-de-secours")
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    a11y.check(name="accueil-apres-activation")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/connexion/$"))
    a11y.check(name="connexion-apres-activation")
    submit_password(page, live_server, "cmartin")
    expect(page).to_have_url(re.compile(r"/connexion/code/\?next=%2F$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de vérification")
    a11y.check(name="code-de-verification")

    # The code of the confirmation cannot serve twice: the application's next one.
    page.get_by_label("Code de vérification").fill(application_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    a11y.check(name="accueil-apres-code")

    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_text("Codes de secours non utilisés : 10.")).to_be_visible()
    a11y.check(name="mon-compte")


def test_after_five_wrong_passwords_the_page_says_how_long_to_wait(page, live_server, a11y):
    UserFactory(username="sdurand")
    page.goto(f"{live_server.url}/connexion/")
    a11y.check(name="connexion")
    for _ in range(5):
        submit_password(page, live_server, "sdurand", "pas-le-bon")
    expect(page.get_by_role("alert")).to_contain_text(
        "Trop de tentatives : réessayez dans 15 minutes."
    )
    a11y.check(name="connexion-suspendue")
    submit_password(page, live_server, "sdurand")
    expect(page.get_by_role("alert")).to_contain_text("réessayez dans 15 minutes")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    a11y.check(name="connexion-suspendue-bon-mot-de-passe")


def test_a_pilot_reads_the_failed_logins_and_changes_their_password(
    page, live_server, a11y, log_in
):
    UserFactory(pilot=True, username="cmartin")
    page.goto(f"{live_server.url}/connexion/")
    a11y.check(name="connexion")
    for _ in range(5):
        submit_password(page, live_server, "jdupont", "pas-le-bon")
    log_in("cmartin", PASSWORD)

    page.get_by_role("link", name="Journal des accès").click()
    a11y.check(name="journal-des-acces")
    page.get_by_role("navigation", name="Traces").get_by_role(
        "link", name="Échecs de connexion"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Échecs de connexion")
    expect(page.get_by_role("row", name=re.compile("Identifiant jdupont"))).to_be_visible()
    a11y.check(name="echecs-de-connexion")
    page.get_by_label("Identifiant saisi").fill("personne")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("Aucun échec de connexion ne correspond")).to_be_visible()
    a11y.check(name="echecs-de-connexion-filtre")

    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_text("Non activée")).to_be_visible()
    a11y.check(name="mon-compte-sans-double-authentification")
    page.get_by_role("link", name="Changer mon mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changer mon mot de passe")
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe", exact=False).first.fill("court")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("court")
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce mot de passe est trop court.")
    a11y.check(name="mot-de-passe-erreur")
