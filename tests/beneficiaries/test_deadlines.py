"""The legal deadlines (DOMAIN.md) computed from the dates, for one file and in the lists."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from beneficiaries import services
from beneficiaries.deadlines import DUE_LABELS, due_items
from beneficiaries.models import Beneficiary, FluxListing
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    InterviewFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def codes(person, *, late_only=False):
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    return {due.code for due in due_items(row, TODAY) if due.late or not late_only}


def filtered(code):
    return set(Beneficiary.objects.with_followup().due(code, TODAY))


def recently_seen(person):
    InterviewFactory(beneficiary=person, date=days_ago(5))
    return person


# --- Orientation: 6 weeks after the département learns the right is open ---------------------


def test_orientation_is_due_within_6_weeks_and_late_after():
    on_time = recently_seen(BeneficiaryFactory(right_known_on=days_ago(41)))
    last_day = recently_seen(BeneficiaryFactory(right_known_on=days_ago(42)))
    late = recently_seen(BeneficiaryFactory(right_known_on=days_ago(43)))
    row = Beneficiary.objects.with_followup().get(pk=late.pk)
    [orientation] = [d for d in due_items(row, TODAY) if d.code == "orientation"]
    assert orientation.date == days_ago(43) + datetime.timedelta(weeks=6)
    assert orientation.late
    assert "orientation" in codes(on_time)
    assert "orientation" not in codes(on_time, late_only=True)
    assert "orientation" not in codes(last_day, late_only=True)
    assert filtered("orientation") == {late}


def test_the_orientation_delay_is_a_setting(settings):
    person = recently_seen(BeneficiaryFactory(right_known_on=days_ago(30)))
    assert filtered("orientation") == set()
    settings.PTI_DELAYS = {**settings.PTI_DELAYS, "orientation": {"weeks": 4}}
    assert filtered("orientation") == {person}


def test_an_oriented_person_has_no_orientation_due():
    person = recently_seen(BeneficiaryFactory(right_known_on=days_ago(100)))
    OrientationDecisionFactory(
        beneficiary=person, decided_on=days_ago(60), notified_on=days_ago(58)
    )
    ContractFactory(
        beneficiary=person,
        start_date=days_ago(50),
        end_date=TODAY + datetime.timedelta(days=120),
        signed_on=days_ago(50),
    )
    assert "orientation" not in codes(person)
    assert filtered("orientation") == set()


# --- Contract: 1 month after the orientation is notified ----------------------------------------


def oriented(notified_days_ago, **orientation):
    person = recently_seen(BeneficiaryFactory(right_known_on=days_ago(notified_days_ago + 20)))
    OrientationDecisionFactory(
        beneficiary=person,
        decided_on=days_ago(notified_days_ago + 3),
        notified_on=days_ago(notified_days_ago),
        **orientation,
    )
    return person


def test_a_contract_is_late_one_month_after_the_notification():
    waiting = oriented(20)
    late = oriented(40)
    signed = oriented(40)
    ContractFactory(
        beneficiary=signed,
        start_date=days_ago(10),
        end_date=TODAY + datetime.timedelta(days=170),
        signed_on=days_ago(10),
    )
    assert "contract" in codes(waiting)
    assert "contract" not in codes(waiting, late_only=True)
    assert "contract" in codes(late, late_only=True)
    assert "contract" not in codes(signed)
    assert filtered("contract") == {late}


def test_a_reorientation_restarts_the_month_for_the_contract():
    person = oriented(200)
    ContractFactory(
        beneficiary=person,
        start_date=days_ago(190),
        end_date=TODAY + datetime.timedelta(days=100),
        signed_on=days_ago(190),
    )
    assert "contract" not in codes(person)
    person.orientations.update(is_current=False)
    OrientationDecisionFactory(
        beneficiary=person,
        decided_on=days_ago(45),
        notified_on=days_ago(40),
        is_reorientation=True,
        reason="Projet professionnel",
    )
    assert "contract" in codes(person, late_only=True)
    assert filtered("contract") == {person}


# --- Social parcours review: 6 months after signing, 12 for health, disability, housing, family --


def social_contract(signed_days_ago, **contract):
    person = oriented(signed_days_ago + 10, parcours="social")
    ContractFactory(
        beneficiary=person,
        start_date=days_ago(signed_days_ago),
        end_date=TODAY + datetime.timedelta(days=400),
        signed_on=days_ago(signed_days_ago),
        **contract,
    )
    return person


def test_a_social_parcours_is_reviewed_after_6_months_or_12_for_some_reasons():
    not_yet = social_contract(100)
    soon = social_contract(170)
    late = social_contract(200)
    long_review = social_contract(200, long_review_reason="health")
    long_review_late = social_contract(370, long_review_reason="housing")
    assert "review" not in codes(not_yet)
    assert "review" in codes(soon)
    assert "review" not in codes(soon, late_only=True)
    assert "review" in codes(late, late_only=True)
    assert "review" not in codes(long_review)
    assert "review" in codes(long_review_late, late_only=True)
    assert filtered("review") == {soon, late, long_review_late}


def test_an_employment_parcours_has_no_review():
    person = oriented(300, parcours="employment")
    ContractFactory(
        beneficiary=person,
        start_date=days_ago(290),
        end_date=TODAY + datetime.timedelta(days=100),
        signed_on=days_ago(290),
    )
    assert "review" not in codes(person)


# --- Contracts ending or ended, legacy contracts -------------------------------------------------


def test_contract_ending_within_30_days_and_contract_ended():
    ending = oriented(200)
    ContractFactory(
        beneficiary=ending,
        start_date=days_ago(150),
        end_date=TODAY + datetime.timedelta(days=30),
        signed_on=days_ago(150),
    )
    later = oriented(200)
    ContractFactory(
        beneficiary=later,
        start_date=days_ago(150),
        end_date=TODAY + datetime.timedelta(days=31),
        signed_on=days_ago(150),
    )
    ended = oriented(400)
    ContractFactory(
        beneficiary=ended, start_date=days_ago(380), end_date=days_ago(1), signed_on=days_ago(380)
    )
    assert filtered("ending") == {ending}
    assert filtered("expired") == {ended}
    assert "expired" in codes(ended, late_only=True)


def test_a_cer_or_ppae_still_current_is_to_be_turned_into_a_ce():
    person = oriented(900)
    ContractFactory(
        beneficiary=person,
        kind="cer",
        start_date=days_ago(700),
        end_date=TODAY + datetime.timedelta(days=60),
        signed_on=days_ago(700),
    )
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    [legacy] = [d for d in due_items(row, TODAY) if d.code == "legacy"]
    assert legacy.date == datetime.date(2027, 1, 1)
    assert filtered("legacy") == {person}


# --- Interviews and prescriptions -----------------------------------------------------------------


def test_no_interview_for_3_months():
    never = BeneficiaryFactory(right_known_on=days_ago(10))
    long_ago = BeneficiaryFactory(right_known_on=days_ago(10))
    InterviewFactory(beneficiary=long_ago, date=TODAY - datetime.timedelta(days=100))
    InterviewFactory(beneficiary=long_ago, date=TODAY - datetime.timedelta(days=200))
    recent = recently_seen(BeneficiaryFactory(right_known_on=days_ago(10)))
    assert filtered("interview") == {never, long_ago}
    assert "interview" not in codes(recent)


def test_prescriptions_waiting_for_an_answer():
    waiting = recently_seen(BeneficiaryFactory(right_known_on=days_ago(10)))
    PrescriptionFactory(beneficiary=waiting, status="sent")
    PrescriptionFactory(beneficiary=waiting, status="sent")
    answered = recently_seen(BeneficiaryFactory(right_known_on=days_ago(10)))
    PrescriptionFactory(beneficiary=answered, status="accepted", action=ActionFactory())
    assert filtered("answer") == {waiting}
    assert Beneficiary.objects.with_followup().get(pk=waiting.pk).pending_prescriptions == 2


def test_an_exited_person_has_nothing_due():
    person = BeneficiaryFactory(right_known_on=days_ago(100))
    ExitFactory(beneficiary=person, exit_on=days_ago(5))
    assert codes(person) == set()


def test_the_counts_are_computed_in_one_query(django_assert_num_queries):
    recently_seen(BeneficiaryFactory(right_known_on=days_ago(100)))
    oriented(40)
    with django_assert_num_queries(1):
        counts = Beneficiary.objects.with_followup().due_counts(TODAY)
    assert counts["total"] == 2
    assert counts["orientation"] == 1
    assert counts["contract"] == 1
    assert set(DUE_LABELS) <= set(counts)


# --- No contact for almost the active-base period: the file will be closed ---------------------


def silent(days):
    """A person in the RSA whose only news is the right, known `days` ago."""
    return BeneficiaryFactory(
        rsa_requested_on=days_ago(days + 30),
        right_opened_on=days_ago(days + 20),
        right_known_on=days_ago(days),
    )


def no_contact_due(person):
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    return next((due for due in due_items(row, TODAY) if due.code == "no_contact"), None)


def test_a_file_without_contact_is_flagged_a_month_before_it_is_closed():
    flagged = silent(700)
    not_yet = silent(699)

    due = no_contact_due(flagged)
    closing = TODAY + datetime.timedelta(days=30)
    assert due.label == (
        f"sans contact depuis bientôt 2 ans : le dossier sera clos le {closing:%d/%m/%Y}"
    )
    assert (due.date, due.late) == (closing, False)
    assert no_contact_due(not_yet) is None
    assert filtered("no_contact") == {flagged}


def test_a_file_past_its_closing_day_is_flagged_late():
    person = silent(731)
    due = no_contact_due(person)
    assert (due.date, due.late) == (days_ago(1), True)
    assert due.label == (
        f"sans contact depuis 2 ans : le dossier est à clore depuis le {days_ago(1):%d/%m/%Y}"
    )
    assert filtered("no_contact") == {person}


def lifted(person, day):
    ObstacleFactory(beneficiary=person, identified_on=days_ago(900), status="lifted", lifted_on=day)


# Every dated event that is news of a person: {name: add one on `day`}.
CONTACTS = {
    "entretien": lambda person, day: InterviewFactory(beneficiary=person, date=day),
    "prescription": lambda person, day: PrescriptionFactory(beneficiary=person, prescribed_on=day),
    "réponse de l'opérateur": lambda person, day: PrescriptionFactory(
        beneficiary=person, status="accepted", prescribed_on=days_ago(900), answered_on=day
    ),
    "entrée en action": lambda person, day: PrescriptionFactory(
        beneficiary=person, status="started", prescribed_on=days_ago(900), started_on=day
    ),
    "sortie d'action": lambda person, day: PrescriptionFactory(
        beneficiary=person, status="completed", prescribed_on=days_ago(900), ended_on=day
    ),
    "orientation décidée": lambda person, day: OrientationDecisionFactory(
        beneficiary=person, decided_on=day, notified_on=None
    ),
    "orientation notifiée": lambda person, day: OrientationDecisionFactory(
        beneficiary=person, decided_on=days_ago(900), notified_on=day
    ),
    "début du contrat": lambda person, day: ContractFactory(
        beneficiary=person,
        start_date=day,
        end_date=day + datetime.timedelta(days=180),
        signed_on=None,
    ),
    "contrat signé": lambda person, day: ContractFactory(
        beneficiary=person, start_date=days_ago(900), end_date=days_ago(720), signed_on=day
    ),
    "désignation du référent": lambda person, day: ReferentAssignmentFactory(
        beneficiary=person, start_date=day
    ),
    "frein identifié": lambda person, day: ObstacleFactory(beneficiary=person, identified_on=day),
    "frein levé": lifted,
    "flux CNAF": lambda person, day: FluxListing.objects.create(beneficiary=person, listed_on=day),
}


@pytest.mark.parametrize("contact", CONTACTS.values(), ids=CONTACTS.keys())
def test_any_contact_within_the_period_removes_the_flag(contact):
    recent = silent(800)
    contact(recent, days_ago(100))
    too_old = silent(800)
    contact(too_old, days_ago(750))

    assert no_contact_due(recent) is None
    assert no_contact_due(too_old).date == days_ago(750) + datetime.timedelta(days=730)
    assert filtered("no_contact") == {too_old}


def test_a_person_who_has_left_is_not_flagged():
    person = silent(800)
    ExitFactory(beneficiary=person, exit_on=days_ago(790))
    assert no_contact_due(person) is None
    assert filtered("no_contact") == set()


def test_the_notice_and_the_period_are_settings(settings):
    person = silent(680)
    assert filtered("no_contact") == set()
    settings.PTI_RETENTION_NOTICE_DAYS = 60
    assert filtered("no_contact") == {person}
    settings.PTI_ACTIVE_RETENTION_DAYS = 1095
    assert filtered("no_contact") == set()
    long_silent = silent(1050)
    assert filtered("no_contact") == {long_silent}
    assert no_contact_due(long_silent).label.startswith("sans contact depuis bientôt 3 ans")


def test_the_referent_and_the_pilot_see_the_flag_until_a_new_contact(client_as):
    referent = UserFactory(referent=True)
    person = BeneficiaryFactory(
        last_name="Oubliée",
        rsa_requested_on=days_ago(900),
        right_opened_on=days_ago(890),
        right_known_on=days_ago(880),
    )
    ReferentAssignmentFactory(beneficiary=person, referent=referent, start_date=days_ago(710))
    BeneficiaryFactory(last_name="Suivie", right_known_on=days_ago(10))
    closing = (days_ago(710) + datetime.timedelta(days=730)).strftime("%d/%m/%Y")
    label = f"sans contact depuis bientôt 2 ans : le dossier sera clos le {closing}"

    portfolio = client_as(referent).get(reverse("beneficiaries:portfolio")).content.decode()
    assert label in portfolio
    assert f"{label} (" not in portfolio  # the date is said once
    assert '<span class="fw-bold">1</span> sans contact : dossier bientôt clos' in portfolio

    pilot = client_as(UserFactory(pilot=True))
    listed = pilot.get(reverse("beneficiaries:list"), {"due": "no_contact"}).content.decode()
    assert "OUBLIÉE" in listed
    assert "SUIVIE" not in listed
    assert label in listed
    file = pilot.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    assert label in file
    assert "– échéance" not in file.split(label)[1].split("</li>")[0]

    services.interview_add(beneficiary=person, kind="phone", date=TODAY, note="", by=referent)
    assert label not in pilot.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    listed = pilot.get(reverse("beneficiaries:list"), {"due": "no_contact"}).content.decode()
    assert "OUBLIÉE" not in listed
