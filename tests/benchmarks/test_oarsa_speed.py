"""How long every OARSA indicator of one year takes on 100,000 people (goal: under 1 s).

Run with `make bench DATABASE_URL=postgres://…`: the figure that matters is PostgreSQL's.
Building the 100,000 people of the demo takes about two minutes before the measure.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from beneficiaries.models import Beneficiary
from evaluation.computations import Computation

pytestmark = [pytest.mark.benchmark_suite, pytest.mark.django_db]

PEOPLE = 100_000


@pytest.fixture
def departement_of_100_000_people():
    if connection.vendor != "postgresql":
        pytest.skip("la mesure OARSA se fait sur PostgreSQL (DATABASE_URL=postgres://…)")
    call_command("seed_demo", beneficiaries=PEOPLE, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Beneficiary.objects.count()


def test_every_oarsa_indicator_of_a_year_on_100_000_people(
    benchmark, departement_of_100_000_people
):
    assert departement_of_100_000_people == PEOPLE
    year = timezone.localdate().year - 1

    figures = benchmark.pedantic(lambda: Computation(year).oarsa(), rounds=5, warmup_rounds=1)

    by_code = {figure.code: figure for figure in figures}
    assert len(by_code) == 11  # indicators 1 to 9, the eighth in three parts
    assert by_code["oarsa-1-sdd"].denominator > PEOPLE // 2
    assert all(figure.value for figure in figures)
    assert benchmark.stats.stats.mean < 1.0
