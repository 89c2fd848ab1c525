"""Who may open each page: one row per URL of the project, checked for every role.

A URL added without its row here fails `test_every_url_has_a_row`. The page must answer
`ok` (200, or 405 for a POST-only action) to the roles that may use it and 403 or 404 to
every other role: nothing relies on hiding a link.
"""

import pytest
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from pti.enums import Role
from tests.actions.factories import (
    ActionFactory,
    AgreementObjectiveFactory,
    ApplicationFactory,
    CallForProjectsFactory,
    FundingAgreementFactory,
)
from tests.beneficiaries.factories import (
    ContractFactory,
    ObstacleFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import (
    ObjectiveFactory,
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    UserFactory,
)
from tests.signatories.factories import (
    CommitmentFactory,
    CommitmentTargetFactory,
    ConventionFactory,
    GovernanceBodyFactory,
    MeetingFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db

ALL = frozenset(Role.values)
PACT_READERS = ALL - {Role.ADMIN}
PILOT = frozenset({Role.PILOT})
NOBODY = frozenset()

CATALOGUE = frozenset({Role.PILOT, Role.REFERENT, Role.MANAGER})
OPERATOR = frozenset({Role.OPERATOR})
REFERENT = frozenset({Role.REFERENT})
FILE_READERS = frozenset({Role.PILOT, Role.MANAGER, Role.REFERENT})
ASSIGNERS = frozenset({Role.PILOT, Role.MANAGER})
NOT_THEIRS = {Role.MANAGER: 404, Role.REFERENT: 404}
DASHBOARD = frozenset({Role.PILOT, Role.PARTNER})
PARTNER = frozenset({Role.PARTNER})

# name: (arguments from the world, roles allowed, status they get[, {role: other status}])
ROUTES = {
    "pti:home": (lambda w: [], ALL, 200),
    "pti:accessibility": (lambda w: [], ALL, 200),
    "pti:pact_list": (lambda w: [], PACT_READERS, 200),
    "pti:pact_create": (lambda w: [], PILOT, 200),
    "pti:pact_detail": (lambda w: [w["pact"].pk], PACT_READERS, 200),
    "pti:pact_update": (lambda w: [w["pact"].pk], PILOT, 200),
    "pti:pact_adopt": (lambda w: [w["pact"].pk], PILOT, 200),
    "pti:pact_archive": (lambda w: [w["pact"].pk], PILOT, 302),  # a draft: refused with a message
    "pti:pact_pdf": (lambda w: [w["pact"].pk], PACT_READERS, 200),
    "pti:orientation_create": (lambda w: [w["pact"].pk], PILOT, 200),
    "pti:orientation_update": (lambda w: [w["orientation"].pk], PILOT, 200),
    "pti:orientation_delete": (lambda w: [w["orientation"].pk], PILOT, 200),
    "pti:orientation_move": (lambda w: [w["orientation"].pk], PILOT, 405),
    "pti:objective_create": (lambda w: [w["orientation"].pk], PILOT, 200),
    "pti:objective_update": (lambda w: [w["objective"].pk], PILOT, 200),
    "pti:objective_delete": (lambda w: [w["objective"].pk], PILOT, 200),
    "pti:objective_move": (lambda w: [w["objective"].pk], PILOT, 405),
    "pti:organisation_list": (lambda w: [], PILOT, 200),
    "pti:organisation_create": (lambda w: [], PILOT, 200),
    "pti:organisation_update": (lambda w: [w["organisation"].pk], PILOT, 200),
    "pti:organisation_import": (lambda w: [], PILOT, 200),
    "pti:organisation_export": (lambda w: ["csv"], PILOT, 200),
    "signatories:signatory_list": (lambda w: [w["pact"].pk], PILOT, 200),
    "signatories:signatory_import": (lambda w: [w["pact"].pk], PILOT, 200),
    "signatories:signatory_export": (lambda w: [w["pact"].pk, "xlsx"], PILOT, 200),
    "signatories:signature_round_close": (lambda w: [w["pact"].pk], PILOT, 302),
    "signatories:pact_amend": (lambda w: [w["pact"].pk], PILOT, 302),
    "signatories:signatory_detail": (lambda w: [w["signatory"].pk], PILOT, 200),
    "signatories:signatory_update": (lambda w: [w["signatory"].pk], PILOT, 200),
    "signatories:signatory_remove": (lambda w: [w["signatory"].pk], PILOT, 200),
    "signatories:signature_record": (lambda w: [w["signatory"].pk], PILOT, 302),
    "signatories:signatory_decline": (lambda w: [w["signatory"].pk], PILOT, 200),
    "signatories:commitment_create": (lambda w: [w["signatory"].pk], PILOT, 200),
    "signatories:commitment_update": (lambda w: [w["commitment"].pk], PILOT, 200),
    "signatories:commitment_delete": (lambda w: [w["commitment"].pk], PILOT, 200),
    "signatories:convention_list": (lambda w: [], PILOT, 200),
    "signatories:convention_create": (lambda w: [], PILOT, 200),
    "signatories:convention_detail": (lambda w: [w["convention"].pk], PILOT, 200),
    "signatories:convention_update": (lambda w: [w["convention"].pk], PILOT, 200),
    "signatories:body_list": (lambda w: [], PILOT, 200),
    "signatories:body_create": (lambda w: [], PILOT, 200),
    "signatories:body_detail": (lambda w: [w["body"].pk], PILOT, 200),
    "signatories:body_update": (lambda w: [w["body"].pk], PILOT, 200),
    "signatories:body_objective_add": (lambda w: [w["body"].pk], PILOT, 405),
    "signatories:meeting_create": (lambda w: [w["body"].pk], PILOT, 200),
    "signatories:meeting_update": (lambda w: [w["meeting"].pk], PILOT, 200),
    "signatories:follow_up_add": (lambda w: [w["meeting"].pk], PILOT, 200),
    "signatories:follow_up_toggle": (lambda w: [w["follow_up"].pk], PILOT, 405),
    "actions:action_list": (lambda w: [], PILOT, 200),
    "actions:catalogue": (lambda w: [], CATALOGUE, 200),
    "actions:my_actions": (lambda w: [], OPERATOR, 200),
    "actions:action_create": (lambda w: [], PILOT, 200),
    "actions:action_import": (lambda w: [], PILOT, 200),
    "actions:action_export": (lambda w: ["xlsx"], PILOT, 200),
    # An operator sees only its own actions: another's is not found.
    "actions:action_detail": (
        lambda w: [w["action"].pk],
        CATALOGUE | OPERATOR,
        200,
        {Role.OPERATOR: 404},
    ),
    "actions:action_update": (lambda w: [w["action"].pk], PILOT, 200),
    "actions:call_list": (lambda w: [], PILOT, 200),
    "actions:call_create": (lambda w: [], PILOT, 200),
    "actions:call_detail": (lambda w: [w["call"].pk], PILOT, 200),
    "actions:call_update": (lambda w: [w["call"].pk], PILOT, 200),
    "actions:application_add": (lambda w: [w["call"].pk], PILOT, 405),
    "actions:application_decide": (lambda w: [w["application"].pk], PILOT, 200),
    "actions:agreement_list": (lambda w: [], PILOT, 200),
    "actions:agreement_create": (lambda w: [], PILOT, 200),
    "actions:agreement_detail": (lambda w: [w["agreement"].pk], PILOT, 200),
    "actions:agreement_update": (lambda w: [w["agreement"].pk], PILOT, 200),
    "actions:agreement_objective_add": (lambda w: [w["agreement"].pk], PILOT, 405),
    "actions:agreement_objective_report": (lambda w: [w["agreement_objective"].pk], PILOT, 200),
    "actions:agreement_renewal": (lambda w: [w["agreement"].pk], PILOT, 200),
    # People's files: the world's person is followed by a référent of another structure, so
    # that any référent or manager of the test meets someone else's file (404).
    "beneficiaries:portfolio": (lambda w: [], REFERENT, 200),
    "beneficiaries:list": (lambda w: [], FILE_READERS, 200),
    "beneficiaries:create": (lambda w: [], ASSIGNERS, 200),
    "beneficiaries:import": (lambda w: [], ASSIGNERS, 200),
    "beneficiaries:import_contacts": (lambda w: [], PILOT, 200),
    "beneficiaries:file": (lambda w: [w["person"].pk], FILE_READERS, 200, NOT_THEIRS),
    "beneficiaries:update": (lambda w: [w["person"].pk], FILE_READERS, 200, NOT_THEIRS),
    "beneficiaries:accesses": (lambda w: [w["person"].pk], PILOT, 200),
    "beneficiaries:contract_create": (lambda w: [w["person"].pk], FILE_READERS, 200, NOT_THEIRS),
    "beneficiaries:contract_revise": (lambda w: [w["person"].pk], FILE_READERS, 200, NOT_THEIRS),
    # Quick entries answer POST only (their scoping is tested with POST in test_access).
    "beneficiaries:interview_add": (lambda w: [w["person"].pk], FILE_READERS, 405),
    "beneficiaries:obstacle_add": (lambda w: [w["person"].pk], FILE_READERS, 405),
    "beneficiaries:obstacle_progress": (lambda w: [w["obstacle"].pk], FILE_READERS, 405),
    "beneficiaries:prescription_add": (lambda w: [w["person"].pk], FILE_READERS, 405),
    "beneficiaries:prescription_send": (lambda w: [w["prescription"].pk], FILE_READERS, 405),
    "beneficiaries:prescription_cancel": (lambda w: [w["prescription"].pk], FILE_READERS, 405),
    "beneficiaries:exit_add": (lambda w: [w["person"].pk], FILE_READERS, 405),
    "beneficiaries:orientation_add": (lambda w: [w["person"].pk], ASSIGNERS, 405),
    "beneficiaries:referent_assign": (lambda w: [w["person"].pk], ASSIGNERS, 405),
    "beneficiaries:caseload": (lambda w: [], ASSIGNERS, 200),
    "beneficiaries:operator_inbox": (lambda w: [], OPERATOR, 200),
    # The world's prescription goes to another operator's action.
    "beneficiaries:operator_prescription": (
        lambda w: [w["prescription"].pk],
        OPERATOR,
        200,
        {Role.OPERATOR: 404},
    ),
    "beneficiaries:operator_accept": (lambda w: [w["prescription"].pk], OPERATOR, 405),
    "beneficiaries:operator_refuse": (lambda w: [w["prescription"].pk], OPERATOR, 405),
    "beneficiaries:operator_start": (lambda w: [w["prescription"].pk], OPERATOR, 405),
    "beneficiaries:operator_attendance": (lambda w: [w["prescription"].pk], OPERATOR, 405),
    "beneficiaries:operator_end": (lambda w: [w["prescription"].pk], OPERATOR, 405),
    "evaluation:dashboard": (lambda w: [], DASHBOARD, 200),
    "evaluation:dashboard_export": (lambda w: ["csv"], DASHBOARD, 200),
    "evaluation:oarsa_export": (lambda w: [], PILOT, 200),
    "evaluation:territories": (lambda w: [], PILOT, 200),
    "evaluation:orientations": (lambda w: [], PILOT, 200),
    "evaluation:actions": (lambda w: [], PILOT, 200),
    "evaluation:actions_export": (lambda w: ["xlsx"], PILOT, 200),
    "evaluation:targets": (lambda w: [], PILOT, 200),
    "evaluation:entries": (lambda w: [], PILOT, 200),
    "evaluation:snapshots": (lambda w: [], PILOT, 200),
    "evaluation:partner_commitments": (lambda w: [], PARTNER, 200),
    "evaluation:partner_entry": (lambda w: [w["commitment_target"].pk], PARTNER, 405),
}

# Pages that are not the application's own: login, logout and Django's admin.
NOT_CHECKED_HERE = {"pti:login", "pti:logout"}


def project_url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from project_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_a_row():
    names = set(project_url_names()) - NOT_CHECKED_HERE
    assert sorted(names - set(ROUTES)) == [], "add these URLs to ROUTES"
    assert sorted(set(ROUTES) - names) == [], "these rows name URLs that no longer exist"


@pytest.fixture
def world():
    from signatories.models import FollowUp

    pact = PactFactory()
    orientation = OrientationFactory(pact=pact, position=1)
    signatory = SignatoryFactory(pact=pact)
    meeting = MeetingFactory(body=GovernanceBodyFactory(pact=pact))
    action = ActionFactory(orientation=orientation)
    person = ReferentAssignmentFactory().beneficiary
    ContractFactory(beneficiary=person)
    call = CallForProjectsFactory()
    agreement = FundingAgreementFactory(operator=action.operator, actions=[action])
    return {
        "person": person,
        "obstacle": ObstacleFactory(beneficiary=person),
        "prescription": PrescriptionFactory(beneficiary=person, action=action),
        "action": action,
        "call": call,
        "application": ApplicationFactory(call=call, action=action),
        "agreement": agreement,
        "agreement_objective": AgreementObjectiveFactory(agreement=agreement, action=action),
        "pact": pact,
        "orientation": orientation,
        "objective": ObjectiveFactory(orientation=orientation, position=1),
        "organisation": OrganisationFactory(),
        "signatory": signatory,
        "commitment": CommitmentFactory(signatory=signatory, orientation=orientation),
        "commitment_target": CommitmentTargetFactory(),
        "convention": ConventionFactory(),
        "body": meeting.body,
        "meeting": meeting,
        "follow_up": FollowUp.objects.create(meeting=meeting, description="Relancer"),
    }


@pytest.mark.parametrize("role", Role.values)
def test_each_role_gets_what_it_may_see_and_nothing_else(client, world, role):
    client.force_login(UserFactory(**{role: True}))
    wrong = []
    for name, (arguments, allowed, ok, *special) in ROUTES.items():
        url = reverse(name, args=arguments(world))
        status = client.get(url).status_code
        expected = ok if role in allowed else 403
        expected = special[0].get(role, expected) if special else expected
        if status != expected:
            wrong.append(f"{name} ({url}): {status} instead of {expected}")
    assert wrong == []
