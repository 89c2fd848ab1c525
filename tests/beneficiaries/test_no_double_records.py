"""Nothing recorded twice (a form posted again, contracts over the same period), plausible
dates of the events of a file, the weekly hours of a contract."""

import datetime
import uuid
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries import services
from beneficiaries.enums import ContractKind, ExitCategory, ExitContract, FollowUpSituation
from beneficiaries.models import (
    Beneficiary,
    Contract,
    Exit,
    ExitFollowUp,
    Interview,
    Obstacle,
    OrientationDecision,
    Prescription,
)
from pti.models import FormSubmission
from pti.submissions import ALREADY_SAVED, TOKEN_FIELD
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
BORN = datetime.date(1985, 6, 15)
REQUESTED = datetime.date(2024, 1, 10)


@pytest.fixture
def sophie():
    return UserFactory(
        referent=True, organisation=OrganisationFactory(ccas=True), first_name="Sophie"
    )


@pytest.fixture
def person(sophie):
    return ReferentAssignmentFactory(
        referent=sophie,
        structure=sophie.organisation,
        beneficiary=BeneficiaryFactory(birth_date=BORN, rsa_requested_on=REQUESTED),
    ).beneficiary


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def contract_values(**changes):
    values = {
        "kind": ContractKind.CE,
        "start_date": TODAY - datetime.timedelta(days=10),
        "end_date": TODAY + datetime.timedelta(days=170),
        "signed_on": TODAY - datetime.timedelta(days=10),
        "objectives": "Reprendre une activité",
        "weekly_hours": Decimal(15),
        "hours_reduction": "",
        "hours_reduction_note": "",
        "long_review_reason": "",
    }
    values.update(changes)
    return values


def contract_post(token=None, **changes):
    data = {
        "kind": "ce",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + datetime.timedelta(days=180)).isoformat(),
        "signed_on": TODAY.isoformat(),
        "objectives": "Reprendre une activité",
        "weekly_hours": "15",
        "hours_reduction": "",
        "long_review_reason": "",
        "plan-TOTAL_FORMS": "0",
        "plan-INITIAL_FORMS": "0",
    }
    if token:
        data[TOKEN_FIELD] = str(token)
    data.update(changes)
    return data


# --- Contracts over the same period --------------------------------------------------------------


def test_a_contract_overlapping_another_one_is_refused_naming_it(person, sophie):
    ContractFactory(
        beneficiary=person,
        kind=ContractKind.CER,
        start_date=datetime.date(2025, 1, 15),
        end_date=datetime.date(2025, 7, 15),
        signed_on=datetime.date(2025, 1, 15),
        is_current=False,
    )
    with pytest.raises(ValidationError) as refused:
        services.contract_create(
            beneficiary=person,
            values=contract_values(
                start_date=datetime.date(2025, 6, 1),
                end_date=datetime.date(2025, 12, 1),
                signed_on=datetime.date(2025, 6, 1),
            ),
            planned=[],
            by=sophie,
        )
    assert refused.value.messages == [
        "Un contrat couvre déjà cette période : CER (contrat d'engagement réciproque) du "
        "15/01/2025 au 15/07/2025. Révisez-le plutôt que d'en enregistrer un autre."
    ]
    assert Contract.objects.filter(beneficiary=person).count() == 1


def test_a_contract_starting_the_day_the_previous_one_ends_is_accepted(person, sophie):
    ContractFactory(
        beneficiary=person,
        start_date=datetime.date(2025, 1, 15),
        end_date=datetime.date(2025, 7, 15),
    )
    services.contract_create(
        beneficiary=person,
        values=contract_values(
            start_date=datetime.date(2025, 7, 15),
            end_date=datetime.date(2026, 1, 15),
            signed_on=datetime.date(2025, 7, 10),
        ),
        planned=[],
        by=sophie,
    )
    assert Contract.objects.filter(beneficiary=person).count() == 2


def test_a_revision_covers_the_period_of_the_version_it_revises(person, sophie):
    first = services.contract_create(
        beneficiary=person, values=contract_values(), planned=[], by=sophie
    )
    revision = services.contract_revise(
        contract=first,
        expected_version=first.lock_version,
        values=contract_values(weekly_hours=Decimal(20)),
        planned=[],
        reason="Reprise d'une formation",
        by=sophie,
    )
    assert revision.revises == first
    # The revised version is history: a new contract is compared with the revision only.
    with pytest.raises(ValidationError, match="Un contrat couvre déjà cette période"):
        services.contract_create(
            beneficiary=person, values=contract_values(), planned=[], by=sophie
        )


def test_a_revision_may_not_stretch_over_another_contract(person, sophie):
    ContractFactory(
        beneficiary=person,
        start_date=datetime.date(2025, 1, 15),
        end_date=datetime.date(2025, 7, 15),
        is_current=False,
    )
    current = services.contract_create(
        beneficiary=person,
        values=contract_values(start_date=datetime.date(2025, 8, 1), signed_on=None),
        planned=[],
        by=sophie,
    )
    with pytest.raises(ValidationError, match="du 15/01/2025 au 15/07/2025"):
        services.contract_revise(
            contract=current,
            expected_version=current.lock_version,
            values=contract_values(start_date=datetime.date(2025, 6, 1), signed_on=None),
            planned=[],
            reason="Début avancé",
            by=sophie,
        )


def test_the_database_refuses_two_first_versions_starting_the_same_day(person):
    ContractFactory(beneficiary=person, is_current=False)
    with pytest.raises(IntegrityError):
        ContractFactory(beneficiary=person)


def test_the_contract_page_refuses_an_overlapping_contract(client_as, person, sophie):
    ContractFactory(
        beneficiary=person,
        start_date=TODAY - datetime.timedelta(days=30),
        end_date=TODAY + datetime.timedelta(days=150),
        signed_on=TODAY - datetime.timedelta(days=30),
    )
    response = client_as(sophie).post(
        reverse("beneficiaries:contract_create", args=[person.pk]), contract_post()
    )
    assert response.status_code == 422
    assert "Un contrat couvre déjà cette période : contrat d&#x27;engagement du" in (
        response.content.decode()
    )
    assert Contract.objects.filter(beneficiary=person).count() == 1


# --- A form posted again -------------------------------------------------------------------------


def test_a_blank_form_carries_a_new_token_each_time(client_as, person, sophie):
    client = client_as(sophie)
    url = reverse("beneficiaries:contract_create", args=[person.pk])
    first = client.get(url).context["form"][TOKEN_FIELD].value()
    second = client.get(url).context["form"][TOKEN_FIELD].value()
    assert first
    assert first != second
    assert f'name="{TOKEN_FIELD}"' in client.get(url).content.decode()


def test_a_contract_posted_twice_is_saved_once(client_as, person, sophie):
    client = client_as(sophie)
    url = reverse("beneficiaries:contract_create", args=[person.pk])
    token = uuid.uuid4()
    assert client.post(url, contract_post(token)).status_code == 302
    again = client.post(url, contract_post(token), follow=True)
    assert ALREADY_SAVED in messages_of(again)
    assert again.redirect_chain[-1][0] == reverse("beneficiaries:file", args=[person.pk]) + (
        "#contrat"
    )
    assert Contract.objects.filter(beneficiary=person).count() == 1


def test_a_refused_post_leaves_its_token_for_the_corrected_one(client_as, person, sophie):
    client = client_as(sophie)
    url = reverse("beneficiaries:contract_create", args=[person.pk])
    token = uuid.uuid4()
    refused = client.post(url, contract_post(token, start_date="1900-01-01"))
    assert refused.status_code == 422
    assert refused.context["form"][TOKEN_FIELD].value() == str(token)
    assert client.post(url, contract_post(token)).status_code == 302
    assert Contract.objects.filter(beneficiary=person).count() == 1


QUICK_FORMS = {
    "interview_add": (
        Interview,
        "entretien",
        lambda: {"kind": "individual", "date": TODAY.isoformat(), "note": ""},
    ),
    "obstacle_add": (
        Obstacle,
        "frein",
        lambda: {"kind": "mobility", "identified_on": TODAY.isoformat(), "note": ""},
    ),
    "prescription_add": (
        Prescription,
        "prescription",
        lambda: {"action": ActionFactory().pk, "note": "", "send": "on"},
    ),
    "exit_add": (
        Exit,
        "sortie",
        lambda: {"exit_on": TODAY.isoformat(), "category": ExitCategory.MOVED, "note": ""},
    ),
    "orientation_add": (
        OrientationDecision,
        "orientation",
        lambda: {
            "parcours": "social",
            "organisme": OrganisationFactory(ccas=True).pk,
            "decided_on": TODAY.isoformat(),
        },
    ),
}


@pytest.mark.parametrize("url_name", list(QUICK_FORMS))
def test_a_quick_entry_posted_twice_is_saved_once(client_as, person, sophie, url_name):
    model, prefix, values = QUICK_FORMS[url_name]
    user = sophie if url_name != "orientation_add" else UserFactory(pilot=True)
    client = client_as(user)
    data = {f"{prefix}-{name}": value for name, value in values().items()}
    data[f"{prefix}-{TOKEN_FIELD}"] = str(uuid.uuid4())
    url = reverse(f"beneficiaries:{url_name}", args=[person.pk])
    first = client.post(url, data, follow=True)
    assert first.status_code == 200, first.context["form"].errors if first.context else first
    again = client.post(url, data, follow=True)
    assert again.status_code == 200
    assert again.context["entry_feedback"]["text"] == ALREADY_SAVED  # shown where it was made
    assert again.context["entry_feedback"]["level"] == "info"  # not drawn as a success
    assert model.objects.filter(beneficiary=person).count() == 1


def test_two_blank_forms_make_two_interviews(client_as, person, sophie):
    client = client_as(sophie)
    url = reverse("beneficiaries:interview_add", args=[person.pk])
    for _ in range(2):
        client.post(
            url,
            {
                "entretien-kind": "individual",
                "entretien-date": TODAY.isoformat(),
                f"entretien-{TOKEN_FIELD}": str(uuid.uuid4()),
            },
        )
    assert Interview.objects.filter(beneficiary=person).count() == 2


def test_a_follow_up_after_the_exit_posted_twice_is_saved_once(client_as, sophie):
    person = ReferentAssignmentFactory(
        referent=sophie,
        structure=sophie.organisation,
        beneficiary=BeneficiaryFactory(
            rsa_requested_on=datetime.date(2020, 1, 1), right_opened_on=datetime.date(2020, 1, 1)
        ),
    ).beneficiary
    ExitFactory(
        beneficiary=person,
        exit_on=TODAY - relativedelta(months=7),
        category=ExitCategory.END_OF_RIGHT,
    )
    client = client_as(sophie)
    url = reverse("beneficiaries:exit_follow_up_record", args=[person.pk, "6"])
    data = {
        "suivi-6-recorded_on": TODAY.isoformat(),
        "suivi-6-situation": FollowUpSituation.EMPLOYED,
        "suivi-6-contract_type": ExitContract.CDI,
        f"suivi-6-{TOKEN_FIELD}": str(uuid.uuid4()),
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert again.context["entry_feedback"]["text"] == ALREADY_SAVED  # shown where it was made
    assert again.context["entry_feedback"]["level"] == "info"  # not drawn as a success
    assert ExitFollowUp.objects.filter(exit__beneficiary=person, milestone="6").count() == 1


def test_a_new_file_posted_twice_is_created_once(client_as):
    commune = CommuneFactory()
    client = client_as(UserFactory(pilot=True))
    data = {
        "last_name": "BENALI",
        "birth_name": "",
        "first_name": "Mohamed",
        "birth_date": "1990-01-01",
        "sex": "M",
        "household_role": "applicant",
        "email": "",
        "phone": "",
        "rights_and_duties": "subject",
        "rsa_requested_on": "2025-01-10",
        "right_opened_on": "2025-02-01",
        "right_known_on": "2025-02-05",
        "payer": "caf",
        "caf_number": "7600002",
        "address": "",
        "commune": commune.pk,
        "family_situation": "single",
        TOKEN_FIELD: str(uuid.uuid4()),
    }
    url = reverse("beneficiaries:create")
    first = client.post(url, data)
    assert first.status_code == 302, first.context["form"].errors
    again = client.post(url, data, follow=True)
    person = Beneficiary.objects.get()
    assert ALREADY_SAVED in messages_of(again)
    assert again.redirect_chain[-1][0] == reverse("beneficiaries:file", args=[person.pk])


def test_tokens_older_than_a_week_are_pruned_on_write(client_as, person, sophie):
    old = FormSubmission.objects.create(token=uuid.uuid4(), user=sophie)
    FormSubmission.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    client_as(sophie).post(
        reverse("beneficiaries:contract_create", args=[person.pk]), contract_post(uuid.uuid4())
    )
    assert not FormSubmission.objects.filter(pk=old.pk).exists()
    assert FormSubmission.objects.count() == 1


def test_another_users_token_says_nothing_of_what_it_created(client_as, person, sophie):
    token = uuid.uuid4()
    url = reverse("beneficiaries:contract_create", args=[person.pk])
    client_as(sophie).post(url, contract_post(token))
    pilot = client_as(UserFactory(pilot=True))
    again = pilot.post(url, contract_post(token))
    assert again.status_code == 302
    assert again.url == reverse("beneficiaries:file", args=[person.pk]) + "#contrat"
    assert FormSubmission.objects.get(token=token).user == sophie


# --- Plausible dates -----------------------------------------------------------------------------


def interview(client, person, day):
    return client.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {"entretien-kind": "individual", "entretien-date": day},
    )


def test_an_interview_before_the_persons_birth_is_refused(client_as, person, sophie):
    response = interview(client_as(sophie), person, "1900-01-01")
    assert response.status_code == 422
    assert (
        "La date doit être postérieure à la naissance de la personne, le 15/06/1985."
        in response.content.decode()
    )
    assert not Interview.objects.exists()


def test_an_interview_before_the_rsa_request_is_refused(client_as, person, sophie):
    response = interview(client_as(sophie), person, "2023-12-31")
    assert response.status_code == 422
    assert (
        "La date doit être postérieure à la demande de RSA du 10/01/2024."
        in response.content.decode()
    )
    assert interview(client_as(sophie), person, "2024-01-10").status_code == 302


def test_a_contract_starting_more_than_a_year_ahead_is_refused(client_as, person, sophie):
    start = TODAY + relativedelta(years=1, days=1)
    response = client_as(sophie).post(
        reverse("beneficiaries:contract_create", args=[person.pk]),
        contract_post(
            start_date=start.isoformat(),
            end_date=(start + relativedelta(months=6)).isoformat(),
            signed_on="",
        ),
    )
    assert response.status_code == 422
    latest = TODAY + relativedelta(years=1)
    assert f"La date ne peut pas dépasser le {latest:%d/%m/%Y} (un an)." in (
        response.content.decode()
    )
    assert response.context["form"].errors["start_date"]


def test_the_limit_ahead_is_a_setting(settings, person, sophie):
    settings.PTI_EVENT_YEARS_AHEAD = 2
    start = TODAY + relativedelta(years=1, months=6)
    contract = services.contract_create(
        beneficiary=person,
        values=contract_values(
            start_date=start, end_date=start + relativedelta(months=6), signed_on=None
        ),
        planned=[],
        by=sophie,
    )
    assert contract.start_date == start


EARLY = datetime.date(2023, 6, 1)
REFUSED = "La date doit être postérieure à la demande de RSA du 10/01/2024."


def test_every_event_of_the_file_refuses_a_date_before_the_request(person, sophie):
    orientation = {
        "parcours": "social",
        "organisme": OrganisationFactory(ccas=True),
        "by": UserFactory(pilot=True),
    }
    writes = [
        lambda: services.interview_add(
            beneficiary=person, kind="individual", date=EARLY, note="", by=sophie
        ),
        lambda: services.obstacle_identify(
            beneficiary=person, kind="mobility", identified_on=EARLY, note="", by=sophie
        ),
        lambda: services.orientation_decide(
            beneficiary=person, decided_on=EARLY, notified_on=None, **orientation
        ),
        lambda: services.orientation_decide(
            beneficiary=person, decided_on=TODAY, notified_on=EARLY, **orientation
        ),
        lambda: services.contract_create(
            beneficiary=person, values=contract_values(signed_on=EARLY), planned=[], by=sophie
        ),
        lambda: services.referent_assign(
            beneficiary=person,
            referent=UserFactory(referent=True),
            start_date=EARLY,
            reason="first",
            by=UserFactory(pilot=True),
        ),
        lambda: services.exit_record(
            beneficiary=person,
            exit_on=EARLY,
            category=ExitCategory.MOVED,
            contract_type="",
            contract_days=None,
            note="",
            by=sophie,
        ),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as refused:
            write()
        assert REFUSED in refused.value.messages


def test_an_operator_start_before_the_request_is_refused(person):
    prescription = Prescription.objects.create(
        beneficiary=person,
        action=ActionFactory(),
        status=PrescriptionStatus.ACCEPTED,
        prescribed_on=TODAY,
    )
    with pytest.raises(ValidationError) as refused:
        services.prescription_start(
            prescription=prescription, started_on=EARLY, sessions_planned=4, by=None
        )
    assert refused.value.messages == [REFUSED]


# --- Hours per week ------------------------------------------------------------------------------


def test_the_hours_are_a_number_input_within_the_models_limits(client_as, person, sophie):
    page = client_as(sophie).get(reverse("beneficiaries:contract_create", args=[person.pk]))
    field = str(page.context["form"]["weekly_hours"])
    for attribute in ('type="number"', 'min="0"', 'max="35"', 'step="0.1"', 'inputmode="decimal"'):
        assert attribute in field


def test_hours_typed_the_french_way_are_read(client_as, person, sophie):
    response = client_as(sophie).post(
        reverse("beneficiaries:contract_create", args=[person.pk]),
        contract_post(weekly_hours="15,5"),
    )
    assert response.status_code == 302
    assert Contract.objects.get(beneficiary=person).weekly_hours == Decimal("15.5")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("36", "Au plus 35 heures par semaine."),
        ("-1", "Les heures ne peuvent pas être négatives."),
        ("12,25", "Une décimale au plus, par exemple 12,5."),
        ("quinze", "Saisissez un nombre d&#x27;heures, par exemple 15 ou 12,5."),
    ],
)
def test_hours_out_of_the_limits_are_refused(client_as, person, sophie, typed, message):
    response = client_as(sophie).post(
        reverse("beneficiaries:contract_create", args=[person.pk]),
        contract_post(weekly_hours=typed),
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Contract.objects.exists()
