import pytest
from django.urls import reverse

from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_ERROR = "Identifiant ou mot de passe incorrect."


def test_login_page_is_in_french(client):
    response = client.get(reverse("pti:login"))
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in content
    assert '<h1 class="h2 mb-3">Connexion</h1>' in content
    assert 'for="id_username">Identifiant' in content
    assert 'for="id_password">Mot de passe' in content


def test_good_credentials_open_the_home_page(client):
    user = UserFactory(referent=True, username="sdurand")
    response = client.post(
        reverse("pti:login"),
        {"username": "sdurand", "password": "mot-de-passe-de-test"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("pti:home")
    assert response.context["user"] == user
    assert "Vous ne voyez que les personnes qui vous sont confiées." in response.content.decode()


def test_wrong_password_and_unknown_account_give_the_same_answer(client):
    UserFactory(username="sdurand")
    wrong_password = client.post(reverse("pti:login"), {"username": "sdurand", "password": "faux"})
    unknown_account = client.post(
        reverse("pti:login"), {"username": "personne", "password": "faux"}
    )

    for response in (wrong_password, unknown_account):
        assert response.status_code == 200
        assert LOGIN_ERROR in response.content.decode()
        assert not response.wsgi_request.user.is_authenticated
    assert wrong_password.context["form"].errors == unknown_account.context["form"].errors


def test_inactive_account_gets_the_same_answer_as_a_wrong_password(client):
    UserFactory(username="parti", is_active=False)
    response = client.post(
        reverse("pti:login"), {"username": "parti", "password": "mot-de-passe-de-test"}
    )
    assert LOGIN_ERROR in response.content.decode()
    assert "inactif" not in response.content.decode()


def test_login_keeps_the_typed_username(client):
    response = client.post(reverse("pti:login"), {"username": "sdurand", "password": "faux"})
    assert 'value="sdurand"' in response.content.decode()


def test_login_returns_to_the_page_asked_for(client):
    UserFactory(username="sdurand")
    response = client.post(
        reverse("pti:login") + "?next=/accessibilite/",
        {"username": "sdurand", "password": "mot-de-passe-de-test", "next": "/accessibilite/"},
    )
    assert response.url == "/accessibilite/"


def test_login_does_not_redirect_to_another_site(client):
    UserFactory(username="sdurand")
    response = client.post(
        reverse("pti:login"),
        {"username": "sdurand", "password": "mot-de-passe-de-test", "next": "https://exemple.com/"},
    )
    assert response.url == reverse("pti:home")


def test_logout_needs_a_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    assert client.get(reverse("pti:logout")).status_code == 405
    response = client.post(reverse("pti:logout"))
    assert response.url == reverse("pti:login")
    assert client.get(reverse("pti:home")).status_code == 302
