"""Anonymisation is driven by one classification of every personal column (keep, generalise,
erase): a column nobody classified fails here; a file with every kind of data comes out of it
column by column as the table says; and the statistics computed on anonymised people keep
their counts per year, month, territory, sex, family situation and age band."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries.enums import FileOperation
from beneficiaries.models import (
    Beneficiary,
    Contract,
    Exit,
    FileAccess,
    FluxListing,
    Household,
    Interview,
    Obstacle,
    OrientationDecision,
    PlannedAction,
    Prescription,
    ReferentAssignment,
)
from beneficiaries.retention import (
    CLASSIFICATION,
    ERASED,
    KEEP,
    LOGS,
    apply_retention,
    path_to_person,
    personal_models,
    unclassified_columns,
)
from beneficiaries.search import search_key
from evaluation.computations import Computation
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
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 0))
TODAY = NOW.date()
D = datetime.date
WHERE = "beneficiaries/retention.py, CLASSIFICATION (KEEP, GENERALISE or ERASE) or LOGS"


# --- The classification covers every personal column -------------------------------------------


def test_every_column_of_every_personal_model_is_classified():
    missing = unclassified_columns()
    assert not missing, (
        f"Not classified for anonymisation: {', '.join(missing)}. Say what becomes of each "
        f"in {WHERE}."
    )


def test_a_column_left_out_of_the_table_is_reported(monkeypatch):
    monkeypatch.delitem(CLASSIFICATION["beneficiaries.Interview"], "note")
    assert unclassified_columns() == ["beneficiaries.Interview.note"]


@isolate_apps("tests")
def test_a_model_elsewhere_that_points_to_a_person_is_personal(monkeypatch):
    class Letter(models.Model):
        beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE)
        body = models.TextField()

        class Meta:
            app_label = "tests"

        def __str__(self):
            return self.body

    installed = apps.get_models()
    monkeypatch.setattr(apps, "get_models", lambda *args, **kwargs: [*installed, Letter])

    assert Letter in personal_models()
    assert unclassified_columns() == [
        "tests.Letter.id",
        "tests.Letter.beneficiary",
        "tests.Letter.body",
    ]
    assert path_to_person(Letter) == "beneficiary"


def test_the_table_names_no_model_nor_column_that_does_not_exist():
    for label, rules in CLASSIFICATION.items():
        model = apps.get_model(label)
        names = {field.name for field in [*model._meta.concrete_fields, *model._meta.many_to_many]}
        assert set(rules) <= names, f"{label}: {set(rules) - names} ({WHERE})"
    assert not set(CLASSIFICATION) & set(LOGS)


def test_every_personal_model_is_reached_by_the_anonymisation():
    for model in personal_models():
        label = model._meta.label
        reached = (
            model in (Beneficiary, Household) or label in LOGS or path_to_person(model) is not None
        )
        assert reached, f"{label}: no path to the person its rows are about ({WHERE})"
    assert path_to_person(PlannedAction) == "contract__beneficiary"


def test_relations_to_many_are_kept_since_nothing_erases_them():
    for label, rules in CLASSIFICATION.items():
        model = apps.get_model(label)
        for field in model._meta.many_to_many:
            assert rules[field.name].kind == KEEP, f"{label}.{field.name}"


# --- A file with every kind of data --------------------------------------------------------------


def month_of(moment):
    return timezone.localtime(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def full_file():
    """One person with something in every column, who left on 31/05/2024."""
    commune = CommuneFactory(name="Firminy")
    household = HouseholdFactory(
        caf_number="0456789",
        address="8 impasse des Roses",
        commune=commune,
        territory=commune.territory,
        family_situation="single_parent",
        homeless=True,
    )
    person = BeneficiaryFactory(
        household=household,
        last_name="Ferrand",
        birth_name="Castel",
        first_name="Noémie",
        birth_date=D(1979, 3, 14),
        sex="F",
        email="noemie.ferrand@example.org",
        phone="06 11 22 33 44",
        rsa_requested_on=D(2021, 1, 5),
        right_opened_on=D(2021, 2, 1),
        right_known_on=D(2021, 2, 3),
    )
    FluxListing.objects.create(beneficiary=person, listed_on=D(2024, 5, 6))
    referent = UserFactory(referent=True)
    manager = UserFactory(manager=True, organisation=referent.organisation)
    first = ReferentAssignmentFactory(
        beneficiary=person,
        referent=referent,
        start_date=D(2021, 3, 15),
        end_date=D(2023, 9, 20),
        reason="departure",
        note="Référente partie, Noémie prévenue",
        assigned_by=manager,
    )
    second = ReferentAssignmentFactory(
        beneficiary=person, referent=UserFactory(referent=True), start_date=D(2023, 9, 20)
    )
    organisme = OrganisationFactory(departement=True)
    orientation = OrientationDecisionFactory(
        beneficiary=person,
        organisme=organisme,
        decided_on=D(2021, 3, 10),
        notified_on=D(2021, 3, 12),
        decided_by="M. Bernard, vice-président",
        is_current=False,
        recorded_by=manager,
    )
    reorientation = OrientationDecisionFactory(
        beneficiary=person,
        organisme=organisme,
        parcours="employment",
        decided_on=D(2022, 6, 17),
        notified_on=None,
        is_reorientation=True,
        reason="Noémie a retrouvé une santé stable",
        team_consulted=True,
    )
    contract = ContractFactory(
        beneficiary=person,
        start_date=D(2021, 4, 6),
        end_date=D(2021, 12, 31),
        signed_on=D(2021, 4, 7),
        objectives="Soins au CMP de Firminy, puis un emploi d'aide à domicile",
        weekly_hours=Decimal("8.5"),
        hours_reduction="health",
        hours_reduction_note="Suivie en psychiatrie",
        long_review_reason="health",
        is_current=False,
        created_by=referent,
    )
    revision = ContractFactory(
        beneficiary=person,
        start_date=D(2022, 1, 3),
        end_date=D(2022, 1, 28),
        signed_on=D(2022, 1, 3),
        revises=contract,
        revision_reason="Reprise du travail de Noémie",
    )
    action = ActionFactory()
    planned = PlannedAction.objects.create(
        contract=contract, kind="care", description="Rendez-vous au CMP rue Gambetta", action=action
    )
    interview = InterviewFactory(
        beneficiary=person, date=D(2022, 5, 17), note="Parle de son fils", referent=referent
    )
    obstacle = ObstacleFactory(
        beneficiary=person,
        kind="health",
        status="lifted",
        identified_on=D(2021, 4, 6),
        addressed_on=D(2021, 5, 10),
        lifted_on=D(2022, 2, 14),
        note="Dépression",
    )
    obstacle.actions.set([action])
    refused = PrescriptionFactory(
        beneficiary=person,
        action=action,
        status=PrescriptionStatus.REFUSED,
        prescribed_by=referent,
        prescribed_on=D(2021, 6, 1),
        note="Noémie ne peut venir que le matin",
        answered_on=D(2021, 6, 4),
        refusal_reason="Complet pour Noémie",
    )
    completed = PrescriptionFactory(
        beneficiary=person,
        action=action,
        status=PrescriptionStatus.COMPLETED,
        prescribed_on=D(2022, 9, 5),
        answered_on=D(2022, 9, 6),
        started_on=D(2022, 9, 19),
        ended_on=D(2023, 3, 31),
        outcome="Très assidue",
        sessions_planned=10,
        sessions_attended=8,
    )
    exit_ = ExitFactory(
        beneficiary=person,
        exit_on=D(2024, 5, 31),
        category="end_of_right",
        contract_type="cdd",
        contract_days=200,
        note="Embauchée à l'ADMR de Firminy",
        recorded_by=referent,
    )
    access = FileAccess.objects.create(
        beneficiary=person, user=referent, operation=FileOperation.READ, what="dossier"
    )
    return {
        "person": person,
        "household": household,
        "referent": referent,
        "assignments": (first, second),
        "organisme": organisme,
        "orientations": (orientation, reorientation),
        "contracts": (contract, revision),
        "planned": planned,
        "action": action,
        "interview": interview,
        "obstacle": obstacle,
        "prescriptions": (refused, completed),
        "exit": exit_,
        "access": access,
    }


# What identified the person anywhere in their file: none of it may remain.
SECRETS = [
    "Ferrand", "Castel", "Noémie", "noemie", "06 11 22 33 44", "0456789", "impasse",
    "datetime.date(1979, 3, 14)", "Référente partie", "Bernard", "santé stable", "CMP",
    "psychiatrie", "Reprise", "Gambetta", "fils", "Dépression", "matin", "Complet", "assidue",
    "ADMR",
]  # fmt: skip


@pytest.mark.django_db
def test_a_full_file_keeps_what_the_table_says_column_by_column(full_file):
    f = full_file
    person, household = f["person"], f["household"]
    created = {
        "person": (person.created_at, person.updated_at),
        "household": (household.created_at, household.updated_at),
        "contracts": [c.created_at for c in f["contracts"]],
    }
    versions = {
        "person": Beneficiary.objects.get(pk=person.pk).lock_version,
        "household": household.lock_version,
    }
    trail = [
        (ContentType.objects.get_for_model(row), str(row.pk))
        for row in [
            person,
            household,
            *f["assignments"],
            *f["orientations"],
            *f["contracts"],
            f["interview"],
            f["obstacle"],
            *f["prescriptions"],
            f["exit"],
        ]
    ]
    assert any(LogEntry.objects.filter(content_type=t, object_pk=pk).exists() for t, pk in trail)

    report = apply_retention(now=NOW)

    assert (report.closed, report.people, report.households) == (0, 1, 1)
    july = D(1979, 7, 1)
    assert Beneficiary.objects.filter(pk=person.pk).values().get() == {
        "id": person.pk,
        "lock_version": versions["person"] + 1,
        "household_id": household.pk,
        "household_role": "applicant",
        "last_name": "Anonyme",
        "birth_name": "",
        "first_name": "",
        "birth_date": july,
        "sex": "F",
        "email": "",
        "phone": "",
        "rights_and_duties": "subject",
        "rsa_requested_on": D(2021, 1, 1),
        "right_opened_on": D(2021, 2, 1),
        "right_known_on": D(2021, 2, 1),
        "search_key": search_key("Anonyme", "", ""),
        "anonymised_on": TODAY,
        "created_at": month_of(created["person"][0]),
        "updated_at": month_of(created["person"][1]),
    }
    assert Household.objects.filter(pk=household.pk).values().get() == {
        "id": household.pk,
        "lock_version": versions["household"] + 1,
        "payer": "caf",
        "caf_number": "",
        "address": "",
        "commune_id": None,
        "territory_id": household.territory_id,
        "family_situation": "single_parent",
        "homeless": True,
        "anonymised_on": TODAY,
        "created_at": month_of(created["household"][0]),
        "updated_at": month_of(created["household"][1]),
    }
    first, second = f["assignments"]
    assert list(ReferentAssignment.objects.filter(beneficiary=person).order_by("pk").values()) == [
        {
            "id": first.pk,
            "beneficiary_id": person.pk,
            "referent_id": f["referent"].pk,
            "structure_id": first.structure_id,
            "start_date": D(2021, 3, 1),
            "end_date": D(2023, 9, 1),
            "reason": "departure",
            "note": ERASED,
            "assigned_by_id": None,
            "created_at": month_of(first.created_at),
        },
        {
            "id": second.pk,
            "beneficiary_id": person.pk,
            "referent_id": second.referent_id,
            "structure_id": second.structure_id,
            "start_date": D(2023, 9, 1),
            "end_date": None,
            "reason": "first",
            "note": "",
            "assigned_by_id": None,
            "created_at": month_of(second.created_at),
        },
    ]
    orientation, reorientation = f["orientations"]
    assert list(OrientationDecision.objects.filter(beneficiary=person).order_by("pk").values()) == [
        {
            "id": orientation.pk,
            "beneficiary_id": person.pk,
            "parcours": "social",
            "organisme_id": f["organisme"].pk,
            "decided_on": D(2021, 3, 1),
            "notified_on": D(2021, 3, 1),
            "decided_by": ERASED,
            "is_reorientation": False,
            "reason": "",
            "team_consulted": False,
            "is_current": False,
            "recorded_by_id": None,
            "created_at": month_of(orientation.created_at),
        },
        {
            "id": reorientation.pk,
            "beneficiary_id": person.pk,
            "parcours": "employment",
            "organisme_id": f["organisme"].pk,
            "decided_on": D(2022, 6, 1),
            "notified_on": None,
            "decided_by": ERASED,
            "is_reorientation": True,
            "reason": ERASED,
            "team_consulted": True,
            "is_current": True,
            "recorded_by_id": None,
            "created_at": month_of(reorientation.created_at),
        },
    ]
    contract, revision = f["contracts"]
    assert list(Contract.objects.filter(beneficiary=person).order_by("pk").values()) == [
        {
            "id": contract.pk,
            "lock_version": contract.lock_version + 1,
            "beneficiary_id": person.pk,
            "kind": "ce",
            "start_date": D(2021, 4, 1),
            # Valid on 31/12/2021 before, valid on 31/12/2021 after.
            "end_date": D(2022, 1, 1),
            "signed_on": D(2021, 4, 1),
            "objectives": ERASED,
            "weekly_hours": Decimal("8.5"),
            "hours_reduction": "health",
            "hours_reduction_note": ERASED,
            "long_review_reason": "health",
            "revises_id": None,
            "revision_reason": "",
            "is_current": False,
            "created_by_id": None,
            "created_at": month_of(created["contracts"][0]),
        },
        {
            "id": revision.pk,
            "lock_version": revision.lock_version + 1,
            "beneficiary_id": person.pk,
            "kind": "ce",
            "start_date": D(2022, 1, 1),
            # Within one month: it still ends after it starts.
            "end_date": D(2022, 2, 1),
            "signed_on": D(2022, 1, 1),
            "objectives": ERASED,
            "weekly_hours": Decimal(15),
            "hours_reduction": "",
            "hours_reduction_note": "",
            "long_review_reason": "",
            "revises_id": contract.pk,
            "revision_reason": ERASED,
            "is_current": True,
            "created_by_id": None,
            "created_at": month_of(created["contracts"][1]),
        },
    ]
    assert PlannedAction.objects.filter(pk=f["planned"].pk).values().get() == {
        "id": f["planned"].pk,
        "contract_id": contract.pk,
        "kind": "care",
        "description": ERASED,
        "action_id": f["action"].pk,
    }
    assert Interview.objects.filter(beneficiary=person).values().get() == {
        "id": f["interview"].pk,
        "beneficiary_id": person.pk,
        "kind": "individual",
        "date": D(2022, 5, 1),
        "note": ERASED,
        "referent_id": None,
        "created_at": month_of(f["interview"].created_at),
    }
    assert Obstacle.objects.filter(beneficiary=person).values().get() == {
        "id": f["obstacle"].pk,
        "beneficiary_id": person.pk,
        "kind": "health",
        "status": "lifted",
        "identified_on": D(2021, 4, 1),
        "addressed_on": D(2021, 5, 1),
        "lifted_on": D(2022, 2, 1),
        "note": ERASED,
        "created_at": month_of(f["obstacle"].created_at),
    }
    assert list(f["obstacle"].actions.all()) == [f["action"]]
    refused, completed = f["prescriptions"]
    assert list(Prescription.objects.filter(beneficiary=person).order_by("pk").values()) == [
        {
            "id": refused.pk,
            "lock_version": refused.lock_version + 1,
            "beneficiary_id": person.pk,
            "action_id": f["action"].pk,
            "status": "refused",
            "prescribed_by_id": None,
            "prescribed_on": D(2021, 6, 1),
            "note": ERASED,
            "answered_on": D(2021, 6, 1),
            "refusal_reason": ERASED,
            "refusal_seen_on": None,
            "refusal_seen_by_id": None,
            "started_on": None,
            "ended_on": None,
            "outcome": "",
            "sessions_planned": 0,
            "sessions_attended": 0,
            "created_at": month_of(refused.created_at),
        },
        {
            "id": completed.pk,
            "lock_version": completed.lock_version + 1,
            "beneficiary_id": person.pk,
            "action_id": f["action"].pk,
            "status": "completed",
            "prescribed_by_id": None,
            "prescribed_on": D(2022, 9, 1),
            "note": "",
            "answered_on": D(2022, 9, 1),
            "refusal_reason": "",
            "refusal_seen_on": None,
            "refusal_seen_by_id": None,
            "started_on": D(2022, 9, 1),
            "ended_on": D(2023, 3, 1),
            "outcome": ERASED,
            "sessions_planned": 10,
            "sessions_attended": 8,
            "created_at": month_of(completed.created_at),
        },
    ]
    assert FluxListing.objects.filter(beneficiary=person).values().get() == {
        "beneficiary_id": person.pk,
        "listed_on": D(2024, 5, 1),
    }
    assert Exit.objects.filter(beneficiary=person).values().get() == {
        "id": f["exit"].pk,
        "beneficiary_id": person.pk,
        "exit_on": D(2024, 5, 1),
        "category": "end_of_right",
        "contract_type": "cdd",
        "contract_days": 200,
        "note": ERASED,
        "closure_reason": "",
        "recorded_by_id": None,
        "created_at": month_of(f["exit"].created_at),
    }
    # A log is left to its own period, then purged whoever it names.
    assert list(FileAccess.objects.all()) == [f["access"]]
    # The trail of changes went with the data it described.
    for content_type, pk in trail:
        assert not LogEntry.objects.filter(content_type=content_type, object_pk=pk).exists()
    # Nothing that identified the person is left in any personal table.
    for model in personal_models():
        text = str(list(model.objects.values()))
        found = [secret for secret in SECRETS if secret in text]
        assert not found, f"{model._meta.label} still holds {found}"


# --- The statistics keep their counts ------------------------------------------------------------

FAMILIES = ["single", "single_parent", "couple", "couple_children"]


def population():
    """24 people of two territories, both sexes, every age band and family situation, who
    entered in 2022 or 2023 and left in 2023 or 2024. Their contracts last 120 or 240 days:
    the lengths are known to the month once anonymised, 6 months being the only threshold."""
    territories = [TerritoryFactory(), TerritoryFactory()]
    referents = [UserFactory(referent=True), UserFactory(referent=True)]
    organisme = OrganisationFactory(departement=True)
    action = ActionFactory()
    days = datetime.timedelta
    for i in range(24):
        household = HouseholdFactory(territory=territories[i % 2], family_situation=FAMILIES[i % 4])
        requested = D(2022 + i % 2, 1 + (i * 5) % 10, 1 + (i * 11) % 28)
        if i == 0:  # opened on 30/06/2023, where the seniority bands are cut
            requested = D(2023, 6, 20)
        opened = requested + days(10)
        person = BeneficiaryFactory(
            household=household,
            sex="F" if i % 3 else "M",
            birth_date=D(1960 + (i * 7) % 45, 1 + i % 12, 1 + (i * 5) % 28),
            rights_and_duties="subject" if i % 5 else "not_subject",
            rsa_requested_on=requested,
            right_opened_on=opened,
            right_known_on=opened + days(3),
        )
        decided = opened + days(23 + i)
        OrientationDecisionFactory(
            beneficiary=person,
            organisme=organisme,
            parcours=["social", "employment", "socio_professional"][i % 3],
            decided_on=decided,
            notified_on=decided + days(4),
        )
        start = decided + days(19)
        end = start + days(240 if i % 2 else 120)
        if i == 1:  # valid on the last day of 2023, and on no later day
            start, end = D(2023, 3, 6), D(2023, 12, 31)
        ContractFactory(
            beneficiary=person,
            kind="ce",
            start_date=start,
            end_date=end,
            signed_on=start,
            weekly_hours=Decimal(15 if i % 4 else 10),
            hours_reduction="" if i % 4 else "health",
        )
        ReferentAssignmentFactory(
            beneficiary=person, referent=referents[i % 2], start_date=decided + days(2)
        )
        InterviewFactory(beneficiary=person, date=decided + days(30))
        ObstacleFactory(
            beneficiary=person,
            identified_on=opened + days(5),
            status="lifted" if i % 3 == 0 else "identified",
            lifted_on=opened + days(200) if i % 3 == 0 else None,
        )
        PrescriptionFactory(
            beneficiary=person,
            action=action,
            status=PrescriptionStatus.COMPLETED,
            prescribed_on=decided + days(10),
            answered_on=decided + days(13),
            started_on=decided + days(23),
            ended_on=decided + days(83),
        )
        ExitFactory(
            beneficiary=person,
            exit_on=end + days(15),
            contract_type=["cdi", "cdd", "none", "qualifying_training"][i % 4],
            contract_days=90 + 30 * (i % 5) if i % 4 == 1 else None,
        )


def events_by_month():
    """How many of each kind of event happened per month, territory, sex, family situation
    and year of birth of the person."""
    where = [
        "household__territory",
        "sex",
        "household__family_situation",
        "birth_date__year",
    ]
    counts = {}
    sources = [
        (Beneficiary.objects.all(), "", "rsa_requested_on"),
        (Beneficiary.objects.all(), "", "right_opened_on"),
        (OrientationDecision.objects.all(), "beneficiary__", "decided_on"),
        (Contract.objects.all(), "beneficiary__", "signed_on"),
        (Interview.objects.all(), "beneficiary__", "date"),
        (Obstacle.objects.filter(lifted_on__isnull=False), "beneficiary__", "lifted_on"),
        (Prescription.objects.all(), "beneficiary__", "started_on"),
        (Exit.objects.all(), "beneficiary__", "exit_on"),
    ]
    for rows, prefix, date in sources:
        counts[date] = Counter(
            rows.values_list(*(prefix + name for name in where), f"{date}__year", f"{date}__month")
        )
    return counts


def figures(year):
    """Every computed indicator of `year`: its counts, and its value unless it is a mean of
    days (delays are known to the month once anonymised); each breakdown's counts."""
    result = {}
    for figure in Computation(year, today=TODAY).all().values():
        is_mean = figure.numerator is None and figure.denominator is not None
        result[figure.code] = (
            None if is_mean and "delai" in figure.code else figure.value,
            figure.numerator,
            figure.denominator,
            {
                str(breakdown): [(c.category, c.numerator, c.denominator) for c in cells]
                for breakdown, cells in figure.breakdowns.items()
            },
        )
    return result


@pytest.mark.django_db
def test_the_statistics_keep_their_counts_once_the_people_are_anonymised():
    population()
    before = {year: figures(year) for year in (2022, 2023, 2024)}
    by_month = events_by_month()
    assert sum(by_month["exit_on"].values()) == 24

    report = apply_retention(now=NOW)

    assert report.people == 24
    assert not Beneficiary.objects.filter(anonymised_on__isnull=True).exists()
    assert events_by_month() == by_month
    for year, was in before.items():
        assert figures(year) == was, year
    # And no day of any event is left: only their months.
    for rows, date in [
        (Beneficiary.objects.all(), "right_opened_on"),
        (OrientationDecision.objects.all(), "decided_on"),
        (Contract.objects.all(), "signed_on"),
        (Interview.objects.all(), "date"),
        (Prescription.objects.all(), "ended_on"),
        (Exit.objects.all(), "exit_on"),
    ]:
        assert set(rows.values_list(f"{date}__day", flat=True)) == {1}, date
    assert set(Beneficiary.objects.values_list("birth_date__month", "birth_date__day")) == {(7, 1)}
