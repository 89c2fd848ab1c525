"""The year's figures computed at night (evaluation.precomputed): kept exactly as computed,
read by the dashboard instead of computing them, under the same secret statistique."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from evaluation.computations import Computation
from evaluation.models import PrecomputedFigures
from evaluation.precomputed import (
    figures_from_json,
    figures_precompute,
    figures_to_json,
    years_to_precompute,
)
from evaluation.services import snapshot_take
from tests.beneficiaries.factories import ExitFactory
from tests.evaluation.test_views import YEAR, dashboard, orient, people, row
from tests.pti.factories import (
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
    frozen,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pact():
    draft = PactFactory()
    OrientationFactory(pact=draft, position=1)
    return frozen(draft)


def test_the_kept_figures_read_back_equal_to_the_computed_ones():
    roannais = TerritoryFactory(name="Roannais")
    subject = people(7, household__territory=roannais)
    for person in subject[:4]:
        orient(person)
    ExitFactory(beneficiary=subject[5], exit_on=datetime.date(YEAR, 6, 30))
    figures = Computation(YEAR).all()

    assert figures_from_json(figures_to_json(figures)) == figures
    assert figures["oarsa-2-orientes"].numerator == 4


def test_the_dashboard_reads_the_nights_figures_and_says_when_they_were_computed(client_as, pact):
    subject = people(4)
    orient(subject[0])
    figures_precompute(year=YEAR)
    for person in subject[1:]:
        orient(person)  # entered since the night: shown tomorrow
    client = client_as(UserFactory(pilot=True))

    response = dashboard(client)

    oriented = row(response, "oarsa-2-orientes")
    assert (oriented.value, oriented.numerator, oriented.denominator) == (Decimal("25.0"), 1, 4)
    kept = PrecomputedFigures.objects.get(year=YEAR)
    content = response.content.decode()
    at = timezone.localtime(kept.computed_at)
    assert f"calculés le {at:%d/%m/%Y à %H:%M} par le calcul de chaque nuit" in content

    figures_precompute(year=YEAR)  # the next night
    assert row(dashboard(client), "oarsa-2-orientes").numerator == 4
    assert PrecomputedFigures.objects.count() == 1


def test_a_territorys_dashboard_reads_its_own_kept_figures(client_as, pact):
    roannais, forez = TerritoryFactory(name="Roannais"), TerritoryFactory(name="Forez")
    people(2, household__territory=roannais)
    people(5, household__territory=forez)
    figures_precompute(year=YEAR)
    people(3, household__territory=roannais)

    response = dashboard(client_as(UserFactory(pilot=True)), territoire=roannais.pk)

    assert row(response, "oarsa-1-sdd").denominator == 2


@pytest.mark.parametrize("count", [8, 22])
def test_partners_see_the_same_secret_on_the_nights_figures_as_on_live_ones(client_as, pact, count):
    roannais = TerritoryFactory(name="Roannais")
    subject = people(count, household__territory=roannais)
    for person in subject[: count // 2]:
        orient(person)
    partner = client_as(UserFactory(partner=True))
    live = [(r.indicator.code, r.value, r.suppressed) for r in dashboard(partner).context["rows"]]

    figures_precompute(year=YEAR)
    kept = [(r.indicator.code, r.value, r.suppressed) for r in dashboard(partner).context["rows"]]

    assert kept == live
    assert ("oarsa-2-orientes", None, True) in kept  # hidden at night as live


def test_the_history_reads_a_past_year_from_the_night_when_no_snapshot_stopped_it(client_as, pact):
    subject = people(4)
    orient(subject[0])
    figures_precompute(year=YEAR)
    for person in subject[1:]:
        orient(person)
    client = client_as(UserFactory(pilot=True))

    response = client.get(reverse("evaluation:dashboard"), {"annee": YEAR + 1})

    oriented = dict(response.context["series"])["orientés"]
    assert oriented[-2] == Decimal("25.0")  # the night's, not the live 100 %


def test_the_night_computes_this_year_and_the_recent_years_no_snapshot_stopped(pact):
    today = datetime.date(YEAR + 1, 12, 2)
    snapshot_take(year=YEAR - 1)

    assert years_to_precompute(today) == [YEAR - 3, YEAR - 2, YEAR, YEAR + 1]

    call_command("compute_figures", "--year", str(YEAR))
    assert list(PrecomputedFigures.objects.values_list("year", flat=True)) == [YEAR]
