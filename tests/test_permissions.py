"""Who may open each page: every URL of the project, for every kind of user, with objects in
and out of their scope.

The actors: an anonymous visitor; a pilot; the manager of the structure that follows the
world's person and the manager of another structure; the person's référent and a référent of
another structure; the operator of the action the person is prescribed to and another
operator; a partner; IT (the admin role, staff of the Django admin). Each opens every URL of the
resolver (a POST-only URL is posted, empty), and gets exactly the status of its row: the page
(200, or what a valid or refused post answers), 403 when the role may not use it, 404 when the
object is outside the actor's scope (nothing relies on hiding a link), a redirection to the
login page when anonymous. A URL added without its row fails `test_every_url_has_a_row`.

A second walk sends every URL a `next` pointing to another site: no answer may redirect there.
"""

from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from actions.enums import PrescriptionStatus
from beneficiaries.models import HeldHousehold
from pti.enums import Role, RunKind, RunStatus
from pti.models import TaskRun
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
    ReorientationRequestFactory,
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
    ConventionFactory,
    GovernanceBodyFactory,
    MeetingFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db

ACTORS = {
    "anonymous": None,
    "pilot": Role.PILOT,
    "manager_in": Role.MANAGER,
    "manager_out": Role.MANAGER,
    "referent_own": Role.REFERENT,
    "referent_other": Role.REFERENT,
    "operator_own": Role.OPERATOR,
    "operator_other": Role.OPERATOR,
    "partner": Role.PARTNER,
    "admin": Role.ADMIN,
}
# Who is outside the scope of the world's person, and of its prescription's action.
OUT_OF_PERSON_SCOPE = {"manager_out", "referent_other"}
OUT_OF_OPERATOR_SCOPE = {"operator_other"}

ALL = frozenset(Role.values)
PACT_READERS = ALL - {Role.ADMIN}
PILOT = frozenset({Role.PILOT})
CATALOGUE = frozenset({Role.PILOT, Role.REFERENT, Role.MANAGER})
OPERATOR = frozenset({Role.OPERATOR})
REFERENT = frozenset({Role.REFERENT})
FILE_READERS = frozenset({Role.PILOT, Role.MANAGER, Role.REFERENT})
ASSIGNERS = frozenset({Role.PILOT, Role.MANAGER})
DASHBOARD = frozenset({Role.PILOT, Role.PARTNER})
PARTNER = frozenset({Role.PARTNER})


def roles(allowed, ok, **special):
    """{actor: status}: `ok` for the actors whose role is in `allowed`, 403 for the others;
    `special` overrides an actor's status."""
    expected = {actor: (ok if role in allowed else 403) for actor, role in ACTORS.items() if role}
    expected.update(special)
    return expected


def person(allowed, ok):
    """A page of the world's person: outside their scope, an actor allowed by role gets 404."""
    return roles(allowed, ok, **dict.fromkeys(OUT_OF_PERSON_SCOPE & _actors_of(allowed), 404))


def operator(ok):
    """A page of the world's prescription for its operator: another operator gets 404."""
    return roles(OPERATOR, ok, operator_other=404)


def _actors_of(allowed):
    return {actor for actor, role in ACTORS.items() if role in allowed}


GET, POST = "get", "post"

# name: (arguments from the world, method, {actor: status}). A POST-only page is posted empty:
# its status is what an empty or invalid form answers (422), or a refusal that redirects (302).
ROUTES = {
    "pti:home": (lambda w: [], GET, roles(ALL, 200)),
    # The accessibility statement is public (RGAA).
    "pti:accessibility": (lambda w: [], GET, {**roles(ALL, 200), "anonymous": 200}),
    "pti:pact_list": (lambda w: [], GET, roles(PACT_READERS, 200)),
    "pti:pact_create": (lambda w: [], GET, roles(PILOT, 200)),
    "pti:pact_detail": (lambda w: [w["pact"].pk], GET, roles(PACT_READERS, 200)),
    "pti:pact_update": (lambda w: [w["pact"].pk], GET, roles(PILOT, 200)),
    "pti:pact_adopt": (lambda w: [w["pact"].pk], GET, roles(PILOT, 200)),
    # A draft is not archived: refused with a message.
    "pti:pact_archive": (lambda w: [w["pact"].pk], GET, roles(PILOT, 302)),
    "pti:pact_pdf": (lambda w: [w["pact"].pk], GET, roles(PACT_READERS, 200)),
    "pti:pact_figures_pdf": (lambda w: [w["pact"].pk], GET, roles(PACT_READERS, 200)),
    "pti:orientation_create": (lambda w: [w["pact"].pk], GET, roles(PILOT, 200)),
    "pti:orientation_update": (lambda w: [w["orientation"].pk], GET, roles(PILOT, 200)),
    "pti:orientation_delete": (lambda w: [w["orientation"].pk], GET, roles(PILOT, 200)),
    "pti:orientation_move": (lambda w: [w["orientation"].pk], POST, roles(PILOT, 302)),
    "pti:objective_create": (lambda w: [w["orientation"].pk], GET, roles(PILOT, 200)),
    "pti:objective_update": (lambda w: [w["objective"].pk], GET, roles(PILOT, 200)),
    "pti:objective_delete": (lambda w: [w["objective"].pk], GET, roles(PILOT, 200)),
    "pti:objective_move": (lambda w: [w["objective"].pk], POST, roles(PILOT, 302)),
    "pti:organisation_list": (lambda w: [], GET, roles(PILOT, 200)),
    "pti:organisation_create": (lambda w: [], GET, roles(PILOT, 200)),
    "pti:organisation_update": (lambda w: [w["organisation"].pk], GET, roles(PILOT, 200)),
    "pti:organisation_import": (lambda w: [], GET, roles(PILOT, 200)),
    "pti:organisation_export": (lambda w: ["csv"], GET, roles(PILOT, 200)),
    # The account's pages: every user has them.
    "pti:account": (lambda w: [], GET, roles(ALL, 200)),
    "pti:password_change": (lambda w: [], GET, roles(ALL, 200)),
    # Without a device, the code page sends to the enrolment; the enrolment is for everyone.
    "pti:second_factor": (lambda w: [], GET, roles(ALL, 302)),
    "pti:second_factor_enrol": (lambda w: [], GET, roles(ALL, 200)),
    "pti:second_factor_disable": (lambda w: [], GET, roles(ALL, 302)),
    "pti:recovery_codes": (lambda w: [], GET, roles(ALL, 302)),
    "pti:recovery_codes_renew": (lambda w: [], POST, roles(ALL, 302)),
    "pti:login_failures": (lambda w: [], GET, roles(PILOT, 200)),
    # Background runs: a pilot follows every run, a manager their own (the world's run is the
    # manager's in the person's structure); restarting or cancelling a run that ended is
    # refused with a message.
    "pti:run_list": (lambda w: [], GET, roles(ASSIGNERS, 200)),
    "pti:run_detail": (lambda w: [w["run"].pk], GET, roles(ASSIGNERS, 200, manager_out=404)),
    "pti:run_restart": (lambda w: [w["run"].pk], POST, roles(ASSIGNERS, 302, manager_out=404)),
    "pti:run_confirm": (lambda w: [w["run"].pk], POST, roles(ASSIGNERS, 302, manager_out=404)),
    "pti:run_report": (lambda w: [w["run"].pk], GET, roles(ASSIGNERS, 200, manager_out=404)),
    # The world's run produced no file.
    "pti:run_result": (lambda w: [w["run"].pk], GET, roles(ASSIGNERS, 404, manager_out=404)),
    "pti:run_cancel": (lambda w: [w["run"].pk], POST, roles(ASSIGNERS, 302, manager_out=404)),
    "pti:run_hidden_rows": (lambda w: [w["run"].pk], POST, roles(ASSIGNERS, 302, manager_out=404)),
    "signatories:signatory_list": (lambda w: [w["pact"].pk], GET, roles(PILOT, 200)),
    "signatories:signatory_import": (lambda w: [w["pact"].pk], GET, roles(PILOT, 200)),
    "signatories:signatory_export": (lambda w: [w["pact"].pk, "xlsx"], GET, roles(PILOT, 200)),
    "signatories:signature_round_close": (lambda w: [w["pact"].pk], GET, roles(PILOT, 302)),
    "signatories:signatures_edit": (lambda w: [w["pact"].pk], GET, roles(PILOT, 302)),
    "signatories:pact_amend": (lambda w: [w["pact"].pk], GET, roles(PILOT, 302)),
    "signatories:signatory_detail": (lambda w: [w["signatory"].pk], GET, roles(PILOT, 200)),
    "signatories:signatory_update": (lambda w: [w["signatory"].pk], GET, roles(PILOT, 200)),
    "signatories:signatory_remove": (lambda w: [w["signatory"].pk], GET, roles(PILOT, 200)),
    "signatories:signature_record": (lambda w: [w["signatory"].pk], GET, roles(PILOT, 302)),
    "signatories:signatory_decline": (lambda w: [w["signatory"].pk], GET, roles(PILOT, 302)),
    "signatories:commitment_create": (lambda w: [w["signatory"].pk], GET, roles(PILOT, 200)),
    "signatories:commitment_update": (lambda w: [w["commitment"].pk], GET, roles(PILOT, 200)),
    "signatories:commitment_delete": (lambda w: [w["commitment"].pk], GET, roles(PILOT, 200)),
    "signatories:convention_list": (lambda w: [], GET, roles(PILOT, 200)),
    "signatories:convention_create": (lambda w: [], GET, roles(PILOT, 200)),
    "signatories:convention_detail": (lambda w: [w["convention"].pk], GET, roles(PILOT, 200)),
    "signatories:convention_update": (lambda w: [w["convention"].pk], GET, roles(PILOT, 200)),
    "signatories:body_list": (lambda w: [], GET, roles(PILOT, 200)),
    "signatories:body_create": (lambda w: [], GET, roles(PILOT, 200)),
    "signatories:body_detail": (lambda w: [w["body"].pk], GET, roles(PILOT, 200)),
    "signatories:body_update": (lambda w: [w["body"].pk], GET, roles(PILOT, 200)),
    "signatories:body_objective_add": (lambda w: [w["body"].pk], POST, roles(PILOT, 422)),
    "signatories:meeting_create": (lambda w: [w["body"].pk], GET, roles(PILOT, 200)),
    "signatories:meeting_update": (lambda w: [w["meeting"].pk], GET, roles(PILOT, 200)),
    "signatories:follow_up_add": (lambda w: [w["meeting"].pk], GET, roles(PILOT, 200)),
    "signatories:follow_up_toggle": (lambda w: [w["follow_up"].pk], POST, roles(PILOT, 302)),
    "actions:action_list": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:catalogue": (lambda w: [], GET, roles(CATALOGUE, 200)),
    "actions:my_actions": (lambda w: [], GET, roles(OPERATOR, 200)),
    "actions:action_create": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:action_import": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:action_export": (lambda w: ["xlsx"], GET, roles(PILOT, 200)),
    # An operator sees its own actions only: the world's action is the own operator's.
    "actions:action_detail": (
        lambda w: [w["action"].pk],
        GET,
        roles(CATALOGUE | OPERATOR, 200, operator_other=404),
    ),
    "actions:action_update": (lambda w: [w["action"].pk], GET, roles(PILOT, 200)),
    "actions:call_list": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:call_create": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:call_detail": (lambda w: [w["call"].pk], GET, roles(PILOT, 200)),
    "actions:call_update": (lambda w: [w["call"].pk], GET, roles(PILOT, 200)),
    "actions:application_add": (lambda w: [w["call"].pk], POST, roles(PILOT, 422)),
    "actions:application_decide": (lambda w: [w["application"].pk], GET, roles(PILOT, 200)),
    "actions:agreement_list": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:agreement_create": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:agreement_action_choices": (lambda w: [], GET, roles(PILOT, 200)),
    "actions:agreement_detail": (lambda w: [w["agreement"].pk], GET, roles(PILOT, 200)),
    "actions:agreement_update": (lambda w: [w["agreement"].pk], GET, roles(PILOT, 200)),
    "actions:agreement_objective_add": (
        lambda w: [w["agreement"].pk],
        POST,
        roles(PILOT, 422),
    ),
    "actions:agreement_objective_report": (
        lambda w: [w["agreement_objective"].pk],
        GET,
        roles(PILOT, 200),
    ),
    "actions:agreement_renewal": (lambda w: [w["agreement"].pk], GET, roles(PILOT, 200)),
    # People's files: the world's person is followed by référent_own in manager_in's structure.
    "beneficiaries:portfolio": (lambda w: [], GET, roles(REFERENT, 200)),
    "beneficiaries:list": (lambda w: [], GET, roles(FILE_READERS, 200)),
    "beneficiaries:exit_follow_ups": (lambda w: [], GET, roles(FILE_READERS, 200)),
    "beneficiaries:list_export": (lambda w: ["csv"], GET, roles(FILE_READERS, 200)),
    "beneficiaries:create": (lambda w: [], GET, roles(ASSIGNERS, 200)),
    "beneficiaries:import": (lambda w: [], GET, roles(ASSIGNERS, 200)),
    "beneficiaries:import_contacts": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:import_flux": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:held_households": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:retention": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:data_quality": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:held_household_resolve": (lambda w: [w["held"].pk], POST, roles(PILOT, 302)),
    "beneficiaries:file": (lambda w: [w["person"].pk], GET, person(FILE_READERS, 200)),
    "beneficiaries:update": (lambda w: [w["person"].pk], GET, person(FILE_READERS, 200)),
    "beneficiaries:accesses": (lambda w: [w["person"].pk], GET, person(PILOT, 200)),
    "beneficiaries:contract_create": (lambda w: [w["person"].pk], GET, person(FILE_READERS, 200)),
    "beneficiaries:contract_revise": (lambda w: [w["person"].pk], GET, person(FILE_READERS, 200)),
    "beneficiaries:interview_add": (lambda w: [w["person"].pk], POST, person(FILE_READERS, 422)),
    "beneficiaries:obstacle_add": (lambda w: [w["person"].pk], POST, person(FILE_READERS, 422)),
    "beneficiaries:obstacle_progress": (
        lambda w: [w["obstacle"].pk],
        POST,
        person(FILE_READERS, 422),
    ),
    "beneficiaries:prescription_add": (
        lambda w: [w["person"].pk],
        POST,
        person(FILE_READERS, 422),
    ),
    # The world's prescription is already sent: sending it again is refused with a message.
    "beneficiaries:prescription_send": (
        lambda w: [w["prescription"].pk],
        POST,
        person(FILE_READERS, 302),
    ),
    "beneficiaries:prescription_cancel": (
        lambda w: [w["prescription"].pk],
        POST,
        person(FILE_READERS, 302),
    ),
    # The world's prescription is not refused: taking its refusal into account is refused.
    "beneficiaries:prescription_refusal_seen": (
        lambda w: [w["prescription"].pk],
        POST,
        person(FILE_READERS, 302),
    ),
    "beneficiaries:reorientation_request_add": (
        lambda w: [w["person"].pk],
        POST,
        person(FILE_READERS, 422),
    ),
    "beneficiaries:reorientation_list": (lambda w: [], GET, roles(ASSIGNERS, 200)),
    # The world's request is refused already: deciding it again is refused (422).
    "beneficiaries:reorientation_accept": (
        lambda w: [w["reorientation"].pk],
        POST,
        person(ASSIGNERS, 422),
    ),
    "beneficiaries:reorientation_refuse": (
        lambda w: [w["reorientation"].pk],
        POST,
        person(ASSIGNERS, 422),
    ),
    "beneficiaries:exit_add": (lambda w: [w["person"].pk], POST, person(FILE_READERS, 422)),
    # The world's person has no exit: an empty form is refused (422), outside the scope 404.
    "beneficiaries:exit_follow_up_record": (
        lambda w: [w["person"].pk, "6"],
        POST,
        person(FILE_READERS, 422),
    ),
    "beneficiaries:orientation_add": (lambda w: [w["person"].pk], POST, person(ASSIGNERS, 422)),
    "beneficiaries:referent_assign": (lambda w: [w["person"].pk], POST, person(ASSIGNERS, 422)),
    "beneficiaries:caseload": (lambda w: [], GET, roles(ASSIGNERS, 200)),
    "beneficiaries:reassign": (lambda w: [], GET, roles(ASSIGNERS, 200)),
    # An empty form: refused with its message (422).
    "beneficiaries:referent_departure": (lambda w: [], POST, roles(ASSIGNERS, 422)),
    # Without a référent chosen, back to the list with a message.
    "beneficiaries:reassign_confirm": (lambda w: [], POST, roles(ASSIGNERS, 302)),
    "beneficiaries:journal": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:refused_accesses": (lambda w: [], GET, roles(PILOT, 200)),
    "beneficiaries:operator_inbox": (lambda w: [], GET, roles(OPERATOR, 200)),
    "beneficiaries:operator_prescription": (lambda w: [w["prescription"].pk], GET, operator(200)),
    "beneficiaries:operator_accept": (lambda w: [w["prescription"].pk], POST, operator(302)),
    "beneficiaries:operator_refuse": (lambda w: [w["prescription"].pk], POST, operator(422)),
    "beneficiaries:operator_start": (lambda w: [w["prescription"].pk], POST, operator(422)),
    "beneficiaries:operator_attendance": (lambda w: [w["prescription"].pk], POST, operator(422)),
    "beneficiaries:operator_end": (lambda w: [w["prescription"].pk], POST, operator(422)),
    "beneficiaries:operator_hours": (lambda w: [w["prescription"].pk], POST, operator(422)),
    # The group of the world's action, the own operator's: another operator gets 404.
    "beneficiaries:operator_week": (lambda w: [w["action"].pk], GET, operator(200)),
    "evaluation:dashboard": (lambda w: [], GET, roles(DASHBOARD, 200)),
    "evaluation:dashboard_export": (lambda w: ["csv"], GET, roles(DASHBOARD, 200)),
    # Started as a run: the pilot is sent to the run's page.
    "evaluation:oarsa_export": (lambda w: [], POST, roles(PILOT, 302)),
    "evaluation:territories": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:offer_and_need": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:orientations": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:actions": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:actions_export": (lambda w: ["xlsx"], GET, roles(PILOT, 200)),
    "evaluation:targets": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:entries": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:snapshots": (lambda w: [], GET, roles(PILOT, 200)),
    "evaluation:partner_commitments": (lambda w: [], GET, roles(PARTNER, 200)),
    # The world's commitment is another partner's: a partner does not find it.
    "evaluation:partner_entry": (lambda w: [w["commitment"].pk], POST, roles(PARTNER, 404)),
    "evaluation:commitment_indicators": (
        lambda w: [w["commitment"].pk],
        GET,
        roles(PILOT, 200),
    ),
    "evaluation:signatory_reporting": (lambda w: [], GET, roles(PILOT, 200)),
    # The world's pact is not in force: the reminder is refused, back to the page.
    "evaluation:signatory_remind": (lambda w: [w["signatory"].pk], POST, roles(PILOT, 302)),
}

# The way in and out: the login page answers everyone (a logged-in user is sent home), logout
# is a POST that ends any session.
ENTRY = {
    "pti:login": (lambda w: [], GET, {**roles(ALL, 302), "anonymous": 200}),
    "pti:logout": (lambda w: [], POST, {**roles(ALL, 302), "anonymous": 302}),
}


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
    names = set(project_url_names())
    rows = set(ROUTES) | set(ENTRY)
    assert sorted(names - rows) == [], "add these URLs to ROUTES"
    assert sorted(rows - names) == [], "these rows name URLs that no longer exist"


@pytest.fixture
def world():
    from signatories.models import FollowUp

    structure, elsewhere = OrganisationFactory(ccas=True), OrganisationFactory()
    own_operator, other_operator = OrganisationFactory(), OrganisationFactory()
    pact = PactFactory()
    orientation = OrientationFactory(pact=pact, position=1)
    signatory = SignatoryFactory(pact=pact)
    meeting = MeetingFactory(body=GovernanceBodyFactory(pact=pact))
    action = ActionFactory(orientation=orientation, operator=own_operator)
    users = {
        "pilot": UserFactory(pilot=True),
        "manager_in": UserFactory(manager=True, organisation=structure),
        "manager_out": UserFactory(manager=True, organisation=elsewhere),
        "referent_own": UserFactory(referent=True, organisation=structure),
        "referent_other": UserFactory(referent=True, organisation=elsewhere),
        "operator_own": UserFactory(operator=True, organisation=own_operator),
        "operator_other": UserFactory(operator=True, organisation=other_operator),
        "partner": UserFactory(partner=True),
        "admin": UserFactory(admin=True),
    }
    followed = ReferentAssignmentFactory(
        referent=users["referent_own"], structure=structure
    ).beneficiary
    ContractFactory(beneficiary=followed)
    call = CallForProjectsFactory()
    agreement = FundingAgreementFactory(operator=action.operator, actions=[action])
    return {
        "users": users,
        "person": followed,
        "obstacle": ObstacleFactory(beneficiary=followed),
        "reorientation": ReorientationRequestFactory(beneficiary=followed, refused=True),
        "prescription": PrescriptionFactory(
            beneficiary=followed, action=action, status=PrescriptionStatus.SENT
        ),
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
        "convention": ConventionFactory(),
        "body": meeting.body,
        "meeting": meeting,
        "follow_up": FollowUp.objects.create(meeting=meeting, description="Relancer"),
        "held": HeldHousehold.objects.create(
            position=1, payer="caf", caf_number="7654321", reasons="commune inconnue"
        ),
        "run": TaskRun.objects.create(
            kind=RunKind.SNAPSHOT, status=RunStatus.DONE, created_by=users["manager_in"]
        ),
    }


def current_entries(response):
    """The header's menu entries marked as the current page, in an HTML answer."""
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return []
    header = response.content.decode().split("</header>")[0]
    return [part.split(">")[1].split("<")[0] for part in header.split('aria-current="page"')[1:]]


def request(client, method, url, data=None):
    return getattr(client, method)(url, data or {})


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_gets_what_it_may_see_and_nothing_else(client, world, actor):
    if actor != "anonymous":
        client.force_login(world["users"][actor])
    login = reverse("pti:login")
    wrong = []
    for name, (arguments, method, statuses) in {**ROUTES, **ENTRY}.items():
        url = reverse(name, args=arguments(world))
        response = request(client, method, url)
        expected = statuses.get(actor, 302)
        if response.status_code != expected:
            wrong.append(f"{method.upper()} {name} ({url}): {response.status_code}, not {expected}")
        elif method == "get" and len(current_entries(response)) > 1:
            wrong.append(f"{name}: several menu entries marked current {current_entries(response)}")
        elif (
            actor == "anonymous"
            and expected == 302
            and name not in ENTRY
            and not response["Location"].startswith(login)
        ):
            wrong.append(f"{name}: an anonymous visitor is not sent to the login page")
        if name == "pti:logout" and actor != "anonymous":
            client.force_login(world["users"][actor])  # logged out: log in again
    assert wrong == []


def admin_urls():
    """The Django admin: its index and the list of every model registered there."""
    yield reverse("admin:index")
    for model in admin.site._registry:
        yield reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("actor", ACTORS)
def test_only_it_enters_the_admin(client, world, actor):
    if actor != "anonymous":
        client.force_login(world["users"][actor])
    wrong = []
    for url in admin_urls():
        response = client.get(url)
        expected = 200 if actor == "admin" else 302
        if response.status_code != expected:
            wrong.append(f"{url}: {response.status_code}, not {expected}")
        elif (
            expected == 302
            and "/admin/login/" not in response["Location"]
            and (not response["Location"].startswith(reverse("pti:login")))
        ):
            wrong.append(f"{url}: sent to {response['Location']}")
    assert wrong == []


EVIL = "https://evil.example/vol"


def leaves_the_site(location):
    """Whether a redirection goes to another host or runs a script (a `next` kept in the
    query string of one of our own pages is not a way out)."""
    target = urlsplit(location)
    return target.netloc not in ("", "testserver") or target.scheme not in ("", "http", "https")


# One actor of each role (those outside a scope meet the same views, answering 404).
ONE_OF_EACH_ROLE = [
    actor for actor in ACTORS if actor not in {"manager_out", "referent_other", "operator_other"}
]


@pytest.mark.parametrize("actor", ONE_OF_EACH_ROLE)
def test_no_page_redirects_to_another_site(client, world, actor):
    """Every URL, GET and POST, with `next` in the query string and in the body."""
    if actor != "anonymous":
        client.force_login(world["users"][actor])
    escaped = []
    for name, (arguments, _, _) in {**ROUTES, **ENTRY}.items():
        url = reverse(name, args=arguments(world))
        for method in (GET, POST):
            response = request(client, method, f"{url}?next={EVIL}", {"next": EVIL})
            if leaves_the_site(response.get("Location", "")):
                escaped.append(f"{method.upper()} {name}: {response['Location']}")
        if name == "pti:logout" and actor != "anonymous":
            client.force_login(world["users"][actor])
    assert escaped == []


def test_the_login_never_redirects_to_another_site(client):
    user = UserFactory(referent=True)

    response = client.post(
        f"{reverse('pti:login')}?next={EVIL}",
        {"username": user.username, "password": "mot-de-passe-de-test", "next": EVIL},
    )

    assert response.status_code == 302
    assert not leaves_the_site(response["Location"])
