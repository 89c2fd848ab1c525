"""Retention: closed files leave the active base two years after the last contact (what
identified the person is erased, the statistics stay), logs are purged after their period."""

import datetime
import os
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from beneficiaries import services
from beneficiaries.enums import FileOperation, InterviewKind
from beneficiaries.models import Beneficiary, FileAccess
from beneficiaries.retention import ERASED, apply_retention
from evaluation.computations import Computation
from evaluation.enums import Breakdown
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    HouseholdFactory,
    InterviewFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
)
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 0))
D = datetime.date


def closed_file(exit_on, **person):
    """A person with a full parcours, who left on `exit_on`."""
    person = BeneficiaryFactory(
        last_name="Dupré",
        birth_name="Martin",
        first_name="Élodie",
        birth_date=D(1984, 11, 30),
        email="elodie.dupre@example.org",
        phone="06 12 34 56 78",
        rsa_requested_on=D(2021, 1, 5),
        right_opened_on=D(2021, 2, 1),
        right_known_on=D(2021, 2, 3),
        household__address="12 rue des Lilas",
        **person,
    )
    OrientationDecisionFactory(beneficiary=person, decided_on=D(2021, 3, 1), is_current=False)
    OrientationDecisionFactory(
        beneficiary=person,
        decided_on=D(2022, 3, 1),
        is_reorientation=True,
        reason="Mme Dupré a retrouvé une santé stable.",
    )
    ContractFactory(
        beneficiary=person,
        start_date=D(2022, 4, 1),
        end_date=D(2022, 10, 1),
        signed_on=D(2022, 4, 1),
        objectives="Soigner sa dépression, puis chercher un emploi d'aide-soignante.",
    )
    InterviewFactory(beneficiary=person, date=D(2022, 5, 2), note="Parle de son divorce.")
    ObstacleFactory(beneficiary=person, identified_on=D(2021, 4, 1), note="Pas de permis.")
    PrescriptionFactory(
        beneficiary=person, prescribed_on=D(2022, 5, 2), note="Pour Élodie, le matin."
    )
    ExitFactory(beneficiary=person, exit_on=exit_on, note="Embauchée à la clinique.")
    return person


def test_a_file_closed_more_than_two_years_ago_is_anonymised_and_keeps_its_statistics():
    person = closed_file(D(2024, 6, 30))
    before = Computation(2023, today=NOW.date()).oarsa()

    report = apply_retention(now=NOW)

    assert (report.people, report.households) == (1, 1)
    person.refresh_from_db()
    assert (person.last_name, person.birth_name, person.first_name) == ("Anonyme", "", "")
    assert (person.email, person.phone) == ("", "")
    assert person.birth_date == D(1984, 7, 1)  # the year stays, for the age bands
    assert person.anonymised_on == NOW.date()
    assert (person.household.caf_number, person.household.address) == ("", "")
    assert person.household.anonymised_on == NOW.date()
    assert person.interviews.get().note == ""
    assert person.obstacles.get().note == ""
    assert person.exit.note == ""
    assert person.prescriptions.get().note == ""
    assert person.contracts.get().objectives == ERASED
    assert person.orientations.get(is_reorientation=True).reason == ERASED
    # Nothing of the person can be found again, by name or birth date.
    assert not Beneficiary.objects.search("Dupré").exists()
    assert not Beneficiary.objects.search("30/11/1984").exists()
    # The parcours and the figures of the years it counted in stay as they were.
    assert person.contracts.get().start_date == D(2022, 4, 1)
    after = Computation(2023, today=NOW.date()).oarsa()
    for was, now in zip(before, after, strict=True):
        assert (now.value, now.numerator, now.denominator) == (
            was.value,
            was.numerator,
            was.denominator,
        )
        assert now.cells(Breakdown.AGE) == was.cells(Breakdown.AGE)


def test_files_still_in_the_active_base_are_kept():
    recent_exit = closed_file(D(2025, 1, 10))
    recent_interview = closed_file(D(2024, 6, 30))
    InterviewFactory(beneficiary=recent_interview, date=D(2025, 2, 1))
    recent_prescription = closed_file(D(2024, 6, 30))
    PrescriptionFactory(
        beneficiary=recent_prescription, prescribed_on=D(2024, 6, 1), ended_on=D(2025, 1, 5)
    )
    still_followed = BeneficiaryFactory(last_name="Suivi")

    assert apply_retention(now=NOW).people == 0

    for person in (recent_exit, recent_interview, recent_prescription, still_followed):
        person.refresh_from_db()
        assert person.anonymised_on is None
        assert person.last_name in ("Dupré", "Suivi")


def test_a_household_with_a_known_member_keeps_its_number_and_loses_the_anonymised_one():
    household = HouseholdFactory(
        caf_number="0123456", address="3 place du Peuple", family_situation="couple_children"
    )
    gone = closed_file(D(2023, 1, 31), household=household)
    jules = BeneficiaryFactory(household=household, last_name="Dupré", first_name="Jules")

    assert apply_retention(now=NOW).households == 1

    gone.refresh_from_db()
    household.refresh_from_db()
    assert gone.anonymised_on == NOW.date()
    assert (household.caf_number, household.address) == ("0123456", "3 place du Peuple")
    assert household.anonymised_on is None
    assert list(household.members.all()) == [jules]
    # The anonymised person now has a household of their own, with nothing that identifies
    # it but what the statistics use.
    own = gone.household
    assert own != household
    assert (own.caf_number, own.address, own.anonymised_on) == ("", "", NOW.date())
    assert (own.territory, own.commune, own.family_situation) == (
        household.territory,
        household.commune,
        household.family_situation,
    )


def test_an_anonymised_file_is_never_written_again(client):
    person = closed_file(D(2023, 1, 31))
    apply_retention(now=NOW)
    person.refresh_from_db()
    pilot = UserFactory(pilot=True)

    with pytest.raises(ValidationError, match="anonymisé"):
        services.interview_add(
            beneficiary=person,
            kind=InterviewKind.PHONE,
            date=D(2026, 1, 5),
            note="",
            by=pilot,
        )
    with pytest.raises(ValidationError, match="anonymisé"):
        services.beneficiary_update(
            beneficiary=person,
            expected_version=person.lock_version,
            values={"first_name": "Élodie"},
            household_values={},
            user=pilot,
        )

    client.force_login(pilot)
    page = client.get(reverse("beneficiaries:file", args=[person.pk]))
    assert "Dossier anonymisé le 26/11/2026" in page.content.decode()
    assert "Modifier l&#x27;identité" not in page.content.decode()
    refused = client.get(reverse("beneficiaries:update", args=[person.pk]), follow=True)
    assert "il ne peut plus être modifié" in refused.content.decode()
    person.refresh_from_db()
    assert person.first_name == ""


def test_the_traces_are_deleted_after_their_retention_period_and_not_before():
    person = BeneficiaryFactory()
    referent = UserFactory(referent=True)
    old, recent = [
        FileAccess.objects.create(
            beneficiary=person, user=referent, operation=FileOperation.READ, what="dossier"
        )
        for _ in range(2)
    ]
    FileAccess.objects.filter(pk=old.pk).update(at=NOW - datetime.timedelta(days=366))
    FileAccess.objects.filter(pk=recent.pk).update(at=NOW - datetime.timedelta(days=364))
    person.phone = "06 00 00 00 00"
    person.save()
    LogEntry.objects.filter(object_pk=str(person.pk)).update(
        timestamp=NOW - datetime.timedelta(days=400)
    )

    report = apply_retention(now=NOW)

    assert (report.file_accesses, report.change_entries) >= (1, 1)
    assert list(FileAccess.objects.all()) == [recent]
    assert not LogEntry.objects.filter(object_pk=str(person.pk)).exists()


def test_the_command_says_what_it_did_without_naming_anyone():
    person = closed_file(D(2023, 1, 31))

    simulated = StringIO()
    call_command("apply_retention", "--dry-run", stdout=simulated)
    person.refresh_from_db()
    assert person.anonymised_on is None
    assert "1 dossier(s) clos" in simulated.getvalue()

    done = StringIO()
    call_command("apply_retention", stdout=done)
    person.refresh_from_db()
    assert person.anonymised_on is not None
    assert "1 personne(s) et 1 foyer(s) anonymisés" in done.getvalue()
    assert "0 fichier(s) d'import abandonné(s) supprimé(s)" in done.getvalue()
    assert "Dupré" not in simulated.getvalue() + done.getvalue()


def test_retention_deletes_the_abandoned_import_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "abandoned.csv").write_text("Nom;Prénom\r\nDupré;Léa\r\n")
    (folder / "pending.csv").write_text("Nom;Prénom\r\nMartin;Jo\r\n")
    two_days_before = (NOW - datetime.timedelta(days=2)).timestamp()
    os.utime(folder / "abandoned.csv", (two_days_before, two_days_before))
    os.utime(folder / "pending.csv", (NOW.timestamp(), NOW.timestamp()))

    assert apply_retention(now=NOW).import_files == 1

    assert sorted(path.name for path in folder.iterdir()) == ["pending.csv"]
