"""What the benchmarks share: the CNAF flux of a département, this month and the next (10 %
moved, 5 % closed, 5 % of the adults' rights and duties changed): 20,000 households for the
command's benchmark, 100,000 (`PTI_BENCH_HOUSEHOLDS`) for the browser's path."""

import datetime
import os

import pytest
from django.db import connection

from tests.beneficiaries.cnaf_flux import households, write_flux
from tests.pti.factories import CommuneFactory, TerritoryFactory

HOUSEHOLDS = 20_000
DEPARTEMENT_HOUSEHOLDS = int(os.environ.get("PTI_BENCH_HOUSEHOLDS", "100000"))


def _two_months(tmp_path, count):
    if connection.vendor != "postgresql":
        pytest.skip("la mesure du flux CNAF se fait sur PostgreSQL (DATABASE_URL=postgres://…)")
    territory = TerritoryFactory()
    codes = [CommuneFactory(territory=territory).insee_code for _ in range(20)]
    files = []
    for month in (0, 1):
        path = tmp_path / f"flux_{month}.xml"
        write_flux(
            path,
            households(count, insee_codes=codes, month=month),
            created_on=datetime.date(2025, 10 + month, 5),
            reference_on=datetime.date(2025, 9, 30) + datetime.timedelta(days=31 * month),
        )
        files.append(path)
    return files


@pytest.fixture
def two_months(tmp_path):
    return _two_months(tmp_path, HOUSEHOLDS)


@pytest.fixture
def departement_two_months(tmp_path):
    return _two_months(tmp_path, DEPARTEMENT_HOUSEHOLDS)
