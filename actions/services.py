"""Writes of the offer: actions and their places, calls for projects, funding agreements."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest

from actions.enums import ActionStatus, ApplicationDecision
from actions.models import (
    Action,
    ActionFunding,
    ActionObstacle,
    AgreementAmount,
    AgreementObjective,
    Application,
    CallAxis,
    CallForProjects,
    FundingAgreement,
)
from pti.services import save_with_lock

ACTION_FIELDS = [
    "reference",
    "title",
    "description",
    "orientation",
    "objective",
    "operator",
    "target_public",
    "capacity",
    "start_date",
    "end_date",
    "status",
    "budget",
    "place",
    "contact",
]


def _check_action(action):
    if action.objective_id and action.objective.orientation_id != action.orientation_id:
        raise ValidationError(
            {"objective": "Cet objectif opérationnel n'appartient pas à l'orientation choisie."}
        )
    if action.capacity is not None and action.capacity < action.places_taken:
        raise ValidationError(
            {
                "capacity": f"{action.places_taken} places sont déjà occupées : la capacité ne "
                "peut pas être inférieure."
            }
        )


@transaction.atomic
def action_save(
    *, values, territories, obstacles, funding=None, action=None, expected_version=None
):
    """Create or update an action with its territories, obstacles and funding lines.

    `funding` is a list of (source, year, amount); None leaves the funding as it is.
    """
    if action is None:
        action = Action(**values)
        _check_action(action)
        action.full_clean(exclude=["lock_version"])
        action.save()
    else:
        action = Action.objects.select_for_update().get(pk=action.pk)
        for field, value in values.items():
            setattr(action, field, value)
        _check_action(action)
        save_with_lock(action, expected_version=expected_version, fields=[*values, "updated_at"])
    action.territories.set(territories)
    action.obstacles.exclude(obstacle__in=obstacles).delete()
    existing = set(action.obstacles.values_list("obstacle", flat=True))
    ActionObstacle.objects.bulk_create(
        ActionObstacle(action=action, obstacle=obstacle)
        for obstacle in obstacles
        if obstacle not in existing
    )
    if funding is not None:
        action.funding.all().delete()
        seen = set()
        for source, year, amount in funding:
            if (source, year) in seen:
                raise ValidationError("Un même financeur apparaît deux fois pour la même année.")
            seen.add((source, year))
            line = ActionFunding(action=action, source=source, year=year, amount=amount)
            line.full_clean()
            line.save()
    return action


def action_take_place(*, action):
    """Take one place if one is left; True if taken. Decided by the database in one UPDATE,
    so two requests for the last place cannot both get it."""
    taken = Action.objects.filter(
        pk=action.pk,
        places_taken__lt=F("capacity"),
        status__in=[ActionStatus.OPEN, ActionStatus.FULL],
    ).update(
        places_taken=F("places_taken") + 1,
        status=Case(
            When(places_taken=F("capacity") - 1, then=Value(ActionStatus.FULL)),
            default=F("status"),
        ),
    )
    return taken == 1


def action_release_place(*, action):
    """Give a place back (a person left the action); a full action opens again."""
    Action.objects.filter(pk=action.pk, places_taken__gt=0).update(
        places_taken=F("places_taken") - 1,
        status=Case(
            When(status=ActionStatus.FULL, then=Value(ActionStatus.OPEN)),
            default=F("status"),
        ),
    )


def actions_release_places(released):
    """Give back many places at once: `released` maps an action's id to how many people left it
    (a positive int). A full action opens again; a count never goes below zero."""
    for action_id, count in released.items():
        Action.objects.filter(pk=action_id).update(
            places_taken=Greatest(F("places_taken") - count, Value(0)),
            status=Case(
                When(status=ActionStatus.FULL, then=Value(ActionStatus.OPEN)),
                default=F("status"),
            ),
        )


# --- Calls for projects ------------------------------------------------------------------


@transaction.atomic
def call_save(*, values, axes, call=None, expected_version=None):
    """Create or update a call; `axes` are the titles of its axes, in order."""
    if call is None:
        call = CallForProjects(**values)
        call.full_clean(exclude=["lock_version"])
        call.save()
    else:
        call = CallForProjects.objects.select_for_update().get(pk=call.pk)
        for field, value in values.items():
            setattr(call, field, value)
        save_with_lock(call, expected_version=expected_version, fields=list(values))
    _save_axes(call, axes)
    return call


def _save_axes(call, titles):
    """An axis still listed keeps its applications wherever its line moved; the axes no longer
    listed are renamed to the new titles, in order, and those left over are removed."""
    current = list(call.axes.all())
    saved = {axis.pk: (axis.position, axis.title) for axis in current}
    free = dict(enumerate(titles, start=1))  # lines not yet given an axis
    placed = {}  # line -> axis
    unlisted = []
    for axis in current:
        line = next((line for line, title in free.items() if title == axis.title), None)
        if line is None:
            unlisted.append(axis)
        else:
            placed[line] = axis
            del free[line]
    renamed = list(zip(unlisted, list(free), strict=False))
    for axis, line in renamed:
        axis.title = free.pop(line)
        placed[line] = axis
    for axis in unlisted[len(renamed) :]:
        if axis.applications.exists():
            raise ValidationError(
                f"L'axe {axis.position} a des candidatures : il ne peut pas être supprimé."
            )
        axis.delete()
    moved = {line: axis for line, axis in placed.items() if saved[axis.pk][0] != line}
    # Out of the way first: the positions of a call are unique.
    offset = max([len(titles), *(position for position, _ in saved.values())])
    for line, axis in moved.items():
        axis.position = offset + line
        axis.save(update_fields=["position"])
    for line, axis in placed.items():
        if (line, axis.title) != saved[axis.pk] or line in moved:
            axis.position = line
            axis.save(update_fields=["position", "title"])
    for line, title in free.items():
        CallAxis.objects.create(call=call, position=line, title=title)


@transaction.atomic
def application_add(*, call, axis, action, requested_amount):
    if axis.call_id != call.pk:
        raise ValidationError("Cet axe n'appartient pas à cet appel à projets.")
    application = Application(
        call=call, axis=axis, action=action, requested_amount=requested_amount
    )
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def application_decide(*, application, decision, reason, decided_on, granted_amount=None):
    application = Application.objects.select_for_update().get(pk=application.pk)
    if decision == ApplicationDecision.REJECTED and not reason.strip():
        raise ValidationError("Motivez la décision de ne pas retenir l'action.")
    if decision == ApplicationDecision.ACCEPTED and granted_amount is None:
        raise ValidationError("Indiquez le montant accordé.")
    application.decision = decision
    application.decision_reason = reason.strip()
    application.decided_on = decided_on
    application.granted_amount = (
        granted_amount if decision == ApplicationDecision.ACCEPTED else None
    )
    application.full_clean()
    application.save()
    return application


# --- Funding agreements ------------------------------------------------------------------


@transaction.atomic
def agreement_save(*, values, actions, amounts, agreement=None, expected_version=None):
    """Create or update an agreement, its actions and its amounts ({year: amount})."""
    if agreement is None:
        agreement = FundingAgreement(**values)
        agreement.full_clean(exclude=["lock_version"])
        agreement.save()
    else:
        agreement = FundingAgreement.objects.select_for_update().get(pk=agreement.pk)
        for field, value in values.items():
            setattr(agreement, field, value)
        save_with_lock(agreement, expected_version=expected_version, fields=list(values))
    wrong_operator = [a for a in actions if a.operator_id != agreement.operator_id]
    if wrong_operator:
        names = ", ".join(str(a) for a in wrong_operator)
        raise ValidationError(f"Ces actions sont portées par un autre opérateur : {names}.")
    outside = [year for year in amounts if year not in agreement.years]
    if outside:
        raise ValidationError(
            f"Montant hors de la période de la convention ({agreement.start_year}-"
            f"{agreement.end_year}) : {', '.join(map(str, outside))}."
        )
    agreement.actions.set(actions)
    agreement.amounts.all().delete()
    AgreementAmount.objects.bulk_create(
        AgreementAmount(agreement=agreement, year=year, amount=amount)
        for year, amount in sorted(amounts.items())
    )
    if agreement.objectives.exclude(action__in=actions).exists():
        raise ValidationError(
            "Des objectifs portent sur une action retirée de la convention : supprimez-les d'abord."
        )
    return agreement


@transaction.atomic
def agreement_objective_add(*, agreement, action, year, measure, label, target):
    if not agreement.actions.filter(pk=action.pk).exists():
        raise ValidationError("Cette action n'est pas financée par la convention.")
    if year not in agreement.years:
        raise ValidationError(
            f"L'année doit être comprise entre {agreement.start_year} et {agreement.end_year}."
        )
    objective = AgreementObjective(
        agreement=agreement, action=action, year=year, measure=measure, label=label, target=target
    )
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def agreement_objective_report(*, objective, value):
    """The operator's own figure, for an objective the application does not compute."""
    objective = AgreementObjective.objects.select_for_update().get(pk=objective.pk)
    objective.reported_value = value
    objective.save(update_fields=["reported_value"])
    return objective


@transaction.atomic
def agreement_renewal_decide(*, agreement, decision, justification, decided_on, expected_version):
    agreement = FundingAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not justification.strip():
        raise ValidationError("Justifiez la décision au regard des objectifs atteints.")
    agreement.renewal_decision = decision
    agreement.renewal_justification = justification.strip()
    agreement.renewal_decided_on = decided_on
    return save_with_lock(
        agreement,
        expected_version=expected_version,
        fields=["renewal_decision", "renewal_justification", "renewal_decided_on"],
    )
