"""Passwords: 12 characters at least, Django's validators in French, a page where everyone
changes their own (their other sessions end), and a password set by IT replaced at the
person's first login."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from pti.models import User
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-de-test"
NEW_PASSWORD = "Une phrase de passe bien longue"


def refusal(password, user):
    with pytest.raises(ValidationError) as error:
        validate_password(password, user)
    return error.value.messages


def test_the_four_validators_refuse_in_french():
    user = User(
        username="sdurand",
        first_name="Sylvie",
        last_name="Durand-Lefebvre",
        email="sylvie.durand@exemple.fr",
    )
    assert refusal("Court-9x", user) == [
        "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères."
    ]
    assert refusal("987654321098", user) == ["Ce mot de passe est entièrement numérique."]
    assert refusal("password1234", user) == ["Ce mot de passe est trop courant."]
    assert refusal("sdurand2026!", user) == [
        "Le mot de passe est trop semblable au champ «\xa0nom d’utilisateur\xa0»."
    ]
    assert refusal("Durand-Lefebvre", user) == [
        "Le mot de passe est trop semblable au champ «\xa0nom\xa0»."
    ]
    assert refusal("sylvie.durand@exemple", user) == [
        "Le mot de passe est trop semblable au champ «\xa0adresse électronique\xa0»."
    ]
    validate_password(NEW_PASSWORD, user)


def change(client, *, old=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        reverse("pti:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_every_user_has_the_page_in_their_account(client_as):
    client = client_as(UserFactory(partner=True))
    account = client.get(reverse("pti:account")).content.decode()
    assert f'href="{reverse("pti:password_change")}"' in account
    page = client.get(reverse("pti:password_change"))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Changer mon mot de passe" in content
    assert "Au moins 12 caractères" in content
    assert 'for="id_old_password">Mot de passe actuel' in content


def test_a_changed_password_ends_the_other_sessions_but_not_this_one(client):
    user = UserFactory(username="sdurand")
    other = Client()
    for browser in (client, other):
        browser.post(reverse("pti:login"), {"username": "sdurand", "password": PASSWORD})
        assert browser.get(reverse("pti:home")).status_code == 200

    response = change(client)
    assert response.url == reverse("pti:account")
    assert "Vos autres sessions ouvertes sont fermées." in client.get(response.url).content.decode()
    assert client.get(reverse("pti:home")).status_code == 200
    assert other.get(reverse("pti:home")).url.startswith(reverse("pti:login"))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"old": "pas-le-bon-mot"}, "Votre ancien mot de passe est incorrect."),
        ({"again": "Une autre phrase de passe"}, "Les deux mots de passe ne correspondent pas."),
        ({"new": "court"}, "Ce mot de passe est trop court."),
        ({"new": "123456789012"}, "Ce mot de passe est entièrement numérique."),
        ({"old": ""}, "Saisissez votre mot de passe actuel."),
    ],
)
def test_a_refused_change_says_why_and_keeps_the_password(client_as, data, message):
    user = UserFactory()
    response = change(client_as(user), **data)
    assert response.status_code == 422
    content = response.content.decode()
    assert message in content
    assert "Le formulaire contient une erreur" in content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- A password set by IT ------------------------------------------------------------------


def test_an_account_created_by_it_chooses_its_password_at_first_login(client):
    client.force_login(UserFactory(admin=True))
    organisation = OrganisationFactory()
    response = client.post(
        reverse("admin:pti_user_add"),
        {
            "username": "nouveau",
            "usable_password": "true",
            "password1": "Provisoire-2026-xyz",
            "password2": "Provisoire-2026-xyz",
            "first_name": "Nina",
            "last_name": "Nouvel",
            "email": "nina.nouvel@exemple.fr",
            "role": "referent",
            "organisation": organisation.pk,
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="nouveau")
    assert created.must_change_password

    client.post(reverse("pti:logout"))
    login = client.post(
        reverse("pti:login"),
        {"username": "nouveau", "password": "Provisoire-2026-xyz"},
        follow=True,
    )
    assert login.redirect_chain[-1][0].startswith(reverse("pti:password_change"))
    content = login.content.decode()
    assert "Choisir mon mot de passe" in content
    assert "est provisoire : choisissez le vôtre pour continuer" in content
    for page in (reverse("pti:home"), reverse("pti:account")):
        assert client.get(page).url.startswith(reverse("pti:password_change"))

    done = change(client, old="Provisoire-2026-xyz")
    assert done.url == reverse("pti:home")
    created.refresh_from_db()
    assert not created.must_change_password
    assert client.get(reverse("pti:home")).status_code == 200


def test_a_password_that_it_sets_in_the_admin_is_temporary(client):
    person = UserFactory()
    client.force_login(UserFactory(admin=True))
    # Django's UserAdmin names this URL after auth.User whatever the user model.
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    assert url == f"/admin/pti/user/{person.pk}/password/"
    response = client.post(
        url,
        {
            "usable_password": "true",
            "password1": "Provisoire-2026-abc",
            "password2": "Provisoire-2026-abc",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.must_change_password
    assert person.check_password("Provisoire-2026-abc")


def test_what_is_wrong_with_the_new_password_shows_beside_it(client_as):
    response = change(client_as(UserFactory()), new="court")
    errors = response.context["form"].errors
    assert errors["new_password1"] == [
        "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères."
    ]
    assert "new_password2" not in errors
    assert 'id="id_new_password1_error"' in response.content.decode()
