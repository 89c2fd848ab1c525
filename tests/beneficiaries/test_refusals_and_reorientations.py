"""An operator's refusal reaches the référent (due item, counter, filter, « Prise en compte »);
a référent asks for a reorientation and a manager or a pilot decides it."""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries import services
from beneficiaries.enums import Parcours, ReorientationStatus
from beneficiaries.models import (
    Beneficiary,
    FileAccess,
    OrientationDecision,
    Prescription,
    ReorientationRequest,
)
from home.counters import referent_counters
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
    ReorientationRequestFactory,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(
        referent=True,
        organisation=ccas,
        first_name="Sophie",
        last_name="Durand",
        email="sophie.durand@ccas.example.org",
    )


@pytest.fixture
def manager(ccas):
    return UserFactory(manager=True, organisation=ccas)


def follow(referent, **person):
    return ReferentAssignmentFactory(
        referent=referent, beneficiary=BeneficiaryFactory(**person)
    ).beneficiary


def refused(person, title="Atelier CV", reason="Groupe complet", **fields):
    return PrescriptionFactory(
        beneficiary=person,
        action=ActionFactory(title=title),
        status=PrescriptionStatus.REFUSED,
        refusal_reason=reason,
        answered_on=TODAY,
        prescribed_on=TODAY - datetime.timedelta(days=3),
        **fields,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- Refusals ----------------------------------------------------------------------------------


def test_the_operator_refusal_is_a_due_item_on_the_file_until_taken_into_account(client_as, sophie):
    person = follow(sophie)
    prescription = refused(person)
    client = client_as(sophie)

    page = client.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    assert "prescription refusée le" in page
    assert "Atelier CV (motif : Groupe complet)" in page
    assert "Prise en compte" in page

    response = client.post(
        reverse("beneficiaries:prescription_refusal_seen", args=[prescription.pk]), follow=True
    )
    assert (
        response.context["entry_feedback"]["text"] == "Le refus de l'opérateur est pris en compte."
    )
    page = response.content.decode()
    assert "Atelier CV (motif : Groupe complet)" not in page
    assert "Refus pris en compte le" in page
    prescription.refresh_from_db()
    assert prescription.refusal_seen_on == TODAY
    assert prescription.refusal_seen_by == sophie
    assert FileAccess.objects.filter(
        beneficiary=person, what="refus de prescription pris en compte"
    ).exists()


def test_a_new_prescription_after_the_refusal_deals_with_it(sophie):
    person = follow(sophie)
    refused(person)
    assert Beneficiary.objects.due("refused", TODAY).filter(pk=person.pk).exists()
    PrescriptionFactory(beneficiary=person, prescribed_on=TODAY)
    assert not Beneficiary.objects.due("refused", TODAY).filter(pk=person.pk).exists()
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    assert row.refused_prescriptions == 0


def test_an_earlier_prescription_does_not_deal_with_a_later_refusal(sophie):
    person = follow(sophie)
    PrescriptionFactory(beneficiary=person, prescribed_on=TODAY - datetime.timedelta(days=10))
    refused(person)
    assert Beneficiary.objects.due("refused", TODAY).filter(pk=person.pk).exists()


def test_two_refusals_are_counted_and_the_latest_named(sophie):
    person = follow(sophie)
    refused(person, title="Atelier CV")
    refused(person, title="Permis B", reason="Pas de place avant juin")
    from beneficiaries.deadlines import due_items

    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    [due] = [d for d in due_items(row, TODAY) if d.code == "refused"]
    assert due.label.startswith("2 prescriptions refusées, dont la dernière")
    assert "Permis B (motif : Pas de place avant juin)" in due.label
    assert not due.late


def test_the_referent_home_counts_people_with_a_refusal_with_french_plural(client_as, sophie):
    """The number is the total of the list it leads to: people, not prescriptions."""
    person = follow(sophie)
    refused(person)
    refused(person, title="Permis B")
    counter = next(c for c in referent_counters(sophie, TODAY) if "refusée" in c.label)
    assert (counter.count, counter.label) == (1, "personne : prescription refusée")
    assert counter.url == reverse("beneficiaries:portfolio") + "?due=refused"
    refused(follow(sophie), title="Permis B")
    refused(follow(UserFactory(referent=True)), title="Ailleurs")  # not hers
    page = client_as(sophie).get(reverse("pti:home")).content.decode()
    assert "personnes : prescription refusée" in page


def test_the_portfolio_filter_lists_people_with_a_refusal_to_see(client_as, sophie):
    with_refusal = follow(sophie, last_name="Refus")
    refused(with_refusal)
    seen = follow(sophie, last_name="Vu")
    refused(seen, refusal_seen_on=TODAY, refusal_seen_by=sophie)
    follow(sophie, last_name="Rien")
    response = client_as(sophie).get(reverse("beneficiaries:portfolio"), {"due": "refused"})
    people = list(response.context["page"].object_list)
    assert [p.last_name for p in people] == ["Refus"]


def test_the_portfolio_filtered_on_refusals_makes_constant_queries(
    client_as, sophie, assert_constant_queries
):
    refused(follow(sophie))
    client = client_as(sophie)

    def page():
        response = client.get(reverse("beneficiaries:portfolio"), {"due": "refused"})
        assert response.status_code == 200

    assert_constant_queries(
        page, page, between=lambda: [refused(follow(sophie)) for _ in range(20)]
    )


def test_taking_into_account_what_is_not_refused_is_refused_with_a_message(client_as, sophie):
    person = follow(sophie)
    sent = PrescriptionFactory(beneficiary=person, status=PrescriptionStatus.SENT)
    response = client_as(sophie).post(
        reverse("beneficiaries:prescription_refusal_seen", args=[sent.pk]), follow=True
    )
    assert any("on ne peut pas la prendre en compte" in m for m in messages_of(response))
    sent.refresh_from_db()
    assert sent.refusal_seen_on is None


def test_taking_a_refusal_into_account_twice_is_refused(sophie):
    prescription = refused(follow(sophie))
    services.prescription_refusal_acknowledge(prescription=prescription, by=sophie)
    with pytest.raises(ValidationError, match="déjà été pris en compte"):
        services.prescription_refusal_acknowledge(prescription=prescription, by=sophie)


def test_the_database_refuses_a_seen_date_on_a_prescription_not_refused(sophie):
    prescription = PrescriptionFactory(beneficiary=follow(sophie), status=PrescriptionStatus.SENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.filter(pk=prescription.pk).update(
            refusal_seen_on=TODAY, refusal_seen_by=sophie
        )


def test_another_referent_cannot_take_the_refusal_into_account(client_as, sophie):
    prescription = refused(follow(sophie))
    other = UserFactory(referent=True)
    response = client_as(other).post(
        reverse("beneficiaries:prescription_refusal_seen", args=[prescription.pk])
    )
    assert response.status_code == 404


def test_the_operator_page_names_the_referent_to_call(client_as, sophie):
    operator_org = OrganisationFactory(name="Atelier Emploi")
    operator = UserFactory(operator=True, organisation=operator_org)
    prescription = PrescriptionFactory(
        beneficiary=follow(sophie),
        action=ActionFactory(operator=operator_org),
        status=PrescriptionStatus.SENT,
    )
    page = (
        client_as(operator)
        .get(reverse("beneficiaries:operator_prescription", args=[prescription.pk]))
        .content.decode()
    )
    assert "Sophie Durand (CCAS de Saint-Étienne)" in page
    assert "mailto:sophie.durand@ccas.example.org" in page


# --- Reorientation requests --------------------------------------------------------------------


@pytest.fixture
def oriented(sophie, ccas):
    person = follow(sophie, last_name="Martin")
    OrientationDecisionFactory(beneficiary=person, parcours=Parcours.SOCIAL, organisme=ccas)
    return person


@pytest.fixture
def france_travail():
    return OrganisationFactory(name="France Travail Loire", kind="france_travail")


def ask(client, person, organisme, **data):
    values = {
        "reorientation-reason": "Le diagnostic montre un projet d'emploi prêt.",
        "reorientation-proposed_parcours": Parcours.EMPLOYMENT,
        "reorientation-proposed_organisme": organisme.pk,
        **data,
    }
    return client.post(reverse("beneficiaries:reorientation_request_add", args=[person.pk]), values)


def test_the_referent_asks_for_a_reorientation(client_as, sophie, oriented, france_travail):
    response = ask(client_as(sophie), oriented, france_travail)
    assert response.status_code == 302
    request = ReorientationRequest.objects.get()
    assert request.status == ReorientationStatus.PENDING
    assert request.requested_by == sophie
    assert FileAccess.objects.filter(beneficiary=oriented, what="demande de réorientation").exists()
    page = client_as(sophie).get(reverse("beneficiaries:file", args=[oriented.pk])).content.decode()
    assert "Réorientation demandée le" in page
    assert "En attente de la décision d'un responsable." in page
    assert "Demander une réorientation" not in page  # one pending at a time


def test_the_request_sent_is_confirmed_where_the_pending_request_shows(
    client_as, sophie, oriented, france_travail
):
    """The request's form goes away once a request is pending: its message shows in the
    « Orientation et référent » card, with and without JavaScript."""
    client = client_as(sophie)
    page = client.get(ask(client, oriented, france_travail)["Location"]).content.decode()
    card = page.split('id="orientation"')[1].split("</section>")[0]
    assert 'id="retour-saisie"' in card
    assert "La demande de réorientation est envoyée" in card
    ReorientationRequest.objects.all().delete()
    htmx = client.post(
        reverse("beneficiaries:reorientation_request_add", args=[oriented.pk]),
        {
            "reorientation-reason": "Projet d'emploi.",
            "reorientation-proposed_parcours": Parcours.EMPLOYMENT,
            "reorientation-proposed_organisme": france_travail.pk,
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    card = htmx.split('id="orientation"')[1].split("</section>")[0]
    assert "La demande de réorientation est envoyée" in card


def test_a_request_without_reason_is_refused_in_french(client_as, sophie, oriented, france_travail):
    response = ask(client_as(sophie), oriented, france_travail, **{"reorientation-reason": ""})
    assert response.status_code == 422
    assert "Indiquez le motif de la demande." in response.content.decode()
    assert not ReorientationRequest.objects.exists()


def test_a_second_pending_request_is_refused_in_french(client_as, sophie, oriented, france_travail):
    ReorientationRequestFactory(beneficiary=oriented)
    response = ask(client_as(sophie), oriented, france_travail)
    assert response.status_code == 422
    assert "Une demande de réorientation est déjà en attente" in response.content.decode()
    assert ReorientationRequest.objects.count() == 1


def test_the_database_keeps_one_pending_request_per_person(oriented):
    ReorientationRequestFactory(beneficiary=oriented)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReorientationRequestFactory(beneficiary=oriented)


def test_a_person_not_oriented_cannot_be_reoriented(client_as, sophie, france_travail):
    person = follow(sophie)
    response = ask(client_as(sophie), person, france_travail)
    assert response.status_code == 422
    assert "pas encore orientée" in response.content.decode()


def test_proposing_the_current_orientation_is_refused(client_as, sophie, oriented, ccas):
    response = ask(
        client_as(sophie),
        oriented,
        ccas,
        **{"reorientation-proposed_parcours": Parcours.SOCIAL},
    )
    assert response.status_code == 422
    assert "C'est l'orientation en cours" in html.unescape(response.content.decode())


def test_an_organisation_that_cannot_be_referent_is_refused(client_as, sophie, oriented):
    caf = OrganisationFactory(caf=True)
    response = ask(client_as(sophie), oriented, caf)
    assert response.status_code == 422
    assert not ReorientationRequest.objects.exists()


def test_a_referent_outside_the_scope_gets_404(client_as, oriented, france_travail):
    other = UserFactory(referent=True)
    assert ask(client_as(other), oriented, france_travail).status_code == 404


def test_the_manager_accepts_and_the_file_shows_the_new_orientation(
    client_as, manager, oriented, france_travail
):
    request = ReorientationRequestFactory(beneficiary=oriented, proposed_organisme=france_travail)
    client = client_as(manager)
    response = client.post(
        reverse("beneficiaries:reorientation_accept", args=[request.pk]), follow=True
    )
    assert "La réorientation est acceptée" in response.context["entry_feedback"]["text"]
    request.refresh_from_db()
    assert request.status == ReorientationStatus.ACCEPTED
    assert request.decided_by == manager
    current = OrientationDecision.objects.get(beneficiary=oriented, is_current=True)
    assert request.orientation == current
    assert (current.parcours, current.organisme, current.is_reorientation) == (
        Parcours.EMPLOYMENT,
        france_travail,
        True,
    )
    assert current.reason == request.reason
    page = response.content.decode()
    assert "France Travail Loire" in page
    assert "Réorientation acceptée" in page
    assert "Réorientation demandée" in page


def test_refusing_without_a_reason_is_refused_in_french(client_as, manager, oriented):
    request = ReorientationRequestFactory(beneficiary=oriented)
    response = client_as(manager).post(
        reverse("beneficiaries:reorientation_refuse", args=[request.pk]),
        {"decision_note": ""},
    )
    assert response.status_code == 422
    assert "Indiquez le motif du refus de la réorientation." in response.content.decode()
    request.refresh_from_db()
    assert request.status == ReorientationStatus.PENDING


def test_the_manager_refuses_with_a_reason(client_as, manager, oriented):
    request = ReorientationRequestFactory(beneficiary=oriented)
    response = client_as(manager).post(
        reverse("beneficiaries:reorientation_refuse", args=[request.pk]),
        {"decision_note": "L'équipe pluridisciplinaire propose d'attendre trois mois."},
        follow=True,
    )
    assert response.context["entry_feedback"]["text"] == "La demande de réorientation est refusée."
    request.refresh_from_db()
    assert request.status == ReorientationStatus.REFUSED
    assert OrientationDecision.objects.filter(beneficiary=oriented).count() == 1
    assert "Réorientation refusée" in response.content.decode()


def test_a_referent_may_not_decide(client_as, sophie, oriented):
    request = ReorientationRequestFactory(beneficiary=oriented)
    response = client_as(sophie).post(
        reverse("beneficiaries:reorientation_accept", args=[request.pk])
    )
    assert response.status_code == 403


def test_a_manager_of_another_structure_gets_404(client_as, oriented):
    request = ReorientationRequestFactory(beneficiary=oriented)
    other = UserFactory(manager=True, organisation=OrganisationFactory())
    response = client_as(other).post(
        reverse("beneficiaries:reorientation_accept", args=[request.pk])
    )
    assert response.status_code == 404


def test_a_decided_request_is_not_decided_again(manager, oriented):
    request = ReorientationRequestFactory(beneficiary=oriented, refused=True)
    with pytest.raises(ValidationError, match="déjà refusée"):
        services.reorientation_decide(request=request, accept=True, by=manager)


def test_the_list_shows_pending_first_with_their_age_then_decided(
    client_as, manager, oriented, sophie
):
    old = ReorientationRequestFactory(beneficiary=oriented)
    ReorientationRequest.objects.filter(pk=old.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=12)
    )
    recent = follow(sophie, last_name="Recent")
    ReorientationRequestFactory(beneficiary=recent)
    ReorientationRequestFactory(beneficiary=follow(sophie, last_name="Decide"), refused=True)
    ReorientationRequestFactory()  # someone the manager does not see
    response = client_as(manager).get(reverse("beneficiaries:reorientation_list"))
    assert [r.beneficiary.last_name for r in response.context["pending"]] == ["Martin", "Recent"]
    assert [r.beneficiary.last_name for r in response.context["decided"]] == ["Decide"]
    page = response.content.decode()
    assert "depuis 12 jours" in page
    assert "aujourd'hui" in page


def test_the_age_of_a_day_old_request_is_singular(client_as, manager, oriented):
    request = ReorientationRequestFactory(beneficiary=oriented)
    ReorientationRequest.objects.filter(pk=request.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=1, hours=1)
    )
    page = client_as(manager).get(reverse("beneficiaries:reorientation_list")).content.decode()
    assert "depuis 1 jour<" in page


def test_the_list_makes_constant_queries(client_as, manager, sophie, assert_constant_queries):
    ReorientationRequestFactory(beneficiary=follow(sophie))
    ReorientationRequestFactory(beneficiary=follow(sophie), refused=True)
    client = client_as(manager)

    def page():
        assert client.get(reverse("beneficiaries:reorientation_list")).status_code == 200

    def more():
        for _ in range(10):
            ReorientationRequestFactory(beneficiary=follow(sophie))
            ReorientationRequestFactory(beneficiary=follow(sophie), refused=True)

    assert_constant_queries(page, page, between=more)


def test_the_manager_and_pilot_homes_count_pending_requests(client_as, manager, oriented):
    ReorientationRequestFactory(beneficiary=oriented)
    page = client_as(manager).get(reverse("pti:home")).content.decode()
    assert "demande de réorientation à décider" in page
    pilot = UserFactory(pilot=True)
    ReorientationRequestFactory()
    page = client_as(pilot).get(reverse("pti:home")).content.decode()
    assert "demandes de réorientation à décider" in page


def test_anonymisation_erases_the_reasons_and_keeps_the_reorientation(oriented):
    from beneficiaries.retention import ERASED, anonymised_values

    request = ReorientationRequestFactory(beneficiary=oriented, refused=True)
    values = anonymised_values(ReorientationRequest, request, TODAY)
    assert values["reason"] == ERASED
    assert values["decision_note"] == ERASED
    assert "proposed_parcours" not in values or values["proposed_parcours"] == "employment"
