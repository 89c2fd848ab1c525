"""The second factor: TOTP with recovery codes, required for the pilot, manager and admin
roles (PTI_OTP_REQUIRED_ROLES), offered to the others from « Mon compte »; every page waits
for the code; IT resets a lost device from the admin."""

import re
import time
from base64 import b32decode
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pti.settings import env_roles
from tests.pti.factories import UserFactory
from tests.pti.test_settings import manage

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-de-test"
WRONG_CODE = "Ce code n&#x27;est pas le bon, ou il a expiré"


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    """The production default; the test settings switch it off for the rest of the suite."""
    settings.PTI_OTP_REQUIRED_ROLES = frozenset({"pilot", "manager", "admin"})


def code_for(key, *, steps_ahead=0):
    """The application's code for a hex key (a device's) or a base32 secret (the page's)."""
    binary = bytes.fromhex(key) if re.fullmatch(r"[0-9a-f]+", key) else b32decode(key)
    totp = TOTP(binary)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def device_for(user):
    return TOTPDevice.objects.create(user=user, name="Application", confirmed=True)


def log_in(client, username, *, next_url=None):
    data = {"username": username, "password": PASSWORD}
    url = reverse("pti:login")
    if next_url:
        data["next"] = next_url
        url += f"?next={next_url}"
    return client.post(url, data, follow=True)


def enter_code(client, code, *, next_url=None):
    url = reverse("pti:second_factor")
    data = {"code": code}
    if next_url:
        data["next"] = next_url
    return client.post(url, data)


# --- Enrolment ------------------------------------------------------------------------------


def test_a_staff_account_of_another_role_needs_the_second_factor_too(client, settings):
    """The admin reaches every account: whoever may enter it passes the second factor."""
    UserFactory(referent=True, is_staff=True, username="ref-staff")

    response = log_in(client, "ref-staff")

    assert response.redirect_chain[-1][0].startswith(reverse("pti:second_factor_enrol"))
    assert client.get(reverse("admin:index")).status_code == 302
    settings.PTI_OTP_REQUIRED_ROLES = frozenset()  # the demo: nobody needs it
    assert client.get(reverse("pti:home")).status_code == 200


def test_a_pilot_without_a_device_sets_one_up_right_after_the_password(client):
    UserFactory(pilot=True, username="pilote")
    response = log_in(client, "pilote")
    assert response.redirect_chain[-1][0].startswith(reverse("pti:second_factor_enrol"))
    content = response.content.decode()
    assert "Activer la double authentification" in content
    assert "Votre rôle donne accès à des données sensibles" in content
    # Nowhere else to go: the navigation is not shown, and every page sends back here.
    assert "Navigation principale" not in content
    for page in (reverse("pti:home"), reverse("pti:pact_list"), reverse("pti:account")):
        answer = client.get(page)
        assert answer.status_code == 302
        assert answer.url == reverse("pti:second_factor_enrol") + "?next=" + page.replace(
            "/", "%2F"
        )


def test_the_enrolment_page_shows_a_qr_code_and_the_secret_to_type(client):
    pilot = UserFactory(pilot=True, username="pilote")
    client.force_login(pilot)
    response = client.get(reverse("pti:second_factor_enrol"))
    content = response.content.decode()
    device = TOTPDevice.objects.get(user=pilot)
    assert not device.confirmed
    assert '<svg role="img"' in content
    assert "<title>QR code à scanner avec votre application d'authentification</title>" in content
    secret = response.context["secret"]
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    assert b32decode(secret.replace(" ", "")) == device.bin_key
    assert f'id="cle-secrete">{secret}</code>' in content
    # A reload shows the same secret: the application may already have it.
    assert client.get(reverse("pti:second_factor_enrol")).context["secret"] == secret


def test_a_first_code_confirms_the_device_and_ten_recovery_codes_are_shown_once(client):
    pilot = UserFactory(pilot=True, username="pilote")
    log_in(client, "pilote")
    secret = client.get(reverse("pti:second_factor_enrol")).context["secret"].replace(" ", "")

    response = client.post(reverse("pti:second_factor_enrol"), {"code": code_for(secret)})
    assert response.status_code == 302
    assert response.url == reverse("pti:recovery_codes")
    assert TOTPDevice.objects.get(user=pilot).confirmed

    codes_page = client.get(response.url)
    codes = codes_page.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=pilot).values_list("token", flat=True)
    )
    content = codes_page.content.decode()
    assert all(f"<li><code>{code}</code></li>" in content for code in codes)
    assert "ils ne s'afficheront plus" in content

    # The session is verified: the application opens.
    assert client.get(reverse("pti:home")).status_code == 200
    again = client.get(reverse("pti:recovery_codes"), follow=True)
    assert "Les codes de secours ne s&#x27;affichent qu&#x27;une fois." in again.content.decode()


def test_a_wrong_first_code_is_refused_with_a_message(client):
    pilot = UserFactory(pilot=True)
    client.force_login(pilot)
    client.get(reverse("pti:second_factor_enrol"))
    device = TOTPDevice.objects.get(user=pilot)
    wrong = f"{(int(code_for(device.key)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("pti:second_factor_enrol"), {"code": wrong})
    assert response.status_code == 422
    assert WRONG_CODE in response.content.decode()
    assert not TOTPDevice.objects.get(user=pilot).confirmed

    letters = client.post(reverse("pti:second_factor_enrol"), {"code": "abcdef"})
    assert "Le code compte 6 chiffres, par exemple 123456." in letters.content.decode()


def test_an_account_with_a_device_cannot_set_up_another_to_skip_its_code(client):
    pilot = UserFactory(pilot=True, username="pilote")
    device_for(pilot)
    log_in(client, "pilote")
    response = client.get(reverse("pti:second_factor_enrol"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("pti:second_factor"))
    assert TOTPDevice.objects.filter(user=pilot).count() == 1


# --- The code at each login ----------------------------------------------------------------


def test_with_a_device_the_password_leads_to_the_code_then_to_the_page_asked_for(client):
    pilot = UserFactory(pilot=True, username="pilote")
    device = device_for(pilot)
    response = log_in(client, "pilote", next_url="/accessibilite/")
    assert response.redirect_chain[-1][0] == (
        reverse("pti:second_factor") + "?next=%2Faccessibilite%2F"
    )
    assert "Code de vérification" in response.content.decode()
    assert client.get(reverse("pti:home")).status_code == 302

    done = enter_code(client, code_for(device.key), next_url="/accessibilite/")
    assert done.url == "/accessibilite/"
    assert client.get(reverse("pti:home")).status_code == 200


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(client):
    pilot = UserFactory(pilot=True, username="pilote")
    device = device_for(pilot)
    log_in(client, "pilote")
    right = code_for(device.key)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    refused = enter_code(client, wrong)
    assert refused.status_code == 422
    assert WRONG_CODE in refused.content.decode()

    # django-otp's throttling: right after a wrong code, even the right one waits.
    too_soon = enter_code(client, right)
    assert too_soon.status_code == 422
    assert "Trop de codes erronés : patientez 1 seconde avant de réessayer." in (
        too_soon.content.decode()
    )
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    assert enter_code(client, right).status_code == 302
    assert client.get(reverse("pti:home")).status_code == 200


def test_an_empty_code_is_refused_with_a_message(client):
    device_for(UserFactory(pilot=True, username="pilote"))
    log_in(client, "pilote")
    response = enter_code(client, "")
    assert response.status_code == 422
    assert "Saisissez le code affiché par votre application." in response.content.decode()


def test_a_recovery_code_replaces_the_application_once(client):
    pilot = UserFactory(pilot=True, username="pilote")
    device_for(pilot)
    static = StaticDevice.objects.create(user=pilot, name="Codes de secours")
    static.token_set.create(token="abcd2345")
    static.token_set.create(token="efgh6789")

    log_in(client, "pilote")
    response = enter_code(client, " ABCD 2345 ")
    assert response.status_code == 302
    page = client.get(reverse("pti:home"))
    assert "il vous en reste 1" in page.content.decode()

    client.post(reverse("pti:logout"))
    log_in(client, "pilote")
    again = enter_code(client, "abcd2345")
    assert again.status_code == 422
    assert WRONG_CODE in again.content.decode()


def test_until_the_code_every_page_waits_the_admin_too_but_not_logout_nor_static_files(client):
    admin = UserFactory(admin=True, username="informatique")
    device_for(admin)
    client.post(reverse("admin:login"), {"username": "informatique", "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url == reverse("pti:second_factor") + "?next=%2Fadmin%2F"
    assert client.get("/static/css/pti.css").status_code == 200
    htmx = client.get(
        reverse("pti:pact_list"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/pacte/?statut=signed",
    )
    assert htmx.headers["HX-Redirect"] == (
        reverse("pti:second_factor") + "?next=%2Fpacte%2F%3Fstatut%3Dsigned"
    )
    assert client.post(reverse("pti:logout")).url == reverse("pti:login")
    assert client.get(reverse("pti:second_factor")).status_code == 302  # logged out


def test_other_roles_log_in_with_their_password_alone(client):
    UserFactory(referent=True, username="referent")
    response = log_in(client, "referent")
    assert response.redirect_chain[-1][0] == reverse("pti:home")
    assert response.status_code == 200


# --- « Mon compte » -------------------------------------------------------------------------


def test_a_referent_sets_up_the_second_factor_from_the_account_page_then_needs_it(client):
    referent = UserFactory(referent=True, username="referent")
    client.force_login(referent)
    account = client.get(reverse("pti:account")).content.decode()
    assert "<strong>Non activée</strong>" in account
    assert f'href="{reverse("pti:second_factor_enrol")}"' in account

    client.get(reverse("pti:second_factor_enrol"))
    device = TOTPDevice.objects.get(user=referent)
    client.post(reverse("pti:second_factor_enrol"), {"code": code_for(device.key)})
    assert client.get(reverse("pti:recovery_codes")).status_code == 200
    account = client.get(reverse("pti:account")).content.decode()
    assert "<strong>Activée</strong>" in account
    assert "Codes de secours non utilisés : 10." in account

    client.post(reverse("pti:logout"))
    response = log_in(client, "referent")
    assert response.redirect_chain[-1][0].startswith(reverse("pti:second_factor"))


def test_a_referent_may_turn_it_off_after_a_confirmation(client):
    referent = UserFactory(referent=True)
    device_for(referent)
    client.force_login(referent)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=referent).persistent_id
    session.save()

    confirm = client.get(reverse("pti:second_factor_disable"))
    assert confirm.status_code == 200
    assert "ne sera plus protégé que par votre mot de passe" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=referent).exists()

    done = client.post(reverse("pti:second_factor_disable"), follow=True)
    assert "La double authentification est désactivée" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=referent).exists()
    assert client.get(reverse("pti:home")).status_code == 200


def test_a_role_that_requires_it_cannot_turn_it_off(client):
    pilot = UserFactory(pilot=True, username="pilote")
    device = device_for(pilot)
    log_in(client, "pilote")
    enter_code(client, code_for(device.key))
    account = client.get(reverse("pti:account")).content.decode()
    assert "Désactiver la double authentification" not in account

    response = client.post(reverse("pti:second_factor_disable"), follow=True)
    assert "Votre rôle exige la double authentification : elle ne peut pas être désactivée." in (
        response.content.decode()
    )
    assert TOTPDevice.objects.filter(user=pilot).exists()


def test_new_recovery_codes_replace_the_old_ones(client):
    pilot = UserFactory(pilot=True, username="pilote")
    device = device_for(pilot)
    StaticDevice.objects.create(user=pilot, name="Codes").token_set.create(token="ancien12")
    log_in(client, "pilote")
    enter_code(client, code_for(device.key))

    response = client.post(reverse("pti:recovery_codes_renew"))
    assert response.url == reverse("pti:recovery_codes")
    codes = client.get(response.url).context["codes"]
    tokens = set(StaticToken.objects.filter(device__user=pilot).values_list("token", flat=True))
    assert tokens == set(codes)
    assert "ancien12" not in tokens


# --- IT -----------------------------------------------------------------------------------


def test_it_resets_a_lost_device_from_the_admin_and_the_pilot_sets_it_up_again(client, settings):
    pilot = UserFactory(pilot=True, username="pilote")
    device_for(pilot)
    StaticDevice.objects.create(user=pilot, name="Codes").token_set.create(token="secours1")
    it = UserFactory(admin=True)
    device_for(it)
    client.force_login(it)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=it).persistent_id
    session.save()

    response = client.post(
        reverse("admin:pti_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [pilot.pk], "index": 0},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=pilot).exists()
    assert not StaticDevice.objects.filter(user=pilot).exists()
    assert TOTPDevice.objects.filter(user=it).exists()

    client.post(reverse("pti:logout"))
    again = log_in(client, "pilote")
    assert again.redirect_chain[-1][0].startswith(reverse("pti:second_factor_enrol"))


# --- The setting --------------------------------------------------------------------------


def test_the_required_roles_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("PTI_OTP_REQUIRED_ROLES", "pilot, referent")
    assert env_roles("PTI_OTP_REQUIRED_ROLES", ["pilot"]) == {"pilot", "referent"}
    monkeypatch.setenv("PTI_OTP_REQUIRED_ROLES", "none")
    assert env_roles("PTI_OTP_REQUIRED_ROLES", ["pilot"]) == frozenset()
    monkeypatch.delenv("PTI_OTP_REQUIRED_ROLES")
    assert env_roles("PTI_OTP_REQUIRED_ROLES", ["pilot", "admin"]) == {"pilot", "admin"}


def test_an_unknown_role_is_refused_clearly(monkeypatch):
    monkeypatch.setenv("PTI_OTP_REQUIRED_ROLES", "pilote,admin")
    with pytest.raises(ImproperlyConfigured, match="rôle inconnu pilote"):
        env_roles("PTI_OTP_REQUIRED_ROLES", [])


def test_the_deploy_check_warns_when_no_role_requires_it(tmp_path):
    production = {
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
        "ALLOWED_HOSTS": "pti.departement.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pti.sqlite3'}",
    }
    result = manage("check", "--deploy", PTI_OTP_REQUIRED_ROLES="none", **production)
    assert "pti.W001" in result.stderr
    assert "Aucun rôle n'exige la double authentification" in result.stderr
    demo = manage("check", "--deploy", DJANGO_DEBUG="true", PTI_OTP_REQUIRED_ROLES="none")
    assert "pti.W001" not in demo.stderr + demo.stdout
