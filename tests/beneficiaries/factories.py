import datetime
from decimal import Decimal

import factory
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from factory.django import DjangoModelFactory

from actions.enums import Obstacle as ObstacleKind
from actions.enums import PrescriptionStatus
from beneficiaries.enums import (
    AssignmentReason,
    ContractKind,
    ExitCategory,
    ExitContract,
    FamilySituation,
    HouseholdRole,
    InterviewKind,
    ObstacleStatus,
    Parcours,
    Payer,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    Contract,
    Exit,
    ExitFollowUp,
    Household,
    Interview,
    Obstacle,
    OrientationDecision,
    Prescription,
    ReferentAssignment,
    ReorientationRequest,
)
from beneficiaries.search import search_key as make_search_key
from tests.actions.factories import ActionFactory
from tests.pti.factories import OrganisationFactory, TerritoryFactory, UserFactory


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    payer = Payer.CAF
    # Numbers of their own: the tests write 1000001, 1000002… in their files.
    caf_number = factory.Sequence(lambda n: f"{6000000 + n}")
    territory = factory.SubFactory(TerritoryFactory)
    family_situation = FamilySituation.SINGLE


class BeneficiaryFactory(DjangoModelFactory):
    class Meta:
        model = Beneficiary

    household = factory.SubFactory(HouseholdFactory)
    household_role = HouseholdRole.APPLICANT
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    birth_name = ""
    first_name = "Camille"
    birth_date = datetime.date(1985, 6, 15)
    sex = Sex.FEMALE
    rights_and_duties = RightsAndDuties.SUBJECT
    rsa_requested_on = datetime.date(2024, 1, 10)
    right_opened_on = datetime.date(2024, 2, 1)
    right_known_on = datetime.date(2024, 2, 5)
    search_key = factory.LazyAttribute(
        lambda person: make_search_key(person.last_name, person.birth_name, person.first_name)
    )


class ReferentAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = ReferentAssignment

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    referent = factory.SubFactory(UserFactory, referent=True)
    structure = factory.LazyAttribute(lambda assignment: assignment.referent.organisation)
    start_date = datetime.date(2024, 3, 1)
    reason = AssignmentReason.FIRST


class OrientationDecisionFactory(DjangoModelFactory):
    class Meta:
        model = OrientationDecision

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    parcours = Parcours.SOCIAL
    organisme = factory.SubFactory(OrganisationFactory)
    decided_on = datetime.date(2024, 2, 20)
    notified_on = datetime.date(2024, 2, 25)
    is_current = True


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    kind = ContractKind.CE
    start_date = datetime.date(2025, 1, 15)
    end_date = datetime.date(2025, 7, 15)
    signed_on = datetime.date(2025, 1, 15)
    objectives = "Construire un projet professionnel réaliste."
    weekly_hours = Decimal(15)
    is_current = True


class InterviewFactory(DjangoModelFactory):
    class Meta:
        model = Interview

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    kind = InterviewKind.INDIVIDUAL
    date = datetime.date(2025, 2, 1)
    note = ""
    referent = factory.SubFactory(UserFactory, referent=True)


class ObstacleFactory(DjangoModelFactory):
    class Meta:
        model = Obstacle

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    kind = ObstacleKind.MOBILITY
    status = ObstacleStatus.IDENTIFIED
    identified_on = datetime.date(2024, 3, 15)


class PrescriptionFactory(DjangoModelFactory):
    class Meta:
        model = Prescription

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    action = factory.SubFactory(ActionFactory)
    status = PrescriptionStatus.SENT
    # The services always record who prescribed; full_clean refuses a prescription without.
    prescribed_by = factory.SubFactory(UserFactory, referent=True)
    prescribed_on = datetime.date(2025, 3, 1)


class ExitFactory(DjangoModelFactory):
    class Meta:
        model = Exit

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    exit_on = datetime.date(2025, 6, 30)
    category = ExitCategory.END_OF_RIGHT
    contract_type = ExitContract.CDI
    contract_days = None
    recorded_by = factory.SubFactory(UserFactory, referent=True)


class ExitFollowUpFactory(DjangoModelFactory):
    """A follow-up after an exit, not recorded (pass `situation`, `recorded_on` and
    `recorded_by` together to record it)."""

    class Meta:
        model = ExitFollowUp

    exit = factory.SubFactory(ExitFactory)
    milestone = "6"
    due_on = factory.LazyAttribute(
        lambda row: row.exit.exit_on + relativedelta(months=int(row.milestone))
    )


class ReorientationRequestFactory(DjangoModelFactory):
    """A pending request; `refused=True` for one decided already."""

    class Meta:
        model = ReorientationRequest

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    requested_by = factory.SubFactory(UserFactory, referent=True)
    reason = "Le diagnostic montre un projet professionnel prêt."
    proposed_parcours = Parcours.EMPLOYMENT
    proposed_organisme = factory.SubFactory(OrganisationFactory)

    class Params:
        refused = factory.Trait(
            status="refused",
            decided_by=factory.SubFactory(UserFactory, manager=True),
            decided_at=factory.LazyFunction(timezone.now),
            decision_note="Le parcours en cours vient de commencer.",
        )
