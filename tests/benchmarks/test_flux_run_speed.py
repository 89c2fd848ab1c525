"""How long the monthly flux takes through the browser's path (beneficiaries/runs.py), for a
département of 100,000 households (about 250,000 people; `PTI_BENCH_HOUSEHOLDS` to change
it): the analysis (read, check, plan; nothing written), then the import the pilot confirms
(the plan written in bulk), for the first month, the next month (10 % of the households moved,
5 % closed, 5 % of the adults' rights and duties changed), and the next month's file sent
again. `PTI_BENCH_ROUNDS` rounds (3 by default) give min / median / max.

For each step: the wall time, the worker's Python CPU time, the PostgreSQL backend's CPU time
(read from /proc: the server runs on this machine), and the peak resident memory of the
process (ru_maxrss). Run with `make bench DATABASE_URL=postgres://…`.

Goals (PostgreSQL, 2 cores): first month and next month each analysed and imported in under
120 s, the same file again in under 60 s, peak memory under 500 MB.

Measured on 2 December 2026, PostgreSQL 15 on this 2-core machine, quiet, 100,000 households
(about 250,000 people), 3 rounds, wall min / median / max (median Python CPU, PostgreSQL CPU):

    first month       analysis 27.4 / 29.0 / 32.9 s (28.7 s, 0.1 s)
                      import   27.7 / 31.0 / 31.7 s (13.2 s, 19.4 s)
                      total    55.1 / 60.0 / 64.6 s
    next month        analysis 42.7 / 47.1 / 49.8 s (39.2 s, 7.6 s)
                      import   14.6 / 15.9 / 16.8 s (8.4 s, 7.1 s)
                      total    57.2 / 63.0 / 66.6 s
    same file again   analysis 42.5 / 43.2 / 47.1 s (35.0 s, 8.0 s)
                      import    7.4 /  8.6 / 10.2 s (6.5 s, 2.0 s)
                      total    50.6 / 51.0 / 57.4 s
    peak memory       at most 353 MB (run after the people list's benchmark, in the same
                      process; 245 MB when run alone)
"""

import os
import resource
import statistics
import time

import pytest
from django.core.files import File
from django.db import connection

from beneficiaries.models import Beneficiary
from pti.enums import RunKind, RunStatus
from pti.runs import run_confirm, run_start
from tests.benchmarks.conftest import DEPARTEMENT_HOUSEHOLDS
from tests.pti.factories import UserFactory

pytestmark = [pytest.mark.benchmark_suite, pytest.mark.django_db]

ROUNDS = int(os.environ.get("PTI_BENCH_ROUNDS", "3"))
TICKS = os.sysconf("SC_CLK_TCK")


def postgresql_cpu():
    """Seconds of CPU the PostgreSQL backend of this connection has used."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / TICKS


class Step:
    """Wall, Python CPU and PostgreSQL CPU seconds of what runs inside `with`."""

    def __enter__(self):
        self.wall, self.python, self.postgresql = (
            time.perf_counter(),
            time.process_time(),
            postgresql_cpu(),
        )
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.python = time.process_time() - self.python
        self.postgresql = postgresql_cpu() - self.postgresql


def through_the_page(path, pilot):
    """(the analysis's Step, the confirmed import's Step)."""
    with Step() as analysis, open(path, "rb") as stream:
        run = run_start(kind=RunKind.CNAF_FLUX, user=pilot, upload=File(stream, name=path.name))
    run.refresh_from_db()
    assert run.status == RunStatus.TO_CONFIRM, run.error
    with Step() as writing:
        run_confirm(run=run, user=pilot, on_purpose=True)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return analysis, writing


def forget_everything():
    """Back to an empty département between rounds (inside the test's transaction)."""
    with connection.cursor() as cursor:
        # Foreign keys checked at commit would otherwise forbid the TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "TRUNCATE beneficiaries_household, beneficiaries_beneficiary, "
            "beneficiaries_fileaccess, beneficiaries_fluxlisting, beneficiaries_exit, "
            "beneficiaries_heldhousehold, pti_taskrun CASCADE"
        )


def test_a_departement_through_the_browsers_path(departement_two_months, capsys):
    first, second = departement_two_months
    pilot = UserFactory(pilot=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = {name: [] for name in ("premier mois", "mois suivant", "même fichier renvoyé")}
    for _ in range(ROUNDS):
        forget_everything()
        steps["premier mois"].append(through_the_page(first, pilot))
        assert Beneficiary.objects.count() > 2 * DEPARTEMENT_HOUSEHOLDS
        steps["mois suivant"].append(through_the_page(second, pilot))
        steps["même fichier renvoyé"].append(through_the_page(second, pilot))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with capsys.disabled():
        print(f"\n{DEPARTEMENT_HOUSEHOLDS} foyers, {ROUNDS} tour(s) ; min / médiane / max")
        for name, rounds in steps.items():
            for label, index in (("analyse", 0), ("import", 1), ("total", None)):

                def figure(attribute, rounds=rounds, index=index):
                    values = [
                        sum(getattr(step, attribute) for step in pair)
                        if index is None
                        else getattr(pair[index], attribute)
                        for pair in rounds
                    ]
                    return (
                        f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f} s"
                    )

                print(
                    f"{name:22} {label:8} mur {figure('wall'):24} Python {figure('python'):24} "
                    f"PostgreSQL {figure('postgresql')}"
                )
        print(f"mémoire : {rss_before:.0f} Mo avant, pointe {rss:.0f} Mo")
