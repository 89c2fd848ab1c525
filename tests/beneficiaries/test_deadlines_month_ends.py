"""Deadlines at month ends: the file, the lists and the counters say the same thing on every day.

A month added to 28 February is 28 March, a month taken from 30 March is 28 February: the
lists once compared the notification with today less a month while the file added a month to
the notification, and they disagreed for up to three days at the end of a short month. Every
deadline now has one definition (`deadlines.deadline`, `deadlines.is_late`) and the lists
compare with a threshold computed from it.
"""

import datetime
import io
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils import timezone

from beneficiaries import services
from beneficiaries.deadlines import (
    DUE_LABELS,
    deadline,
    due_items,
    is_late,
    last_late_start,
    latest_start,
)
from beneficiaries.enums import LongReviewReason, Parcours
from beneficiaries.models import (
    Beneficiary,
    Contract,
    Household,
    Interview,
    OrientationDecision,
    due_conditions,
)
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    HouseholdFactory,
    InterviewFactory,
    OrientationDecisionFactory,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
# The deadlines counted in months or weeks (the others are counted in days).
CALENDAR_DELAYS = ["orientation", "contract", "social_review", "social_review_long", "no_interview"]
# The lists and counters show these only once late; the file shows them as soon as they are due.
LATE_ONLY = {"orientation", "contract"}
# The codes the year's sweep compares: every deadline but the closing for lack of contact,
# counted in days and tested with the retention.
SWEPT = set(DUE_LABELS) - {"no_contact"}


def days(first, last):
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def listed_codes(row, today):
    """The codes under which the lists and counters must show a person, from the file's rules."""
    return {due.code for due in due_items(row, today) if due.late or due.code not in LATE_ONLY}


def freeze_today(monkeypatch, day):
    """Every `timezone.now()` (hence `timezone.localdate()`) answers `day` at 10:00."""
    moment = datetime.datetime(day.year, day.month, day.day, 10, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


# --- deadline(): the start plus the delay, as the calendar counts -------------------------------


@pytest.mark.parametrize(
    ("start", "name", "due"),
    [
        (D(2026, 2, 28), "contract", D(2026, 3, 28)),
        (D(2026, 2, 27), "contract", D(2026, 3, 27)),
        (D(2026, 1, 31), "contract", D(2026, 2, 28)),
        (D(2026, 1, 29), "contract", D(2026, 2, 28)),
        (D(2028, 1, 31), "contract", D(2028, 2, 29)),
        (D(2028, 2, 29), "contract", D(2028, 3, 29)),
        (D(2026, 3, 31), "contract", D(2026, 4, 30)),
        (D(2026, 12, 31), "contract", D(2027, 1, 31)),
        (D(2025, 8, 31), "social_review", D(2026, 2, 28)),
        (D(2027, 8, 31), "social_review", D(2028, 2, 29)),
        (D(2028, 2, 29), "social_review_long", D(2029, 2, 28)),
        (D(2025, 11, 30), "no_interview", D(2026, 2, 28)),
        (D(2026, 1, 19), "orientation", D(2026, 3, 2)),
        (D(2028, 1, 18), "orientation", D(2028, 2, 29)),
    ],
)
def test_a_deadline_adds_the_delay_as_the_calendar_does(start, name, due):
    assert deadline(start, name) == due


def test_a_deadline_is_met_on_its_day_and_late_the_day_after():
    due = deadline(D(2026, 2, 28), "contract")
    assert not is_late(due, D(2026, 3, 27))
    assert not is_late(due, D(2026, 3, 28))
    assert is_late(due, D(2026, 3, 29))


@pytest.mark.parametrize(
    ("name", "today", "last_late"),
    [
        # On 30/03/2026 a month from 28/02 (28/03) is past: 28/02 is the last start late.
        ("contract", D(2026, 3, 30), D(2026, 2, 28)),
        ("contract", D(2026, 3, 31), D(2026, 2, 28)),
        ("contract", D(2026, 4, 1), D(2026, 2, 28)),
        ("contract", D(2026, 4, 2), D(2026, 3, 1)),
        ("contract", D(2026, 3, 29), D(2026, 2, 28)),
        ("contract", D(2026, 3, 28), D(2026, 2, 27)),
        # On 01/03 a month from 29, 30 or 31 January (28/02) is past.
        ("contract", D(2026, 3, 1), D(2026, 1, 31)),
        ("contract", D(2026, 2, 28), D(2026, 1, 27)),
        # 29 February: a month from it is 29 March.
        ("contract", D(2028, 3, 1), D(2028, 1, 31)),
        ("contract", D(2028, 3, 29), D(2028, 2, 28)),
        ("contract", D(2028, 3, 30), D(2028, 2, 29)),
        ("contract", D(2028, 3, 31), D(2028, 2, 29)),
        ("orientation", D(2026, 3, 30), D(2026, 2, 15)),
        ("no_interview", D(2026, 5, 31), D(2026, 2, 28)),
    ],
)
def test_the_last_late_start_is_the_inverse_of_the_deadline(name, today, last_late):
    assert last_late_start(name, today) == last_late
    assert is_late(deadline(last_late, name), today)
    assert not is_late(deadline(last_late + ONE_DAY, name), today)


@pytest.mark.parametrize("year", [2026, 2028])
def test_the_thresholds_agree_with_the_deadline_on_every_day_of_the_year(year):
    """For every day of a common year and of a leap year and every deadline counted in months
    or weeks: a start is late if and only if it is on or before the threshold, and due within
    a horizon if and only if it is on or before `latest_start`."""
    for today in days(D(year, 1, 1), D(year, 12, 31)):
        for name in CALENDAR_DELAYS:
            threshold = last_late_start(name, today)
            horizon = today + datetime.timedelta(days=30)
            due_by = latest_start(name, horizon)
            for offset in range(-8, 9):
                start = threshold + datetime.timedelta(days=offset)
                assert (start <= threshold) == is_late(deadline(start, name), today), (name, today)
                start = due_by + datetime.timedelta(days=offset)
                assert (start <= due_by) == (deadline(start, name) <= horizon), (name, today)


# --- The lists and counters against the file, every day of a year --------------------------------


def people_for_every_start(year):
    """One person per possible start of each deadline around `year`, written at once:

    - not oriented, the right known on the day;
    - oriented, notified on the day, no contract;
    - in a social parcours with a contract signed on the day, reviewed at 6 months, and one
      reviewed at 12 months (health);
    each with an interview on the day (the 3 months without interview)."""
    territory = TerritoryFactory()
    organisme = OrganisationFactory()
    referent = UserFactory(referent=True)
    first = D(year - 2, 12, 1)
    plans = [("not_oriented", day) for day in days(D(year - 1, 11, 10), D(year, 12, 1))]
    plans += [("notified", day) for day in days(D(year - 1, 11, 25), D(year, 12, 1))]
    plans += [("signed", day) for day in days(D(year - 1, 6, 25), D(year, 7, 5))]
    plans += [("signed_long", day) for day in days(first, D(year, 1, 31))]
    households = Household.objects.bulk_create(
        HouseholdFactory.build(territory=territory, caf_number=f"{5000000 + n}")
        for n in range(len(plans))
    )
    people = Beneficiary.objects.bulk_create(
        BeneficiaryFactory.build(
            household=household,
            last_name=f"Nom{n}",
            rsa_requested_on=first - datetime.timedelta(days=60),
            right_opened_on=first - datetime.timedelta(days=60),
            right_known_on=day if kind == "not_oriented" else first - datetime.timedelta(days=60),
        )
        for n, (household, (kind, day)) in enumerate(zip(households, plans, strict=True))
    )
    orientations, contracts, interviews = [], [], []
    for person, (kind, day) in zip(people, plans, strict=True):
        interviews.append(
            Interview(beneficiary=person, kind="individual", date=day, referent=referent)
        )
        if kind == "not_oriented":
            continue
        notified = day if kind == "notified" else day - datetime.timedelta(days=10)
        orientations.append(
            OrientationDecision(
                beneficiary=person,
                parcours=Parcours.SOCIAL,
                organisme=organisme,
                decided_on=notified,
                notified_on=notified,
            )
        )
        if kind != "notified":
            contracts.append(
                ContractFactory.build(
                    beneficiary=person,
                    start_date=day,
                    signed_on=day,
                    end_date=D(year + 3, 1, 1),
                    long_review_reason=LongReviewReason.HEALTH if kind == "signed_long" else "",
                )
            )
    OrientationDecision.objects.bulk_create(orientations)
    Contract.objects.bulk_create(contracts)
    Interview.objects.bulk_create(interviews)


@pytest.mark.parametrize("year", [2026, 2028])
def test_lists_and_counters_agree_with_the_file_on_every_day_of_the_year(year):
    people_for_every_start(year)
    rows = list(Beneficiary.objects.with_followup())
    people = Beneficiary.objects.all()
    disagreements = []
    for today in days(D(year, 1, 1), D(year, 12, 31)):
        expected = {code: set() for code in SWEPT}
        for row in rows:
            for code in listed_codes(row, today) & SWEPT:
                expected[code].add(row.pk)
        found = {code: set() for code in SWEPT}
        flags_of_today = {
            code: Case(When(condition, then=Value(True)), default=Value(False))
            for code, condition in due_conditions(today).items()
            if code in SWEPT
        }
        for pk, *flags in people.annotate(**flags_of_today).values_list("pk", *SWEPT):
            for code, flag in zip(SWEPT, flags, strict=True):
                if flag:
                    found[code].add(pk)
        for code in SWEPT:
            if found[code] != expected[code]:
                disagreements.append((today, code, len(found[code] ^ expected[code])))
        if today.day in (1, 28, 29, 30, 31):
            counts = Beneficiary.objects.due_counts(today)
            assert {code: counts[code] for code in SWEPT} == {
                code: len(pks) for code, pks in expected.items()
            }, today
    assert disagreements == []


# --- The case: two people oriented on 27 and 28 February, seen on 30 March 2026 ------------------


@pytest.fixture
def imported_case(monkeypatch, tmp_path, settings):
    """The case file imported by `import_beneficiaries` on 30/03/2026, then both people oriented
    through the service, one notified on 28/02, the other on 27/02."""
    settings.MEDIA_ROOT = tmp_path / "media"
    freeze_today(monkeypatch, D(2026, 3, 30))
    territory = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    CommuneFactory(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
    )
    sophie = UserFactory(referent=True, username="sdurand", first_name="Sophie", last_name="Durand")
    pilot = UserFactory(pilot=True, username="pilote")
    path = tmp_path / "personnes.csv"
    shutil.copy(FILES / "case_month_end_deadline_people.csv", path)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_beneficiaries", str(path), "--user", "pilote", stdout=out, stderr=err)
    assert out.getvalue() == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée.\n"
    organisme = OrganisationFactory(name="Département de la Loire")
    people = {}
    for first_name, notified in (("Lucie", D(2026, 2, 28)), ("Damien", D(2026, 2, 27))):
        person = Beneficiary.objects.get(first_name=first_name)
        services.orientation_decide(
            beneficiary=person,
            parcours=Parcours.SOCIAL,
            organisme=organisme,
            decided_on=notified,
            notified_on=notified,
            by=pilot,
        )
        people[first_name] = person
    return {"sophie": sophie, "pilot": pilot, **people}


def text_of(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_case_file_the_counter_the_filter_and_the_pilots_list_agree(imported_case, client_as):
    lucie, damien = imported_case["Lucie"], imported_case["Damien"]
    referent = client_as(imported_case["sophie"])

    for person, due in ((lucie, "28/03/2026"), (damien, "27/03/2026")):
        page = text_of(referent.get(reverse("beneficiaries:file", args=[person.pk])))
        assert f"En retard contrat à signer – échéance {due}" in page

    portfolio = referent.get(reverse("beneficiaries:portfolio"))
    assert "2 contrats en retard" in text_of(portfolio)
    filtered = text_of(referent.get(reverse("beneficiaries:portfolio"), {"due": "contract"}))
    assert "2 personnes" in filtered
    assert "CHAPUIS Lucie" in filtered
    assert "CARREL Damien" in filtered

    pilot = client_as(imported_case["pilot"])
    listed = text_of(pilot.get(reverse("beneficiaries:list"), {"due": "contract"}))
    assert "2 personnes" in listed
    assert "CHAPUIS Lucie" in listed
    assert "CARREL Damien" in listed
    assert "En retard contrat à signer (28/03/2026)" in listed


def test_on_the_deadline_day_itself_nobody_is_late_anywhere(imported_case, client_as, monkeypatch):
    freeze_today(monkeypatch, D(2026, 3, 27))
    referent = client_as(imported_case["sophie"])
    page = text_of(referent.get(reverse("beneficiaries:file", args=[imported_case["Damien"].pk])))
    assert "À venir contrat à signer – échéance 27/03/2026" in page
    assert "0 contrat en retard" in text_of(referent.get(reverse("beneficiaries:portfolio")))

    # The next day Damien is late (27/02 + 1 month = 27/03), Lucie not yet (28/03).
    freeze_today(monkeypatch, D(2026, 3, 28))
    referent = client_as(imported_case["sophie"])  # the session of the day before has expired
    assert "1 contrat en retard" in text_of(referent.get(reverse("beneficiaries:portfolio")))
    listed = text_of(referent.get(reverse("beneficiaries:portfolio"), {"due": "contract"}))
    assert "CARREL Damien" in listed
    assert "CHAPUIS Lucie" not in listed


def test_a_person_who_has_left_has_nothing_due_in_any_list(imported_case, client_as):
    damien = imported_case["Damien"]
    ExitFactory(beneficiary=damien, exit_on=D(2026, 3, 20), recorded_by=imported_case["sophie"])
    referent = client_as(imported_case["sophie"])

    assert "1 contrat en retard" in text_of(referent.get(reverse("beneficiaries:portfolio")))
    pilot = client_as(imported_case["pilot"])
    for state in ("all", "exited"):
        listed = text_of(
            pilot.get(reverse("beneficiaries:list"), {"due": "contract", "state": state})
        )
        assert "CARREL Damien" not in listed
    assert set(Beneficiary.objects.due("contract", D(2026, 3, 30))) == {imported_case["Lucie"]}
    page = text_of(referent.get(reverse("beneficiaries:file", args=[damien.pk])))
    assert "contrat à signer" not in page


# --- Each deadline across a month end, in the file and in the lists ---------------------------


def shown(person, today):
    """(the file's codes as the lists count them, the lists' codes, the counters' codes)."""
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    people = Beneficiary.objects.filter(pk=person.pk)
    in_lists = {code for code in SWEPT if people.with_followup().due(code, today).exists()}
    counts = people.due_counts(today)
    counted = {code for code in SWEPT if counts[code]}
    return listed_codes(row, today) & SWEPT, in_lists, counted


def assert_agree(person, today, *, code, expected):
    in_file, in_lists, counted = shown(person, today)
    assert in_file == in_lists == counted, today
    assert (code in in_file) is expected, today


def seen(person, on):
    InterviewFactory(beneficiary=person, date=on)
    return person


def test_a_reorientation_restarts_the_month_across_a_month_end():
    person = seen(BeneficiaryFactory(right_known_on=D(2025, 6, 2)), D(2026, 2, 20))
    OrientationDecisionFactory(
        beneficiary=person, decided_on=D(2025, 6, 10), notified_on=D(2025, 6, 12)
    )
    ContractFactory(
        beneficiary=person,
        start_date=D(2025, 7, 1),
        signed_on=D(2025, 7, 1),
        end_date=D(2026, 7, 1),
    )
    person.orientations.update(is_current=False)
    OrientationDecisionFactory(
        beneficiary=person,
        parcours=Parcours.SOCIAL,
        decided_on=D(2026, 1, 30),
        notified_on=D(2026, 1, 31),
        is_reorientation=True,
        reason="Projet professionnel",
    )
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    [due] = [item for item in due_items(row, D(2026, 2, 28)) if item.code == "contract"]
    assert due.date == D(2026, 2, 28)
    for today, late in ((D(2026, 2, 28), False), (D(2026, 3, 1), True), (D(2026, 3, 3), True)):
        assert_agree(person, today, code="contract", expected=late)


def test_a_contract_notified_on_29_february_is_late_from_30_march():
    person = seen(BeneficiaryFactory(right_known_on=D(2028, 1, 10)), D(2028, 3, 1))
    OrientationDecisionFactory(
        beneficiary=person, decided_on=D(2028, 2, 28), notified_on=D(2028, 2, 29)
    )
    for today, late in ((D(2028, 3, 29), False), (D(2028, 3, 30), True), (D(2028, 3, 31), True)):
        assert_agree(person, today, code="contract", expected=late)


def test_a_contract_notified_on_31_january_is_late_from_1_march_in_a_common_year():
    person = seen(BeneficiaryFactory(right_known_on=D(2026, 1, 2)), D(2026, 2, 20))
    OrientationDecisionFactory(
        beneficiary=person, decided_on=D(2026, 1, 30), notified_on=D(2026, 1, 31)
    )
    for today, late in ((D(2026, 2, 28), False), (D(2026, 3, 1), True)):
        assert_agree(person, today, code="contract", expected=late)


def test_the_orientation_deadline_falls_on_29_february():
    person = seen(BeneficiaryFactory(right_known_on=D(2028, 1, 18)), D(2028, 2, 20))
    row = Beneficiary.objects.with_followup().get(pk=person.pk)
    [due] = [item for item in due_items(row, D(2028, 2, 29)) if item.code == "orientation"]
    assert due.date == D(2028, 2, 29)
    for today, late in ((D(2028, 2, 29), False), (D(2028, 3, 1), True)):
        assert_agree(person, today, code="orientation", expected=late)


def test_three_months_without_interview_counted_from_the_end_of_february():
    # 28/02 + 3 months = 28/05: on 31/05 it has been more than three months, in every view.
    person = seen(BeneficiaryFactory(right_known_on=D(2026, 1, 2)), D(2026, 2, 28))
    OrientationDecisionFactory(
        beneficiary=person, decided_on=D(2026, 1, 10), notified_on=D(2026, 1, 12)
    )
    ContractFactory(
        beneficiary=person,
        start_date=D(2026, 2, 1),
        signed_on=D(2026, 2, 1),
        end_date=D(2027, 2, 1),
    )
    for today, late in ((D(2026, 5, 28), False), (D(2026, 5, 29), True), (D(2026, 5, 31), True)):
        assert_agree(person, today, code="interview", expected=late)


@pytest.mark.parametrize(
    ("signed", "long_review", "first_shown"),
    [
        # 31/08/2025 + 6 months = 28/02/2026, announced 30 days before: from 29/01/2026.
        (D(2025, 8, 31), "", D(2026, 1, 29)),
        # 31/08/2027 + 6 months = 29/02/2028: from 30/01/2028.
        (D(2027, 8, 31), "", D(2028, 1, 30)),
        # 29/02/2028 + 12 months (health) = 28/02/2029: from 29/01/2029.
        (D(2028, 2, 29), LongReviewReason.HEALTH, D(2029, 1, 29)),
    ],
)
def test_the_social_review_is_announced_the_same_day_everywhere(signed, long_review, first_shown):
    person = seen(BeneficiaryFactory(right_known_on=signed - datetime.timedelta(days=60)), signed)
    OrientationDecisionFactory(
        beneficiary=person,
        parcours=Parcours.SOCIAL,
        decided_on=signed - datetime.timedelta(days=20),
        notified_on=signed - datetime.timedelta(days=15),
    )
    ContractFactory(
        beneficiary=person,
        start_date=signed,
        signed_on=signed,
        end_date=signed + datetime.timedelta(days=800),
        long_review_reason=long_review,
    )
    for today in days(first_shown - datetime.timedelta(days=3), first_shown + ONE_DAY):
        seen(person, today)  # no other deadline on the way
        assert_agree(person, today, code="review", expected=today >= first_shown)
