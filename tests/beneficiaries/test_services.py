import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from actions.enums import PLACE_HOLDING_STATUSES, ActionStatus, PrescriptionStatus
from actions.enums import Obstacle as ObstacleKind
from actions.models import Action
from beneficiaries import services
from beneficiaries.enums import (
    AssignmentReason,
    ContractKind,
    ExitCategory,
    ExitContract,
    ExitOutcome,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    ObstacleStatus,
    Parcours,
    Payer,
    PlannedActionKind,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    Contract,
    Exit,
    FileAccess,
    Household,
    Interview,
    Obstacle,
    OrientationDecision,
    PlannedAction,
    Prescription,
    ReferentAssignment,
)
from beneficiaries.outcomes import exit_outcome, exit_outcome_expression
from pti.services import ConcurrentEdit
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
from tests.pti.factories import OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def messages(excinfo):
    return " ".join(excinfo.value.messages)


@pytest.fixture
def referent():
    return UserFactory(referent=True)


@pytest.fixture
def pilot():
    return UserFactory(pilot=True)


@pytest.fixture
def person():
    return BeneficiaryFactory()


# --- The factories --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        HouseholdFactory,
        BeneficiaryFactory,
        ReferentAssignmentFactory,
        OrientationDecisionFactory,
        ContractFactory,
        InterviewFactory,
        ObstacleFactory,
        PrescriptionFactory,
        ExitFactory,
    ],
)
def test_the_factories_build_valid_rows(factory):
    row = factory()
    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_person_factory_writes_the_search_key():
    person = BeneficiaryFactory(last_name="Lefèvre", birth_name="Müller", first_name="Éloïse")

    assert person.search_key == "lefevre muller eloise"
    assert HouseholdFactory().caf_number.isdigit()
    assignment = ReferentAssignmentFactory()
    assert assignment.referent.role == "referent"
    assert assignment.structure == assignment.referent.organisation


# --- beneficiary_create ----------------------------------------------------------------------


def household_values(caf_number="0123456", **values):
    return {
        "payer": Payer.CAF,
        "caf_number": caf_number,
        "address": "3 rue de la Paix",
        "commune": None,
        "family_situation": FamilySituation.SINGLE,
        "homeless": False,
        **values,
    }


def person_values(**values):
    return {
        "household_role": HouseholdRole.APPLICANT,
        "last_name": "DURAND",
        "birth_name": "",
        "first_name": "Hélène",
        "birth_date": D(1980, 3, 5),
        "sex": Sex.FEMALE,
        "email": "",
        "phone": "",
        "rights_and_duties": RightsAndDuties.SUBJECT,
        "rsa_requested_on": D(2024, 1, 10),
        "right_opened_on": D(2024, 2, 1),
        "right_known_on": D(2024, 2, 5),
        **values,
    }


def test_beneficiary_create_makes_the_household_and_the_person(pilot):
    territory = TerritoryFactory()

    person = services.beneficiary_create(
        household_values=household_values(),
        person_values=person_values(),
        territory=territory,
        user=pilot,
    )

    person.refresh_from_db()
    assert person.first_name == "Hélène"
    assert person.last_name == "DURAND"
    # Last name, birth name, first name: lower case, without accents.
    assert person.search_key == "durand helene"
    assert person.household.caf_number == "0123456"
    assert person.household.payer == Payer.CAF
    assert person.household.territory == territory
    assert Household.objects.count() == 1


def test_a_second_person_with_the_same_caf_number_joins_the_household(pilot):
    territory = TerritoryFactory()
    first = services.beneficiary_create(
        household_values=household_values(family_situation=FamilySituation.COUPLE),
        person_values=person_values(),
        territory=territory,
        user=pilot,
    )

    second = services.beneficiary_create(
        household_values=household_values(family_situation=FamilySituation.COUPLE),
        person_values=person_values(
            household_role=HouseholdRole.PARTNER,
            first_name="Marc",
            sex=Sex.MALE,
            birth_date=D(1978, 11, 2),
        ),
        territory=territory,
        user=pilot,
    )

    assert second.household_id == first.household_id
    assert Household.objects.count() == 1
    assert list(first.household.members.order_by("first_name").values_list("first_name")) == [
        ("Hélène",),
        ("Marc",),
    ]


def test_an_exact_duplicate_is_refused(pilot):
    territory = TerritoryFactory()
    services.beneficiary_create(
        household_values=household_values(),
        person_values=person_values(),
        territory=territory,
        user=pilot,
    )

    # Same name once accents and case are set aside, same birth date, same household.
    with pytest.raises(services.DuplicatePerson) as excinfo:
        services.beneficiary_create(
            household_values=household_values(),
            person_values=person_values(last_name="Durand", first_name="HELENE"),
            territory=territory,
            user=pilot,
            homonyms_confirmed=True,
        )
    # In another household: a probable homonym, created only once confirmed.
    with pytest.raises(services.ProbableHomonym):
        services.beneficiary_create(
            household_values=household_values(caf_number="0999999"),
            person_values=person_values(last_name="Durand", first_name="HELENE"),
            territory=territory,
            user=pilot,
        )

    assert messages(excinfo).startswith(services.DUPLICATE_PERSON)
    assert Beneficiary.objects.count() == 1
    assert Household.objects.count() == 1


def test_beneficiary_create_records_the_access_without_personal_data(pilot):
    person = services.beneficiary_create(
        household_values=household_values(),
        person_values=person_values(),
        territory=TerritoryFactory(),
        user=pilot,
    )

    access = FileAccess.objects.get()
    assert access.beneficiary == person
    assert access.user == pilot
    assert access.operation == FileOperation.CREATE
    assert access.what == "dossier"
    for personal in ("Hélène", "helene", "DURAND", "durand", "0123456", "1980", "05/03"):
        assert personal.lower() not in access.what.lower()


# --- Référents -------------------------------------------------------------------------------


def test_two_open_assignments_for_one_person_are_refused_by_the_database(person):
    ReferentAssignmentFactory(beneficiary=person)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReferentAssignmentFactory(beneficiary=person)

    assert ReferentAssignment.objects.filter(beneficiary=person).count() == 1


def test_referent_assign_closes_the_previous_assignment_and_keeps_history(person):
    pilot = UserFactory(pilot=True)
    first_referent = UserFactory(referent=True)
    second_referent = UserFactory(referent=True)
    services.referent_assign(
        beneficiary=person,
        referent=first_referent,
        start_date=D(2024, 3, 1),
        reason=AssignmentReason.FIRST,
        by=pilot,
    )

    new = services.referent_assign(
        beneficiary=person,
        referent=second_referent,
        start_date=D(2025, 1, 6),
        reason=AssignmentReason.LEAVE,
        by=pilot,
    )

    history = list(
        ReferentAssignment.objects.filter(beneficiary=person)
        .order_by("start_date")
        .values_list("referent", "structure", "start_date", "end_date", "reason")
    )
    assert history == [
        (
            first_referent.pk,
            first_referent.organisation_id,
            D(2024, 3, 1),
            D(2025, 1, 6),
            AssignmentReason.FIRST,
        ),
        (
            second_referent.pk,
            second_referent.organisation_id,
            D(2025, 1, 6),
            None,
            AssignmentReason.LEAVE,
        ),
    ]
    assert ReferentAssignment.objects.open().get(beneficiary=person) == new
    assert new.assigned_by == pilot
    assert list(Beneficiary.objects.assigned_to(second_referent)) == [person]
    assert not Beneficiary.objects.assigned_to(first_referent).exists()


def test_assigning_the_same_referent_again_is_refused(person, referent):
    pilot = UserFactory(pilot=True)
    services.referent_assign(
        beneficiary=person,
        referent=referent,
        start_date=D(2024, 3, 1),
        reason=AssignmentReason.FIRST,
        by=pilot,
    )

    with pytest.raises(ValidationError) as excinfo:
        services.referent_assign(
            beneficiary=person,
            referent=referent,
            start_date=D(2025, 1, 6),
            reason=AssignmentReason.OTHER,
            by=pilot,
        )

    assert messages(excinfo) == f"{referent} est déjà le référent de cette personne."
    assert ReferentAssignment.objects.filter(beneficiary=person).count() == 1
    assert ReferentAssignment.objects.get(beneficiary=person).end_date is None


def test_a_manager_assigns_only_a_referent_of_their_own_structure(person):
    structure = OrganisationFactory()
    manager = UserFactory(manager=True, organisation=structure)
    colleague = UserFactory(referent=True, organisation=structure)
    outsider = UserFactory(referent=True)

    with pytest.raises(ValidationError) as excinfo:
        services.referent_assign(
            beneficiary=person,
            referent=outsider,
            start_date=D(2024, 3, 1),
            reason=AssignmentReason.FIRST,
            by=manager,
        )
    assert messages(excinfo) == "Vous ne pouvez désigner qu'un référent de votre structure."
    assert not ReferentAssignment.objects.exists()

    assignment = services.referent_assign(
        beneficiary=person,
        referent=colleague,
        start_date=D(2024, 3, 1),
        reason=AssignmentReason.FIRST,
        by=manager,
    )
    assert assignment.structure == structure
    assert list(Beneficiary.objects.visible_to(manager)) == [person]


@pytest.mark.parametrize(
    "not_a_referent",
    [
        {"operator": True},
        {"manager": True},
        {"pilot": True},
        {"referent": True, "is_active": False},
    ],
)
def test_only_an_active_referent_can_be_assigned(person, not_a_referent):
    user = UserFactory(**not_a_referent)

    with pytest.raises(ValidationError) as excinfo:
        services.referent_assign(
            beneficiary=person,
            referent=user,
            start_date=D(2024, 3, 1),
            reason=AssignmentReason.FIRST,
            by=UserFactory(pilot=True),
        )

    assert messages(excinfo) == f"{user} n'est pas un référent en activité."
    assert not ReferentAssignment.objects.exists()


def test_an_assignment_in_the_future_is_refused(person, referent):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        services.referent_assign(
            beneficiary=person,
            referent=referent,
            start_date=tomorrow,
            reason=AssignmentReason.FIRST,
            by=UserFactory(pilot=True),
        )

    assert messages(excinfo) == "La date de désignation ne peut pas être dans le futur."
    assert not ReferentAssignment.objects.exists()


def test_referent_reassign_people_moves_exactly_the_people_given():
    pilot = UserFactory(pilot=True)
    leaving = UserFactory(referent=True)
    taking_over = UserFactory(referent=True)
    other = UserFactory(referent=True)
    moved = [
        ReferentAssignmentFactory(referent=leaving, start_date=D(2024, 3, 1)).beneficiary
        for _ in range(3)
    ]
    # A person followed by `leaving` in the past, and one followed by someone else, stay put.
    past = ReferentAssignmentFactory(
        referent=leaving, start_date=D(2023, 1, 1), end_date=D(2023, 6, 1)
    )
    ReferentAssignmentFactory(beneficiary=past.beneficiary, referent=other)
    FileAccess.objects.all().delete()

    count = services.referent_reassign_people(
        people_ids=[p.pk for p in moved],
        to_referent=taking_over,
        start_date=D(2025, 2, 3),
        reason=AssignmentReason.DEPARTURE,
        by=pilot,
    )

    assert count == 3
    assert set(Beneficiary.objects.assigned_to(taking_over)) == set(moved)
    assert not Beneficiary.objects.assigned_to(leaving).exists()
    assert list(Beneficiary.objects.assigned_to(other)) == [past.beneficiary]
    for person in moved:
        history = list(
            person.assignments.order_by("start_date").values_list(
                "referent", "start_date", "end_date", "structure"
            )
        )
        assert history == [
            (leaving.pk, D(2024, 3, 1), D(2025, 2, 3), leaving.organisation_id),
            (taking_over.pk, D(2025, 2, 3), None, taking_over.organisation_id),
        ]
    accesses = FileAccess.objects.order_by("beneficiary_id")
    assert [a.beneficiary for a in accesses] == sorted(moved, key=lambda p: p.pk)
    assert {(a.user_id, a.operation, a.what) for a in accesses} == {
        (pilot.pk, FileOperation.UPDATE, "référent réaffecté")
    }


def test_referent_reassign_people_already_followed_by_the_referent_is_refused(referent):
    assignment = ReferentAssignmentFactory(referent=referent)

    with pytest.raises(ValidationError) as excinfo:
        services.referent_reassign_people(
            people_ids=[assignment.beneficiary_id],
            to_referent=referent,
            start_date=D(2025, 2, 3),
            reason=AssignmentReason.LEAVE,
            by=UserFactory(pilot=True),
        )

    name = f"{assignment.beneficiary.last_name.upper()} Camille"
    assert messages(excinfo) == f"Ces personnes sont déjà suivies par {referent} : {name}."
    assert ReferentAssignment.objects.get().end_date is None


# --- Orientation -----------------------------------------------------------------------------


def test_the_first_orientation_is_current(person, referent):
    organisme = OrganisationFactory()

    decision = services.orientation_decide(
        beneficiary=person,
        parcours=Parcours.SOCIAL,
        organisme=organisme,
        decided_on=D(2024, 2, 20),
        notified_on=D(2024, 2, 25),
        by=referent,
    )

    decision.refresh_from_db()
    assert decision.is_current
    assert not decision.is_reorientation
    assert decision.reason == ""
    assert decision.organisme == organisme
    assert decision.parcours == Parcours.SOCIAL


def test_a_reorientation_needs_a_reason_and_replaces_the_current_one(person, referent):
    first = services.orientation_decide(
        beneficiary=person,
        parcours=Parcours.SOCIAL,
        organisme=OrganisationFactory(),
        decided_on=D(2024, 2, 20),
        notified_on=D(2024, 2, 25),
        by=referent,
    )
    employment = OrganisationFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.orientation_decide(
            beneficiary=person,
            parcours=Parcours.EMPLOYMENT,
            organisme=employment,
            decided_on=D(2025, 1, 10),
            notified_on=D(2025, 1, 15),
            by=referent,
            reason="   ",
        )
    assert messages(excinfo) == "Une réorientation est motivée : indiquez le motif."
    first.refresh_from_db()
    assert first.is_current
    assert OrientationDecision.objects.count() == 1

    second = services.orientation_decide(
        beneficiary=person,
        parcours=Parcours.EMPLOYMENT,
        organisme=employment,
        decided_on=D(2025, 1, 10),
        notified_on=D(2025, 1, 15),
        by=referent,
        reason="  Projet d'emploi confirmé.  ",
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.is_current
    assert second.is_current
    assert second.is_reorientation
    assert second.reason == "Projet d'emploi confirmé."
    assert OrientationDecision.objects.get(beneficiary=person, is_current=True) == second


def test_a_person_has_only_one_first_orientation(person):
    """The first decision is the one that is not a reorientation: the indicators read a
    person's first orientation through it, so the database refuses a second one."""
    OrientationDecisionFactory(beneficiary=person, decided_on=D(2024, 2, 20), is_current=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        OrientationDecisionFactory(beneficiary=person, decided_on=D(2024, 6, 1))


def test_a_refused_reorientation_leaves_the_current_orientation(person, referent):
    current = OrientationDecisionFactory(beneficiary=person, decided_on=D(2024, 2, 20))

    with pytest.raises(ValidationError) as excinfo:
        services.orientation_decide(
            beneficiary=person,
            parcours=Parcours.EMPLOYMENT,
            organisme=OrganisationFactory(),
            decided_on=D(2025, 1, 10),
            notified_on=D(2025, 1, 9),
            by=referent,
            reason="Projet d'emploi.",
        )

    assert "La notification ne peut pas précéder la décision." in messages(excinfo)
    current.refresh_from_db()
    assert current.is_current
    assert OrientationDecision.objects.count() == 1


def test_a_notification_before_the_decision_is_refused(person, referent):
    with pytest.raises(ValidationError) as excinfo:
        services.orientation_decide(
            beneficiary=person,
            parcours=Parcours.SOCIAL,
            organisme=OrganisationFactory(),
            decided_on=D(2024, 2, 20),
            notified_on=D(2024, 2, 19),
            by=referent,
        )

    assert "La notification ne peut pas précéder la décision." in messages(excinfo)
    assert not OrientationDecision.objects.exists()


# --- Contracts -------------------------------------------------------------------------------


def contract_values(**values):
    return {
        "kind": ContractKind.CE,
        "start_date": D(2025, 1, 15),
        "end_date": D(2025, 7, 15),
        "signed_on": D(2025, 1, 15),
        "objectives": "Retrouver un emploi durable.",
        "weekly_hours": Decimal(15),
        **values,
    }


def test_contract_create_saves_the_contract_and_its_plan(person, referent):
    action = ActionFactory()

    contract = services.contract_create(
        beneficiary=person,
        values=contract_values(),
        planned=[
            (PlannedActionKind.JOB_SEARCH, "Candidatures spontanées", None),
            (PlannedActionKind.TRAINING, "Atelier CV", action),
        ],
        by=referent,
    )

    contract.refresh_from_db()
    assert contract.is_current
    assert contract.created_by == referent
    assert list(contract.planned_actions.values_list("kind", "description", "action")) == [
        (PlannedActionKind.JOB_SEARCH, "Candidatures spontanées", None),
        (PlannedActionKind.TRAINING, "Atelier CV", action.pk),
    ]


def test_a_new_contract_replaces_the_current_one(person, referent):
    old = ContractFactory(beneficiary=person, kind=ContractKind.CER)

    new = services.contract_create(
        beneficiary=person,
        values=contract_values(start_date=D(2025, 8, 1), end_date=D(2026, 2, 1)),
        planned=[],
        by=referent,
    )

    old.refresh_from_db()
    assert not old.is_current
    assert Contract.objects.get(beneficiary=person, is_current=True) == new


def test_a_contrat_d_engagement_under_15_hours_needs_a_reason(person, referent):
    with pytest.raises(ValidationError) as excinfo:
        services.contract_create(
            beneficiary=person,
            values=contract_values(weekly_hours=Decimal(10), hours_reduction=""),
            planned=[(PlannedActionKind.CARE, "Bilan de santé", None)],
            by=referent,
        )

    assert "Moins de 15 heures par semaine : indiquez le motif." in messages(excinfo)
    assert not Contract.objects.exists()
    assert not PlannedAction.objects.exists()

    contract = services.contract_create(
        beneficiary=person,
        values=contract_values(weekly_hours=Decimal(10), hours_reduction="health"),
        planned=[],
        by=referent,
    )
    assert contract.weekly_hours == Decimal(10)
    assert contract.hours_reduction == "health"


def test_contract_revise_keeps_the_earlier_version(person, referent):
    original = services.contract_create(
        beneficiary=person,
        values=contract_values(),
        planned=[(PlannedActionKind.JOB_SEARCH, "Candidatures", None)],
        by=referent,
    )

    revision = services.contract_revise(
        contract=original,
        expected_version=original.lock_version,
        values=contract_values(
            weekly_hours=Decimal(8),
            hours_reduction="health",
            objectives="Se soigner puis reprendre une activité.",
        ),
        planned=[(PlannedActionKind.CARE, "Suivi médical", None)],
        reason="  Problème de santé.  ",
        by=referent,
    )

    original.refresh_from_db()
    revision.refresh_from_db()
    assert not original.is_current
    assert original.weekly_hours == Decimal(15)
    assert original.objectives == "Retrouver un emploi durable."
    assert list(original.planned_actions.values_list("description", flat=True)) == ["Candidatures"]
    assert revision.is_current
    assert revision.revises == original
    assert original.revision == revision
    assert revision.revision_reason == "Problème de santé."
    assert revision.weekly_hours == Decimal(8)
    assert list(revision.planned_actions.values_list("kind", "description")) == [
        (PlannedActionKind.CARE, "Suivi médical")
    ]
    assert Contract.objects.filter(beneficiary=person).count() == 2


def test_a_revision_needs_a_reason(person, referent):
    original = ContractFactory(beneficiary=person)

    with pytest.raises(ValidationError) as excinfo:
        services.contract_revise(
            contract=original,
            expected_version=original.lock_version,
            values=contract_values(),
            planned=[],
            reason=" ",
            by=referent,
        )

    assert messages(excinfo) == "Indiquez le motif de la révision."
    original.refresh_from_db()
    assert original.is_current
    assert Contract.objects.count() == 1


def test_two_revisions_of_the_same_version_the_second_is_refused(person, referent):
    original = ContractFactory(beneficiary=person)
    version_seen = original.lock_version
    first = services.contract_revise(
        contract=original,
        expected_version=version_seen,
        values=contract_values(end_date=D(2025, 12, 15)),
        planned=[],
        reason="Prolongation.",
        by=referent,
    )

    with pytest.raises(ConcurrentEdit) as excinfo:
        services.contract_revise(
            contract=original,
            expected_version=version_seen,
            values=contract_values(end_date=D(2025, 9, 15)),
            planned=[(PlannedActionKind.OTHER, "Autre", None)],
            reason="Autre révision.",
            by=referent,
        )

    assert "Quelqu'un d'autre a enregistré une modification" in messages(excinfo)
    assert "Rien n'a été enregistré" in messages(excinfo)
    assert Contract.objects.count() == 2
    assert Contract.objects.get(is_current=True) == first
    assert not PlannedAction.objects.exists()
    original.refresh_from_db()
    assert not original.is_current


# --- Prescriptions ---------------------------------------------------------------------------


def test_prescription_create_sends_or_proposes(person, referent):
    action = ActionFactory()

    sent = services.prescription_create(
        beneficiary=person, action=action, note="Motivée.", send=True, by=referent
    )
    proposed = services.prescription_create(
        beneficiary=BeneficiaryFactory(), action=action, note="", send=False, by=referent
    )

    assert sent.status == PrescriptionStatus.SENT
    assert proposed.status == PrescriptionStatus.PROPOSED
    assert sent.prescribed_on == timezone.localdate()
    assert sent.prescribed_by == referent
    action.refresh_from_db()
    assert action.places_taken == 0

    services.prescription_send(prescription=proposed, by=referent)
    proposed.refresh_from_db()
    assert proposed.status == PrescriptionStatus.SENT


@pytest.mark.parametrize("status", [ActionStatus.CLOSED, ActionStatus.PLANNED])
def test_no_prescription_to_an_action_not_open(person, referent, status):
    action = ActionFactory(status=status)

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_create(
            beneficiary=person, action=action, note="", send=True, by=referent
        )

    assert messages(excinfo) == "Cette action n'est pas ouverte aux prescriptions."
    assert not Prescription.objects.exists()


def test_no_prescription_for_a_person_who_has_exited(referent):
    exit_ = ExitFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_create(
            beneficiary=Beneficiary.objects.get(pk=exit_.beneficiary_id),
            action=ActionFactory(),
            note="",
            send=True,
            by=referent,
        )

    assert messages(excinfo) == "Cette personne est sortie du dispositif."
    assert not Prescription.objects.exists()


def test_accepting_takes_a_place(referent):
    operator = UserFactory(operator=True)
    action = ActionFactory(capacity=2)
    prescription = PrescriptionFactory(action=action)

    services.prescription_accept(prescription=prescription, by=operator)

    prescription.refresh_from_db()
    action.refresh_from_db()
    assert prescription.status == PrescriptionStatus.ACCEPTED
    assert prescription.answered_on == timezone.localdate()
    assert prescription.lock_version == 2
    assert action.places_taken == 1
    assert action.status == ActionStatus.OPEN


def test_accepting_when_the_action_is_full_is_refused():
    operator = UserFactory(operator=True)
    action = ActionFactory(capacity=1)
    first, second = PrescriptionFactory.create_batch(2, action=action)
    services.prescription_accept(prescription=first, by=operator)
    action.refresh_from_db()
    assert action.places_taken == 1
    assert action.status == ActionStatus.FULL

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_accept(prescription=second, by=operator)

    assert "Il n'y a plus de place libre dans cette action" in messages(excinfo)
    second.refresh_from_db()
    action.refresh_from_db()
    assert second.status == PrescriptionStatus.SENT
    assert action.places_taken == 1


def test_a_refusal_needs_a_reason():
    operator = UserFactory(operator=True)
    prescription = PrescriptionFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_refuse(prescription=prescription, reason="  ", by=operator)
    assert messages(excinfo) == "Indiquez le motif du refus."
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.SENT

    services.prescription_refuse(
        prescription=prescription, reason=" Session complète. ", by=operator
    )
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.REFUSED
    assert prescription.refusal_reason == "Session complète."
    assert prescription.answered_on == timezone.localdate()
    prescription.action.refresh_from_db()
    assert prescription.action.places_taken == 0


@pytest.mark.parametrize(
    ("completed", "status"),
    [(True, PrescriptionStatus.COMPLETED), (False, PrescriptionStatus.ABANDONED)],
)
def test_start_attendance_and_end_release_the_place(completed, status):
    operator = UserFactory(operator=True)
    action = ActionFactory(capacity=1)
    prescription = PrescriptionFactory(action=action)
    services.prescription_accept(prescription=prescription, by=operator)

    services.prescription_start(
        prescription=prescription, started_on=D(2025, 3, 10), sessions_planned=10, by=operator
    )
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.STARTED
    assert prescription.started_on == D(2025, 3, 10)
    assert prescription.sessions_planned == 10

    services.prescription_attendance(
        prescription=prescription, sessions_planned=12, sessions_attended=7, by=operator
    )
    prescription.refresh_from_db()
    assert (prescription.sessions_planned, prescription.sessions_attended) == (12, 7)
    action.refresh_from_db()
    assert action.places_taken == 1
    assert action.status == ActionStatus.FULL

    services.prescription_end(
        prescription=prescription,
        completed=completed,
        ended_on=D(2025, 6, 1),
        outcome=" Projet validé. ",
        by=operator,
    )

    prescription.refresh_from_db()
    action.refresh_from_db()
    assert prescription.status == status
    assert prescription.ended_on == D(2025, 6, 1)
    assert prescription.outcome == "Projet validé."
    assert action.places_taken == 0
    assert action.status == ActionStatus.OPEN


def test_more_sessions_attended_than_planned_is_refused():
    operator = UserFactory(operator=True)
    prescription = PrescriptionFactory()
    services.prescription_accept(prescription=prescription, by=operator)
    services.prescription_start(
        prescription=prescription, started_on=D(2025, 3, 10), sessions_planned=5, by=operator
    )

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_attendance(
            prescription=prescription, sessions_planned=5, sessions_attended=6, by=operator
        )

    assert "Plus de séances suivies que prévues." in messages(excinfo)
    prescription.refresh_from_db()
    assert prescription.sessions_attended == 0


def test_starting_a_prescription_not_accepted_is_refused():
    prescription = PrescriptionFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_start(
            prescription=prescription,
            started_on=D(2025, 3, 10),
            sessions_planned=5,
            by=UserFactory(operator=True),
        )

    assert messages(excinfo) == (
        "Cette prescription est « envoyée à l'opérateur » : on ne peut pas la commencer."
    )


def test_two_live_prescriptions_of_a_person_to_one_action_are_refused(person, referent):
    action = ActionFactory()
    first = services.prescription_create(
        beneficiary=person, action=action, note="", send=True, by=referent
    )

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_create(
            beneficiary=person, action=action, note="", send=False, by=referent
        )
    assert "Cette personne a déjà une prescription en cours vers cette action." in messages(excinfo)

    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PrescriptionFactory(beneficiary=person, action=action, status=PrescriptionStatus.STARTED)

    # Once the first one is over, the person may be sent again.
    services.prescription_refuse(prescription=first, reason="Complet.", by=referent)
    again = services.prescription_create(
        beneficiary=person, action=action, note="", send=True, by=referent
    )
    assert again.status == PrescriptionStatus.SENT
    assert Prescription.objects.filter(beneficiary=person, action=action).count() == 2


def test_a_referent_may_cancel_a_sent_prescription(referent):
    action = ActionFactory(capacity=3)
    prescription = PrescriptionFactory(action=action)

    services.prescription_end(
        prescription=prescription,
        completed=False,
        ended_on=D(2025, 3, 5),
        outcome="Annulée.",
        by=referent,
    )

    prescription.refresh_from_db()
    action.refresh_from_db()
    assert prescription.status == PrescriptionStatus.ABANDONED
    assert prescription.ended_on == D(2025, 3, 5)
    # It held no place: none is given back.
    assert action.places_taken == 0


def test_an_operator_may_not_end_a_prescription_still_sent():
    action = ActionFactory()
    PrescriptionFactory(action=action, status=PrescriptionStatus.ACCEPTED)
    action.places_taken = 1
    action.save()
    prescription = PrescriptionFactory(action=action)

    with pytest.raises(ValidationError) as excinfo:
        services.prescription_end(
            prescription=prescription,
            completed=False,
            ended_on=D(2025, 3, 5),
            outcome="",
            by=UserFactory(operator=True),
        )

    assert messages(excinfo) == (
        "Cette prescription est « envoyée à l'opérateur » : on ne peut pas la clore."
    )
    prescription.refresh_from_db()
    action.refresh_from_db()
    assert prescription.status == PrescriptionStatus.SENT
    assert action.places_taken == 1


# --- Obstacles -------------------------------------------------------------------------------


def test_an_obstacle_goes_from_identified_to_addressed_to_lifted(person, referent):
    action = ActionFactory()
    obstacle = services.obstacle_identify(
        beneficiary=person,
        kind=ObstacleKind.MOBILITY,
        identified_on=D(2025, 1, 10),
        note="Pas de permis.",
        by=referent,
    )
    assert obstacle.status == ObstacleStatus.IDENTIFIED
    assert (obstacle.addressed_on, obstacle.lifted_on) == (None, None)

    services.obstacle_progress(
        obstacle=obstacle,
        status=ObstacleStatus.ADDRESSED,
        on=D(2025, 2, 1),
        actions=[],
        by=referent,
    )
    obstacle.refresh_from_db()
    assert obstacle.status == ObstacleStatus.ADDRESSED
    assert (obstacle.addressed_on, obstacle.lifted_on) == (D(2025, 2, 1), None)

    services.obstacle_progress(
        obstacle=obstacle,
        status=ObstacleStatus.LIFTED,
        on=D(2025, 5, 20),
        actions=[action],
        by=referent,
    )
    obstacle.refresh_from_db()
    assert obstacle.status == ObstacleStatus.LIFTED
    assert (obstacle.identified_on, obstacle.addressed_on, obstacle.lifted_on) == (
        D(2025, 1, 10),
        D(2025, 2, 1),
        D(2025, 5, 20),
    )
    assert list(obstacle.actions.all()) == [action]


def test_lifting_an_obstacle_directly_invents_no_step_in_between(person, referent):
    obstacle = ObstacleFactory(beneficiary=person, identified_on=D(2025, 1, 10))

    services.obstacle_progress(
        obstacle=obstacle, status=ObstacleStatus.LIFTED, on=D(2025, 3, 1), actions=[], by=referent
    )

    obstacle.refresh_from_db()
    assert obstacle.status == ObstacleStatus.LIFTED
    assert (obstacle.addressed_on, obstacle.lifted_on) == (None, D(2025, 3, 1))


@pytest.mark.parametrize(
    ("current", "back_to", "label"),
    [
        (ObstacleStatus.ADDRESSED, ObstacleStatus.IDENTIFIED, "en cours de traitement"),
        (ObstacleStatus.ADDRESSED, ObstacleStatus.ADDRESSED, "en cours de traitement"),
        (ObstacleStatus.LIFTED, ObstacleStatus.ADDRESSED, "levé"),
    ],
)
def test_an_obstacle_does_not_go_back(person, referent, current, back_to, label):
    obstacle = ObstacleFactory(
        beneficiary=person,
        status=current,
        identified_on=D(2025, 1, 10),
        addressed_on=D(2025, 2, 1),
        lifted_on=D(2025, 3, 1) if current == ObstacleStatus.LIFTED else None,
    )

    with pytest.raises(ValidationError) as excinfo:
        services.obstacle_progress(
            obstacle=obstacle, status=back_to, on=D(2025, 4, 1), actions=[], by=referent
        )

    assert messages(excinfo) == f"Ce frein est déjà « {label} »."
    obstacle.refresh_from_db()
    assert obstacle.status == current


def test_an_obstacle_cannot_progress_before_it_was_identified(person, referent):
    obstacle = ObstacleFactory(beneficiary=person, identified_on=D(2025, 1, 10))

    with pytest.raises(ValidationError) as excinfo:
        services.obstacle_progress(
            obstacle=obstacle,
            status=ObstacleStatus.ADDRESSED,
            on=D(2025, 1, 9),
            actions=[],
            by=referent,
        )

    assert messages(excinfo) == "La date ne peut pas précéder l'identification du frein."


def test_the_same_obstacle_is_identified_once_until_lifted(person, referent):
    obstacle = services.obstacle_identify(
        beneficiary=person,
        kind=ObstacleKind.HOUSING,
        identified_on=D(2025, 1, 10),
        note="",
        by=referent,
    )

    with pytest.raises(ValidationError) as excinfo:
        services.obstacle_identify(
            beneficiary=person,
            kind=ObstacleKind.HOUSING,
            identified_on=D(2025, 2, 10),
            note="",
            by=referent,
        )
    assert messages(excinfo) == "Ce frein est déjà identifié et n'est pas levé."
    assert Obstacle.objects.filter(beneficiary=person).count() == 1

    # Another kind, or the same once lifted, is identified.
    services.obstacle_identify(
        beneficiary=person,
        kind=ObstacleKind.HEALTH,
        identified_on=D(2025, 2, 10),
        note="",
        by=referent,
    )
    services.obstacle_progress(
        obstacle=obstacle, status=ObstacleStatus.LIFTED, on=D(2025, 3, 1), actions=[], by=referent
    )
    services.obstacle_identify(
        beneficiary=person,
        kind=ObstacleKind.HOUSING,
        identified_on=D(2025, 9, 1),
        note="Expulsion.",
        by=referent,
    )
    assert sorted(
        Obstacle.objects.filter(beneficiary=person).values_list("kind", "status")
    ) == sorted(
        [
            (ObstacleKind.HOUSING, ObstacleStatus.LIFTED),
            (ObstacleKind.HOUSING, ObstacleStatus.IDENTIFIED),
            (ObstacleKind.HEALTH, ObstacleStatus.IDENTIFIED),
        ]
    )


# --- Exits -----------------------------------------------------------------------------------


def record_exit(person, by, **values):
    return services.exit_record(
        beneficiary=person,
        **{
            "exit_on": D(2025, 6, 30),
            "category": ExitCategory.END_OF_RIGHT,
            "contract_type": ExitContract.CDD,
            "contract_days": 200,
            "note": "",
            "by": by,
            **values,
        },
    )


def test_an_exit_is_recorded_once(person, referent):
    exit_ = record_exit(person, referent)
    exit_.refresh_from_db()
    assert (exit_.exit_on, exit_.contract_type, exit_.contract_days) == (
        D(2025, 6, 30),
        ExitContract.CDD,
        200,
    )
    assert exit_.recorded_by == referent
    assert not Beneficiary.objects.active().filter(pk=person.pk).exists()

    with pytest.raises(ValidationError) as excinfo:
        record_exit(person, referent, exit_on=D(2025, 7, 30))

    assert messages(excinfo) == "La sortie de cette personne est déjà enregistrée."
    assert Exit.objects.get().exit_on == D(2025, 6, 30)


def test_an_exit_before_the_right_opened_is_refused(referent):
    person = BeneficiaryFactory(right_opened_on=D(2024, 2, 1))

    with pytest.raises(ValidationError) as excinfo:
        record_exit(person, referent, exit_on=D(2024, 1, 31))

    assert messages(excinfo) == "La sortie ne peut pas précéder l'ouverture du droit."
    assert not Exit.objects.exists()


@pytest.mark.parametrize(
    "contract_type", [ExitContract.CDI, ExitContract.QUALIFYING_TRAINING, ExitContract.NONE]
)
def test_the_contract_length_is_kept_only_for_fixed_terms(person, referent, contract_type):
    exit_ = record_exit(person, referent, contract_type=contract_type, contract_days=90)

    exit_.refresh_from_db()
    assert exit_.contract_days is None


def test_a_fixed_term_exit_needs_its_length(person, referent):
    with pytest.raises(ValidationError) as excinfo:
        record_exit(person, referent, contract_type=ExitContract.TEMP, contract_days=None)

    assert "Indiquez la durée du contrat en jours." in messages(excinfo)
    assert not Exit.objects.exists()


# --- Exit outcomes ---------------------------------------------------------------------------

# (contract type, days, "6 months or more", "more than 6 months")
OUTCOMES = [
    (ExitContract.CDD, 183, ExitOutcome.DURABLE_EMPLOYMENT, ExitOutcome.TRANSITION_EMPLOYMENT),
    (ExitContract.CDD, 184, ExitOutcome.DURABLE_EMPLOYMENT, ExitOutcome.DURABLE_EMPLOYMENT),
    (ExitContract.CDD, 182, ExitOutcome.TRANSITION_EMPLOYMENT, ExitOutcome.TRANSITION_EMPLOYMENT),
    (ExitContract.TEMP, 183, ExitOutcome.DURABLE_EMPLOYMENT, ExitOutcome.TRANSITION_EMPLOYMENT),
    (ExitContract.TEMP, 365, ExitOutcome.DURABLE_EMPLOYMENT, ExitOutcome.DURABLE_EMPLOYMENT),
    (ExitContract.TEMP, 30, ExitOutcome.TRANSITION_EMPLOYMENT, ExitOutcome.TRANSITION_EMPLOYMENT),
    (ExitContract.CDI, None, ExitOutcome.DURABLE_EMPLOYMENT, ExitOutcome.DURABLE_EMPLOYMENT),
    (
        ExitContract.PUBLIC_TENURE,
        None,
        ExitOutcome.DURABLE_EMPLOYMENT,
        ExitOutcome.DURABLE_EMPLOYMENT,
    ),
    (
        ExitContract.BUSINESS_CREATION,
        None,
        ExitOutcome.DURABLE_EMPLOYMENT,
        ExitOutcome.DURABLE_EMPLOYMENT,
    ),
    (
        ExitContract.SUBSIDISED,
        365,
        ExitOutcome.TRANSITION_EMPLOYMENT,
        ExitOutcome.TRANSITION_EMPLOYMENT,
    ),
    (
        ExitContract.SUBSIDISED,
        90,
        ExitOutcome.TRANSITION_EMPLOYMENT,
        ExitOutcome.TRANSITION_EMPLOYMENT,
    ),
    (
        ExitContract.QUALIFYING_TRAINING,
        None,
        ExitOutcome.POSITIVE_EXIT,
        ExitOutcome.POSITIVE_EXIT,
    ),
    (ExitContract.SIAE_HIRING, None, ExitOutcome.POSITIVE_EXIT, ExitOutcome.POSITIVE_EXIT),
    (ExitContract.NONE, None, ExitOutcome.OTHER, ExitOutcome.OTHER),
]


def test_every_contract_type_has_its_outcome_checked():
    assert {row[0] for row in OUTCOMES} == set(ExitContract.values)


def test_the_durable_threshold_is_183_days(settings):
    assert settings.PTI_DURABLE_EMPLOYMENT_DAYS == 183


@pytest.mark.parametrize(("contract_type", "days", "or_more", "strictly_more"), OUTCOMES)
def test_exit_outcome(contract_type, days, or_more, strictly_more):
    assert exit_outcome(contract_type, days) == or_more
    assert exit_outcome(contract_type, days, strictly_more=False) == or_more
    assert exit_outcome(contract_type, days, strictly_more=True) == strictly_more


def test_exit_outcome_expression_agrees_with_the_python_rule():
    expected = {}
    for contract_type, days, or_more, strictly_more in OUTCOMES:
        exit_ = ExitFactory(contract_type=contract_type, contract_days=days)
        expected[exit_.pk] = (or_more, strictly_more)

    rows = Exit.objects.annotate(
        or_more=exit_outcome_expression(),
        strictly_more=exit_outcome_expression(strictly_more=True),
    ).values_list("pk", "contract_type", "contract_days", "or_more", "strictly_more")

    assert {pk: (a, b) for pk, _, _, a, b in rows} == expected
    for pk, contract_type, days, or_more, strictly_more in rows:
        assert or_more == exit_outcome(contract_type, days), pk
        assert strictly_more == exit_outcome(contract_type, days, strictly_more=True), pk

    # Through a relation, as the indicators count people.
    people = (
        Beneficiary.objects.filter(exit__isnull=False)
        .annotate(outcome=exit_outcome_expression("exit__", strictly_more=True))
        .values_list("exit__pk", "outcome")
    )
    assert dict(people) == {pk: pair[1] for pk, pair in expected.items()}
    counts = dict(
        Exit.objects.annotate(outcome=exit_outcome_expression())
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    assert counts == {
        ExitOutcome.DURABLE_EMPLOYMENT: 7,
        ExitOutcome.TRANSITION_EMPLOYMENT: 4,
        ExitOutcome.POSITIVE_EXIT: 2,
        ExitOutcome.OTHER: 1,
    }


# --- Search ----------------------------------------------------------------------------------


@pytest.fixture
def helene():
    return BeneficiaryFactory(
        last_name="Durand",
        first_name="Hélène",
        birth_date=D(1980, 3, 5),
        household=HouseholdFactory(caf_number="0001234"),
    )


@pytest.fixture
def marc():
    return BeneficiaryFactory(
        last_name="Petit",
        first_name="Marc",
        sex=Sex.MALE,
        birth_date=D(1990, 11, 20),
        household=HouseholdFactory(caf_number="0005678"),
    )


@pytest.mark.parametrize(
    "text",
    ["helene", "Hélène", "DURAND", "durand hélène", "  Hélène   DURAND ", "1234", "0001234"],
)
def test_search_finds_a_person_by_name_or_caf_number(helene, marc, text):
    assert list(Beneficiary.objects.search(text)) == [helene]


def test_search_by_birth_date(helene, marc):
    assert list(Beneficiary.objects.search("05/03/1980")) == [helene]
    assert list(Beneficiary.objects.search("20/11/1990")) == [marc]


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_search_returns_everyone(helene, marc, text):
    assert list(Beneficiary.objects.search(text)) == [helene, marc]


@pytest.mark.parametrize("text", ["zzyzx", "durand zzyzx", "7777", "01/01/2000"])
def test_a_search_for_what_nobody_matches_finds_no_one(helene, marc, text):
    assert list(Beneficiary.objects.search(text)) == []


# --- The demo generator ----------------------------------------------------------------------


def demo_people():
    return Beneficiary.objects.filter(household__caf_number__startswith="9")


def snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (
            Household,
            Beneficiary,
            ReferentAssignment,
            OrientationDecision,
            Contract,
            PlannedAction,
            Interview,
            Obstacle,
            Prescription,
            Exit,
        )
    }


def check_demo_data():
    today = timezone.localdate()
    people = demo_people()

    def more_than_one(queryset):
        return list(
            queryset.values("beneficiary").annotate(n=Count("pk")).filter(n__gt=1).values("n")
        )

    assert more_than_one(ReferentAssignment.objects.open()) == []
    assert more_than_one(OrientationDecision.objects.filter(is_current=True)) == []
    assert more_than_one(Contract.objects.filter(is_current=True)) == []

    # Places: exactly the prescriptions holding one, never more than the capacity.
    holding = Count("prescriptions", filter=Q(prescriptions__status__in=PLACE_HOLDING_STATUSES))
    for action in Action.objects.annotate(holding=holding):
        assert action.places_taken == action.holding, action.reference
        assert action.places_taken <= action.capacity, action.reference
        if action.capacity and action.status in (ActionStatus.OPEN, ActionStatus.FULL):
            assert (action.status == ActionStatus.FULL) == (
                action.places_taken >= action.capacity
            ), action.reference

    # What the services would refuse is not in the demo either.
    assert not Exit.objects.filter(exit_on__lt=F("beneficiary__right_opened_on")).exists()
    assert not Exit.objects.filter(exit_on__gt=today).exists()
    assert not ReferentAssignment.objects.filter(start_date__gt=today).exists()
    assert not OrientationDecision.objects.filter(decided_on__gt=today).exists()
    assert not Contract.objects.filter(signed_on__gt=today).exists()
    assert not Interview.objects.filter(date__gt=today).exists()
    assert not Prescription.objects.filter(
        beneficiary__exit__isnull=False, status__in=PLACE_HOLDING_STATUSES
    ).exists()
    # A prescription's dates follow one another, none in the future, and its status says
    # what its dates say: answered unless still sent, entered only when started or ended.
    prescriptions = Prescription.objects.filter(beneficiary__in=people)
    assert not prescriptions.filter(
        Q(prescribed_on__gt=today)
        | Q(answered_on__gt=today)
        | Q(started_on__gt=today)
        | Q(ended_on__gt=today)
        | Q(answered_on__lt=F("prescribed_on"))
        | Q(started_on__lt=F("answered_on"))
        | Q(ended_on__lt=F("started_on"))
    ).exists()
    assert not prescriptions.filter(
        status=PrescriptionStatus.SENT, answered_on__isnull=False
    ).exists()
    assert not (
        prescriptions.exclude(status=PrescriptionStatus.SENT)
        .filter(answered_on__isnull=True)
        .exists()
    )
    assert not prescriptions.filter(
        status__in=[PrescriptionStatus.STARTED, PrescriptionStatus.COMPLETED],
        started_on__isnull=True,
    ).exists()
    assert not prescriptions.filter(
        status__in=[PrescriptionStatus.COMPLETED, PrescriptionStatus.ABANDONED],
        ended_on__isnull=True,
    ).exists()
    # Most finished prescriptions lasted weeks, not a day.
    finished = prescriptions.filter(status=PrescriptionStatus.COMPLETED)
    assert finished.filter(ended_on__gt=F("prescribed_on")).count() > finished.count() * 0.9
    assert not Contract.objects.filter(
        kind=ContractKind.CE, weekly_hours__lt=15, hours_reduction=""
    ).exists()
    assert not Obstacle.objects.filter(addressed_on__lt=F("identified_on")).exists()
    assert not (
        Obstacle.objects.values("beneficiary", "kind")
        .exclude(status=ObstacleStatus.LIFTED)
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )

    # Every stage of the parcours is represented.
    current_orientation = OrientationDecision.objects.filter(is_current=True)
    not_oriented = people.filter(
        rights_and_duties=RightsAndDuties.SUBJECT, orientations__isnull=True
    )
    oriented_without_referent = people.filter(
        pk__in=current_orientation.values("beneficiary"), assignments__isnull=True
    )
    with_contract = people.filter(
        pk__in=Contract.objects.filter(is_current=True).values("beneficiary")
    )
    exited = people.filter(exit__isnull=False)
    for stage in (not_oriented, oriented_without_referent, with_contract, exited):
        assert stage.exists()
    assert people.filter(contracts__kind=ContractKind.CE).exists()
    assert Prescription.objects.filter(beneficiary__in=people).exists()


def seed(count):
    out = StringIO()
    call_command("seed_demo", "--beneficiaries", str(count), stdout=out)
    return out.getvalue()


def test_seed_demo_builds_people_at_every_stage_once():
    output = seed(300)
    assert demo_people().count() == 300
    assert "300 bénéficiaires de démonstration (300 créés" in output
    check_demo_data()
    after_first = snapshot()

    output = seed(300)
    assert "300 bénéficiaires de démonstration (0 créés" in output
    assert demo_people().count() == 300
    assert snapshot() == after_first

    seed(350)
    assert demo_people().count() == 350
    assert Household.objects.filter(caf_number__startswith="9").count() > after_first["Household"]
    check_demo_data()
    # The new households follow the earlier ones: no number is used twice.
    assert (
        Household.objects.values("caf_number").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    )
