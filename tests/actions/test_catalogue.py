import datetime

import pytest
from django.urls import reverse

from actions.enums import ActionStatus, Obstacle
from pti.enums import PactStatus
from pti.models import Pact
from pti.services import pact_copy_as_amendment
from tests.actions.factories import ActionFactory
from tests.pti.factories import (
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
    frozen,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def referent(client_as):
    return client_as(UserFactory(referent=True))


@pytest.fixture
def offer():
    """A signed pact with two orientations, its draft amendment, and a few actions."""
    pact = PactFactory()
    health = OrientationFactory(pact=pact, position=1, title="Santé")
    employment = OrientationFactory(pact=pact, position=2, title="Emploi")
    frozen(pact)
    roannais, forez = TerritoryFactory(name="Roannais"), TerritoryFactory(name="Forez")
    actions = {
        "scooters": ActionFactory(
            title="Location de scooters",
            orientation=employment,
            territories=[roannais],
            obstacles=[Obstacle.MOBILITY],
        ),
        "auto_ecole": ActionFactory(
            title="Auto-école sociale",
            orientation=employment,
            territories=[forez],
            obstacles=[Obstacle.MOBILITY],
            capacity=5,
        ),
        "bilans": ActionFactory(
            title="Bilans de santé",
            orientation=health,
            territories=[roannais, forez],
            obstacles=[Obstacle.HEALTH],
        ),
        "pleine": ActionFactory(
            title="Crèche d'insertion",
            orientation=health,
            territories=[roannais],
            status=ActionStatus.FULL,
            capacity=2,
        ),
        "close": ActionFactory(
            title="Action terminée", orientation=health, status=ActionStatus.CLOSED
        ),
        "prevue": ActionFactory(
            title="Action prévue", orientation=health, status=ActionStatus.PLANNED
        ),
    }
    actions["pleine"].places_taken = 2
    actions["pleine"].save(update_fields=["places_taken"])
    return {"pact": pact, "health": health, "roannais": roannais, "forez": forez, **actions}


def titles(response):
    return sorted(action.title for action in response.context["page"].object_list)


def test_the_catalogue_shows_open_and_full_actions_only(referent, offer):
    response = referent.get(reverse("actions:catalogue"))
    assert titles(response) == [
        "Auto-école sociale",
        "Bilans de santé",
        "Crèche d'insertion",
        "Location de scooters",
    ]
    assert "4 actions trouvées" in response.content.decode()


def test_filter_by_territory_and_obstacle(referent, offer):
    response = referent.get(
        reverse("actions:catalogue"), {"territory": offer["roannais"].pk, "obstacle": "mobility"}
    )
    assert titles(response) == ["Location de scooters"]


def test_an_action_serving_two_territories_is_listed_once(referent, offer):
    response = referent.get(reverse("actions:catalogue"), {"obstacle": "health"})
    assert titles(response) == ["Bilans de santé"]


def test_filter_by_places_left(referent, offer):
    response = referent.get(reverse("actions:catalogue"), {"places": "on"})
    assert "Crèche d'insertion" not in titles(response)
    assert "aucune</strong> (action complète)" not in response.content.decode()


def test_filter_by_orientation_finds_actions_filed_under_an_earlier_version(referent, offer):
    # An amendment is signed: the catalogue now offers its orientations, and the actions
    # filed under the first version's copy of an orientation are still found under it.
    amendment, _ = pact_copy_as_amendment(pact=offer["pact"], reason="Avenant")
    amended_health = amendment.orientations.get(position=1)
    amended_health.title = "Santé et accès aux soins"
    amended_health.save()
    Pact.objects.filter(pk=offer["pact"].pk).update(
        status=PactStatus.ARCHIVED, archived_on=datetime.date(2024, 1, 1)
    )
    frozen(
        amendment, deliberation_date=datetime.date(2023, 12, 1), signed_on=datetime.date(2024, 1, 1)
    )

    response = referent.get(reverse("actions:catalogue"), {"orientation": str(amended_health.key)})
    assert titles(response) == ["Bilans de santé", "Crèche d'insertion"]
    choices = dict(response.context["filter"].form.fields["orientation"].choices)
    assert choices[str(amended_health.key)] == "1. Santé et accès aux soins"
    assert amended_health.pk != offer["health"].pk


def test_keywords_search_title_public_and_operator(referent, offer):
    offer["bilans"].operator = OrganisationFactory(name="CPAM de la Loire")
    offer["bilans"].save()
    assert titles(referent.get(reverse("actions:catalogue"), {"q": "cpam"})) == ["Bilans de santé"]
    assert titles(referent.get(reverse("actions:catalogue"), {"q": "scooter"})) == [
        "Location de scooters"
    ]


def test_sort_by_places_left(referent, offer):
    response = referent.get(reverse("actions:catalogue"), {"sort": "-places_left"})
    places = [action.places_left for action in response.context["page"].object_list]
    assert places == sorted(places, reverse=True)


def test_the_filters_stay_in_the_url_and_htmx_gets_only_the_results(referent, offer):
    query = {"territory": offer["forez"].pk, "obstacle": "mobility"}
    full = referent.get(reverse("actions:catalogue"), query).content.decode()
    assert '<option value="mobility" selected>mobilité</option>' in full
    assert 'hx-push-url="true"' in full
    partial = referent.get(reverse("actions:catalogue"), query, HTTP_HX_REQUEST="true")
    content = partial.content.decode()
    assert "<html" not in content
    assert "1 action trouvée" in content
    assert "Auto-école sociale" in content


def test_a_bad_filter_value_is_ignored_with_the_form_showing_it(referent, offer):
    response = referent.get(reverse("actions:catalogue"), {"obstacle": "inconnu"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["obstacle"]


def test_the_catalogue_makes_the_same_number_of_queries_with_1_or_200_actions(
    referent, assert_constant_queries
):
    orientation = OrientationFactory(pact=PactFactory())
    frozen(orientation.pact)
    territories = [TerritoryFactory(), TerritoryFactory()]
    ActionFactory(orientation=orientation, territories=territories, obstacles=[Obstacle.HEALTH])

    def page():
        response = referent.get(reverse("actions:catalogue"), {"places": "on"})
        assert response.status_code == 200

    def many():
        for _ in range(199):
            ActionFactory(
                orientation=orientation,
                territories=territories,
                obstacles=[Obstacle.HEALTH, Obstacle.MOBILITY],
            )

    assert_constant_queries(page, page, between=many)


def test_an_operator_sees_its_own_actions_with_their_places(client_as, offer):
    operator = UserFactory(operator=True, organisation=offer["scooters"].operator)
    client = client_as(operator)
    response = client.get(reverse("actions:my_actions"))
    content = response.content.decode()
    assert [a.title for a in response.context["actions"]] == ["Location de scooters"]
    assert "0 / 10" in content
    week = reverse("beneficiaries:operator_week", args=[offer["scooters"].pk])
    assert f'<a href="{week}">Saisir les heures du groupe' in content
    assert client.get(week).status_code == 200
    assert (
        client.get(reverse("actions:action_detail", args=[offer["scooters"].pk])).status_code == 200
    )
    assert (
        client.get(reverse("actions:action_detail", args=[offer["bilans"].pk])).status_code == 404
    )


def test_a_referent_does_not_see_a_closed_action_or_the_funding(referent, offer):
    assert (
        referent.get(reverse("actions:action_detail", args=[offer["close"].pk])).status_code == 404
    )
    page = referent.get(reverse("actions:action_detail", args=[offer["scooters"].pk]))
    assert "Budget et financement" not in page.content.decode()
    assert "10</p>" in page.content.decode()


def test_only_the_pilot_edits_an_action(client_as, offer):
    url = reverse("actions:action_update", args=[offer["scooters"].pk])
    for role in ("referent", "manager", "operator", "partner", "admin"):
        assert client_as(UserFactory(**{role: True})).post(url, {"title": "X"}).status_code == 403
    offer["scooters"].refresh_from_db()
    assert offer["scooters"].title == "Location de scooters"
