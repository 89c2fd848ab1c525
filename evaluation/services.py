"""Writes of the evaluation: snapshots of the computed indicators, entered figures, targets."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from actions.enums import ObjectiveMeasure
from actions.models import Action, AgreementObjective
from evaluation.computations import Computation, action_results
from evaluation.enums import Breakdown, Scope, Source, Unit
from evaluation.models import (
    SCOPE_FIELDS,
    FigureReminder,
    Indicator,
    Measurement,
    Snapshot,
    Target,
)
from pti.enums import PactStatus, Role
from pti.models import Pact, Territory
from pti.services import ensure_draft, lock_pact
from signatories.models import Commitment

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


def pact_in_force():
    """The signed pact the partners report on (`reference_pact`), None when the reference
    pact is not signed (a draft, or an archived one with no successor)."""
    pact = reference_pact()
    return pact if pact is not None and pact.status == PactStatus.SIGNED else None


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
        if obj.signatory.organisation_id != user.organisation_id:
            raise ValidationError("Cet engagement n'est pas celui de votre institution.")
    elif user.role != Role.PILOT:
        raise ValidationError("Votre rôle ne permet pas de saisir des chiffres.")


# The units a target is a whole number in: people and things are counted, never split.
WHOLE_UNITS = (Unit.PEOPLE, Unit.COUNT)


def _check_year_in_period(year, pact):
    if not pact.period_start <= year <= pact.period_end:
        raise ValidationError(
            f"L'année {year} est hors de la période du pacte "
            f"({pact.period_start}-{pact.period_end})."
        )


@transaction.atomic
def measurement_enter(*, indicator, year, scope, obj, value, user, comment=""):
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
        comment=comment.strip(),
        **{SCOPE_FIELDS[scope]: obj},
    )
    measurement.full_clean()
    measurement.save()
    return measurement


@transaction.atomic
def commitment_figure_enter(*, commitment, indicator, year, value, comment, user, based_on):
    """A partner's (or the pilot's) figure of `indicator` for `year` on `commitment` of the
    pact in force. A figure is never replaced: entering again is a correction, the earlier
    one stays in the history. `based_on` is the id of the latest figure the form showed (None
    when there was none): when another figure was entered meanwhile, the entry is refused
    (ValidationError in French) rather than silently put over it. Returns the Measurement.

    Refused too: a year outside the pact's period or after this year, an indicator the
    commitment does not follow, a pact not in force."""
    pact = lock_pact(commitment.signatory.pact)
    if pact.status != PactStatus.SIGNED:
        raise ValidationError(
            "Les chiffres se saisissent sur le pacte en vigueur (signé) : cette version ne "
            "l'est pas."
        )
    _check_year_in_period(year, pact)
    if year > timezone.localdate().year:
        raise ValidationError(f"L'année {year} n'est pas encore commencée.")
    if not commitment.indicator_targets.filter(indicator=indicator).exists():
        raise ValidationError("Cet indicateur ne suit pas cet engagement.")
    latest = (
        Measurement.objects.filter(commitment=commitment, indicator=indicator, year=year)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != based_on:
        raise ValidationError(
            "Un autre chiffre a été saisi pour cette année pendant que vous remplissiez le "
            "formulaire : relisez-le dans l'historique, puis saisissez de nouveau si besoin."
        )
    return measurement_enter(
        indicator=indicator,
        year=year,
        scope=Scope.COMMITMENT,
        obj=commitment,
        value=value,
        user=user,
        comment=comment,
    )


@transaction.atomic
def target_set(*, indicator, year, scope, obj, value):
    """Create or change the target of an indicator for a year and a scope. The target of a
    commitment is set while its pact is a draft, for a year of its period; an orientation's,
    for a year of its pact's period (the targets page checks the pact's too; the figures of
    years before a pact was written may be followed under it). Raises ValidationError."""
    if value is None or value < 0:
        raise ValidationError("Une cible est un nombre positif ou nul.")
    if indicator.unit in WHOLE_UNITS and value != int(value):
        raise ValidationError(
            f"« {indicator.label} » se compte en {indicator.get_unit_display()} : donnez un "
            "nombre entier."
        )
    if scope == Scope.COMMITMENT:
        pact = lock_pact(obj.signatory.pact)
        ensure_draft(pact)
        _check_year_in_period(year, pact)
    elif scope == Scope.ORIENTATION:
        _check_year_in_period(year, obj.pact)
    target, _ = Target.objects.update_or_create(
        indicator=indicator,
        year=year,
        scope=scope,
        **{SCOPE_FIELDS[scope]: obj},
        defaults={"value": value},
    )
    return target


@transaction.atomic
def commitment_indicator_set(*, commitment, indicator, values):
    """Tie `commitment` to `indicator` with its target for each year: `values` is {year:
    Decimal or None}; a year without a value has no target. At least one target is needed.
    Only while the pact is a draft (what a party commits to is what it signs); a year outside
    the pact's period is refused. Returns the Target rows kept. Raises ValidationError."""
    pact = lock_pact(
        Commitment.objects.select_related("signatory").get(pk=commitment.pk).signatory.pact
    )
    ensure_draft(pact)
    for year in values:
        _check_year_in_period(year, pact)
    if all(value is None for value in values.values()):
        raise ValidationError("Donnez une cible pour au moins une année du pacte.")
    kept = []
    for year, value in sorted(values.items()):
        if value is None:
            Target.objects.filter(
                scope=Scope.COMMITMENT, commitment=commitment, indicator=indicator, year=year
            ).delete()
            continue
        kept.append(
            target_set(
                indicator=indicator, year=year, scope=Scope.COMMITMENT, obj=commitment, value=value
            )
        )
    return kept


@transaction.atomic
def commitment_indicator_remove(*, commitment, indicator):
    """Untie `commitment` from `indicator`: its targets go (only while the pact is a draft)."""
    ensure_draft(lock_pact(commitment.signatory.pact))
    Target.objects.filter(
        scope=Scope.COMMITMENT, commitment=commitment, indicator=indicator
    ).delete()


@transaction.atomic
def figure_reminder_send(*, signatory, year, message, user):
    """Record that the pilot reminded `signatory` (of the pact in force) to report its figures
    of `year`; the partner sees it on « Mes engagements ». Returns the FigureReminder."""
    pact = signatory.pact
    if pact.status != PactStatus.SIGNED:
        raise ValidationError("On relance les signataires du pacte en vigueur.")
    _check_year_in_period(year, pact)
    reminder = FigureReminder(signatory=signatory, year=year, message=message.strip(), sent_by=user)
    reminder.full_clean()
    reminder.save()
    return reminder
