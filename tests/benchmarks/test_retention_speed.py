"""How long the files without contact take to find on 100,000 people (goal: under 1 s for the
pilot's list filtered on them, the same condition as the portfolio's count), and how long the
first nightly retention takes on a base that never ran it.

Run with `make bench DATABASE_URL=postgres://…`: the figures that matter are PostgreSQL's.
Measured on PostgreSQL 15 (2 cores shared with other work): the pilot's list filtered on them
counts them in 0.55 to 0.95 s (mean 0.81 s, load average 2), one référent's counts in 94 ms;
the first retention on the demo's 100,000 people closed 8,235 files and anonymised 11,244
people in 6 min 48 s (load average 6 to 9); the whole measure, seeding included, 10 min 25 s.
A night's run afterwards has a handful of files.
"""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from beneficiaries.models import Beneficiary
from beneficiaries.retention import apply_retention, people_past_retention

pytestmark = [pytest.mark.benchmark_suite, pytest.mark.django_db]

PEOPLE = 100_000


@pytest.fixture
def departement_of_100_000_people():
    if connection.vendor != "postgresql":
        pytest.skip("la mesure se fait sur PostgreSQL (DATABASE_URL=postgres://…)")
    call_command("seed_demo", beneficiaries=PEOPLE, snapshots=False, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Beneficiary.objects.count()


def test_files_without_contact_among_100_000_people(benchmark, departement_of_100_000_people):
    assert departement_of_100_000_people == PEOPLE
    today = timezone.localdate()
    flagged = Beneficiary.objects.with_followup().filter(exit__isnull=True)

    count = benchmark.pedantic(
        lambda: flagged.due("no_contact", today).count(), rounds=5, warmup_rounds=1
    )

    assert count > 0
    assert benchmark.stats.stats.mean < 1.0

    to_anonymise = people_past_retention(today).count()
    started = time.perf_counter()
    report = apply_retention()
    elapsed = time.perf_counter() - started
    assert report.people == to_anonymise > report.closed > 0
    assert elapsed < 20 * 60
    assert not people_past_retention(today).exists()
