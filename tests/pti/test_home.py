from html import escape

import pytest
from django.urls import reverse

from pti.enums import Role
from tests.pti.factories import PactFactory, UserFactory

pytestmark = pytest.mark.django_db

# What each role is told it can do: one sentence that only its home page says.
ROLE_SENTENCES = {
    Role.PILOT: "Rédiger le pacte",
    Role.MANAGER: "Réaffecter les personnes d'un référent à un autre",
    Role.REFERENT: "Tenir le parcours de chaque personne",
    Role.OPERATOR: "Recevoir les prescriptions vers les actions de votre structure",
    Role.PARTNER: "Saisir vos propres chiffres",
    Role.ADMIN: "Créer les comptes",
}


@pytest.mark.parametrize("role", Role.values)
def test_each_role_has_its_own_home_page(client_as, role):
    user = UserFactory(**{role: True})
    response = client_as(user).get(reverse("pti:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert ROLE_SENTENCES[role] in content
    for other_role, sentence in ROLE_SENTENCES.items():
        if other_role != role:
            assert sentence not in content
    assert escape(Role(role).label) in content


def test_home_shows_the_department_name_from_settings(client_as, settings):
    settings.PTI_DEPARTMENT_NAME = "Haute-Loire"
    response = client_as(UserFactory()).get(reverse("pti:home"))
    assert "Département : Haute-Loire" in response.content.decode()


def test_pilot_sees_the_current_pact(client_as):
    PactFactory(title="Pacte territorial d'insertion", period_start=2016, period_end=2020)
    response = client_as(UserFactory(pilot=True)).get(reverse("pti:home"))
    assert "Pacte territorial d&#x27;insertion, 2016-2020" in response.content.decode()


def test_only_staff_see_the_administration_link(client_as):
    admin_link = f'href="{reverse("admin:index")}"'
    assert admin_link in client_as(UserFactory(admin=True)).get("/").content.decode()
    assert admin_link not in client_as(UserFactory(pilot=True)).get("/").content.decode()


def test_layout_has_a_skip_link_to_the_main_content(client_as):
    content = client_as(UserFactory()).get("/").content.decode()
    assert '<a class="pti-skip-link" href="#contenu">Aller au contenu</a>' in content
    assert '<main id="contenu"' in content


def test_current_page_is_marked_in_the_navigation(client_as):
    content = client_as(UserFactory()).get("/").content.decode()
    assert 'href="/" aria-current="page">Accueil</a>' in content


def test_pages_load_nothing_from_another_server(client_as):
    response = client_as(UserFactory()).get("/")
    content = response.content.decode()
    assert "http://" not in content.replace("http://www.w3.org", "")
    assert "https://" not in content
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy


def test_the_inline_style_carries_the_csp_nonce(client_as):
    response = client_as(UserFactory()).get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert nonce
    assert f'<style nonce="{nonce}">' in response.content.decode()
