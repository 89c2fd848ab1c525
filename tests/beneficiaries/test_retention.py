"""Retention: every file leaves the active base two years after the last contact. A file with
no exit is closed for lack of contact on that day, then anonymised with the closed ones; logs
are purged after their period."""

import datetime
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries import services
from beneficiaries.enums import (
    ExitCategory,
    ExitContract,
    FileOperation,
    InterviewKind,
    PeopleView,
    RefusedTarget,
)
from beneficiaries.forms import ExitForm
from beneficiaries.models import (
    Beneficiary,
    Exit,
    FileAccess,
    FluxListing,
    ListAccess,
    RefusedAccess,
)
from beneficiaries.retention import ERASED, apply_retention
from evaluation.computations import Computation, action_results
from evaluation.enums import Breakdown
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    HouseholdFactory,
    InterviewFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, UserFactory
from tests.pti.test_settings import manage

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 0))
TODAY = NOW.date()
D = datetime.date
# The last day of contact that still keeps a file on TODAY, and the one before.
KEPT_SINCE = TODAY - datetime.timedelta(days=729)
OUT_SINCE = TODAY - datetime.timedelta(days=730)


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


def silent_file(last_contact_on, **person):
    """A person still in the RSA (no exit) whose only news is an interview on that day."""
    person = BeneficiaryFactory(
        last_name="Sans-Nouvelles",
        rsa_requested_on=D(2022, 1, 3),
        right_opened_on=D(2022, 1, 10),
        right_known_on=D(2022, 1, 12),
        **person,
    )
    InterviewFactory(beneficiary=person, date=last_contact_on, note="Ne répond plus.")
    return person


# --- Files closed already ----------------------------------------------------------------------


def test_a_file_closed_more_than_two_years_ago_is_anonymised():
    person = closed_file(D(2024, 6, 30))

    report = apply_retention(now=NOW)

    assert (report.closed, report.people, report.households) == (0, 1, 1)
    person.refresh_from_db()
    assert (person.last_name, person.birth_name, person.first_name) == ("Anonyme", "", "")
    assert (person.email, person.phone) == ("", "")
    assert person.birth_date == D(1984, 7, 1)  # the year stays, for the age bands
    assert person.anonymised_on == TODAY
    assert (person.household.caf_number, person.household.address) == ("", "")
    assert person.household.commune is None
    assert person.household.anonymised_on == TODAY
    assert person.interviews.get().note == ERASED
    assert person.obstacles.get().note == ERASED
    assert (person.exit.note, person.exit.exit_on, person.exit.recorded_by) == (
        ERASED,
        D(2024, 6, 1),
        None,
    )
    assert person.prescriptions.get().note == ERASED
    assert person.contracts.get().objectives == ERASED
    assert person.orientations.get(is_reorientation=True).reason == ERASED
    # Nothing of the person can be found again, by name or birth date.
    assert not Beneficiary.objects.search("Dupré").exists()
    assert not Beneficiary.objects.search("30/11/1984").exists()


def test_the_active_base_ends_two_years_after_the_last_contact_to_the_day():
    out = closed_file(D(2023, 1, 31))
    InterviewFactory(beneficiary=out, date=OUT_SINCE)
    kept = closed_file(D(2023, 1, 31))
    InterviewFactory(beneficiary=kept, date=KEPT_SINCE)

    assert apply_retention(now=NOW).people == 1

    out.refresh_from_db()
    kept.refresh_from_db()
    assert (out.anonymised_on, kept.anonymised_on) == (TODAY, None)


@pytest.mark.parametrize(
    "recent",
    [
        lambda person: InterviewFactory(beneficiary=person, date=D(2025, 2, 1)),
        lambda person: PrescriptionFactory(
            beneficiary=person, prescribed_on=D(2024, 6, 1), ended_on=D(2025, 1, 5)
        ),
        lambda person: ObstacleFactory(
            beneficiary=person, identified_on=D(2024, 1, 1), lifted_on=D(2025, 3, 1)
        ),
        lambda person: FluxListing.objects.create(beneficiary=person, listed_on=D(2025, 10, 6)),
    ],
    ids=["interview", "prescription ended", "obstacle lifted", "listed by the CNAF flux"],
)
def test_a_closed_file_with_a_recent_contact_is_kept(recent):
    person = closed_file(D(2024, 6, 30))
    recent(person)

    assert apply_retention(now=NOW).people == 0

    person.refresh_from_db()
    assert (person.anonymised_on, person.last_name) == (None, "Dupré")


def test_a_household_with_a_known_member_keeps_its_number_and_loses_the_anonymised_one():
    commune = CommuneFactory()
    household = HouseholdFactory(
        caf_number="0123456",
        address="3 place du Peuple",
        family_situation="couple_children",
        commune=commune,
        territory=commune.territory,
    )
    gone = closed_file(D(2023, 1, 31), household=household)
    jules = BeneficiaryFactory(household=household, last_name="Dupré", first_name="Jules")
    InterviewFactory(beneficiary=jules, date=D(2026, 10, 1))

    assert apply_retention(now=NOW).households == 1

    gone.refresh_from_db()
    household.refresh_from_db()
    assert gone.anonymised_on == TODAY
    assert (household.caf_number, household.address) == ("0123456", "3 place du Peuple")
    assert (household.commune, household.anonymised_on) == (commune, None)
    assert list(household.members.all()) == [jules]
    # The anonymised person now has a household of their own, with nothing that identifies
    # it but what the statistics use: the territory, not the commune.
    own = gone.household
    assert own != household
    assert (own.caf_number, own.address, own.commune, own.anonymised_on) == ("", "", None, TODAY)
    assert (own.territory, own.family_situation, own.payer) == (
        household.territory,
        household.family_situation,
        household.payer,
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
    assert "le mois de chaque date, le territoire et le parcours restent" in page.content.decode()
    assert "Modifier l&#x27;identité" not in page.content.decode()
    refused = client.get(reverse("beneficiaries:update", args=[person.pk]), follow=True)
    assert "il ne peut plus être modifié" in refused.content.decode()
    person.refresh_from_db()
    assert person.first_name == ""


# --- Files without exit nor contact ------------------------------------------------------------


def test_a_file_without_exit_nor_contact_is_closed_then_anonymised():
    referent = UserFactory(referent=True)
    person = silent_file(D(2024, 8, 10))
    ReferentAssignmentFactory(beneficiary=person, referent=referent, start_date=D(2022, 2, 1))
    action = ActionFactory(capacity=5)
    action.places_taken = 1
    action.save(update_fields=["places_taken"])
    holding = PrescriptionFactory(
        beneficiary=person,
        action=action,
        status=PrescriptionStatus.ACCEPTED,
        prescribed_on=D(2024, 5, 2),
        answered_on=D(2024, 5, 6),
    )
    waiting = PrescriptionFactory(beneficiary=person, prescribed_on=D(2024, 6, 3))
    completed = PrescriptionFactory(
        beneficiary=person,
        status=PrescriptionStatus.COMPLETED,
        prescribed_on=D(2023, 1, 9),
        ended_on=D(2023, 6, 30),
    )

    report = apply_retention(now=NOW)

    assert (report.closed, report.people, report.households) == (1, 1, 1)
    person.refresh_from_db()
    assert person.anonymised_on == TODAY
    # Closed on its closing day (the last contact plus 730 days: 10/08/2026), by no one, with
    # no outcome; the day is kept to its month like every date of an anonymised file.
    closure = Exit.objects.get(beneficiary=person)
    assert (
        closure.exit_on,
        closure.category,
        closure.contract_type,
        closure.contract_days,
        closure.recorded_by,
    ) == (D(2026, 8, 1), ExitCategory.NO_CONTACT, ExitContract.NONE, None, None)
    # The prescriptions still running are abandoned on that day, their places given back; the
    # others are left as they were.
    for prescription in (holding, waiting, completed):
        prescription.refresh_from_db()
    assert [(p.status, p.ended_on) for p in (holding, waiting, completed)] == [
        (PrescriptionStatus.ABANDONED, D(2026, 8, 1)),
        (PrescriptionStatus.ABANDONED, D(2026, 8, 1)),
        (PrescriptionStatus.COMPLETED, D(2023, 6, 1)),
    ]
    action.refresh_from_db()
    assert action.places_taken == 0
    # The référent's designation ends: the file leaves their portfolio.
    assert person.assignments.get().end_date == D(2026, 8, 1)
    assert not Beneficiary.objects.assigned_to(referent).exists()


def test_a_file_without_exit_is_kept_until_its_closing_day():
    closing_today = silent_file(OUT_SINCE)
    closing_tomorrow = silent_file(KEPT_SINCE)

    assert apply_retention(now=NOW).closed == 1

    assert Exit.objects.get().beneficiary == closing_today
    closing_tomorrow.refresh_from_db()
    assert closing_tomorrow.anonymised_on is None
    assert not Exit.objects.filter(beneficiary=closing_tomorrow).exists()


def test_a_file_the_cnaf_flux_still_lists_is_not_closed():
    person = silent_file(D(2023, 3, 1))
    FluxListing.objects.create(beneficiary=person, listed_on=D(2026, 11, 5))

    assert apply_retention(now=NOW).closed == 0

    person.refresh_from_db()
    assert person.anonymised_on is None


def test_a_closure_for_lack_of_contact_is_never_a_positive_outcome():
    action = ActionFactory()
    person = silent_file(D(2024, 3, 4))
    PrescriptionFactory(
        beneficiary=person,
        action=action,
        status=PrescriptionStatus.STARTED,
        prescribed_on=D(2024, 1, 8),
        started_on=D(2024, 2, 5),
    )
    apply_retention(now=NOW)
    assert Exit.objects.get().exit_on.year == 2026

    figures = Computation(2026, today=TODAY)
    dynamic = figures.dynamic_exits()
    assert (dynamic.numerator, dynamic.denominator) == (0, 1)
    assert [cell.numerator for cell in dynamic.cells(Breakdown.KIND)] == [0, 0, 0]
    [durable, durable_iae] = figures.durable_employment()
    assert (durable.numerator, durable_iae.numerator) == (0, 0)
    assert action_results(2026, today=TODAY)[action.pk]["dynamic"] == 0


def test_no_one_records_a_closure_for_lack_of_contact_by_hand():
    person = BeneficiaryFactory()
    referent = UserFactory(referent=True)
    form = ExitForm(
        data={
            "sortie-exit_on": "01/10/2026",
            "sortie-category": ExitCategory.NO_CONTACT,
            "sortie-contract_type": ExitContract.NONE,
        }
    )
    assert not form.is_valid()
    assert "Sélectionnez un choix valide" in form.errors["category"][0]

    with pytest.raises(ValidationError, match="ne s'enregistre pas à la main"):
        services.exit_record(
            beneficiary=person,
            exit_on=D(2026, 10, 1),
            category=ExitCategory.NO_CONTACT,
            contract_type=ExitContract.NONE,
            contract_days=None,
            note="",
            by=referent,
        )
    # Nor as a job: the database refuses it whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Exit.objects.create(
            beneficiary=person,
            exit_on=D(2026, 10, 1),
            category=ExitCategory.NO_CONTACT,
            contract_type=ExitContract.CDI,
        )


# --- Logs ----------------------------------------------------------------------------------------


def aged(model, row, days):
    model.objects.filter(pk=row.pk).update(at=NOW - datetime.timedelta(days=days))


def test_the_traces_are_deleted_after_their_retention_period_and_not_before():
    person = BeneficiaryFactory()
    InterviewFactory(beneficiary=person, date=D(2026, 11, 2))
    referent = UserFactory(referent=True)
    old_read, recent_read = [
        FileAccess.objects.create(
            beneficiary=person, user=referent, operation=FileOperation.READ, what="dossier"
        )
        for _ in range(2)
    ]
    old_list, recent_list = [
        ListAccess.objects.create(user=referent, view=PeopleView.PORTFOLIO, shown=1, total=1)
        for _ in range(2)
    ]
    old_refusal, recent_refusal = [
        RefusedAccess.objects.create(
            user=referent, target=RefusedTarget.FILE, object_id=999, page="dossier", status=404
        )
        for _ in range(2)
    ]
    for model, old, recent in [
        (FileAccess, old_read, recent_read),
        (ListAccess, old_list, recent_list),
        (RefusedAccess, old_refusal, recent_refusal),
    ]:
        aged(model, old, 366)
        aged(model, recent, 364)
    person.phone = "06 00 00 00 00"
    person.save()
    LogEntry.objects.filter(object_pk=str(person.pk)).update(
        timestamp=NOW - datetime.timedelta(days=400)
    )

    report = apply_retention(now=NOW)

    assert report.traces == 3
    assert report.change_entries >= 1
    assert list(FileAccess.objects.all()) == [recent_read]
    assert list(ListAccess.objects.all()) == [recent_list]
    assert list(RefusedAccess.objects.all()) == [recent_refusal]
    assert not LogEntry.objects.filter(object_pk=str(person.pk)).exists()


@pytest.mark.skipif(not apps.is_installed("axes"), reason="django-axes n'est pas installé")
def test_the_login_traces_of_axes_are_deleted_after_the_same_period():
    access_log = apps.get_model("axes", "AccessLog")
    failure_log = apps.get_model("axes", "AccessFailureLog")
    rows = {}
    for model in (access_log, failure_log):
        old, recent = [
            model.objects.create(username="pilote", ip_address="192.0.2.1") for _ in range(2)
        ]
        model.objects.filter(pk=old.pk).update(attempt_time=NOW - datetime.timedelta(days=366))
        model.objects.filter(pk=recent.pk).update(attempt_time=NOW - datetime.timedelta(days=364))
        rows[model] = recent

    apply_retention(now=NOW)

    for model, recent in rows.items():
        assert list(model.objects.all()) == [recent]


# --- The command ---------------------------------------------------------------------------------


def test_the_command_says_what_it_did_without_naming_anyone():
    person = closed_file(D(2023, 1, 31))
    silent = silent_file(D(2023, 5, 2))
    limit = (timezone.localdate() - datetime.timedelta(days=729)).strftime("%d/%m/%Y")

    simulated = StringIO()
    call_command("apply_retention", "--dry-run", stdout=simulated)
    person.refresh_from_db()
    assert person.anonymised_on is None
    assert not Exit.objects.filter(beneficiary=silent).exists()
    assert (
        f"1 dossier(s) sans sortie ni contact depuis le {limit} seraient clos faute de contact ; "
        "2 dossier(s) seraient anonymisés" in simulated.getvalue()
    )
    assert "rien n'a été modifié" in simulated.getvalue()

    done = StringIO()
    call_command("apply_retention", stdout=done)
    person.refresh_from_db()
    assert person.anonymised_on is not None
    assert (
        "1 dossier(s) clos faute de contact ; 2 personne(s) et 2 foyer(s) anonymisés"
        in done.getvalue()
    )
    assert "0 fichier(s) d'import abandonné(s) ou ancien(s) supprimé(s)" in done.getvalue()
    output = simulated.getvalue() + done.getvalue()
    assert "Dupré" not in output
    assert "Sans-Nouvelles" not in output


def test_retention_cancels_the_imports_left_unconfirmed_and_deletes_their_files(settings, tmp_path):
    from django.core.files.base import ContentFile

    from pti.enums import RunKind, RunStatus
    from pti.models import TaskRun

    settings.MEDIA_ROOT = tmp_path
    pilot = UserFactory(pilot=True)
    runs = {}
    for kind, days in ((RunKind.PEOPLE_IMPORT, 2), (RunKind.ORGANISATION_IMPORT, 0)):
        run = TaskRun(kind=kind, created_by=pilot, status=RunStatus.TO_CONFIRM)
        run.file.save("liste.csv", ContentFile(b"Nom;Prenom\r\nDupre;Lea\r\n"), save=False)
        run.plan.save("plan.json", ContentFile(b"{}"), save=False)
        run.result.save("retenues.csv", ContentFile(b"Erreur;Nom\r\n"), save=False)
        run.heartbeat_at = NOW - datetime.timedelta(days=days)
        run.save()
        runs[kind] = run

    assert apply_retention(now=NOW).import_files == 1

    abandoned, pending = runs[RunKind.PEOPLE_IMPORT], runs[RunKind.ORGANISATION_IMPORT]
    abandoned.refresh_from_db()
    assert abandoned.status == RunStatus.CANCELLED
    assert [bool(kept) for kept in (abandoned.file, abandoned.plan, abandoned.result)] == [
        False,
        False,
        False,
    ]
    pending.refresh_from_db()
    assert pending.status == RunStatus.TO_CONFIRM
    kept = sorted(path.name for path in tmp_path.rglob("*") if path.is_file())
    assert kept == sorted(
        name.rsplit("/", 1)[-1]
        for name in (pending.file.name, pending.plan.name, pending.result.name)
    )


@pytest.mark.django_db(transaction=False)
def test_a_notice_as_long_as_the_active_base_stops_start_up_clearly():
    result = manage(
        "check",
        DJANGO_DEBUG="true",
        PTI_ACTIVE_RETENTION_DAYS="400",
        PTI_RETENTION_NOTICE_DAYS="400",
    )
    assert result.returncode == 1
    assert (
        "Configuration invalide : PTI_RETENTION_NOTICE_DAYS (400) doit être plus court que "
        "PTI_ACTIVE_RETENTION_DAYS (400)" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_the_pilot_reads_what_retention_would_do_and_applies_it_as_a_run(client_as):
    from pti.enums import RunKind, RunStatus
    from pti.models import TaskRun

    pilot = client_as(UserFactory(pilot=True))

    page = pilot.get(reverse("beneficiaries:retention")).content.decode()
    assert "Ce que l'application ferait aujourd'hui" in page
    assert "0 dossier sans sortie ni contact depuis le" in page
    unconfirmed = pilot.post(reverse("beneficiaries:retention"), follow=True)
    assert "Cochez la case qui confirme que l&#x27;anonymisation est définitive" in (
        unconfirmed.content.decode()
    )
    assert not TaskRun.objects.exists()
    response = pilot.post(reverse("beneficiaries:retention"), {"confirm": "oui"})

    run = TaskRun.objects.get()
    assert (run.kind, run.status) == (RunKind.RETENTION, RunStatus.DONE)
    assert response["Location"] == reverse("pti:run_detail", args=[run.pk])
    done = pilot.get(response["Location"]).content.decode()
    assert "0 dossier(s) clos faute de contact ; 0 personne(s) et 0 foyer(s) anonymisés" in done
    assert "Revenir à la conservation des données" in done
    assert (
        "Application des durées de conservation n° "
        in pilot.get(reverse("beneficiaries:retention")).content.decode()
    )
