import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries.models import Beneficiary, Contract, ReferentAssignment
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    InterviewFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Durand")


def follow(referent, **person):
    return ReferentAssignmentFactory(
        referent=referent, beneficiary=BeneficiaryFactory(**person)
    ).beneficiary


def full_file(person, events=1):
    """A person with every kind of record, `events` of each."""
    OrientationDecisionFactory(beneficiary=person)
    ContractFactory(beneficiary=person)
    for n in range(events):
        InterviewFactory(beneficiary=person, date=TODAY - datetime.timedelta(days=n + 1))
        ObstacleFactory(
            beneficiary=person, kind=["mobility", "health", "housing", "digital"][n % 4]
        )
        PrescriptionFactory(beneficiary=person, action=ActionFactory())
    return person


# --- Portfolio and lists -------------------------------------------------------------------------


def test_the_portfolio_shows_the_referents_people_with_counts_at_the_top(client_as, sophie):
    late = follow(sophie, last_name="Arnaud", right_known_on=TODAY - datetime.timedelta(days=60))
    follow(sophie, last_name="Bernard", right_known_on=TODAY - datetime.timedelta(days=10))
    follow(UserFactory(referent=True), last_name="Ailleurs")
    response = client_as(sophie).get(reverse("beneficiaries:portfolio"))
    content = response.content.decode()
    assert [p.last_name for p in response.context["page"].object_list] == ["Arnaud", "Bernard"]
    assert "2 personnes accompagnées" in content
    assert {code: count for code, _, count in response.context["counts"]}["orientation"] == 1
    assert "AILLEURS" not in content
    due = client_as(sophie).get(reverse("beneficiaries:portfolio"), {"due": "orientation"})
    assert [p.pk for p in due.context["page"].object_list] == [late.pk]


def test_the_portfolio_counters_agree_in_number(client_as, sophie):
    """« 1 orientation en retard », « 2 orientations en retard », « 0 contrat en retard »."""
    for name in ("Arnaud", "Bernard"):
        follow(sophie, last_name=name, right_known_on=TODAY - datetime.timedelta(days=60))
    text = " ".join(
        html.unescape(
            client_as(sophie).get(reverse("beneficiaries:portfolio")).content.decode()
        ).split()
    )
    assert '<span class="fw-bold">2</span> orientations en retard' in text
    assert '<span class="fw-bold">0</span> contrat en retard' in text


def test_every_due_item_has_its_counted_words():
    from beneficiaries.deadlines import DUE_COUNT_LABELS, DUE_LABELS

    assert set(DUE_COUNT_LABELS) == set(DUE_LABELS)


def test_the_portfolio_is_sortable_and_filters_stay_in_the_url(client_as, sophie):
    follow(sophie, last_name="Arnaud")
    follow(sophie, last_name="Zidane")
    response = client_as(sophie).get(reverse("beneficiaries:portfolio"), {"sort": "-nom"})
    assert [p.last_name for p in response.context["page"].object_list] == ["Zidane", "Arnaud"]
    assert '<option value="-nom" selected>' in response.content.decode()


def test_search_by_name_without_accents_or_case(client_as, sophie):
    follow(sophie, last_name="Lefèvre", first_name="Hélène")
    follow(sophie, last_name="Martin", first_name="Paul")
    response = client_as(sophie).post(
        reverse("beneficiaries:list"), {"q": "helene LEFEVRE", "state": "active"}, follow=True
    )
    assert [p.last_name for p in response.context["page"].object_list] == ["Lefèvre"]
    # The text typed is kept in the session: the URL carries a handle, never the name.
    ((url, status),) = response.redirect_chain
    assert status == 302
    assert "recherche=" in url
    assert "helene" not in url.lower()
    assert "lefevre" not in url.lower()


def test_list_filters_by_referent_for_a_manager(client_as, ccas, sophie):
    marc = UserFactory(referent=True, organisation=ccas)
    follow(sophie, last_name="Arnaud")
    follow(marc, last_name="Bernard")
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    response = manager.get(reverse("beneficiaries:list"), {"referent": marc.pk})
    assert [p.last_name for p in response.context["page"].object_list] == ["Bernard"]


def test_list_and_portfolio_make_the_same_number_of_queries_for_1_or_50_people(
    client_as, sophie, assert_constant_queries
):
    full_file(follow(sophie))
    client = client_as(sophie)

    def pages():
        assert client.get(reverse("beneficiaries:portfolio")).status_code == 200
        assert client.get(reverse("beneficiaries:list"), {"due": "interview"}).status_code == 200

    assert_constant_queries(
        pages, pages, between=lambda: [full_file(follow(sophie)) for _ in range(49)]
    )


def test_the_file_makes_the_same_number_of_queries_whatever_its_history(
    client_as, sophie, assert_constant_queries
):
    small = full_file(follow(sophie), events=1)
    large = full_file(follow(sophie), events=12)
    client = client_as(sophie)

    def page(person):
        assert client.get(reverse("beneficiaries:file", args=[person.pk])).status_code == 200

    assert_constant_queries(lambda: page(small), lambda: page(large))


def test_the_operator_inbox_and_the_caseload_make_a_fixed_number_of_queries(
    client_as, ccas, sophie, assert_constant_queries
):
    action = ActionFactory(capacity=100)
    operator = client_as(UserFactory(operator=True, organisation=action.operator))
    PrescriptionFactory(action=action)

    def inbox():
        assert operator.get(reverse("beneficiaries:operator_inbox")).status_code == 200

    assert_constant_queries(
        inbox, inbox, between=lambda: [PrescriptionFactory(action=action) for _ in range(30)]
    )
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    follow(sophie)
    OrientationDecisionFactory(organisme=ccas)  # one person to assign

    def caseload():
        assert manager.get(reverse("beneficiaries:caseload")).status_code == 200

    def more():
        for _ in range(5):
            referent = UserFactory(referent=True, organisation=ccas)
            for _ in range(3):
                follow(referent)
        for _ in range(10):
            OrientationDecisionFactory(organisme=ccas)

    assert_constant_queries(caseload, caseload, between=more)


# --- Concurrent edits ----------------------------------------------------------------------------


def identity(person, **changes):
    household = person.household
    data = {
        "last_name": person.last_name,
        "birth_name": person.birth_name,
        "first_name": person.first_name,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "household_role": person.household_role,
        "email": person.email,
        "phone": person.phone,
        "rights_and_duties": person.rights_and_duties,
        "rsa_requested_on": person.rsa_requested_on.isoformat(),
        "right_opened_on": person.right_opened_on.isoformat(),
        "right_known_on": person.right_known_on.isoformat(),
        "address": household.address,
        "commune": household.commune_id,
        "family_situation": household.family_situation,
        "lock_version": person.lock_version,
        "household_lock_version": household.lock_version,
    }
    data.update(changes)
    return data


def test_two_people_editing_the_same_file_the_second_is_refused(client_as, ccas, sophie):
    person = follow(sophie)
    person.household.commune = CommuneFactory(territory=person.household.territory)
    person.household.save()
    opened = identity(person)
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    first = manager.post(
        reverse("beneficiaries:update", args=[person.pk]), {**opened, "phone": "06 01 01 01 01"}
    )
    assert first.status_code == 302
    second = client_as(sophie).post(
        reverse("beneficiaries:update", args=[person.pk]), {**opened, "phone": "06 02 02 02 02"}
    )
    content = second.content.decode()
    assert second.status_code == 422
    assert "Quelqu&#x27;un d&#x27;autre a enregistré une modification" in content
    assert 'value="06 02 02 02 02"' in content  # what was typed is kept
    assert Beneficiary.objects.get(pk=person.pk).phone == "06 01 01 01 01"


def contract_form(contract, **changes):
    data = {
        "kind": contract.kind,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "signed_on": contract.signed_on.isoformat(),
        "objectives": contract.objectives,
        "weekly_hours": "15",
        "hours_reduction": "",
        "long_review_reason": "",
        "revision_reason": "Reprise d'une formation",
        "lock_version": contract.lock_version,
        "contract_id": contract.pk,
        "plan-TOTAL_FORMS": "0",
        "plan-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_two_revisions_of_the_same_contract_the_second_is_refused(client_as, ccas, sophie):
    person = follow(sophie)
    contract = ContractFactory(
        beneficiary=person,
        start_date=TODAY - datetime.timedelta(days=30),
        end_date=TODAY + datetime.timedelta(days=150),
        signed_on=TODAY - datetime.timedelta(days=30),
    )
    opened = contract_form(contract)
    url = reverse("beneficiaries:contract_revise", args=[person.pk])
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    assert (
        manager.post(url, {**opened, "objectives": "Version de la responsable"}).status_code == 302
    )
    second = client_as(sophie).post(url, {**opened, "objectives": "Version de la référente"})
    assert second.status_code == 422
    assert "Quelqu&#x27;un d&#x27;autre a enregistré" in second.content.decode()
    current = Contract.objects.get(beneficiary=person, is_current=True)
    assert current.objectives == "Version de la responsable"
    assert Contract.objects.filter(beneficiary=person).count() == 2


def test_a_contract_with_fewer_hours_needs_a_reason(client_as, sophie):
    person = follow(sophie)
    response = client_as(sophie).post(
        reverse("beneficiaries:contract_create", args=[person.pk]),
        {
            "kind": "ce",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + datetime.timedelta(days=180)).isoformat(),
            "objectives": "Reprendre une activité",
            "weekly_hours": "8",
            "plan-TOTAL_FORMS": "0",
            "plan-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 422
    assert "Moins de 15 heures par semaine : indiquez le motif." in response.content.decode()
    assert not Contract.objects.exists()


# --- Managers ------------------------------------------------------------------------------------


def test_the_caseload_flags_referents_above_the_threshold(client_as, ccas, sophie, settings):
    settings.PTI_CASELOAD_THRESHOLD = 2
    for _ in range(3):
        follow(sophie)
    page = client_as(UserFactory(manager=True, organisation=ccas)).get(
        reverse("beneficiaries:caseload")
    )
    [row] = [r for r in page.context["referents"] if r.pk == sophie.pk]
    assert row.caseload == 3
    assert "au-dessus du seuil" in page.content.decode()


def test_a_manager_assigns_a_person_oriented_to_the_structure(client_as, ccas, sophie):
    person = OrientationDecisionFactory(organisme=ccas).beneficiary
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    assert person in manager.get(reverse("beneficiaries:caseload")).context["page"].object_list
    manager.post(
        reverse("beneficiaries:referent_assign", args=[person.pk]),
        {
            "referent-referent": sophie.pk,
            "referent-start_date": TODAY.isoformat(),
            "referent-reason": "first",
        },
    )
    assert ReferentAssignment.objects.get(beneficiary=person).referent == sophie


# --- Operators -----------------------------------------------------------------------------------


def test_an_operator_accepts_until_the_action_is_full(client_as):
    action = ActionFactory(capacity=1)
    first, second = PrescriptionFactory(action=action), PrescriptionFactory(action=action)
    operator = client_as(UserFactory(operator=True, organisation=action.operator))
    operator.post(reverse("beneficiaries:operator_accept", args=[first.pk]))
    response = operator.post(
        reverse("beneficiaries:operator_accept", args=[second.pk]), follow=True
    )
    assert any("plus de place libre" in message for message in messages_of(response))
    first.refresh_from_db()
    second.refresh_from_db()
    action.refresh_from_db()
    assert (first.status, second.status, action.places_taken) == (
        PrescriptionStatus.ACCEPTED,
        PrescriptionStatus.SENT,
        1,
    )


def test_an_operator_refuses_with_a_reason_shown_in_the_file(client_as, sophie):
    person = follow(sophie)
    prescription = PrescriptionFactory(beneficiary=person)
    operator = client_as(UserFactory(operator=True, organisation=prescription.action.operator))
    empty = operator.post(
        reverse("beneficiaries:operator_refuse", args=[prescription.pk]), {"reason": ""}
    )
    assert empty.status_code == 422
    operator.post(
        reverse("beneficiaries:operator_refuse", args=[prescription.pk]),
        {"reason": "Session complète"},
    )
    page = client_as(sophie).get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    assert "Session complète" in page
    assert "refusée" in page


# --- The file ------------------------------------------------------------------------------------


def test_a_quick_entry_with_htmx_returns_the_file_block_only(client_as, sophie):
    person = follow(sophie)
    response = client_as(sophie).post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {
            "entretien-kind": "individual",
            "entretien-date": TODAY.isoformat(),
            "entretien-note": "Premier rendez-vous",
        },
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "L&#x27;entretien est enregistré." in content or "L'entretien est enregistré." in content
    assert "Premier rendez-vous" in content


def test_a_quick_entry_without_javascript_redirects_to_the_file(client_as, sophie):
    person = follow(sophie)
    response = client_as(sophie).post(
        reverse("beneficiaries:obstacle_add", args=[person.pk]),
        {"frein-kind": "housing", "frein-identified_on": TODAY.isoformat()},
    )
    assert response.url == reverse("beneficiaries:file", args=[person.pk]) + "#retour-saisie"
    assert person.obstacles.get().kind == "housing"


def test_a_new_file_with_an_impossible_date_keeps_the_form(client_as, ccas):
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    commune = CommuneFactory()
    response = manager.post(
        reverse("beneficiaries:create"),
        {
            "payer": "caf",
            "caf_number": "123",
            "commune": commune.pk,
            "family_situation": "single",
            "last_name": "Nouveau",
            "first_name": "Jean",
            "birth_date": "31/02/1980",
            "sex": "M",
            "household_role": "applicant",
            "rights_and_duties": "subject",
            "rsa_requested_on": "2026-01-05",
            "right_opened_on": "2026-01-10",
            "right_known_on": "2026-01-12",
        },
    )
    assert response.status_code == 422
    assert "« 31/02/1980 » : date impossible : le 31/02 n'existe pas." in html.unescape(
        response.content.decode()
    )
    assert 'value="Nouveau"' in response.content.decode()
    assert not Beneficiary.objects.exists()


def test_a_persons_name_is_written_one_way_in_title_breadcrumb_and_heading(client_as, sophie):
    """« BARON Rachid » everywhere: the family name in capitals first, as in the lists."""
    person = follow(sophie, last_name="Baron", first_name="Rachid")
    content = (
        client_as(sophie).get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    )
    assert "<title>Dossier de BARON Rachid" in content
    assert 'aria-current="page">BARON Rachid</li>' in content
    assert "Rachid BARON" not in content
