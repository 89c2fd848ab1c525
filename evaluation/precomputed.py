"""The year's figures computed at night, so that the dashboard answers at once whatever the
size of the département (pages under 1 s at 100,000 people): every computed indicator, for the
département and for each territory, kept in one row per year (PrecomputedFigures) and read
back as the Figures `evaluation.computations` returns.

The nightly command `compute_figures` recomputes the current year and each earlier year of
the dashboard's history (`HISTORY_YEARS`) that no snapshot has stopped. A year never computed
is computed by the page when asked (evaluation.dashboard.YearFigures)."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from evaluation.computations import Cell, Computation, Figure
from evaluation.models import PrecomputedFigures, Snapshot
from pti.models import Territory

# The years of the dashboard's history chart (evaluation.views.dashboard): the year shown and
# the four before it.
HISTORY_YEARS = 5
WHOLE = ""


def _number(value):
    return None if value is None else str(value)


def _decimal(text):
    return None if text is None else Decimal(text)


def figures_to_json(figures):
    """{code: Figure} as JSON-ready data: Decimals as texts, every breakdown's cells."""
    return {
        code: {
            "value": _number(figure.value),
            "numerator": figure.numerator,
            "denominator": figure.denominator,
            "breakdowns": {
                breakdown: [
                    [cell.category, _number(cell.value), cell.numerator, cell.denominator]
                    for cell in cells
                ]
                for breakdown, cells in figure.breakdowns.items()
            },
        }
        for code, figure in figures.items()
    }


def figures_from_json(data):
    """The {code: Figure} `figures_to_json` was given, equal to it."""
    return {
        code: Figure(
            code,
            _decimal(item["value"]),
            item["numerator"],
            item["denominator"],
            {
                breakdown: [
                    Cell(category, _decimal(value), numerator, denominator)
                    for category, value, numerator, denominator in cells
                ]
                for breakdown, cells in item["breakdowns"].items()
            },
        )
        for code, item in data.items()
    }


@transaction.atomic
def figures_precompute(*, year, progress=None):
    """Compute every indicator of `year` (an int) for the département and for each territory,
    each territory as its own Computation gives it, and keep them in place of the year's
    previous ones. Returns the PrecomputedFigures. `progress` (a pti.runs.Progress) is told of
    each scope. Some 10 s per year at 100,000 people on PostgreSQL: a nightly task, never a
    request."""
    territories = list(Territory.objects.all())
    if progress:
        progress.total(len(territories) + 1)
    scopes = {WHOLE: figures_to_json(Computation(year).all())}
    if progress:
        progress.advance()
    for territory in territories:
        scopes[str(territory.pk)] = figures_to_json(Computation(year, territory=territory).all())
        if progress:
            progress.advance()
    precomputed, _ = PrecomputedFigures.objects.update_or_create(
        year=year, defaults={"computed_at": timezone.now(), "scopes": scopes}
    )
    return precomputed


def years_to_precompute(today=None):
    """The years the nightly task computes: the current one, and the earlier years of the
    dashboard's history that no snapshot has stopped (a stopped year shows its snapshot)."""
    today = today or timezone.localdate()
    earlier = range(today.year - HISTORY_YEARS + 1, today.year)
    stopped = set(Snapshot.objects.filter(year__in=earlier).values_list("year", flat=True))
    return [year for year in earlier if year not in stopped] + [today.year]
