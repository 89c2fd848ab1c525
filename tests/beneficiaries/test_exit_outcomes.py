"""What an exit says the person left for: asked only when they may have found a job or a
training, never preselected, and its outcome shown where the person is shown."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries import services
from beneficiaries.enums import ExitCategory, ExitContract, PrescriptionAtExit
from beneficiaries.forms import ExitForm
from beneficiaries.models import Exit, Prescription
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


def follow(referent, **person):
    return ReferentAssignmentFactory(
        referent=referent, beneficiary=BeneficiaryFactory(**person)
    ).beneficiary


def exit_data(**values):
    data = {
        "sortie-exit_on": YESTERDAY.strftime("%d/%m/%Y"),
        "sortie-category": ExitCategory.DEATH,
        "sortie-contract_type": "",
        "sortie-contract_days": "",
        "sortie-note": "",
    }
    data.update({f"sortie-{key}": value for key, value in values.items()})
    return data


def record(person, by, **values):
    return services.exit_record(
        beneficiary=person,
        **{
            "exit_on": YESTERDAY,
            "category": ExitCategory.DEATH,
            "contract_type": "",
            "contract_days": None,
            "note": "",
            "by": by,
            **values,
        },
    )


# --- 1. Nothing preselected; a situation only for an exit for resources or activity ---------


def test_the_exit_form_preselects_no_situation():
    form = ExitForm()
    assert form["contract_type"].value() in (None, "")
    assert 'selected value="cdi"' not in str(form["contract_type"])


def test_the_exit_form_preselects_no_reason_and_asks_for_one():
    form = ExitForm()
    assert form["category"].value() in (None, "")
    assert '<option value="" selected>---------</option>' in str(form["category"])

    refused = ExitForm(data=exit_data(category=""))
    assert not refused.is_valid()
    assert refused.errors["category"] == ["Ce champ est obligatoire."]


def test_an_exit_for_death_saved_untouched_is_no_job(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    response = client_as(referent).post(
        reverse("beneficiaries:exit_add", args=[person.pk]), exit_data()
    )
    assert response.status_code == 302
    exit_ = Exit.objects.get(beneficiary=person)
    assert (exit_.category, exit_.contract_type, exit_.contract_days) == (
        ExitCategory.DEATH,
        ExitContract.NONE,
        None,
    )


def test_an_end_of_right_needs_the_situation_the_person_left_for():
    form = ExitForm(data=exit_data(category=ExitCategory.END_OF_RIGHT))
    assert not form.is_valid()
    assert form.errors["contract_type"] == [
        "Indiquez la situation à la sortie : l'emploi ou la formation trouvés, "
        "ou « sans emploi ni formation »."
    ]
    assert ExitForm(
        data=exit_data(category=ExitCategory.END_OF_RIGHT, contract_type=ExitContract.NONE)
    ).is_valid()


@pytest.mark.parametrize(
    "category", [ExitCategory.DEATH, ExitCategory.MOVED, ExitCategory.SANCTION]
)
def test_a_job_is_refused_for_an_exit_that_says_nothing_of_a_job(category):
    form = ExitForm(data=exit_data(category=category, contract_type=ExitContract.CDI))
    assert not form.is_valid()
    assert "Laissez la situation vide" in form.errors["contract_type"][0]


def test_the_exit_page_says_what_is_wrong(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    response = client_as(referent).post(
        reverse("beneficiaries:exit_add", args=[person.pk]),
        exit_data(category=ExitCategory.OUT_OF_DUTIES),
    )
    assert response.status_code == 422
    assert "Indiquez la situation à la sortie" in response.content.decode()
    assert not Exit.objects.filter(beneficiary=person).exists()


def test_the_service_requires_and_refuses_the_situation_as_the_form_does():
    referent = UserFactory(referent=True)
    person = BeneficiaryFactory()
    with pytest.raises(ValidationError, match="Indiquez la situation"):
        record(person, referent, category=ExitCategory.OUT_OF_DUTIES)
    with pytest.raises(ValidationError, match="Laissez la situation vide"):
        record(person, referent, contract_type=ExitContract.CDI)
    with pytest.raises(ValidationError, match="Laissez la durée vide"):
        record(person, referent, contract_days=90)
    assert not Exit.objects.exists()

    exit_ = record(
        person,
        referent,
        category=ExitCategory.OUT_OF_DUTIES,
        contract_type=ExitContract.CDD,
        contract_days=200,
    )
    assert (exit_.contract_type, exit_.contract_days) == (ExitContract.CDD, 200)


def test_the_database_refuses_a_job_after_a_death():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExitFactory(category=ExitCategory.DEATH, contract_type=ExitContract.CDI)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExitFactory(category=ExitCategory.MOVED, contract_type=ExitContract.NONE, contract_days=30)
    ExitFactory(category=ExitCategory.DEATH, contract_type=ExitContract.NONE)
    ExitFactory(category=ExitCategory.OUT_OF_DUTIES, contract_type=ExitContract.CDI)


# --- 3. The outcome shows on the file and in the lists ---------------------------------------


@pytest.mark.parametrize(
    ("contract_type", "days", "label"),
    [
        (ExitContract.CDI, None, "emploi durable"),
        (ExitContract.CDD, 183, "emploi durable"),
        (ExitContract.TEMP, 90, "emploi de transition"),
        (ExitContract.QUALIFYING_TRAINING, None, "sortie positive"),
        (ExitContract.NONE, None, "autre sortie"),
    ],
)
def test_the_file_says_what_the_exit_led_to(client_as, contract_type, days, label):
    referent = UserFactory(referent=True)
    person = follow(referent)
    ExitFactory(
        beneficiary=person,
        category=ExitCategory.OUT_OF_DUTIES,
        contract_type=contract_type,
        contract_days=days,
    )
    content = client_as(referent).get(reverse("beneficiaries:file", args=[person.pk]))
    assert f"Issue du parcours : {label}." in content.content.decode()


def test_a_death_shows_as_no_job_on_the_file(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    record(person, referent)
    content = client_as(referent).get(reverse("beneficiaries:file", args=[person.pk]))
    assert "Issue du parcours : autre sortie." in content.content.decode()


def rows_of(response):
    return {p.last_name: p.exit_outcome_label for p in response.context["page"].object_list}


def test_the_lists_show_each_exits_outcome(client_as):
    referent = UserFactory(referent=True)
    follow(referent, last_name="Encours")
    for name, contract_type, days in [
        ("Durable", ExitContract.CDD, 200),
        ("Transition", ExitContract.SUBSIDISED, 365),
        ("Formation", ExitContract.SIAE_HIRING, None),
    ]:
        ExitFactory(
            beneficiary=follow(referent, last_name=name),
            category=ExitCategory.END_OF_RIGHT,
            contract_type=contract_type,
            contract_days=days,
        )
    client = client_as(referent)
    response = client.get(reverse("beneficiaries:portfolio"), {"state": "all"})
    assert rows_of(response) == {
        "Encours": "",
        "Durable": "emploi durable",
        "Transition": "emploi de transition",
        "Formation": "sortie positive",
    }
    content = response.content.decode()
    assert "sortie le 30/06/2025 : emploi de transition" in content
    listed = client.get(reverse("beneficiaries:list"), {"state": "exited"})
    assert rows_of(listed) == {
        "Durable": "emploi durable",
        "Transition": "emploi de transition",
        "Formation": "sortie positive",
    }


def test_the_lists_make_as_many_queries_for_1_or_20_exits(client_as, assert_constant_queries):
    referent = UserFactory(referent=True)
    client = client_as(referent)
    ExitFactory(beneficiary=follow(referent))

    def pages():
        for name in ("portfolio", "list"):
            response = client.get(reverse(f"beneficiaries:{name}"), {"state": "exited"})
            assert "emploi durable" in response.content.decode()

    assert_constant_queries(
        pages,
        pages,
        between=lambda: [ExitFactory(beneficiary=follow(referent)) for _ in range(19)],
    )


# --- 2. An exit for a job does not mark the started actions « abandonnée » -------------------


def started(person, title, **values):
    action = ActionFactory(title=title, places_taken=1)
    return PrescriptionFactory(
        beneficiary=person,
        action=action,
        status=PrescriptionStatus.STARTED,
        started_on=YESTERDAY - datetime.timedelta(days=30),
        **values,
    )


def test_the_exit_form_asks_what_became_of_each_started_action(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    prescription = started(person, "Atelier CV")
    PrescriptionFactory(beneficiary=person, status=PrescriptionStatus.SENT)
    content = client_as(referent).get(reverse("beneficiaries:file", args=[person.pk]))
    form = content.context["exit_form"]
    assert list(form.running) == [f"prescription_{prescription.pk}"]
    html = content.content.decode()
    assert "Action « Atelier CV » commencée le" in html
    assert "interrompue par l&#x27;emploi" in html or "interrompue par l'emploi" in html


def test_an_exit_for_a_job_needs_an_answer_for_each_started_action(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    prescription = started(person, "Atelier CV")
    data = exit_data(category=ExitCategory.OUT_OF_DUTIES, contract_type=ExitContract.CDI)
    response = client_as(referent).post(reverse("beneficiaries:exit_add", args=[person.pk]), data)
    assert response.status_code == 422
    assert "Dites si cette action est terminée" in response.content.decode()
    assert not Exit.objects.exists()
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.STARTED


def test_the_referent_says_ended_interrupted_or_goes_on(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    ended, interrupted, goes_on = (
        started(person, title) for title in ("Atelier CV", "Remobilisation", "Code de la route")
    )
    waiting = PrescriptionFactory(beneficiary=person, status=PrescriptionStatus.SENT)
    data = exit_data(
        category=ExitCategory.OUT_OF_DUTIES,
        contract_type=ExitContract.CDI,
        **{
            f"prescription_{ended.pk}": PrescriptionAtExit.COMPLETED,
            f"prescription_{interrupted.pk}": PrescriptionAtExit.INTERRUPTED,
            f"prescription_{goes_on.pk}": PrescriptionAtExit.CONTINUES,
        },
    )
    response = client_as(referent).post(reverse("beneficiaries:exit_add", args=[person.pk]), data)
    assert response.status_code == 302
    rows = {
        p.pk: (p.status, p.ended_on, p.action.places_taken)
        for p in Prescription.objects.select_related("action")
    }
    assert rows == {
        ended.pk: (PrescriptionStatus.COMPLETED, YESTERDAY, 0),
        interrupted.pk: (PrescriptionStatus.INTERRUPTED, YESTERDAY, 0),
        goes_on.pk: (PrescriptionStatus.STARTED, None, 1),
        waiting.pk: (PrescriptionStatus.ABANDONED, YESTERDAY, 0),
    }
    assert Prescription.objects.get(pk=interrupted.pk).get_status_display() == (
        "interrompue par un emploi"
    )


def test_after_a_death_started_actions_are_abandoned_without_a_question():
    referent = UserFactory(referent=True)
    person = BeneficiaryFactory()
    prescription = started(person, "Atelier CV")
    record(person, referent)
    prescription.refresh_from_db()
    assert (prescription.status, prescription.outcome) == (
        PrescriptionStatus.ABANDONED,
        "sortie du dispositif",
    )


def test_the_service_refuses_an_exit_for_a_job_without_the_answer():
    referent = UserFactory(referent=True)
    person = BeneficiaryFactory()
    started(person, "Atelier CV")
    with pytest.raises(ValidationError, match="Action « Atelier CV » : Dites si"):
        record(person, referent, category=ExitCategory.END_OF_RIGHT, contract_type=ExitContract.CDI)
    assert not Exit.objects.exists()


@pytest.mark.parametrize(
    ("category", "contract_type", "message"),
    [
        (ExitCategory.DEATH, "", "Laissez la durée vide : seule une fin de droit"),
        (ExitCategory.MOVED, "", "Laissez la durée vide : seule une fin de droit"),
    ],
)
def test_a_length_the_exit_cannot_hold_is_refused_on_its_field(category, contract_type, message):
    form = ExitForm(
        data=exit_data(category=category, contract_type=contract_type, contract_days="180")
    )
    assert not form.is_valid()
    assert message in form.errors["contract_days"][0]


@pytest.mark.parametrize("situation", [ExitContract.NONE, ExitContract.QUALIFYING_TRAINING])
def test_an_action_interrupted_by_a_job_needs_an_exit_to_a_job(client_as, situation):
    referent = UserFactory(referent=True)
    person = follow(referent)
    action = started(person, "Remobilisation")
    data = exit_data(
        category=ExitCategory.OUT_OF_DUTIES,
        contract_type=situation,
        **{f"prescription_{action.pk}": PrescriptionAtExit.INTERRUPTED},
    )
    response = client_as(referent).post(reverse("beneficiaries:exit_add", args=[person.pk]), data)
    assert response.status_code == 422
    assert "« interrompue par l&#x27;emploi » ne va qu&#x27;avec une sortie vers un emploi" in (
        response.content.decode()
    )
    assert not Exit.objects.exists()
    with pytest.raises(ValidationError, match="ne va qu'avec une sortie vers un emploi"):
        record(
            person,
            referent,
            category=ExitCategory.OUT_OF_DUTIES,
            contract_type=situation,
            prescriptions_at_exit={action.pk: PrescriptionAtExit.INTERRUPTED},
        )
    assert not Exit.objects.exists()


def test_the_file_says_no_situation_after_a_death(client_as):
    referent = UserFactory(referent=True)
    person = follow(referent)
    record(person, referent)  # a death, the form's situation left empty
    page = client_as(referent).get(reverse("beneficiaries:file", args=[person.pk]))
    content = page.content.decode()
    assert "du dispositif le" in content
    assert ": décès." in content
    assert "sans emploi ni formation" not in content
