"""The legal deadlines (DOMAIN.md) computed from the dates, for one file and in the lists."""

import datetime

import pytest
from django.utils import timezone

from beneficiaries.deadlines import DUE_LABELS, due_items
from beneficiaries.models import Beneficiary
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    InterviewFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
)

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
