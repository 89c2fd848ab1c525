"""Sessions end after 30 minutes without a request and 12 hours after the login; production
cookies carry the __Host- prefix; every response says what other sites and the browser's
features may do with it."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from pti.authentication import SESSION_LOGIN_AT
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stored_session(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_each_request_gives_the_session_thirty_more_minutes(client_as):
    client = client_as(UserFactory())
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=2))
    assert client.get(reverse("pti:home")).status_code == 200
    left = stored_session(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)


def test_thirty_minutes_without_a_request_end_the_session(client_as):
    client = client_as(UserFactory())
    # The expiry the last request set has passed.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("pti:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("pti:login"))


def set_login_time(client, hours_ago):
    session = client.session
    session[SESSION_LOGIN_AT] = int(time.time() - hours_ago * 3600)
    session.save()


def test_twelve_hours_after_the_login_the_session_ends_however_busy(client_as):
    client = client_as(UserFactory())
    set_login_time(client, 11.9)
    assert client.get(reverse("pti:home")).status_code == 200

    set_login_time(client, 12.1)
    response = client.get(reverse("pti:pact_list"))
    assert response.status_code == 302
    assert response.url == reverse("pti:login") + "?next=%2Fpacte%2F"
    login_page = client.get(response.url).content.decode()
    assert "Votre session a expiré : par sécurité, une session dure au plus 12 heures." in (
        login_page
    )
    assert client.get(reverse("pti:home")).status_code == 302


def test_the_login_starts_the_clock(client):
    UserFactory(username="sdurand")
    before = int(time.time())
    client.post(reverse("pti:login"), {"username": "sdurand", "password": "mot-de-passe-de-test"})
    assert before <= client.session[SESSION_LOGIN_AT] <= int(time.time())


PRODUCTION_COOKIES = """
import django
django.setup()
from django.core.management import call_command
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

call_command("migrate", "sessions", verbosity=0)

def view(request):
    request.session["seen"] = True
    get_token(request)
    return HttpResponse("ok")

request = RequestFactory().get("/", secure=True, HTTP_HOST="pti.departement.example")
response = SessionMiddleware(CsrfViewMiddleware(view))(request)
for morsel in response.cookies.values():
    print(morsel.OutputString())
"""


def test_production_cookies_have_the_host_prefix(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "DATABASE_", "PTI_", "ALLOWED_HOSTS", "SESSION_", "CSRF_")
        )
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_COOKIES],
        cwd=PROJECT,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "pti.settings",
            "PTI_ENV_FILE": os.devnull,
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
            "ALLOWED_HOSTS": "pti.departement.example",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pti.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    cookies = SimpleCookie()
    for line in result.stdout.splitlines():
        cookies.load(line)
    assert set(cookies) == {"__Host-sessionid", "__Host-csrftoken"}
    for morsel in cookies.values():
        assert morsel["secure"] is True
        assert morsel["path"] == "/"
        assert morsel["domain"] == ""
        assert morsel["samesite"] == "Lax"
    assert cookies["__Host-sessionid"]["httponly"] is True


@pytest.mark.parametrize("path", ["/connexion/", "/static/css/pti.css"])
def test_every_response_carries_the_cross_origin_and_permissions_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        part.strip().split("=", 1) for part in response.headers["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial"):
        assert policy[feature] == "()", feature


def test_a_logged_in_page_carries_them_too(client_as):
    response = client_as(UserFactory()).get(reverse("pti:home"))
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
