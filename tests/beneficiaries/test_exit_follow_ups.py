"""The follow-ups 3, 6 and 12 months after an exit (beneficiaries.follow_ups): what the database
refuses, the nightly planning, who sees which follow-up due, recording one from the file, and
the page « Suivis après sortie »."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from beneficiaries import follow_ups, services
from beneficiaries.enums import (
    ExitCategory,
    ExitContract,
    FileOperation,
    FollowUpMilestone,
    FollowUpSituation,
    PeopleView,
)
from beneficiaries.models import ExitFollowUp, FileAccess, ListAccess
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    ExitFollowUpFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def d(text):
    return datetime.date.fromisoformat(text)


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Roanne", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Durand")


def left(referent, exit_on, category=ExitCategory.END_OF_RIGHT, **exit_fields):
    """A person followed by `referent` who left on `exit_on`."""
    person = ReferentAssignmentFactory(
        referent=referent,
        structure=referent.organisation,
        beneficiary=BeneficiaryFactory(
            rsa_requested_on=d("2020-01-01"), right_opened_on=d("2020-01-01")
        ),
        start_date=d("2020-02-01"),
    ).beneficiary
    if category not in (ExitCategory.END_OF_RIGHT, ExitCategory.OUT_OF_DUTIES):
        exit_fields.setdefault("contract_type", ExitContract.NONE)
    return ExitFactory(beneficiary=person, exit_on=exit_on, category=category, **exit_fields)


def record(follow_up_or_exit, milestone="6", **values):
    exit_ = getattr(follow_up_or_exit, "exit", follow_up_or_exit)
    fields = {
        "recorded_on": TODAY,
        "situation": FollowUpSituation.EMPLOYED,
        "contract_type": ExitContract.CDI,
        "contract_days": None,
        "note": "",
    }
    fields.update(values)
    by = fields.pop("by", None) or exit_.recorded_by
    return services.exit_follow_up_record(exit_=exit_, milestone=milestone, by=by, **fields)


# --- The dates -------------------------------------------------------------------------------


def test_due_on_counts_calendar_months_from_the_exit():
    assert follow_ups.due_on(d("2025-08-31"), "3") == d("2025-11-30")
    assert follow_ups.due_on(d("2025-08-31"), "6") == d("2026-02-28")
    assert follow_ups.due_on(d("2024-02-29"), "12") == d("2025-02-28")
    # Late the day after a month has passed.
    assert not follow_ups.is_late(d("2026-01-31"), d("2026-02-28"))
    assert follow_ups.is_late(d("2026-01-31"), d("2026-03-01"))


@pytest.mark.parametrize("day", ["2026-02-28", "2026-03-01", "2026-03-31", "2025-12-31"])
def test_the_list_thresholds_agree_with_the_dates_of_one_follow_up(day):
    today = d(day)
    for milestone in FollowUpMilestone:
        latest = follow_ups.latest_exit_due(milestone, today)
        assert follow_ups.due_on(latest, milestone) <= today
        assert follow_ups.due_on(latest + datetime.timedelta(days=1), milestone) > today
    last_late = follow_ups.last_late_due_on(today)
    assert follow_ups.is_late(last_late, today)
    assert not follow_ups.is_late(last_late + datetime.timedelta(days=1), today)


# --- The database refuses what cannot be ------------------------------------------------------


def test_one_follow_up_per_exit_and_milestone(sophie):
    exit_ = left(sophie, d("2025-01-15"))
    ExitFollowUpFactory(exit=exit_, milestone="6")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExitFollowUpFactory(exit=exit_, milestone="6")


@pytest.mark.parametrize(
    "fields",
    [
        # Recorded without its date or its author.
        {"situation": FollowUpSituation.NO_JOB},
        # A date and an author without a situation.
        {"situation": "", "with_recorded": True},
        # In employment without a kind.
        {"situation": FollowUpSituation.EMPLOYED, "with_recorded": True},
        # A kind out of employment.
        {
            "situation": FollowUpSituation.TRAINING,
            "contract_type": ExitContract.CDI,
            "with_recorded": True,
        },
        # A training is not a kind of employment.
        {
            "situation": FollowUpSituation.EMPLOYED,
            "contract_type": ExitContract.QUALIFYING_TRAINING,
            "with_recorded": True,
        },
        # A CDD without its length, a CDI with one.
        {
            "situation": FollowUpSituation.EMPLOYED,
            "contract_type": ExitContract.CDD,
            "with_recorded": True,
        },
        {
            "situation": FollowUpSituation.EMPLOYED,
            "contract_type": ExitContract.CDI,
            "contract_days": 400,
            "with_recorded": True,
        },
        {"milestone": "9"},
    ],
)
def test_the_database_refuses_an_incoherent_follow_up(sophie, fields):
    exit_ = left(sophie, d("2025-01-15"))
    if fields.pop("with_recorded", False):
        fields.update(recorded_on=TODAY, recorded_by=sophie)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExitFollowUpFactory(exit=exit_, **fields)


def test_a_coherent_follow_up_is_accepted(sophie):
    exit_ = left(sophie, d("2025-01-15"))
    row = ExitFollowUpFactory(
        exit=exit_,
        situation=FollowUpSituation.EMPLOYED,
        contract_type=ExitContract.TEMP,
        contract_days=200,
        recorded_on=TODAY,
        recorded_by=sophie,
    )
    assert row.outcome.label == "emploi durable"


# --- The nightly planning ----------------------------------------------------------------------


def test_the_planning_writes_the_follow_ups_come_due_once(sophie):
    today = d("2026-06-10")
    # Left 7 months before: 3 and 6 months due, 12 not yet.
    seven = left(sophie, d("2025-11-10"))
    # Left 12 months before to the day: all three.
    twelve = left(sophie, d("2025-06-10"))
    # A month ago: nothing yet.
    left(sophie, d("2026-05-10"))
    # A move, a death, a closure for lack of contact: never followed.
    left(sophie, d("2025-06-01"), ExitCategory.MOVED, contract_type=ExitContract.NONE)
    left(sophie, d("2025-06-01"), ExitCategory.DEATH, contract_type=ExitContract.NONE)
    # Out of rights and duties is followed.
    duties = left(sophie, d("2026-03-10"), ExitCategory.OUT_OF_DUTIES)
    # Anonymised: no longer followed.
    gone = left(sophie, d("2025-11-10"))
    type(gone.beneficiary).objects.filter(pk=gone.beneficiary_id).update(anonymised_on=today)
    # Due more than a year ago: too late to ask (its 12 months, due 2025-06-09, is not).
    old = left(sophie, d("2024-06-09"))

    written = services.exit_follow_ups_plan(today=today)

    assert written == {
        FollowUpMilestone.THREE_MONTHS: 3,
        FollowUpMilestone.SIX_MONTHS: 2,
        FollowUpMilestone.TWELVE_MONTHS: 1,
    }
    planned = set(ExitFollowUp.objects.values_list("exit_id", "milestone", "due_on"))
    assert planned == {
        (seven.pk, "3", d("2026-02-10")),
        (seven.pk, "6", d("2026-05-10")),
        (twelve.pk, "3", d("2025-09-10")),
        (twelve.pk, "6", d("2025-12-10")),
        (twelve.pk, "12", d("2026-06-10")),
        (duties.pk, "3", d("2026-06-10")),
    }
    assert old.follow_ups.count() == 0
    # Again: nothing more.
    assert set(services.exit_follow_ups_plan(today=today).values()) == {0}
    assert ExitFollowUp.objects.count() == 6


def test_the_planning_keeps_what_was_recorded_before_it_ran(sophie):
    exit_ = left(sophie, TODAY - relativedelta(months=4))
    record(exit_, milestone="3", situation=FollowUpSituation.TRAINING, contract_type="")
    services.exit_follow_ups_plan(today=TODAY)
    row = exit_.follow_ups.get()
    assert row.situation == FollowUpSituation.TRAINING


def test_the_planning_takes_three_reads_whatever_the_number_of_exits(sophie):
    today = d("2026-06-10")
    left(sophie, d("2025-06-10"))
    with CaptureQueriesContext(connection) as one:
        services.exit_follow_ups_plan(today=today)
    ExitFollowUp.objects.all().delete()
    for n in range(8):
        left(sophie, d("2025-06-10") - datetime.timedelta(days=n))
    with CaptureQueriesContext(connection) as many:
        services.exit_follow_ups_plan(today=today)
    assert len(many) == len(one)


def test_the_command_says_what_it_planned_and_simulates(sophie, capsys):
    left(sophie, TODAY - relativedelta(months=4))
    call_command("plan_exit_follow_ups", "--dry-run")
    assert "1 à 3 mois, 0 à 6 mois, 0 à 12 mois" in capsys.readouterr().out
    assert ExitFollowUp.objects.count() == 0
    call_command("plan_exit_follow_ups")
    assert "1 à 3 mois" in capsys.readouterr().out
    assert ExitFollowUp.objects.count() == 1


def test_the_task_plans_the_same(sophie):
    from beneficiaries.tasks import plan_exit_follow_ups

    left(sophie, TODAY - relativedelta(months=4))
    assert plan_exit_follow_ups.call() == {"3": 1, "6": 0, "12": 0}


# --- Recording -----------------------------------------------------------------------------------


def test_recording_writes_the_situation_and_traces_it(sophie):
    exit_ = left(sophie, TODAY - relativedelta(months=7))
    row = record(
        exit_,
        milestone="6",
        situation=FollowUpSituation.EMPLOYED,
        contract_type=ExitContract.CDD,
        contract_days=180,
        by=sophie,
    )
    row.refresh_from_db()
    assert (row.situation, row.contract_type, row.contract_days) == ("employed", "cdd", 180)
    assert row.recorded_by == sophie
    assert row.recorded_on == TODAY
    assert row.due_on == follow_ups.due_on(exit_.exit_on, "6")
    # 180 days is under 6 months (183): a transition job.
    assert row.outcome.label == "emploi de transition"
    trace = FileAccess.objects.get(beneficiary=exit_.beneficiary)
    assert (trace.user, trace.operation) == (sophie, FileOperation.UPDATE)
    assert trace.what == "suivi après sortie (6 mois après la sortie)"


@pytest.mark.parametrize(
    ("milestone", "values", "message"),
    [
        ("12", {}, "Ce suivi n'est à faire qu'à partir du"),
        (
            "6",
            {"recorded_on": TODAY + datetime.timedelta(days=1)},
            "ne peut pas être dans le futur",
        ),
        ("6", {"recorded_on": d("2000-01-01")}, "ne peut pas précéder la sortie"),
        ("6", {"contract_type": ""}, "Indiquez le type d'emploi."),
        (
            "6",
            {"situation": FollowUpSituation.BACK_ON_RSA},
            "ne se renseigne que pour une personne en emploi",
        ),
        ("6", {"contract_type": ExitContract.TEMP}, "Indiquez la durée du contrat"),
    ],
)
def test_recording_refuses_with_a_french_message(sophie, milestone, values, message):
    exit_ = left(sophie, TODAY - relativedelta(months=7))
    with pytest.raises(ValidationError) as refused:
        record(exit_, milestone=milestone, **values)
    assert message in " ".join(refused.value.messages)
    assert ExitFollowUp.objects.count() == 0
    assert not FileAccess.objects.exists()


def test_an_exit_that_is_not_followed_and_a_second_record_are_refused(sophie):
    moved = left(sophie, TODAY - relativedelta(months=7), ExitCategory.MOVED)
    with pytest.raises(ValidationError, match="Seule une fin de droit"):
        record(moved, situation=FollowUpSituation.NO_JOB, contract_type="")
    exit_ = left(sophie, TODAY - relativedelta(months=7))
    record(exit_)
    with pytest.raises(ValidationError, match="déjà renseigné"):
        record(exit_)


# --- Who sees which follow-up due ----------------------------------------------------------------


def due(referent, due_on, milestone="3"):
    """A follow-up due on `due_on` of a person followed by `referent`."""
    exit_on = due_on - relativedelta(months=int(milestone))
    return ExitFollowUpFactory(exit=left(referent, exit_on), milestone=milestone, due_on=due_on)


@pytest.fixture
def scene(ccas, sophie):
    """Follow-ups due in two structures, one late, one whose référent has left, one to come."""
    other = UserFactory(referent=True, organisation=OrganisationFactory(name="Association"))
    gone = UserFactory(referent=True, organisation=ccas, last_name="Parti", is_active=False)
    mine = due(sophie, TODAY - datetime.timedelta(days=2))
    late = due(sophie, TODAY - datetime.timedelta(days=50), milestone="6")
    theirs = due(other, TODAY - datetime.timedelta(days=10))
    orphan = due(gone, TODAY - datetime.timedelta(days=10))
    to_come = ExitFollowUpFactory(
        exit=left(sophie, TODAY - relativedelta(months=5)),
        milestone="6",
        due_on=TODAY + datetime.timedelta(days=20),
    )
    done = ExitFollowUpFactory(
        exit=left(sophie, TODAY - relativedelta(months=4)),
        milestone="3",
        situation=FollowUpSituation.NO_JOB,
        recorded_on=TODAY,
        recorded_by=sophie,
    )
    return {
        "mine": mine,
        "late": late,
        "theirs": theirs,
        "orphan": orphan,
        "to_come": to_come,
        "done": done,
        "other": other,
        "manager": UserFactory(manager=True, organisation=ccas),
        "pilot": UserFactory(pilot=True),
    }


def due_for(user):
    return set(ExitFollowUp.objects.visible_to(user).due(TODAY))


def test_each_role_sees_the_follow_ups_due_in_its_scope(scene, sophie):
    assert due_for(sophie) == {scene["mine"], scene["late"]}
    assert due_for(scene["other"]) == {scene["theirs"]}
    # The manager of the CCAS: its référents', the one who left included.
    assert due_for(scene["manager"]) == {scene["mine"], scene["late"], scene["orphan"]}
    assert due_for(scene["pilot"]) == {
        scene["mine"],
        scene["late"],
        scene["theirs"],
        scene["orphan"],
    }
    assert set(ExitFollowUp.objects.late(TODAY)) == {scene["late"]}
    gone = {row.pk for row in ExitFollowUp.objects.with_referent() if row.referent_gone}
    assert gone == {scene["orphan"].pk}


def test_a_referent_no_longer_a_referent_has_left(scene):
    scene["other"].role = "manager"
    scene["other"].save()
    gone = {row.pk for row in ExitFollowUp.objects.with_referent() if row.referent_gone}
    assert gone == {scene["orphan"].pk, scene["theirs"].pk}


def rows_of(response):
    return [row.pk for row in response.context["page"].object_list]


def test_the_page_lists_the_due_ones_of_the_referent_and_is_traced(client, scene, sophie):
    client.force_login(sophie)
    response = client.get(reverse("beneficiaries:exit_follow_ups"))
    assert response.status_code == 200
    assert rows_of(response) == [scene["late"].pk, scene["mine"].pk]
    page = response.content.decode()
    assert "En retard" in page
    assert "À faire" in page
    assert response.context["counts"] == {"total": 2, "late": 1, "gone": 0}
    trace = ListAccess.objects.get(user=sophie)
    assert (trace.view, trace.shown, trace.total) == (PeopleView.EXIT_FOLLOW_UPS, 2, 2)
    late = client.get(reverse("beneficiaries:exit_follow_ups"), {"etat": "retard"})
    assert rows_of(late) == [scene["late"].pk]


def test_the_pilot_sees_those_whose_referent_left_first(client, scene):
    client.force_login(scene["pilot"])
    response = client.get(reverse("beneficiaries:exit_follow_ups"))
    assert rows_of(response)[0] == scene["orphan"].pk
    assert set(rows_of(response)) == {
        scene[name].pk for name in ("mine", "late", "theirs", "orphan")
    }
    assert "Référent parti" in response.content.decode()
    assert response.context["counts"]["gone"] == 1


def test_the_portfolio_counts_the_referents_follow_ups_due(client, scene, sophie):
    client.force_login(sophie)
    page = client.get(reverse("beneficiaries:portfolio")).content.decode()
    assert "2</span> suivis après sortie à faire" in page
    assert reverse("beneficiaries:exit_follow_ups") in page


def test_the_page_takes_the_same_number_of_queries_for_one_row_and_many(client, sophie):
    client.force_login(sophie)
    url = reverse("beneficiaries:exit_follow_ups")
    ExitFollowUpFactory(exit=left(sophie, TODAY - relativedelta(months=4)), milestone="3")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert len(rows_of(client.get(url))) == 1
    for n in range(12):
        ExitFollowUpFactory(
            exit=left(sophie, TODAY - relativedelta(months=4, days=n + 1)), milestone="3"
        )
    with CaptureQueriesContext(connection) as many:
        assert len(rows_of(client.get(url))) == 13
    assert len(many) == len(one)


# --- The file ----------------------------------------------------------------------------------


def test_the_file_shows_the_three_milestones_and_records_one(client, sophie):
    exit_ = left(sophie, TODAY - relativedelta(months=7))
    client.force_login(sophie)
    url = reverse("beneficiaries:file", args=[exit_.beneficiary_id])
    states = [f["state"] for f in client.get(url).context["follow_ups"]]
    assert states == ["en retard", "à faire", "à venir"]
    post = reverse("beneficiaries:exit_follow_up_record", args=[exit_.beneficiary_id, "6"])
    response = client.post(
        post,
        {
            "suivi-6-recorded_on": TODAY.strftime("%d/%m/%Y"),
            "suivi-6-situation": FollowUpSituation.EMPLOYED,
            "suivi-6-contract_type": ExitContract.CDI,
            "suivi-6-note": "Embauchée en CDI",
        },
    )
    assert response.status_code == 302
    row = exit_.follow_ups.get(milestone="6")
    assert (row.situation, row.contract_type, row.recorded_by) == ("employed", "cdi", sophie)
    page = client.get(url)
    assert [f["state"] for f in page.context["follow_ups"]] == ["en retard", "renseigné", "à venir"]
    assert "en emploi : CDI (emploi durable)" in page.content.decode()


def test_a_bad_record_keeps_the_form_with_its_error(client, sophie):
    exit_ = left(sophie, TODAY - relativedelta(months=7))
    client.force_login(sophie)
    post = reverse("beneficiaries:exit_follow_up_record", args=[exit_.beneficiary_id, "6"])
    response = client.post(
        post,
        {
            "suivi-6-recorded_on": TODAY.strftime("%d/%m/%Y"),
            "suivi-6-situation": FollowUpSituation.EMPLOYED,
            "suivi-6-contract_type": ExitContract.CDD,
        },
    )
    assert response.status_code == 422
    assert "Indiquez la durée du contrat en jours" in response.content.decode()
    assert not exit_.follow_ups.exists()


def test_another_referent_cannot_record_nor_a_milestone_that_does_not_exist(client, sophie):
    exit_ = left(sophie, TODAY - relativedelta(months=7))
    client.force_login(UserFactory(referent=True))
    post = reverse("beneficiaries:exit_follow_up_record", args=[exit_.beneficiary_id, "6"])
    assert client.post(post, {}).status_code == 404
    client.force_login(sophie)
    wrong = reverse("beneficiaries:exit_follow_up_record", args=[exit_.beneficiary_id, "9"])
    assert client.post(wrong, {}).status_code == 404


def test_a_move_shows_no_follow_up(client, sophie):
    exit_ = left(sophie, TODAY - relativedelta(months=7), ExitCategory.MOVED)
    client.force_login(sophie)
    response = client.get(reverse("beneficiaries:file", args=[exit_.beneficiary_id]))
    assert response.context["follow_ups"] == []
    assert "Suivis après sortie" not in response.content.decode()
