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
