"""Offer against need per territory and kind of obstacle, on a hand-counted data set: open
obstacles, free places (the catalogue's own count), waiting prescriptions, the gap, the needs not
covered said in words, the chart and its table, and constant queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.enums import ActionStatus, PrescriptionStatus
from actions.enums import Obstacle as Kind
from beneficiaries.enums import ObstacleStatus
from evaluation.offer import UNCOVERED, offer_and_need, totals
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    HouseholdFactory,
    ObstacleFactory,
    PrescriptionFactory,
)
from tests.pti.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def forez():
    return TerritoryFactory(name="Forez")


@pytest.fixture
def roannais():
    return TerritoryFactory(name="Roannais")


def someone(territory, *, exited=False):
    person = BeneficiaryFactory(household=HouseholdFactory(territory=territory))
    if exited:
        ExitFactory(beneficiary=person)
    return person


def build(forez, roannais):
    """(forez, mobility): 3 open, 7 free (3 + 4), 2 waiting; (forez, childcare): 0, 4, 1;
    (roannais, mobility): 0, 4, 0; (roannais, childcare): 1, 4, 0; (roannais, health): 2, 0, 1
    — the one need not covered."""
    one = ActionFactory(territories=[forez], obstacles=[Kind.MOBILITY], capacity=5, places_taken=2)
    both = ActionFactory(
        territories=[forez, roannais], obstacles=[Kind.MOBILITY, Kind.CHILDCARE], capacity=4
    )
    ActionFactory(territories=[forez], obstacles=[Kind.MOBILITY], status=ActionStatus.CLOSED)
    ActionFactory(
        territories=[forez],
        obstacles=[Kind.MOBILITY],
        end_date=TODAY - datetime.timedelta(days=1),
    )
    full = ActionFactory(
        territories=[roannais],
        obstacles=[Kind.HEALTH],
        capacity=2,
        places_taken=2,
        status=ActionStatus.FULL,
    )
    for status in (ObstacleStatus.IDENTIFIED, ObstacleStatus.ADDRESSED, ObstacleStatus.IDENTIFIED):
        ObstacleFactory(beneficiary=someone(forez), kind=Kind.MOBILITY, status=status)
    ObstacleFactory(
        beneficiary=someone(forez),
        kind=Kind.MOBILITY,
        status=ObstacleStatus.LIFTED,
        lifted_on=TODAY,
    )
    ObstacleFactory(beneficiary=someone(forez, exited=True), kind=Kind.MOBILITY)
    ObstacleFactory(beneficiary=someone(roannais), kind=Kind.CHILDCARE)
    for _ in range(2):
        ObstacleFactory(beneficiary=someone(roannais), kind=Kind.HEALTH)
    PrescriptionFactory(beneficiary=someone(forez), action=one, status=PrescriptionStatus.SENT)
    PrescriptionFactory(beneficiary=someone(forez), action=both, status=PrescriptionStatus.PROPOSED)
    PrescriptionFactory(
        beneficiary=someone(roannais), action=full, status=PrescriptionStatus.ACCEPTED
    )
    PrescriptionFactory(
        beneficiary=someone(forez),
        action=one,
        status=PrescriptionStatus.STARTED,
        started_on=TODAY,
    )
    PrescriptionFactory(
        beneficiary=someone(forez, exited=True), action=one, status=PrescriptionStatus.SENT
    )


def figures(rows):
    return [
        (row.territory.name, row.kind, row.open_obstacles, row.free_places, row.waiting, row.gap)
        for row in rows
    ]


def test_offer_and_need_per_territory_and_obstacle_hand_counted(forez, roannais):
    build(forez, roannais)
    rows = offer_and_need(TODAY)
    assert figures(rows) == [
        ("Roannais", Kind.HEALTH, 2, 0, 1, -2),
        ("Roannais", Kind.CHILDCARE, 1, 4, 0, 3),
        ("Forez", Kind.MOBILITY, 3, 7, 2, 4),
        ("Forez", Kind.CHILDCARE, 0, 4, 1, 4),
        ("Roannais", Kind.MOBILITY, 0, 4, 0, 4),
    ]
    assert [row.uncovered for row in rows] == [True, False, False, False, False]
    assert totals(rows) == {
        "mobilité": (3, 11, 2),
        "garde d'enfants": (1, 8, 1),
        "santé": (2, 0, 1),
    }


def test_one_territory_and_the_other_orders(forez, roannais):
    build(forez, roannais)
    assert figures(offer_and_need(TODAY, territory=forez, sort="territoire")) == [
        ("Forez", Kind.MOBILITY, 3, 7, 2, 4),
        ("Forez", Kind.CHILDCARE, 0, 4, 1, 4),
    ]
    assert [row.open_obstacles for row in offer_and_need(TODAY, sort="besoin")][:2] == [3, 2]


def test_the_page_says_the_need_not_covered_in_words_with_its_chart_and_table(
    forez, roannais, client_as
):
    build(forez, roannais)
    client = client_as(UserFactory(pilot=True))
    response = client.get(reverse("evaluation:offer_and_need"))
    assert response.status_code == 200
    text = response.text
    assert UNCOVERED[0].upper() + UNCOVERED[1:] in text
    assert "1 ligne</strong> où le besoin dépasse l'offre" in text
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in text
    assert "freins ouverts 3" in text
    assert "places libres 11" in text
    assert "Données du graphique : totaux par frein" in text
    response = client.get(reverse("evaluation:offer_and_need"), {"territoire": forez.pk})
    assert [row.territory for row in response.context["rows"]] == [forez, forez]
    assert "Sur chaque ligne, l'offre couvre le besoin." in response.text


def test_an_empty_departement_says_what_to_do(client_as):
    response = client_as(UserFactory(pilot=True)).get(reverse("evaluation:offer_and_need"))
    assert "les freins se saisissent dans le dossier de chaque personne" in response.text


def test_the_page_makes_as_many_queries_for_one_row_as_for_many(
    forez, roannais, client_as, assert_constant_queries
):
    ObstacleFactory(beneficiary=someone(forez), kind=Kind.MOBILITY)
    client = client_as(UserFactory(pilot=True))

    def page():
        assert client.get(reverse("evaluation:offer_and_need")).status_code == 200

    def more():
        build(forez, roannais)
        for _ in range(5):
            other = TerritoryFactory()
            ActionFactory(territories=[other], obstacles=list(Kind)[:4])
            ObstacleFactory(beneficiary=someone(other), kind=Kind.LANGUAGE)

    assert_constant_queries(page, page, between=more)
