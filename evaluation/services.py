"""Writes of the evaluation: snapshots of the computed indicators, entered figures, targets."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from actions.enums import ObjectiveMeasure
from actions.models import Action, AgreementObjective
from evaluation.computations import Computation, action_results
from evaluation.enums import Breakdown, Scope, Source
from evaluation.models import SCOPE_FIELDS, Indicator, Measurement, Snapshot, Target
from pti.enums import Role
from pti.models import Pact, Territory

ACTION_MEASURES = {
    "action-personnes": "accompanied",
    "action-acceptees": "accepted",
    "action-terminees": "completed",
    "action-sorties-dynamiques": "dynamic_rate",
    "action-emploi-durable": "durable",
}
OBJECTIVE_INDICATORS = {
    ObjectiveMeasure.PEOPLE_ACCOMPANIED: "action-personnes",
    ObjectiveMeasure.PLACES_USED: "action-acceptees",
    ObjectiveMeasure.PRESCRIPTIONS_COMPLETED: "action-terminees",
    ObjectiveMeasure.DYNAMIC_EXIT_RATE: "action-sorties-dynamiques",
    ObjectiveMeasure.DURABLE_EMPLOYMENT: "action-emploi-durable",
}


def reference_pact():
    """The pact the département's figures are filed under: the one in force, else the latest."""
    return (
        Pact.objects.in_force().order_by("-period_start").first()
        or Pact.objects.order_by("-pk").first()
    )


def _figure_rows(figure, indicator, snapshot, year, scope, obj):
    base = {
        "indicator": indicator,
        "year": year,
        "scope": scope,
        SCOPE_FIELDS[scope]: obj,
        "source": Source.COMPUTED,
        "snapshot": snapshot,
    }
    rows = [
        Measurement(
            **base,
            value=figure.value,
            numerator=figure.numerator,
            denominator=figure.denominator,
        )
    ]
    for breakdown, cells in figure.breakdowns.items():
        rows.extend(
            Measurement(
                **base,
                breakdown=breakdown,
                category=cell.category[:100],
                value=cell.value,
                numerator=cell.numerator,
                denominator=cell.denominator,
            )
            for cell in cells
        )
    return rows


@transaction.atomic
def snapshot_take(*, year, user=None, note="", progress=None):
    """Compute every indicator of `year` and keep the figures as they are today. Returns the
    Snapshot. `progress` (a pti.runs.Progress) is told of each step: the pact, each
    territory, then the actions. Raises ValidationError (in French) when there is no pact."""
    pact = reference_pact()
    if pact is None:
        raise ValidationError("Créez d'abord le pacte : les chiffres s'y rattachent.")
    territories = list(Territory.objects.all())
    if progress:
        progress.total(len(territories) + 2)
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    snapshot = Snapshot.objects.create(year=year, taken_by=user, note=note)
    rows = []
    for code, figure in Computation(year).all().items():
        rows += _figure_rows(figure, indicators[code], snapshot, year, Scope.PACT, pact)
    if progress:
        progress.advance()
    for territory in territories:
        for code, figure in Computation(year, territory=territory).all().items():
            figure.breakdowns.pop(Breakdown.TERRITORY, None)
            rows += _figure_rows(
                figure, indicators[code], snapshot, year, Scope.TERRITORY, territory
            )
        if progress:
            progress.advance()
    results = action_results(year)
    actions = {action.pk: action for action in Action.objects.filter(pk__in=results)}
    for action_id, result in results.items():
        for code, key in ACTION_MEASURES.items():
            rows.append(
                Measurement(
                    indicator=indicators[code],
                    year=year,
                    scope=Scope.ACTION,
                    action=actions[action_id],
                    value=result[key],
                    numerator=result["dynamic"] if key == "dynamic_rate" else None,
                    denominator=result["accompanied"] if key == "dynamic_rate" else None,
                    source=Source.COMPUTED,
                    snapshot=snapshot,
                )
            )
    for objective in AgreementObjective.objects.filter(year=year).exclude(
        measure=ObjectiveMeasure.OTHER
    ):
        code = OBJECTIVE_INDICATORS[objective.measure]
        result = results.get(objective.action_id)
        if result is None:
            continue
        rows.append(
            Measurement(
                indicator=indicators[code],
                year=year,
                scope=Scope.AGREEMENT_OBJECTIVE,
                agreement_objective=objective,
                value=result[ACTION_MEASURES[code]],
                source=Source.COMPUTED,
                snapshot=snapshot,
            )
        )
    Measurement.objects.bulk_create(rows, batch_size=2000)
    return snapshot


def _check_entry(indicator, scope, obj, user):
    if indicator.source == Source.COMPUTED:
        raise ValidationError("Cet indicateur est calculé par l'application : il ne se saisit pas.")
    if user.role == Role.PARTNER:
        if indicator.source != Source.PARTNER or scope != Scope.COMMITMENT:
            raise ValidationError("Vous ne saisissez que les chiffres de vos engagements.")
        if obj.commitment.signatory.organisation_id != user.organisation_id:
            raise ValidationError("Cet engagement n'est pas celui de votre institution.")
    elif user.role != Role.PILOT:
        raise ValidationError("Votre rôle ne permet pas de saisir des chiffres.")


@transaction.atomic
def measurement_enter(*, indicator, year, scope, obj, value, user):
    """An entered figure; the earlier ones stay in the history, the latest is the one shown."""
    _check_entry(indicator, scope, obj, user)
    if value is None or value < 0:
        raise ValidationError("Saisissez un nombre positif ou nul.")
    measurement = Measurement(
        indicator=indicator,
        year=year,
        scope=scope,
        value=Decimal(value),
        source=Source.PARTNER if user.role == Role.PARTNER else Source.DEPARTMENT,
        entered_by=user,
        **{SCOPE_FIELDS[scope]: obj},
    )
    measurement.full_clean()
    measurement.save()
    return measurement


@transaction.atomic
def target_set(*, indicator, year, scope, obj, value):
    """Create or change the target of an indicator for a year and a scope."""
    if value is None or value < 0:
        raise ValidationError("Une cible est un nombre positif ou nul.")
    target, _ = Target.objects.update_or_create(
        indicator=indicator,
        year=year,
        scope=scope,
        **{SCOPE_FIELDS[scope]: obj},
        defaults={"value": value},
    )
    return target
