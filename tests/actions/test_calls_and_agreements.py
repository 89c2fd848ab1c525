"""Calls for projects, their applications, and the multi-year funding agreements (CPO)."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from actions import services
from actions.enums import (
    AgreementStatus,
    ApplicationDecision,
    CallStatus,
    ObjectiveMeasure,
    RenewalDecision,
)
from actions.models import (
    AgreementAmount,
    AgreementObjective,
    Application,
    CallForProjects,
    FundingAgreement,
)
from actions.results import agreement_results
from tests.actions.factories import (
    ActionFactory,
    AgreementObjectiveFactory,
    ApplicationFactory,
    CallAxisFactory,
    CallForProjectsFactory,
    FundingAgreementFactory,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # thousands separator
NBSP = "\u00a0"  # before the euro sign


@pytest.fixture
def pilot_client(client_as):
    return client_as(UserFactory(pilot=True))


def page(response):
    return html.unescape(response.content.decode())


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def axes_of(call):
    return list(call.axes.order_by("position").values_list("position", "title"))


# --- Calls for projects ------------------------------------------------------------------


def call_data(**overrides):
    data = {
        "year": "2017",
        "title": "Appel à projets insertion 2017",
        "description": "Les actions attendues pour 2017.",
        "deadline": "2016-11-30",
        "status": CallStatus.OPEN,
        "axes": "Mobilité\r\n\r\n  Garde d'enfants  \r\nSanté\r\n",
    }
    return data | overrides


def test_call_is_created_with_one_axis_per_line(pilot_client):
    response = pilot_client.post(reverse("actions:call_create"), call_data())

    call = CallForProjects.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("actions:call_detail", args=[call.pk])
    assert messages_of(response) == [
        "L'appel à projets « Appel à projets insertion 2017 (2017) » est enregistré."
    ]
    assert call.year == 2017
    assert call.deadline == datetime.date(2016, 11, 30)
    assert axes_of(call) == [(1, "Mobilité"), (2, "Garde d'enfants"), (3, "Santé")]

    content = page(pilot_client.get(response["Location"]))
    assert "<li>Mobilité – 0 candidature</li>" in content
    assert "<li>Santé – 0 candidature</li>" in content


def test_call_without_axes_is_refused(pilot_client):
    response = pilot_client.post(reverse("actions:call_create"), call_data(axes=" \r\n "))

    assert response.status_code == 422
    assert "Axes</a> : Ce champ est obligatoire." in page(response)
    assert not CallForProjects.objects.exists()


def test_call_edit_form_lists_the_axes_one_per_line(pilot_client):
    call = CallForProjectsFactory()
    CallAxisFactory(call=call, position=1, title="Mobilité")
    CallAxisFactory(call=call, position=2, title="Santé")

    response = pilot_client.get(reverse("actions:call_update", args=[call.pk]))

    assert "Mobilité\nSanté</textarea>" in page(response)


def test_call_update_renames_and_removes_axes(pilot_client):
    call = CallForProjectsFactory(title="Appel 2017")
    mobility = CallAxisFactory(call=call, position=1, title="Mobilité")
    CallAxisFactory(call=call, position=2, title="Garde d'enfants")
    CallAxisFactory(call=call, position=3, title="Santé")
    application = ApplicationFactory(call=call, axis=mobility)

    response = pilot_client.post(
        reverse("actions:call_update", args=[call.pk]),
        call_data(
            title="Appel 2017 modifié",
            axes="Mobilité et permis de conduire\r\nGarde d'enfants",
            lock_version=call.lock_version,
        ),
    )

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.title == "Appel 2017 modifié"
    assert call.lock_version == 2
    assert axes_of(call) == [(1, "Mobilité et permis de conduire"), (2, "Garde d'enfants")]
    # The renamed axis keeps its applications.
    application.refresh_from_db()
    assert application.axis_id == mobility.pk


def test_removing_an_axis_with_applications_is_refused(pilot_client):
    call = CallForProjectsFactory(title="Appel 2017")
    CallAxisFactory(call=call, position=1, title="Mobilité")
    health = CallAxisFactory(call=call, position=2, title="Santé")
    ApplicationFactory(call=call, axis=health)

    response = pilot_client.post(
        reverse("actions:call_update", args=[call.pk]),
        call_data(title="Appel renommé", axes="Mobilité durable", lock_version=call.lock_version),
    )

    assert response.status_code == 422
    assert "L'axe 2 a des candidatures : il ne peut pas être supprimé." in page(response)
    # Nothing is written: neither the rename of axis 1 nor the call's new title.
    call.refresh_from_db()
    assert call.title == "Appel 2017"
    assert call.lock_version == 1
    assert axes_of(call) == [(1, "Mobilité"), (2, "Santé")]


def test_removing_the_first_axis_does_not_move_its_applications_to_another(pilot_client):
    call = CallForProjectsFactory(title="Appel 2017")
    mobility = CallAxisFactory(call=call, position=1, title="Mobilité")
    CallAxisFactory(call=call, position=2, title="Santé")
    ApplicationFactory(call=call, axis=mobility)

    response = pilot_client.post(
        reverse("actions:call_update", args=[call.pk]),
        call_data(axes="Santé", lock_version=call.lock_version),
    )

    assert response.status_code == 422
    assert "L'axe 1 a des candidatures : il ne peut pas être supprimé." in page(response)
    assert axes_of(call) == [(1, "Mobilité"), (2, "Santé")]
    assert Application.objects.get().axis.title == "Mobilité"


def test_axes_put_in_another_order_keep_their_applications(pilot_client):
    call = CallForProjectsFactory()
    mobility = CallAxisFactory(call=call, position=1, title="Mobilité")
    health = CallAxisFactory(call=call, position=2, title="Santé")
    on_mobility = ApplicationFactory(call=call, axis=mobility)
    on_health = ApplicationFactory(call=call, axis=health)

    response = pilot_client.post(
        reverse("actions:call_update", args=[call.pk]),
        call_data(axes="Logement\r\nSanté\r\nMobilité", lock_version=call.lock_version),
    )

    assert response.status_code == 302
    assert axes_of(call) == [(1, "Logement"), (2, "Santé"), (3, "Mobilité")]
    on_mobility.refresh_from_db()
    on_health.refresh_from_db()
    assert on_mobility.axis.title == "Mobilité"
    assert on_health.axis.title == "Santé"


def test_call_update_with_a_stale_version_is_refused(pilot_client):
    call = CallForProjectsFactory(title="Appel 2017")
    CallAxisFactory(call=call, position=1, title="Mobilité")
    CallForProjects.objects.filter(pk=call.pk).update(lock_version=2)

    response = pilot_client.post(
        reverse("actions:call_update", args=[call.pk]),
        call_data(title="Autre titre", axes="Autre axe", lock_version=1),
    )

    assert response.status_code == 422
    assert "Quelqu'un d'autre a enregistré une modification" in page(response)
    call.refresh_from_db()
    assert call.title == "Appel 2017"
    assert axes_of(call) == [(1, "Mobilité")]


# --- Applications ------------------------------------------------------------------------


@pytest.fixture
def call():
    call = CallForProjectsFactory(title="Appel 2017")
    CallAxisFactory(call=call, position=1, title="Mobilité")
    CallAxisFactory(call=call, position=2, title="Santé")
    return call


def test_application_is_recorded_then_listed_on_the_call(pilot_client, call):
    action = ActionFactory(title="Auto-école sociale", operator__name="Mobilité solidaire")
    axis = call.axes.get(position=1)

    response = pilot_client.post(
        reverse("actions:application_add", args=[call.pk]),
        {"action": action.pk, "axis": axis.pk, "requested_amount": "1234"},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["La candidature est enregistrée."]
    application = Application.objects.get()
    assert application.call == call
    assert application.axis == axis
    assert application.action == action
    assert application.requested_amount == Decimal("1234.00")
    assert application.decision == ApplicationDecision.PENDING
    assert application.granted_amount is None

    content = page(pilot_client.get(reverse("actions:call_detail", args=[call.pk])))
    assert "<li>Mobilité – 1 candidature</li>" in content
    assert "Mobilité solidaire" in content
    assert f"Montant demandé : 1{NNBSP}234,00{NBSP}€ · accordé : 0,00{NBSP}€" in content
    assert "en instruction" in content


def test_an_action_answers_a_call_once(pilot_client, call):
    application = ApplicationFactory(call=call, axis=call.axes.get(position=1))

    with pytest.raises(ValidationError) as error:
        services.application_add(
            call=call,
            axis=call.axes.get(position=2),
            action=application.action,
            requested_amount=Decimal(500),
        )

    assert "Cette action a déjà répondu à cet appel." in error.value.messages
    # The form does not even offer it.
    response = pilot_client.post(
        reverse("actions:application_add", args=[call.pk]),
        {
            "action": application.action.pk,
            "axis": call.axes.get(position=2).pk,
            "requested_amount": "500",
        },
    )
    assert response.status_code == 422
    assert Application.objects.count() == 1


def test_application_on_an_axis_of_another_call_is_refused(call):
    other_axis = CallAxisFactory(title="Axe d'un autre appel")

    with pytest.raises(ValidationError) as error:
        services.application_add(
            call=call, axis=other_axis, action=ActionFactory(), requested_amount=Decimal(100)
        )

    assert error.value.messages == ["Cet axe n'appartient pas à cet appel à projets."]
    assert not Application.objects.exists()


@pytest.fixture
def application(call):
    return ApplicationFactory(
        call=call,
        axis=call.axes.get(position=1),
        action=ActionFactory(title="Auto-école sociale"),
        requested_amount=Decimal("12500.00"),
    )


def decide_url(application):
    return reverse("actions:application_decide", args=[application.pk])


def test_rejecting_without_a_reason_is_refused(pilot_client, application):
    response = pilot_client.post(
        decide_url(application),
        {"decision": ApplicationDecision.REJECTED, "reason": "  ", "decided_on": "2017-01-15"},
    )

    assert response.status_code == 422
    assert "Motivez la décision de ne pas retenir l'action." in page(response)
    application.refresh_from_db()
    assert application.decision == ApplicationDecision.PENDING
    assert application.decided_on is None


def test_rejection_with_a_reason_is_recorded_and_shown(pilot_client, application):
    response = pilot_client.post(
        decide_url(application),
        {
            "decision": ApplicationDecision.REJECTED,
            "reason": " Hors du champ de l'appel. ",
            "decided_on": "2017-01-15",
            "granted_amount": "5000",
        },
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.decision == ApplicationDecision.REJECTED
    assert application.decision_reason == "Hors du champ de l'appel."
    assert application.decided_on == datetime.date(2017, 1, 15)
    assert application.granted_amount is None  # nothing is granted to a rejected action
    content = page(pilot_client.get(reverse("actions:call_detail", args=[application.call_id])))
    assert "non retenue" in content
    assert "Hors du champ de l'appel." in content


def test_accepting_requires_a_granted_amount(pilot_client, application):
    response = pilot_client.post(
        decide_url(application),
        {
            "decision": ApplicationDecision.ACCEPTED,
            "granted_amount": "",
            "decided_on": "2017-01-15",
        },
    )

    assert response.status_code == 422
    assert "Indiquez le montant accordé." in page(response)
    application.refresh_from_db()
    assert application.decision == ApplicationDecision.PENDING


def test_accepted_application_shows_requested_and_granted_totals(pilot_client, application):
    ApplicationFactory(
        call=application.call,
        axis=application.axis,
        requested_amount=Decimal("1000.50"),
    )
    form_page = page(pilot_client.get(decide_url(application)))
    assert 'value="12\u202f500,00"' in form_page  # the requested amount is offered

    response = pilot_client.post(
        decide_url(application),
        {
            "decision": ApplicationDecision.ACCEPTED,
            "granted_amount": "1234",
            "decided_on": "2017-01-15",
        },
        follow=True,
    )

    content = page(response)
    assert response.redirect_chain == [
        (reverse("actions:call_detail", args=[application.call_id]), 302)
    ]
    assert "La décision sur « Auto-école sociale » est enregistrée." in content
    assert f"Montant demandé : 13{NNBSP}500,50{NBSP}€ · accordé : 1{NNBSP}234,00{NBSP}€" in content
    assert f"12{NNBSP}500,00{NBSP}€" in content
    assert "retenue" in content
    application.refresh_from_db()
    assert application.decision == ApplicationDecision.ACCEPTED
    assert application.granted_amount == Decimal("1234.00")
    assert application.decided_on == datetime.date(2017, 1, 15)


# --- Funding agreements ------------------------------------------------------------------


@pytest.fixture
def operator():
    return OrganisationFactory(name="Mobilité solidaire Loire")


def agreement_data(operator, actions=(), **overrides):
    data = {
        "reference": "CPO-2017-001",
        "title": "Convention mobilité",
        "operator": operator.pk,
        "start_year": "2017",
        "end_year": "2020",
        "status": AgreementStatus.SIGNED,
        "signed_on": "2017-01-20",
        "actions": [action.pk for action in actions],
        "amount_0": "10000",
        "amount_1": "12000.50",
        "amount_2": "",
        "amount_3": "",
    }
    return data | overrides


def test_agreement_is_created_with_its_actions_and_amounts(pilot_client, operator):
    actions = [ActionFactory(operator=operator), ActionFactory(operator=operator)]

    response = pilot_client.post(
        reverse("actions:agreement_create"), agreement_data(operator, actions)
    )

    agreement = FundingAgreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("actions:agreement_detail", args=[agreement.pk])
    assert set(agreement.actions.all()) == set(actions)
    assert list(agreement.amounts.values_list("year", "amount")) == [
        (2017, Decimal("10000.00")),
        (2018, Decimal("12000.50")),
    ]
    # Two actions do not count the amounts twice.
    content = page(pilot_client.get(reverse("actions:agreement_list")))
    assert f"22{NNBSP}000,50{NBSP}€" in content
    detail = page(pilot_client.get(response["Location"]))
    assert f"22{NNBSP}000,50{NBSP}€" in detail


def test_agreement_longer_than_four_years_is_refused(pilot_client, operator):
    response = pilot_client.post(
        reverse("actions:agreement_create"), agreement_data(operator, end_year="2021")
    )

    assert response.status_code == 422
    assert "Une convention pluriannuelle couvre de 1 à 4 années." in page(response)
    assert not FundingAgreement.objects.exists()


def test_agreement_ending_before_it_starts_is_refused(pilot_client, operator):
    response = pilot_client.post(
        reverse("actions:agreement_create"), agreement_data(operator, end_year="2016")
    )

    assert response.status_code == 422
    assert "Une convention pluriannuelle couvre de 1 à 4 années." in page(response)
    assert not FundingAgreement.objects.exists()


def test_database_refuses_an_agreement_longer_than_four_years(operator):
    agreement = FundingAgreement(
        reference="CPO-X", title="Trop longue", operator=operator, start_year=2017, end_year=2021
    )
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert "Une convention pluriannuelle couvre de 1 à 4 années." in error.value.messages

    with pytest.raises(IntegrityError, match="agreement_four_years_at_most"), transaction.atomic():
        agreement.save()
    assert not FundingAgreement.objects.exists()


def test_agreement_with_an_action_of_another_operator_is_refused(pilot_client, operator):
    own = ActionFactory(operator=operator)
    foreign = ActionFactory(title="Crèche solidaire", operator__name="Pôle petite enfance")

    response = pilot_client.post(
        reverse("actions:agreement_create"), agreement_data(operator, [own, foreign])
    )

    assert response.status_code == 422
    assert "Actions financées" in page(response)
    assert not FundingAgreement.objects.exists()

    with pytest.raises(ValidationError) as error:
        services.agreement_save(
            values=agreement_values(operator), actions=[own, foreign], amounts={}
        )
    assert error.value.messages == [
        "Ces actions sont portées par un autre opérateur : Crèche solidaire."
    ]
    assert not FundingAgreement.objects.exists()


def agreement_values(operator, **overrides):
    return {
        "reference": "CPO-2017-001",
        "title": "Convention mobilité",
        "operator": operator,
        "start_year": 2017,
        "end_year": 2020,
        "status": AgreementStatus.SIGNED,
        "signed_on": datetime.date(2017, 1, 20),
    } | overrides


def test_amounts_outside_the_period_are_refused(operator):
    with pytest.raises(ValidationError) as error:
        services.agreement_save(
            values=agreement_values(operator, end_year=2018),
            actions=[],
            amounts={2016: Decimal(100), 2017: Decimal(200), 2019: Decimal(300)},
        )

    assert error.value.messages == [
        "Montant hors de la période de la convention (2017-2018) : 2016, 2019."
    ]
    assert not FundingAgreement.objects.exists()
    assert not AgreementAmount.objects.exists()


def test_signed_agreement_needs_its_signature_date(pilot_client, operator):
    response = pilot_client.post(
        reverse("actions:agreement_create"), agreement_data(operator, signed_on="")
    )

    assert response.status_code == 422
    assert "Une convention signée a une date de signature." in page(response)
    assert not FundingAgreement.objects.exists()


# --- Objectives and results --------------------------------------------------------------


@pytest.fixture
def agreement(operator):
    school = ActionFactory(title="Auto-école sociale", operator=operator, capacity=20)
    return FundingAgreementFactory(
        reference="CPO-2017-001",
        operator=operator,
        start_year=2017,
        end_year=2020,
        actions=[school],
    )


def test_objective_is_added_through_the_agreement_page(pilot_client, agreement):
    action = agreement.actions.get()

    response = pilot_client.post(
        reverse("actions:agreement_objective_add", args=[agreement.pk]),
        {
            "action": action.pk,
            "year": "2018",
            "measure": ObjectiveMeasure.PLACES_USED,
            "label": "Places occupées",
            "target": "18",
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#objectifs")
    objective = AgreementObjective.objects.get()
    assert (objective.action, objective.year, objective.measure, objective.target) == (
        action,
        2018,
        ObjectiveMeasure.PLACES_USED,
        Decimal("18.00"),
    )


def test_objective_for_a_year_outside_the_period_is_refused(pilot_client, agreement):
    action = agreement.actions.get()

    with pytest.raises(ValidationError) as error:
        services.agreement_objective_add(
            agreement=agreement,
            action=action,
            year=2021,
            measure=ObjectiveMeasure.OTHER,
            label="Hors période",
            target=Decimal(10),
        )
    assert error.value.messages == ["L'année doit être comprise entre 2017 et 2020."]

    response = pilot_client.post(
        reverse("actions:agreement_objective_add", args=[agreement.pk]),
        {
            "action": action.pk,
            "year": "2021",
            "measure": ObjectiveMeasure.OTHER,
            "label": "Hors période",
            "target": "10",
        },
    )
    assert response.status_code == 422
    assert "Sélectionnez un choix valide" in page(response)
    assert not AgreementObjective.objects.exists()


def test_objective_for_an_action_outside_the_agreement_is_refused(
    pilot_client, agreement, operator
):
    outside = ActionFactory(operator=operator, title="Action non financée")

    with pytest.raises(ValidationError) as error:
        services.agreement_objective_add(
            agreement=agreement,
            action=outside,
            year=2017,
            measure=ObjectiveMeasure.OTHER,
            label="Personnes accompagnées",
            target=Decimal(10),
        )
    assert error.value.messages == ["Cette action n'est pas financée par la convention."]

    response = pilot_client.post(
        reverse("actions:agreement_objective_add", args=[agreement.pk]),
        {
            "action": outside.pk,
            "year": "2017",
            "measure": ObjectiveMeasure.OTHER,
            "label": "Personnes accompagnées",
            "target": "10",
        },
    )
    assert response.status_code == 422
    assert "Sélectionnez un choix valide" in page(response)
    assert not AgreementObjective.objects.exists()


def test_removing_an_action_that_has_objectives_is_refused(agreement, operator):
    action = agreement.actions.get()
    AgreementObjectiveFactory(agreement=agreement, action=action)

    with pytest.raises(ValidationError) as error:
        services.agreement_save(
            values={},
            actions=[],
            amounts={},
            agreement=agreement,
            expected_version=agreement.lock_version,
        )

    assert error.value.messages == [
        "Des objectifs portent sur une action retirée de la convention : supprimez-les d'abord."
    ]
    assert list(agreement.actions.all()) == [action]


def test_agreement_results(agreement):
    action = agreement.actions.get()
    action.places_taken = 15
    action.save(update_fields=["places_taken"])
    places = AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2017,
        measure=ObjectiveMeasure.PLACES_USED,
        label="Places occupées",
        target=20,
        reported_value=3,  # ignored: the application counts the places itself
    )
    reported = AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2018,
        measure=ObjectiveMeasure.OTHER,
        label="Permis obtenus",
        target=10,
        reported_value=12,
    )
    not_reported = AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2019,
        measure=ObjectiveMeasure.OTHER,
        label="Véhicules prêtés",
        target=5,
    )
    unmeasured = AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2020,
        measure=ObjectiveMeasure.DURABLE_EMPLOYMENT,
        label="Retours à l'emploi",
        target=8,
    )

    results = agreement_results(agreement)

    assert [r.objective for r in results] == [places, reported, not_reported, unmeasured]
    by_label = {r.objective.label: r for r in results}
    assert by_label["Places occupées"].achieved == Decimal(15)
    assert by_label["Places occupées"].source == "places occupées à ce jour"
    assert by_label["Places occupées"].attainment == Decimal("75.0")
    assert by_label["Places occupées"].is_met is False
    assert by_label["Permis obtenus"].achieved == Decimal(12)
    assert by_label["Permis obtenus"].source == "chiffre déclaré par l'opérateur"
    assert by_label["Permis obtenus"].attainment == Decimal("120.0")
    assert by_label["Permis obtenus"].is_met is True
    assert by_label["Véhicules prêtés"].source == "à déclarer par l'opérateur"
    assert by_label["Retours à l'emploi"].source == (
        "pas encore mesuré : arrêtez les chiffres de l'année"
    )
    for label in ("Véhicules prêtés", "Retours à l'emploi"):
        assert by_label[label].achieved is None
        assert by_label[label].attainment is None
        assert by_label[label].is_met is False


def test_objective_met_exactly_and_zero_target(agreement):
    action = agreement.actions.get()
    exact = AgreementObjectiveFactory(
        agreement=agreement, action=action, target=20, reported_value=20
    )
    zero = AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2018,
        label="Sans cible",
        target=0,
        reported_value=4,
    )

    results = {r.objective: r for r in agreement_results(agreement)}

    assert results[exact].attainment == Decimal("100.0")
    assert results[exact].is_met is True
    assert results[zero].attainment is None
    assert results[zero].is_met is False


def test_reported_value_is_entered_for_an_other_objective(pilot_client, agreement):
    objective = AgreementObjectiveFactory(
        agreement=agreement, action=agreement.actions.get(), label="Permis obtenus", target=20
    )

    response = pilot_client.post(
        reverse("actions:agreement_objective_report", args=[objective.pk]), {"value": "15"}
    )

    assert response.status_code == 302
    objective.refresh_from_db()
    assert objective.reported_value == Decimal("15.00")
    content = page(pilot_client.get(reverse("actions:agreement_detail", args=[agreement.pk])))
    assert f"75,0{NBSP}%" in content
    assert "non atteint" in content


# --- Renewal -----------------------------------------------------------------------------


@pytest.fixture
def renewal(agreement):
    action = agreement.actions.get()
    action.places_taken = 15
    action.save(update_fields=["places_taken"])
    AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2017,
        measure=ObjectiveMeasure.PLACES_USED,
        label="Places occupées",
        target=20,
    )
    AgreementObjectiveFactory(
        agreement=agreement,
        action=action,
        year=2018,
        measure=ObjectiveMeasure.DURABLE_EMPLOYMENT,
        label="Retours à l'emploi",
        target=8,
    )
    return reverse("actions:agreement_renewal", args=[agreement.pk])


def test_renewal_page_shows_the_objectives_and_their_results(pilot_client, agreement, renewal):
    AgreementAmount.objects.create(agreement=agreement, year=2017, amount=Decimal("45000"))

    response = pilot_client.get(renewal)

    content = page(response)
    assert response.status_code == 200
    assert "Renouvellement de la convention CPO-2017-001" in content
    assert f"45{NNBSP}000,00{NBSP}€" in content
    assert "Objectifs par action et par année, et ce qui a été atteint" in content
    rows = re.findall(r"<tr>\s*(.*?)\s*</tr>", content, flags=re.S)
    places = next(row for row in rows if "Places occupées" in row)
    assert "<td>2017</td>" in places
    assert "<td>Auto-école sociale</td>" in places
    assert '<td class="text-end">20</td>' in places
    assert '<td class="text-end">15</td>' in places
    assert f"75,0{NBSP}%" in places
    assert "non atteint" in places
    assert "places occupées à ce jour" in places
    employment = next(row for row in rows if "Retours à l'emploi" in row)
    assert "non mesuré" in employment
    assert "pas encore mesuré" in employment


def test_renewal_without_justification_is_refused(pilot_client, agreement, renewal):
    response = pilot_client.post(
        renewal,
        {
            "decision": RenewalDecision.RENEWED,
            "justification": "   ",
            "decided_on": "2020-11-15",
            "lock_version": agreement.lock_version,
        },
    )

    content = page(response)
    assert response.status_code == 422
    assert "Le formulaire contient une erreur" in content
    assert "Justification au regard des objectifs</a> : Ce champ est obligatoire." in content
    assert "Objectifs par action et par année" in content  # the table is still there
    agreement.refresh_from_db()
    assert agreement.renewal_decision == ""
    assert agreement.renewal_decided_on is None


def test_service_refuses_a_renewal_without_justification(agreement):
    with pytest.raises(ValidationError) as error:
        services.agreement_renewal_decide(
            agreement=agreement,
            decision=RenewalDecision.NOT_RENEWED,
            justification="  \n ",
            decided_on=datetime.date(2020, 11, 15),
            expected_version=agreement.lock_version,
        )

    assert error.value.messages == ["Justifiez la décision au regard des objectifs atteints."]
    agreement.refresh_from_db()
    assert agreement.renewal_decision == ""


def test_renewal_decision_is_recorded(pilot_client, agreement, renewal):
    response = pilot_client.post(
        renewal,
        {
            "decision": RenewalDecision.RENEWED_WITH_CONDITIONS,
            "justification": "  75 % des places occupées : renouvelée si la mobilité progresse. ",
            "decided_on": "2020-11-15",
            "lock_version": agreement.lock_version,
        },
        follow=True,
    )

    content = page(response)
    assert response.redirect_chain == [
        (reverse("actions:agreement_detail", args=[agreement.pk]), 302)
    ]
    assert "La décision de renouvellement est enregistrée." in content
    assert (
        "renouvelée sous conditions le 15/11/2020 : 75 % des places occupées : "
        "renouvelée si la mobilité progresse." in content
    )
    agreement.refresh_from_db()
    assert agreement.renewal_decision == RenewalDecision.RENEWED_WITH_CONDITIONS
    assert agreement.renewal_decided_on == datetime.date(2020, 11, 15)
    assert agreement.renewal_justification == (
        "75 % des places occupées : renouvelée si la mobilité progresse."
    )
    assert agreement.lock_version == 2
    list_page = page(pilot_client.get(reverse("actions:agreement_list")))
    assert "renouvelée sous conditions" in list_page


def test_renewal_with_a_stale_version_is_refused(pilot_client, agreement, renewal):
    form = page(pilot_client.get(renewal))
    assert 'name="lock_version" value="1"' in form
    services.agreement_renewal_decide(
        agreement=agreement,
        decision=RenewalDecision.NOT_RENEWED,
        justification="Objectifs non atteints.",
        decided_on=datetime.date(2020, 11, 1),
        expected_version=1,
    )

    response = pilot_client.post(
        renewal,
        {
            "decision": RenewalDecision.RENEWED,
            "justification": "Tout va bien.",
            "decided_on": "2020-11-15",
            "lock_version": "1",
        },
    )

    content = page(response)
    assert response.status_code == 422
    assert "Quelqu'un d'autre a enregistré une modification" in content
    agreement.refresh_from_db()
    assert agreement.renewal_decision == RenewalDecision.NOT_RENEWED
    assert agreement.renewal_justification == "Objectifs non atteints."
    assert agreement.renewal_decided_on == datetime.date(2020, 11, 1)
    assert agreement.lock_version == 2


# --- Access and queries ------------------------------------------------------------------


def test_only_pilots_see_calls_and_agreements(client_as, agreement, call):
    for user in (UserFactory(referent=True), UserFactory(operator=True)):
        client = client_as(user)
        assert client.get(reverse("actions:call_list")).status_code == 403
        assert client.get(reverse("actions:call_detail", args=[call.pk])).status_code == 403
        assert client.get(reverse("actions:agreement_list")).status_code == 403
        renewal = reverse("actions:agreement_renewal", args=[agreement.pk])
        response = client.post(
            renewal,
            {
                "decision": RenewalDecision.RENEWED,
                "justification": "Bien.",
                "decided_on": "2020-11-15",
            },
        )
        assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.renewal_decision == ""


def add_agreement(number):
    operator = OrganisationFactory()
    actions = [ActionFactory(operator=operator) for _ in range(2)]
    agreement = FundingAgreementFactory(operator=operator, actions=actions)
    for year in agreement.years:
        AgreementAmount.objects.create(agreement=agreement, year=year, amount=1000 * number)
    AgreementObjectiveFactory(agreement=agreement, action=actions[0])
    return agreement


def test_agreement_list_makes_a_constant_number_of_queries(pilot_client, assert_constant_queries):
    add_agreement(1)
    url = reverse("actions:agreement_list")

    def small():
        assert "1 convention<" in page(pilot_client.get(url))

    def large():
        content = page(pilot_client.get(url))
        assert "15 conventions" in content
        assert f"60{NNBSP}000,00{NBSP}€" in content  # 4 years of 15 000 €

    assert_constant_queries(small, large, between=lambda: [add_agreement(n) for n in range(2, 16)])


def test_call_detail_makes_a_constant_number_of_queries(
    pilot_client, call, assert_constant_queries
):
    axes = list(call.axes.all())
    url = reverse("actions:call_detail", args=[call.pk])

    def add_application(number):
        ApplicationFactory(
            call=call,
            axis=axes[number % 2],
            action=ActionFactory(title=f"Action {number:02d}"),
            requested_amount=1000,
        )

    add_application(1)

    def small():
        assert f"Montant demandé : 1{NNBSP}000,00{NBSP}€" in page(pilot_client.get(url))

    def large():
        content = page(pilot_client.get(url))
        assert f"Montant demandé : 15{NNBSP}000,00{NBSP}€" in content
        assert content.count("Décider<span") == 15

    assert_constant_queries(
        small, large, between=lambda: [add_application(n) for n in range(2, 16)]
    )


def test_an_action_of_another_operator_is_refused_with_a_message_naming_it(pilot_client, operator):
    foreign = ActionFactory(title="Crèche solidaire", operator__name="Pôle petite enfance")

    response = pilot_client.post(
        reverse("actions:agreement_create"), agreement_data(operator, [foreign])
    )

    assert response.status_code == 422
    assert (
        "« Crèche solidaire » n'est pas une action de Mobilité solidaire Loire : une "
        "convention ne finance que les actions de son opérateur."
    ) in page(response)
    assert not FundingAgreement.objects.exists()


def test_the_new_agreement_offers_no_action_before_an_operator_is_chosen(pilot_client):
    ActionFactory(title="Garage solidaire")

    content = page(pilot_client.get(reverse("actions:agreement_create")))

    assert "Choisissez d'abord l'opérateur : ses actions s'afficheront ici." in content
    assert "Garage solidaire" not in content
    assert 'hx-get="/conventions-pluriannuelles/actions-de-l-operateur/"' in content


def test_choosing_the_operator_without_javascript_offers_only_its_actions(pilot_client, operator):
    ActionFactory(title="Garage solidaire", operator=operator)
    ActionFactory(title="Crèche solidaire", operator__name="Pôle petite enfance")
    typed = agreement_data(operator) | {"etape": "operateur", "title": "Convention en cours"}

    response = pilot_client.post(reverse("actions:agreement_create"), typed)

    content = page(response)
    assert response.status_code == 200
    assert "Garage solidaire" in content
    assert "Crèche solidaire" not in content
    assert 'value="Convention en cours"' in content
    assert "Erreur" not in content
    assert not FundingAgreement.objects.exists()


def test_choosing_the_operator_with_javascript_reloads_its_actions(pilot_client, operator):
    ActionFactory(title="Garage solidaire", operator=operator)
    ActionFactory(title="Crèche solidaire", operator__name="Pôle petite enfance")

    response = pilot_client.get(
        reverse("actions:agreement_action_choices"), {"operator": operator.pk}
    )

    content = page(response)
    assert 'id="actions-de-l-operateur"' in content
    assert "Garage solidaire" in content
    assert "Crèche solidaire" not in content
    assert "<html" not in content
