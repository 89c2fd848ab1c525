"""The hours of activity done (beneficiaries.Attendance): the operators' entry, one person or a
whole group in a week, and the person's file set against the contract (the 15-hour rule of
the contrat d'engagement, CASF L262-35). Weeks are ISO weeks, Monday to Sunday."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries.enums import (
    ContractKind,
    ExitCategory,
    ExitContract,
    FileOperation,
    HoursReduction,
)
from beneficiaries.models import Attendance, FileAccess, RefusedAccess, week_start
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_WEEK = week_start(TODAY)


def weeks_ago(n):
    """The Monday `n` weeks before this week's."""
    return THIS_WEEK - datetime.timedelta(weeks=n)


def started(action=None, *, since=4, **person):
    """A prescription the person entered `since` weeks ago (on that week's Monday)."""
    return PrescriptionFactory(
        beneficiary=BeneficiaryFactory(**person),
        action=action or ActionFactory(),
        status=PrescriptionStatus.STARTED,
        started_on=weeks_ago(since),
        sessions_planned=10,
    )


def record(prescription, week, hours, **extra):
    return Attendance.objects.create(
        prescription=prescription,
        week=week,
        hours=Decimal(hours),
        recorded_by=prescription.prescribed_by,
        **extra,
    )


def operator_of(client_as, action):
    return client_as(UserFactory(operator=True, organisation=action.operator))


def page_text(response):
    """The page's text, tags replaced by spaces, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(text).split())


# --- The model's constraints -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "hours"),
    [
        (weeks_ago(1), "60.5"),  # more than a week of one action can hold
        (weeks_ago(1), "-1"),
        (weeks_ago(1) + datetime.timedelta(days=2), "10"),  # a Wednesday, not a Monday
    ],
)
def test_the_database_refuses_hours_out_of_range_or_a_week_not_named_by_its_monday(week, hours):
    prescription = started()
    with pytest.raises(IntegrityError), transaction.atomic():
        record(prescription, week, hours)


def test_one_row_per_prescription_and_week():
    prescription = started()
    record(prescription, weeks_ago(1), 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        record(prescription, weeks_ago(1), 5)
    record(prescription, weeks_ago(2), 60)  # another week, at the top of the range
    record(started(), weeks_ago(1), 0)  # another person, the same week


# --- One person's week, on the operator's page of the prescription ---------------------------


def test_the_operator_records_a_weeks_hours_and_sessions_and_corrects_them(client_as):
    prescription = started()
    operator = operator_of(client_as, prescription.action)
    url = reverse("beneficiaries:operator_hours", args=[prescription.pk])
    wednesday = weeks_ago(1) + datetime.timedelta(days=2)
    response = operator.post(url, {"week": wednesday, "hours": "15,5", "sessions": "3"})
    assert response.status_code == 302
    (row,) = Attendance.objects.all()
    assert (row.week, row.hours, row.sessions) == (weeks_ago(1), Decimal("15.5"), 3)
    prescription.refresh_from_db()
    assert prescription.sessions_attended == 3  # the sum of the weeks' sessions
    assert FileAccess.objects.filter(
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="heures d'activité",
    ).exists()
    # The same week again corrects it; another week adds to the sessions.
    operator.post(url, {"week": weeks_ago(1), "hours": "12", "sessions": "2"})
    operator.post(url, {"week": weeks_ago(2), "hours": "8", "sessions": "1"})
    assert sorted(Attendance.objects.values_list("week", "hours")) == [
        (weeks_ago(2), Decimal("8.00")),
        (weeks_ago(1), Decimal("12.00")),
    ]
    prescription.refresh_from_db()
    assert prescription.sessions_attended == 3  # 2 + 1
    page = page_text(
        operator.get(reverse("beneficiaries:operator_prescription", args=[prescription.pk]))
    )
    assert "Dernières semaines saisies" in page
    assert f"du {weeks_ago(1):%d/%m/%Y} 12 h" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"week": weeks_ago(1), "hours": "61"}, "Au plus 60 heures dans une semaine."),
        ({"week": weeks_ago(1), "hours": "-2"}, "Les heures ne peuvent pas être négatives."),
        ({"week": weeks_ago(1), "hours": "beaucoup"}, "Saisissez un nombre"),
        ({"week": weeks_ago(6), "hours": "10"}, "cette semaine est antérieure."),
        (
            {"week": THIS_WEEK + datetime.timedelta(weeks=1), "hours": "10"},
            "On ne saisit pas les heures d'une semaine qui n'a pas commencé.",
        ),
        (
            {"week": weeks_ago(1), "hours": "10", "sessions": "11"},
            "Cela ferait 11 séances suivies pour 10 prévues",
        ),
    ],
)
def test_a_refused_week_says_why_and_writes_nothing(client_as, data, message):
    prescription = started()
    operator = operator_of(client_as, prescription.action)
    response = operator.post(reverse("beneficiaries:operator_hours", args=[prescription.pk]), data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert not Attendance.objects.exists()


def test_hours_are_recorded_only_once_the_person_has_entered_the_action(client_as):
    prescription = PrescriptionFactory(status=PrescriptionStatus.ACCEPTED)
    operator = operator_of(client_as, prescription.action)
    response = operator.post(
        reverse("beneficiaries:operator_hours", args=[prescription.pk]),
        {"week": weeks_ago(1), "hours": "10"},
    )
    assert response.status_code == 422
    assert "on ne peut pas la compléter d'heures" in page_text(response)
    assert not Attendance.objects.exists()


def test_another_organisations_operator_reaches_neither_the_prescription_nor_the_group(client_as):
    prescription = started()
    stranger = client_as(UserFactory(operator=True))
    response = stranger.post(
        reverse("beneficiaries:operator_hours", args=[prescription.pk]),
        {"week": weeks_ago(1), "hours": "10"},
    )
    assert response.status_code == 404
    response = stranger.get(reverse("beneficiaries:operator_week", args=[prescription.action_id]))
    assert response.status_code == 404
    assert not Attendance.objects.exists()
    assert set(RefusedAccess.objects.values_list("target", "status")) == {
        ("prescription", 404),
        ("action", 404),
    }


# --- A whole group in a week -----------------------------------------------------------------


def test_the_group_page_lists_the_people_in_the_action_that_week_and_records_their_hours(
    client_as,
):
    action = ActionFactory(capacity=20)
    anne = started(action, last_name="Arnaud", first_name="Anne")
    bea = started(action, last_name="Bernard", first_name="Béa")
    cleo = started(action, last_name="Chabert", first_name="Cléo")
    record(bea, weeks_ago(1), 7, sessions=2)
    # Not in the group of that week: entered after it, left the action, another action.
    started(action, since=0, last_name="Tardif")
    PrescriptionFactory(
        action=action,
        status=PrescriptionStatus.COMPLETED,
        started_on=weeks_ago(4),
        beneficiary=BeneficiaryFactory(last_name="Parti"),
    )
    started(last_name="Ailleurs")
    operator = operator_of(client_as, action)
    url = reverse("beneficiaries:operator_week", args=[action.pk])
    response = operator.get(url, {"semaine": weeks_ago(1) + datetime.timedelta(days=3)})
    assert response.status_code == 200
    assert response.context["week"] == weeks_ago(1)
    assert [p.pk for p, _ in response.context["form"].bound_rows()] == [anne.pk, bea.pk, cleo.pk]
    text = page_text(response)
    assert all(name not in text for name in ("TARDIF", "PARTI", "AILLEURS"))
    assert "non saisi" in text
    assert "7 h" in text
    response = operator.post(
        f"{url}?semaine={weeks_ago(1)}",
        {f"heures_{anne.pk}": "15", f"heures_{bea.pk}": "16,5", f"heures_{cleo.pk}": ""},
    )
    assert response.status_code == 302
    rows = {a.prescription_id: a for a in Attendance.objects.filter(week=weeks_ago(1))}
    assert {pk: a.hours for pk, a in rows.items()} == {anne.pk: 15, bea.pk: Decimal("16.5")}
    assert rows[bea.pk].sessions == 2  # the sessions recorded for the week are kept
    assert FileAccess.objects.filter(what="heures d'activité").count() == 2
    followed = operator.get(response.url)
    assert "Heures de la semaine enregistrées pour 2 personnes." in page_text(followed)


def test_a_wrong_value_in_the_group_writes_nothing(client_as):
    action = ActionFactory(capacity=20)
    anne, bea = started(action), started(action)
    operator = operator_of(client_as, action)
    url = reverse("beneficiaries:operator_week", args=[action.pk])
    response = operator.post(
        f"{url}?semaine={weeks_ago(1)}", {f"heures_{anne.pk}": "15", f"heures_{bea.pk}": "75"}
    )
    assert response.status_code == 422
    assert "Au plus 60 heures dans une semaine." in page_text(response)
    assert not Attendance.objects.exists()


def test_the_group_page_makes_the_same_number_of_queries_for_1_or_30_people(
    client_as, assert_constant_queries
):
    action = ActionFactory(capacity=100)
    record(started(action), weeks_ago(1), 15)
    operator = operator_of(client_as, action)
    url = reverse("beneficiaries:operator_week", args=[action.pk])

    def page():
        assert operator.get(url).status_code == 200

    def more():
        for n in range(29):
            prescription = started(action)
            if n % 2:
                record(prescription, weeks_ago(1), 10)

    assert_constant_queries(page, page, between=more)


# --- The person's file -----------------------------------------------------------------------


def test_the_file_sets_each_week_against_the_plan_and_says_a_week_under_it(client_as):
    referent = UserFactory(referent=True)
    person = ReferentAssignmentFactory(referent=referent).beneficiary
    # A contrat d'engagement at 15 hours, revised 3 weeks ago to 10 hours for health.
    first = ContractFactory(
        beneficiary=person,
        kind=ContractKind.CE,
        start_date=weeks_ago(10),
        end_date=TODAY + datetime.timedelta(days=200),
        weekly_hours=Decimal(15),
        is_current=False,
    )
    ContractFactory(
        beneficiary=person,
        kind=ContractKind.CE,
        start_date=weeks_ago(3),
        end_date=TODAY + datetime.timedelta(days=300),
        weekly_hours=Decimal(10),
        hours_reduction=HoursReduction.HEALTH,
        hours_reduction_note="temps partiel thérapeutique",
        revises=first,
        revision_reason="Santé",
    )
    one = started(since=8)
    one.beneficiary = person
    one.save()
    two = started(since=8)
    two.beneficiary = person
    two.save()
    record(one, weeks_ago(5), 15)  # 15 of 15: reached
    record(one, weeks_ago(4), 10)
    record(two, weeks_ago(4), 3)  # 10 + 3 = 13 of 15: 2 h missing
    record(one, weeks_ago(2), "6.5")
    record(two, weeks_ago(2), "3.5")  # 6.5 + 3.5 = 10 of the reduced 10: reached
    record(one, weeks_ago(1), 4)  # 4 of 10: 6 h missing
    record(one, THIS_WEEK, 2)  # the week in progress is not judged
    response = client_as(referent).get(reverse("beneficiaries:file", args=[person.pk]))
    weeks = response.context["activity_weeks"]
    assert [w.monday for w in weeks] == [weeks_ago(n) for n in range(7, -1, -1)]
    assert [(w.done, w.planned, w.status) for w in weeks] == [
        (0, 15, "aucune heure saisie : 15 h attendues"),  # 7 weeks ago: nothing recorded
        (0, 15, "aucune heure saisie : 15 h attendues"),
        (15, 15, "15 heures atteintes"),
        (13, 15, "en dessous du plan : 2 h manquantes"),
        (0, 10, "aucune heure saisie : 10 h attendues"),  # the revision from 3 weeks ago
        (10, 10, "atteint le plan réduit"),
        (4, 10, "en dessous du plan : 6 h manquantes"),
        (2, 10, "semaine en cours"),
    ]
    text = page_text(response)
    assert "Heures d'activité" in text
    assert (
        f"du {weeks_ago(4):%d/%m/%Y} au {weeks_ago(4) + datetime.timedelta(days=6):%d/%m/%Y} "
        "13 h 15 h En dessous du plan : 2 h manquantes"
    ) in text
    assert "10 h (réduit : santé) Atteint le plan réduit" in text
    assert "réduction motivée (santé, temps partiel thérapeutique)" in text


def test_the_weeks_after_an_exit_are_not_judged(client_as):
    referent = UserFactory(referent=True)
    person = ReferentAssignmentFactory(referent=referent).beneficiary
    ContractFactory(
        beneficiary=person,
        kind=ContractKind.CE,
        start_date=weeks_ago(10),
        end_date=TODAY + datetime.timedelta(days=200),
        weekly_hours=Decimal(15),
    )
    ExitFactory(
        beneficiary=person,
        exit_on=weeks_ago(2) + datetime.timedelta(days=2),  # the Wednesday two weeks ago
        category=ExitCategory.MOVED,
        contract_type=ExitContract.NONE,
    )
    response = client_as(referent).get(reverse("beneficiaries:file", args=[person.pk]))
    weeks = response.context["activity_weeks"]
    assert weeks[-3].status == "aucune heure saisie : 15 h attendues"  # the week of the exit
    assert [w.status for w in weeks[-2:]] == ["après la sortie du dispositif"] * 2
    assert not any(w.under_plan for w in weeks[-2:])
