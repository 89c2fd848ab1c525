"""Each role's home page: its counters equal hand-counted data, each leads to a list that
shows the same number, no count reaches outside the user's scope, and the page makes the
same number of queries with one row or many."""

import datetime
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries.deadlines import due_items
from beneficiaries.enums import ExitCategory, Parcours
from beneficiaries.models import Beneficiary, HeldHousehold, late_condition
from pti.enums import RunKind, RunStatus
from pti.models import TaskRun
from signatories.enums import SignatoryStatus
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    ExitFollowUpFactory,
    InterviewFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, PactFactory, UserFactory, frozen
from tests.signatories.factories import SignatoryFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def in_days(days):
    return TODAY + datetime.timedelta(days=days)


# --- People in known situations (each seen 5 days ago unless said) -----------------------------


def seen(person):
    InterviewFactory(beneficiary=person, date=days_ago(5))
    return person


def orientation_late(**kwargs):
    """Right known 60 days ago, never oriented: the 6 weeks are past."""
    return seen(BeneficiaryFactory(right_known_on=days_ago(60), **kwargs))


def orientation_coming(**kwargs):
    """Right known 10 days ago, not oriented yet: due, not late."""
    return seen(BeneficiaryFactory(right_known_on=days_ago(10), **kwargs))


def in_contract(*, ends_in=200, organisme=None, parcours=Parcours.SOCIO_PROFESSIONAL, **kwargs):
    """Oriented (socio-professional: no review of a social parcours due), a contract signed
    after the orientation and ending in `ends_in` days."""
    person = seen(BeneficiaryFactory(right_known_on=days_ago(300), **kwargs))
    OrientationDecisionFactory(
        beneficiary=person,
        parcours=parcours,
        decided_on=days_ago(250),
        notified_on=days_ago(248),
        **({"organisme": organisme} if organisme else {}),
    )
    ContractFactory(
        beneficiary=person,
        start_date=days_ago(240),
        signed_on=days_ago(240),
        end_date=in_days(ends_in),
    )
    return person


def never_seen(**kwargs):
    """Oriented and in contract but no interview ever: « pas d'entretien depuis 3 mois »."""
    person = BeneficiaryFactory(right_known_on=days_ago(300), **kwargs)
    OrientationDecisionFactory(
        beneficiary=person,
        parcours=Parcours.EMPLOYMENT,
        decided_on=days_ago(250),
        notified_on=days_ago(248),
    )
    ContractFactory(
        beneficiary=person, start_date=days_ago(240), signed_on=days_ago(240), end_date=in_days(200)
    )
    return person


def follow(referent, person):
    ReferentAssignmentFactory(referent=referent, beneficiary=person, start_date=days_ago(200))
    return person


# --- Reading the page ---------------------------------------------------------------------------


def home_counters(client):
    """{label: (count, url)} of the home page, after checking that each is shown as a link
    whose words carry the number and what it counts."""
    response = client.get(reverse("pti:home"))
    assert response.status_code == 200
    page = response.content.decode()
    shown = {}
    for counter in response.context["counters"]:
        link = re.search(
            r'<a [^>]*href="' + re.escape(counter.url.replace("&", "&amp;")) + r'"[^>]*>(.*?)</a>',
            page,
            re.S,
        )
        assert link, counter.url
        words = " ".join(re.sub(r"<[^>]+>", " ", link.group(1)).split())
        assert words.startswith(f"{counter.count} "), words
        shown[counter.label] = (counter.count, counter.url)
    return shown


def listed(client, url):
    """The number of items the list at `url` says it shows (its total, or the count the
    anchor points at)."""
    response = client.get(url)
    assert response.status_code == 200
    context = response.context
    if url.endswith("#au-dessus-du-seuil"):
        total = context["over_threshold"]
        assert f"{total} référent" in response.content.decode()
        return total
    if url.startswith(reverse("beneficiaries:held_households")):
        return context["waiting"]
    if url.startswith(reverse("beneficiaries:reorientation_list")):
        return len(context["pending"])
    if url.startswith(reverse("beneficiaries:data_quality")):
        return sum(row[1] or 0 for row in context["rows"])
    return context["page"].paginator.count


def assert_links_lead_to_lists_of_the_same_number(client, shown):
    for label, (count, url) in shown.items():
        assert listed(client, url) == count, label


def count_of(shown, start):
    [count] = [count for label, (count, _) in shown.items() if label.endswith(start)]
    return count


# --- Late: the database condition says what due_items says ------------------------------------


def test_late_people_are_those_with_an_item_marked_late(settings):
    settings.PTI_LEGACY_CONTRACTS_DEADLINE = days_ago(1).isoformat()
    late = {
        orientation_late(),
        in_contract(ends_in=-10),  # contract ended
        never_seen(),
    }
    legacy = in_contract()
    legacy.contracts.update(kind="cer")
    late.add(legacy)
    late.add(in_contract(parcours=Parcours.SOCIAL))  # signed 240 days ago: review past
    not_late = {orientation_coming(), in_contract(), in_contract(ends_in=10)}
    exited = orientation_late()
    ExitFactory(beneficiary=exited, exit_on=days_ago(2), category=ExitCategory.END_OF_RIGHT)

    rows = Beneficiary.objects.with_followup()
    by_items = {row for row in rows if any(due.late for due in due_items(row, TODAY))}
    assert set(Beneficiary.objects.late(TODAY)) == by_items == late
    assert set(Beneficiary.objects.filter(late_condition(TODAY, whole=True))) == late
    assert not (not_late & by_items)


# --- Pilot --------------------------------------------------------------------------------------


def pilot_world():
    orientation_late()
    in_contract(ends_in=-10)
    orientation_coming()
    in_contract(ends_in=10)
    gone = orientation_late()
    ExitFactory(beneficiary=gone, exit_on=days_ago(3))
    pilot = UserFactory(pilot=True)
    # One active run of a kind at a time.
    for kind, status in (
        (RunKind.CNAF_FLUX, RunStatus.TO_CONFIRM),
        (RunKind.PEOPLE_IMPORT, RunStatus.TO_CONFIRM),
        (RunKind.ACTION_IMPORT, RunStatus.DONE),
    ):
        TaskRun.objects.create(kind=kind, status=status, created_by=pilot)
    for caf_number, resolved in (("1000001", None), ("1000002", None), ("1000003", TODAY)):
        HeldHousehold.objects.create(
            position=1,
            payer="caf",
            caf_number=caf_number,
            reasons="commune inconnue",
            resolved_at=timezone.now() if resolved else None,
        )
    return pilot


def test_the_pilot_counts_the_whole_department(client_as):
    client = client_as(pilot_world())

    shown = home_counters(client)

    assert count_of(shown, "au moins une échéance en retard") == 2
    assert count_of(shown, "imports à valider") == 2
    assert count_of(shown, "mis de côté, à traiter") == 2
    # The board's lines added up: the late orientation, the expired contract, the two held
    # households, and whatever else the world holds, as the board counts it.
    assert count_of(shown, "anomalies dans les données") >= 4
    assert_links_lead_to_lists_of_the_same_number(client, shown)


def test_the_pilot_sees_the_pact_and_its_signatures(client_as):
    pact = PactFactory(title="Pacte territorial d'insertion", period_start=2022, period_end=2026)
    SignatoryFactory(pact=pact, signed=True)
    SignatoryFactory(pact=pact)
    SignatoryFactory(pact=pact, status=SignatoryStatus.DECLINED)

    page = client_as(UserFactory(pilot=True)).get(reverse("pti:home")).content.decode()

    url = reverse("signatories:signatory_list", args=[pact.pk])
    assert f'<a href="{url}">1 signature sur 2 attendues</a> (1 partenaire a décliné)' in page
    assert "Pacte territorial d&#x27;insertion, 2022-2026" in page


def test_the_pilot_home_makes_the_same_queries_with_one_person_or_many(
    client_as, assert_constant_queries
):
    pilot = UserFactory(pilot=True)
    PactFactory()
    orientation_late()
    client = client_as(pilot)

    def more():
        for kind in (RunKind.CNAF_FLUX, RunKind.PEOPLE_IMPORT, RunKind.ACTION_IMPORT):
            orientation_late()
            in_contract(ends_in=-5)
            TaskRun.objects.create(kind=kind, status=RunStatus.TO_CONFIRM, created_by=pilot)

    assert_constant_queries(
        lambda: client.get(reverse("pti:home")),
        lambda: client.get(reverse("pti:home")),
        between=more,
    )


# --- Manager ------------------------------------------------------------------------------------


@pytest.fixture
def structure_world(settings):
    """A structure with two référents, one above a threshold of 2; another structure too."""
    settings.PTI_CASELOAD_THRESHOLD = 2
    here, there = OrganisationFactory(name="CCAS d'ici"), OrganisationFactory(name="Ailleurs")
    manager = UserFactory(manager=True, organisation=here)
    busy, calm = UserFactory(organisation=here), UserFactory(organisation=here)
    other = UserFactory(organisation=there)
    # The busy référent: 3 people, 2 late (one never seen, one orientation late).
    follow(busy, never_seen())
    follow(busy, orientation_late())
    follow(busy, in_contract(organisme=here))
    # The calm one: 1 person, not late.
    follow(calm, in_contract(organisme=here))
    # Oriented here, no référent yet: 2, not late; and one who left.
    for _ in range(2):
        person = seen(BeneficiaryFactory(right_known_on=days_ago(20)))
        OrientationDecisionFactory(
            beneficiary=person,
            organisme=here,
            decided_on=days_ago(10),
            notified_on=days_ago(9),
            parcours=Parcours.EMPLOYMENT,
        )
    gone = seen(BeneficiaryFactory(right_known_on=days_ago(20)))
    OrientationDecisionFactory(
        beneficiary=gone, organisme=here, decided_on=days_ago(10), notified_on=None
    )
    ExitFactory(beneficiary=gone, exit_on=days_ago(1))
    # Another structure: an overloaded référent, late people, someone without a référent.
    for _ in range(3):
        follow(other, never_seen())
    person = BeneficiaryFactory(right_known_on=days_ago(20))
    OrientationDecisionFactory(
        beneficiary=person, organisme=there, decided_on=days_ago(10), notified_on=None
    )
    return manager


def test_the_manager_counts_their_structure_only(client_as, structure_world):
    client = client_as(structure_world)

    shown = home_counters(client)

    assert count_of(shown, "au-dessus du seuil de 2 personnes") == 1
    assert count_of(shown, "sans référent") == 2
    assert count_of(shown, "au moins une échéance en retard") == 2
    assert_links_lead_to_lists_of_the_same_number(client, shown)


def test_the_manager_sees_the_indicators_of_their_structure(client_as, structure_world):
    response = client_as(structure_world).get(reverse("pti:home"))

    figures = {figure.label: figure for figure in response.context["structure_figures"]}
    # The 4 people with a référent of the structure, all SDD, all oriented to it (not France
    # Travail) with a contract in force; none left in the year. The 2 oriented with no
    # référent yet and the other structure's people are not counted.
    people = figures["Personnes suivies (droit ouvert, pas sorties)"]
    assert (people.value, people.detail) == ("4", "dont 4 soumises aux droits et devoirs")
    oriented = figures["Personnes soumises aux droits et devoirs orientées"]
    assert (oriented.value, oriented.detail) == ("75,0 %", "3 sur 4 soumises aux droits et devoirs")
    contract = figures["Personnes orientées hors France Travail avec un contrat en cours"]
    assert contract.detail == "3 sur 3 orientées hors France Travail"
    page = response.content.decode()
    assert f"Indicateurs {TODAY.year} de votre structure" in page
    assert '<th scope="col">Indicateur</th>' in page


def test_the_manager_home_makes_the_same_queries_with_one_person_or_many(
    client_as, assert_constant_queries
):
    here = OrganisationFactory()
    manager = UserFactory(manager=True, organisation=here)
    referent = UserFactory(organisation=here)
    follow(referent, in_contract(organisme=here))
    client = client_as(manager)

    def more():
        for _ in range(4):
            follow(UserFactory(organisation=here), never_seen())
            ExitFactory(beneficiary=follow(referent, in_contract(organisme=here)))

    assert_constant_queries(
        lambda: client.get(reverse("pti:home")),
        lambda: client.get(reverse("pti:home")),
        between=more,
    )


# --- Référent -----------------------------------------------------------------------------------


def test_the_referent_counts_what_is_due_in_their_portfolio_only(client_as):
    referent = UserFactory()
    follow(referent, orientation_late())
    waiting = follow(referent, never_seen())
    PrescriptionFactory(beneficiary=waiting, status=PrescriptionStatus.SENT)
    follow(referent, in_contract(ends_in=10))
    follow(referent, orientation_coming())
    gone = follow(referent, orientation_late())
    ExitFactory(beneficiary=gone, exit_on=days_ago(1))
    # Another référent's people, late on everything: never counted.
    other = UserFactory(organisation=referent.organisation)
    for _ in range(3):
        follow(other, orientation_late())
        follow(other, in_contract(ends_in=-3))
    client = client_as(referent)

    shown = home_counters(client)

    assert count_of(shown, "au moins une échéance en retard") == 2
    assert count_of(shown, "orientation en retard") == 1
    assert count_of(shown, "pas d'entretien depuis 3 mois") == 1
    assert count_of(shown, "prescription sans réponse") == 1
    assert count_of(shown, "contrat bientôt échu") == 1
    assert count_of(shown, "contrat échu à renouveler") == 0
    assert count_of(shown, "contrat en retard") == 0
    assert count_of(shown, "suivi après sortie à renseigner") == 0
    portfolio = [url for _, url in shown.values() if "suivis" not in url]
    assert all(url.startswith(reverse("beneficiaries:portfolio")) for url in portfolio)
    assert_links_lead_to_lists_of_the_same_number(client, shown)


def test_the_referent_counts_the_follow_ups_after_exit_due_for_their_people_only(client_as):
    referent = UserFactory()
    left = follow(referent, orientation_late())
    exit_ = ExitFactory(beneficiary=left, exit_on=days_ago(200))
    ExitFollowUpFactory(exit=exit_, milestone="3")  # due 3 months after: to record
    ExitFollowUpFactory(exit=exit_, milestone="12")  # not due yet
    other = follow(UserFactory(organisation=referent.organisation), orientation_late())
    ExitFollowUpFactory(exit=ExitFactory(beneficiary=other, exit_on=days_ago(200)), milestone="3")
    client = client_as(referent)

    shown = home_counters(client)

    assert count_of(shown, "suivi après sortie à renseigner") == 1
    assert_links_lead_to_lists_of_the_same_number(client, shown)


def test_the_referent_home_makes_the_same_queries_with_one_person_or_many(
    client_as, assert_constant_queries
):
    referent = UserFactory()
    follow(referent, orientation_late())
    client = client_as(referent)

    def more():
        for _ in range(4):
            follow(referent, never_seen())
            follow(referent, in_contract(ends_in=-2))

    assert_constant_queries(
        lambda: client.get(reverse("pti:home")),
        lambda: client.get(reverse("pti:home")),
        between=more,
    )


# --- Operator -----------------------------------------------------------------------------------


def test_the_operator_counts_the_prescriptions_to_their_actions(client_as):
    operator = UserFactory(operator=True)
    action = ActionFactory(operator=operator.organisation)
    for status in (
        PrescriptionStatus.SENT,
        PrescriptionStatus.SENT,
        PrescriptionStatus.STARTED,
        PrescriptionStatus.ACCEPTED,
        PrescriptionStatus.PROPOSED,
    ):
        PrescriptionFactory(action=action, status=status)
    PrescriptionFactory(status=PrescriptionStatus.SENT)  # another operator's action
    PrescriptionFactory(status=PrescriptionStatus.STARTED)
    client = client_as(operator)

    shown = home_counters(client)

    assert count_of(shown, "en attente de votre réponse") == 2
    assert count_of(shown, "(prescription commencée)") == 1
    assert_links_lead_to_lists_of_the_same_number(client, shown)


def test_the_operator_home_makes_the_same_queries_with_one_prescription_or_many(
    client_as, assert_constant_queries
):
    operator = UserFactory(operator=True)
    action = ActionFactory(operator=operator.organisation)
    PrescriptionFactory(action=action)
    client = client_as(operator)

    def more():
        for _ in range(4):
            PrescriptionFactory(action=action)
            PrescriptionFactory(action=action, status=PrescriptionStatus.STARTED)

    assert_constant_queries(
        lambda: client.get(reverse("pti:home")),
        lambda: client.get(reverse("pti:home")),
        between=more,
    )


# --- Partner ------------------------------------------------------------------------------------


def test_the_partner_sees_the_pact_and_their_commitments_never_a_person(client_as):
    PactFactory(title="Pacte territorial d'insertion", period_start=2022, period_end=2026)
    orientation_late()
    response = client_as(UserFactory(partner=True)).get(reverse("pti:home"))
    page = response.content.decode()
    assert response.context["counters"] == []
    assert "Pacte territorial d&#x27;insertion, 2022-2026" in page
    assert f'href="{reverse("evaluation:partner_commitments")}"' in page
    assert "échéance en retard" not in page


def test_headings_follow_each_other_in_order(client_as, structure_world):
    for user in (
        structure_world,
        UserFactory(pilot=True),
        UserFactory(),
        UserFactory(operator=True),
    ):
        page = client_as(user).get(reverse("pti:home")).content.decode()
        main = page[page.index('<main id="contenu"') :]
        levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
        assert levels[0] == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_the_pilot_sees_the_pact_in_force_and_its_amendment_in_preparation(client_as):
    signed = frozen(PactFactory(period_start=2023, period_end=2027))
    amendment = PactFactory(
        code=signed.code, period_start=2023, period_end=2027, version=2, amends=signed
    )

    page = client_as(UserFactory(pilot=True)).get(reverse("pti:home")).content.decode()

    assert "Pacte en vigueur" in page
    assert "2023-2027 – version initiale, statut : <strong>signé</strong>" in page
    url = reverse("pti:pact_detail", args=[amendment.pk])
    assert f'En préparation : <a href="{url}">avenant n° 1</a>' in page
