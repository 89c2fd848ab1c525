import pytest
from django.test import Client
from django.urls import reverse

from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_unknown_page_gives_a_french_404_inside_the_layout(client_as):
    response = client_as(UserFactory()).get("/nulle-part/")
    content = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in content
    assert 'class="pti-skip-link"' in content


def test_server_error_gives_a_french_500_inside_the_layout(settings):
    settings.ROOT_URLCONF = "tests.pti.urls_failing"
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    response = client.get("/panne/")
    assert response.status_code == 500
    assert 'class="pti-skip-link"' in response.content.decode()
    assert "Erreur du serveur" in response.content.decode()
    assert "Rien de ce que vous avez saisi n'a été enregistré" in response.content.decode()


def test_expired_form_gives_a_french_message():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("pti:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()


@pytest.mark.parametrize("path", ["/nulle-part/", "/beneficiaires/999999999/"])
def test_debug_mode_answers_a_missing_page_with_the_french_page(client_as, settings, path):
    """`make run` runs in debug mode: Django's English technical page must not appear."""
    settings.DEBUG = True
    response = client_as(UserFactory()).get(path)
    content = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in content
    assert "Using the URLconf" not in content


def test_debug_mode_answers_a_server_error_with_the_french_page(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.pti.urls_failing"
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    response = client.get("/panne/")
    assert response.status_code == 500
    assert "Erreur du serveur" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_a_developer_can_ask_for_the_technical_pages(client_as, settings):
    settings.DEBUG = True
    settings.PTI_TECHNICAL_ERROR_PAGES = True
    response = client_as(UserFactory()).get("/nulle-part/")
    assert response.status_code == 404
    assert "Using the URLconf" in response.content.decode()
