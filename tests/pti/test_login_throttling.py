"""Login throttling: 5 failures on one account or 20 from one address make it wait 15 minutes
(never a permanent lock), with a French 429 page that says for how long and tells nothing
about the account; the failures are kept for the pilot."""

import re
from datetime import date, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse
from django.utils import timezone

from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-de-test"
LOGIN_ERROR = "Identifiant ou mot de passe incorrect."
LOCKED = "Trop de tentatives : réessayez dans 15 minutes."


def log_in(client, username, password=None, *, address="192.0.2.1", url=None, **headers):
    return client.post(
        url or reverse("pti:login"),
        {"username": username, "password": password or "pas-le-bon"},
        REMOTE_ADDR=address,
        **headers,
    )


def fail(client, username, times, *, address="192.0.2.1", url=None):
    responses = [log_in(client, username, address=address, url=url) for _ in range(times)]
    return responses[-1]


def move_failures_back(minutes):
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


def without_tokens(content):
    """The page with what changes on every response (CSRF token, CSP nonce) blanked."""
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)
    content = re.sub(r'"X-CSRFToken": "[^"]+"', "", content)
    return re.sub(r'nonce="[^"]+"', "", content)


def test_five_failures_on_one_account_make_it_wait_even_with_the_right_password(client):
    UserFactory(username="sdurand")
    fourth = fail(client, "sdurand", 4)
    assert fourth.status_code == 200
    assert LOGIN_ERROR in fourth.content.decode()

    fifth = log_in(client, "sdurand")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()

    right = log_in(client, "sdurand", PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert not right.wsgi_request.user.is_authenticated
    assert client.get(reverse("pti:home")).status_code == 302


def test_the_wait_page_is_the_french_login_page_with_its_form(client):
    UserFactory(username="sdurand")
    response = fail(client, "sdurand", 5)
    content = response.content.decode()
    assert '<html lang="fr">' in content
    assert '<h1 class="h2 mb-3">Connexion</h1>' in content
    assert 'role="alert"' in content
    assert 'for="id_username">Identifiant' in content
    # The username typed is not shown back.
    assert "sdurand" not in content


def test_the_wait_page_is_the_same_whether_the_account_exists_or_not(client):
    UserFactory(username="sdurand")
    existing = fail(client, "sdurand", 5, address="192.0.2.1")
    unknown = fail(client, "personne", 5, address="192.0.2.2")
    assert existing.status_code == unknown.status_code == 429
    assert without_tokens(existing.content.decode()) == without_tokens(unknown.content.decode())


def test_the_page_says_how_many_minutes_are_left(client):
    UserFactory(username="sdurand")
    fail(client, "sdurand", 5)
    move_failures_back(6)
    response = log_in(client, "sdurand", PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives : réessayez dans 9 minutes." in response.content.decode()

    move_failures_back(14)
    response = log_in(client, "sdurand", PASSWORD)
    assert "Trop de tentatives : réessayez dans 1 minute." in response.content.decode()


def test_an_attempt_during_the_wait_does_not_make_it_longer(client):
    UserFactory(username="sdurand")
    fail(client, "sdurand", 5)
    move_failures_back(10)
    for _ in range(3):
        response = log_in(client, "sdurand")
    assert "réessayez dans 5 minutes" in response.content.decode()


def test_the_wait_ends_after_fifteen_minutes_it_is_never_permanent(client):
    user = UserFactory(username="sdurand")
    fail(client, "sdurand", 5)
    move_failures_back(16)
    response = log_in(client, "sdurand", PASSWORD)
    assert response.status_code == 302
    assert response.wsgi_request.user == user


def test_twenty_failures_from_one_address_make_the_address_wait(client):
    user = UserFactory(username="sdurand")
    for number in range(19):
        assert log_in(client, f"essai{number}", address="198.51.100.7").status_code == 200
    twentieth = log_in(client, "essai19", address="198.51.100.7")
    assert twentieth.status_code == 429
    assert LOCKED in twentieth.content.decode()

    # Even a real account with its right password waits, from that address only.
    assert log_in(client, "sdurand", PASSWORD, address="198.51.100.7").status_code == 429
    elsewhere = log_in(client, "sdurand", PASSWORD, address="198.51.100.8")
    assert elsewhere.status_code == 302
    assert elsewhere.wsgi_request.user == user


def test_a_login_does_not_clear_the_failures_of_other_usernames_from_its_address(client):
    UserFactory(username="complice")
    for number in range(19):
        log_in(client, f"victime{number}", address="198.51.100.7")
    login = log_in(client, "complice", PASSWORD, address="198.51.100.7")
    assert login.status_code == 302
    client.post(reverse("pti:logout"))

    assert log_in(client, "victime19", address="198.51.100.7").status_code == 429


def test_a_login_forgives_the_failures_of_its_own_account(client):
    UserFactory(username="sdurand")
    fail(client, "sdurand", 4)
    assert log_in(client, "sdurand", PASSWORD).status_code == 302
    client.post(reverse("pti:logout"))

    response = log_in(client, "sdurand")
    assert response.status_code == 200
    assert LOGIN_ERROR in response.content.decode()


def test_the_admin_login_counts_with_the_application_login_and_waits_the_same(client):
    UserFactory(admin=True, username="informatique")
    admin_login = reverse("admin:login")
    for _ in range(3):
        assert log_in(client, "informatique", url=admin_login).status_code == 200
    log_in(client, "informatique")
    response = log_in(client, "informatique", url=admin_login)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()

    right = log_in(client, "informatique", PASSWORD, url=admin_login)
    assert right.status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302


def test_behind_the_proxy_the_address_is_the_one_it_forwards(client, settings):
    settings.PTI_TRUSTED_PROXY_COUNT = 1
    # The client wrote the first address itself; the proxy appended the one it saw.
    log_in(client, "sdurand", address="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]


def test_a_forged_forwarded_address_does_not_escape_the_address_wait(client, settings):
    settings.PTI_TRUSTED_PROXY_COUNT = 1
    for number in range(20):
        response = log_in(
            client,
            f"essai{number}",
            address="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 203.0.113.7",
        )
    assert response.status_code == 429


def test_without_a_proxy_the_forwarded_header_is_ignored(client):
    log_in(client, "sdurand", address="192.0.2.44", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.44"]


def test_every_failure_is_kept_with_the_refused_attempts_during_the_wait(client):
    UserFactory(username="sdurand")
    fail(client, "sdurand", 6, address="192.0.2.9")
    log = AccessFailureLog.objects.order_by("attempt_time", "pk")
    assert list(log.values_list("username", "ip_address", "locked_out")) == [
        *[("sdurand", "192.0.2.9", False)] * 4,
        ("sdurand", "192.0.2.9", True),  # the fifth, which started the wait
        ("sdurand", "192.0.2.9", True),  # refused during the wait
    ]


# --- The pilot's page -----------------------------------------------------------------------


def test_the_pilot_sees_the_failures_and_the_waits_in_force(client, client_as):
    UserFactory(username="sdurand")
    fail(client, "jdupont", 3, address="192.0.2.10")
    fail(client, "sdurand", 5, address="192.0.2.11")

    response = client_as(UserFactory(pilot=True)).get(reverse("pti:login_failures"))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<h1 class="h2 mb-3">Échecs de connexion</h1>' in content
    journal = reverse("beneficiaries:journal")
    assert f'<li class="breadcrumb-item"><a href="{journal}">Journal des accès</a></li>' in content
    assert "2 lignes" in content
    rows = [
        (row["username"], row["ip_address"], row["failures"], row["locked_out"])
        for row in response.context["page"].object_list
    ]
    assert sorted(rows) == [("jdupont", "192.0.2.10", 3, 0), ("sdurand", "192.0.2.11", 5, 1)]
    lockouts = response.context["lockouts"]
    assert [(lock["kind"], lock["value"], lock["failures"]) for lock in lockouts] == [
        ("identifiant", "sdurand", 5)
    ]
    assert "Identifiant <code>sdurand</code>" in content
    assert timezone.localdate().strftime("%d/%m/%Y") in content


def test_the_failures_filter_by_username_and_by_date(client, client_as):
    fail(client, "jdupont", 2)
    fail(client, "mmartin", 1)
    AccessFailureLog.objects.filter(username="mmartin").update(
        attempt_time=timezone.now() - timedelta(days=10)
    )
    pilot = client_as(UserFactory(pilot=True))
    url = reverse("pti:login_failures")

    by_name = pilot.get(url, {"username": "DUP"}).context["page"].object_list
    assert [row["username"] for row in by_name] == ["jdupont"]

    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    recent = pilot.get(url, {"day_from": since}).context["page"].object_list
    assert [row["username"] for row in recent] == ["jdupont"]

    until = (timezone.localdate() - timedelta(days=3)).isoformat()
    older = pilot.get(url, {"day_to": until}).context["page"].object_list
    assert [row["username"] for row in older] == ["mmartin"]


def test_the_failures_are_paginated_with_their_total(client, client_as):
    AccessFailureLog.objects.bulk_create(
        AccessFailureLog(
            username=f"essai{number:02d}",
            ip_address="192.0.2.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/connexion/",
        )
        for number in range(51)
    )
    pilot = client_as(UserFactory(pilot=True))
    first = pilot.get(reverse("pti:login_failures"))
    assert "51 lignes" in first.content.decode()
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 sur 2" in first.content.decode()
    second = pilot.get(reverse("pti:login_failures"), {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_an_end_date_before_the_start_date_is_refused_with_a_message(client_as):
    pilot = client_as(UserFactory(pilot=True))
    response = pilot.get(
        reverse("pti:login_failures"),
        {"day_from": date(2026, 3, 10).isoformat(), "day_to": date(2026, 3, 1).isoformat()},
    )
    assert response.status_code == 422
    assert "La date de fin doit suivre la date de début." in response.content.decode()


def test_with_no_failure_the_page_says_so(client_as):
    response = client_as(UserFactory(pilot=True)).get(reverse("pti:login_failures"))
    content = response.content.decode()
    assert "Aucune suspension en cours." in content
    assert "Aucun échec de connexion ne correspond à ces critères." in content


@pytest.mark.parametrize("role", ["manager", "referent", "operator", "partner", "admin"])
def test_only_the_pilot_opens_the_failures_page(client_as, role):
    response = client_as(UserFactory(**{role: True})).get(reverse("pti:login_failures"))
    assert response.status_code == 403
