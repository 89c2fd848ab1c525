"""How long the CNAF flux takes on 20,000 households (about 50,000 people): the first import,
then the next month's, with 10 % of the households moved, 5 % closed (their people leave
with their exits recorded in bulk, as the exit form records one) and 5 % of the adults'
rights and duties changed: the command's path (analysis, then the plan written).

Run with `make bench DATABASE_URL=postgres://…`: the figures that matter are PostgreSQL's.
Measured on PostgreSQL 15 (2 cores): about 13 s for the first import, 30 s for the next
month, two thirds of which are the ~2,600 exits; memory stays flat whatever the file's size
(the file is read as a stream, 1,000 households at a time). On another machine of the same
kind, once people could be found again in another household: 27.9 s and 54.7 s (the code
before that change, the same day: 22.3 s and 65.3 s).
"""

import time

import pytest

from beneficiaries.cnaf import cnaf_flux_import
from beneficiaries.models import Beneficiary, Exit
from tests.benchmarks.conftest import HOUSEHOLDS
from tests.pti.factories import UserFactory

pytestmark = [pytest.mark.benchmark_suite, pytest.mark.django_db]


def test_twenty_thousand_households_then_the_next_month(benchmark, two_months):
    first, second = two_months
    pilot = UserFactory(pilot=True)

    report = benchmark.pedantic(
        lambda: cnaf_flux_import(source=first, user=pilot), rounds=1, iterations=1
    )
    assert report.households_created == HOUSEHOLDS
    assert Beneficiary.objects.count() == report.people_created > 2 * HOUSEHOLDS
    assert benchmark.stats.stats.max < 60

    started = time.perf_counter()
    next_month = cnaf_flux_import(source=second, user=pilot)
    assert time.perf_counter() - started < 180
    assert next_month.households_updated > HOUSEHOLDS // 20
    assert next_month.exits_recorded == Exit.objects.count() > 0
