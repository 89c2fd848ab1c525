"""Snapshots keep a year's figures as they were arrêtés, whatever happens to the data after."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from evaluation.enums import Scope, Source
from evaluation.models import Indicator, Measurement, Snapshot
from evaluation.services import snapshot_take
from pti.enums import PactStatus
from tests.actions.factories import (
    ActionFactory,
    AgreementObjectiveFactory,
    FundingAgreementFactory,
)
from tests.beneficiaries.factories import BeneficiaryFactory, ExitFactory, PrescriptionFactory
from tests.pti.factories import PactFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = datetime.date.today().year - 1


@pytest.fixture
def pact():
    return PactFactory(
        status=PactStatus.SIGNED,
        deliberation_date=datetime.date(2016, 6, 27),
        signed_on=datetime.date(2016, 10, 1),
    )


def people(count, **fields):
    return [
        BeneficiaryFactory(
            rsa_requested_on=datetime.date(YEAR - 1, 1, 1),
            right_opened_on=datetime.date(YEAR - 1, 2, 1),
            right_known_on=datetime.date(YEAR - 1, 2, 5),
            **fields,
        )
        for _ in range(count)
    ]


def reported(snapshot, code, **scope):
    return Measurement.objects.get(
        snapshot=snapshot, indicator__code=code, breakdown="", **(scope or {"scope": Scope.PACT})
    )


def test_a_snapshot_keeps_the_figures_when_the_data_change(pact):
    people(4, rights_and_duties="subject")
    people(1, rights_and_duties="not_subject")
    snapshot = snapshot_take(year=YEAR)
    first = reported(snapshot, "oarsa-1-sdd")
    assert (first.value, first.numerator, first.denominator) == (80, 4, 5)  # 4 SDD of 5

    people(5, rights_and_duties="not_subject")  # the data change after the snapshot
    first.refresh_from_db()
    assert (first.value, first.numerator, first.denominator) == (80, 4, 5)

    later = snapshot_take(year=YEAR)
    assert reported(later, "oarsa-1-sdd").value == 40  # 4 SDD of 10, in the new snapshot only
    assert Snapshot.objects.filter(year=YEAR).count() == 2


def test_a_snapshot_holds_every_computed_indicator_with_breakdowns_and_per_territory(pact):
    territory = TerritoryFactory(name="Roannais")
    people(3, household__territory=territory)
    snapshot = snapshot_take(year=YEAR)
    computed = set(
        Indicator.objects.filter(source=Source.COMPUTED)
        .exclude(code__startswith="action-")
        .values_list("code", flat=True)
    )
    at_pact = set(
        snapshot.measurements.filter(scope=Scope.PACT, breakdown="").values_list(
            "indicator__code", flat=True
        )
    )
    assert at_pact == computed
    assert snapshot.measurements.filter(scope=Scope.PACT, breakdown="sex").exists()
    assert (
        reported(snapshot, "oarsa-1-sdd", scope=Scope.TERRITORY, territory=territory).denominator
        == 3
    )
    assert all(m.source == Source.COMPUTED for m in snapshot.measurements.all())


def test_a_snapshot_measures_the_agreements_objectives_of_its_year(pact):
    action = ActionFactory(capacity=10)
    agreement = FundingAgreementFactory(
        operator=action.operator, actions=[action], start_year=YEAR - 1, end_year=YEAR + 1
    )
    objective = AgreementObjectiveFactory(
        agreement=agreement, action=action, year=YEAR, measure="people_accompanied", target=4
    )
    for person in people(3):
        PrescriptionFactory(
            beneficiary=person,
            action=action,
            status="started",
            prescribed_on=datetime.date(YEAR, 2, 1),
            answered_on=datetime.date(YEAR, 2, 5),
            started_on=datetime.date(YEAR, 3, 1),
        )
    snapshot = snapshot_take(year=YEAR)
    measurement = snapshot.measurements.get(
        scope=Scope.AGREEMENT_OBJECTIVE, agreement_objective=objective
    )
    assert measurement.value == 3  # three people present in the action during the year


def test_the_renewal_screen_shows_the_snapshot_results(client_as, pact):
    action = ActionFactory(capacity=10)
    agreement = FundingAgreementFactory(
        operator=action.operator, actions=[action], start_year=YEAR - 1, end_year=YEAR + 1
    )
    AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=YEAR,
        measure="prescriptions_completed",
        label="Parcours menés à terme",
        target=2,
    )
    person = people(1)[0]
    PrescriptionFactory(
        beneficiary=person,
        action=action,
        status="completed",
        prescribed_on=datetime.date(YEAR, 1, 10),
        answered_on=datetime.date(YEAR, 1, 12),
        started_on=datetime.date(YEAR, 1, 20),
        ended_on=datetime.date(YEAR, 6, 30),
    )
    pilot = client_as(UserFactory(pilot=True))
    url = reverse("actions:agreement_renewal", args=[agreement.pk])
    assert "pas encore mesuré" in pilot.get(url).content.decode()
    pilot.post(reverse("evaluation:snapshots"), {"year": YEAR, "next": url})
    page = pilot.get(url).content.decode()
    assert "mesuré le" in page
    assert "50,0\u00a0%" in page  # 1 of 2 completed


def test_the_take_snapshot_command(pact):
    people(2)
    ExitFactory(beneficiary=people(1)[0], exit_on=datetime.date(YEAR, 5, 1), contract_type="cdi")
    out = StringIO()
    call_command("take_snapshot", "--year", str(YEAR), "--note", "Transmis à la DREES", stdout=out)
    snapshot = Snapshot.objects.get()
    assert snapshot.note == "Transmis à la DREES"
    assert f"Chiffres {YEAR} arrêtés le" in out.getvalue()
    assert reported(snapshot, "emploi-durable").value == 100  # one exit, to a CDI


def test_a_snapshot_without_pact_is_refused_in_french():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Créez d'abord le pacte"):
        call_command("take_snapshot", "--year", str(YEAR), stdout=StringIO())
    assert not Snapshot.objects.exists()
