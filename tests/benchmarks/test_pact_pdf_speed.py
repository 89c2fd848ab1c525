"""How long the pact PDF takes: 25 signatories, 6 orientations, 80 actions (goal: under 2 s).

Run with `make bench`; outside the default suite.
"""

import datetime

import pytest
from django.urls import reverse

from actions.enums import Obstacle
from pti.enums import PactStatus
from tests.actions.factories import ActionFactory
from tests.pti.factories import (
    ObjectiveFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.signatories.factories import CommitmentTargetFactory, SignatoryFactory

pytestmark = [pytest.mark.benchmark_suite, pytest.mark.django_db]


@pytest.fixture
def large_pact():
    pact = PactFactory(
        status=PactStatus.SIGNED,
        deliberation_date=datetime.date(2016, 6, 27),
        signed_on=datetime.date(2016, 10, 1),
        preamble="\n\n".join(
            ["Un paragraphe du préambule, assez long pour remplir une page. " * 6] * 8
        ),
    )
    orientations = [OrientationFactory(pact=pact, position=n) for n in range(1, 7)]
    for orientation in orientations:
        ObjectiveFactory(orientation=orientation, position=1)
        ObjectiveFactory(orientation=orientation, position=2)
    for number in range(25):
        signatory = SignatoryFactory(pact=pact, signed=True, position=number)
        for orientation in orientations[number % 6 : number % 6 + 2]:
            CommitmentTargetFactory(
                commitment__signatory=signatory, commitment__orientation=orientation
            )
    territories = [TerritoryFactory() for _ in range(5)]
    for number in range(80):
        ActionFactory(
            orientation=orientations[number % 6],
            territories=territories[number % 5 : number % 5 + 2],
            obstacles=[Obstacle.MOBILITY],
            budget=12345.67 + number,
        )
    return pact


def test_pdf_of_a_pact_with_25_signatories_6_orientations_and_80_actions(
    benchmark, client, large_pact
):
    client.force_login(UserFactory(pilot=True))
    url = reverse("pti:pact_pdf", args=[large_pact.pk])

    def download():
        response = client.get(url)
        assert response.status_code == 200
        return response

    response = benchmark.pedantic(download, rounds=5, warmup_rounds=1)
    assert response.content.startswith(b"%PDF-")
    assert benchmark.stats.stats.mean < 2.0
