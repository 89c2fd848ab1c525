"""How long a pact may run: ten years for a version of its own, ten years from its entry into
force for an amendment, which may thus extend the pact it amends."""

import pytest
from django.urls import reverse
from django.utils import timezone

from pti.models import Pact
from signatories import services as signatory_services
from tests.pti.factories import OrientationFactory, PactFactory, UserFactory, frozen

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


def amendment_of_the_2016_2020_pact():
    pact = PactFactory(period_start=2016, period_end=2020)
    OrientationFactory(pact=pact, position=1)
    frozen(pact)
    return signatory_services.pact_amend(pact=pact, reason="Prolonger le pacte")


def post_period(client, pact, start, end):
    return client.post(
        reverse("pti:pact_update", args=[pact.pk]),
        {
            "title": pact.title,
            "department_name": pact.department_name,
            "period_start": start,
            "period_end": end,
            "preamble": pact.preamble,
            "legal_frame": pact.legal_frame,
            "lock_version": pact.lock_version,
        },
        follow=True,
    )


def test_an_amendment_extending_the_pact_to_2027_is_saved(pilot):
    amendment = amendment_of_the_2016_2020_pact()

    response = post_period(pilot, amendment, 2016, 2027)

    assert response.status_code == 200
    assert "Le pacte est enregistré." in response.content.decode()
    amendment.refresh_from_db()
    assert (amendment.period_start, amendment.period_end) == (2016, 2027)


def test_an_amendment_committing_the_parties_for_more_than_ten_years_is_refused(pilot):
    amendment = amendment_of_the_2016_2020_pact()
    too_far = THIS_YEAR + 10

    response = post_period(pilot, amendment, 2016, too_far)

    assert response.status_code == 422
    assert (
        "Un avenant engage les parties pour au plus dix ans à compter de son entrée en vigueur "
        f"({THIS_YEAR}) : la dernière année ne peut pas dépasser {THIS_YEAR + 9}."
    ) in response.content.decode()
    amendment.refresh_from_db()
    assert amendment.period_end == 2020


def test_a_first_version_still_covers_at_most_ten_years(pilot):
    pact = PactFactory(period_start=2016, period_end=2020)

    response = post_period(pilot, pact, 2016, 2027)

    assert response.status_code == 422
    assert "Un pacte couvre au plus dix ans." in response.content.decode()
    assert Pact.objects.get(pk=pact.pk).period_end == 2020


def test_a_first_version_of_ten_years_is_saved(pilot):
    pact = PactFactory(period_start=2016, period_end=2020)

    post_period(pilot, pact, 2016, 2025)

    assert Pact.objects.get(pk=pact.pk).period_end == 2025
