"""What the evaluation pages show: figures against targets, the secret of small cells."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from beneficiaries.models import Beneficiary
from evaluation.computations import Computation
from evaluation.enums import Direction, Scope, Unit
from evaluation.models import SCOPE_FIELDS, Indicator, Measurement, Snapshot, Target

SMALL_CELL = 11


def available_years(today=None):
    today = today or timezone.localdate()
    first = Beneficiary.objects.aggregate(first=Min("right_opened_on"))["first"]
    start = max(first.year if first else today.year, today.year - 7)
    return list(range(today.year, start - 1, -1))


def cell_is_small(indicator, value, numerator, denominator):
    """A figure resting on fewer than 11 people is not shown to partners (secret statistique)."""
    counts = [numerator, denominator]
    if indicator.unit in (Unit.PEOPLE, Unit.COUNT) and value is not None:
        counts.append(int(value))
    return any(count is not None and count < SMALL_CELL for count in counts)


@dataclass
class Row:
    indicator: Indicator
    value: Decimal | None
    numerator: int | None
    denominator: int | None
    target: Decimal | None
    reported: Decimal | None
    suppressed: bool = False

    @property
    def attainment(self):
        if self.value is None or not self.target:
            return None
        if self.indicator.direction == Direction.LOWER:
            if not self.value:
                return None
            ratio = self.target / self.value
        else:
            ratio = self.value / self.target
        return (ratio * 100).quantize(Decimal("0.1"))

    @property
    def is_met(self):
        return self.attainment is not None and self.attainment >= 100


def scope_filter(scope, obj):
    """Targets and measurements of a scope (those of the pact: of any version of it)."""
    if obj is None:
        return {"pk__in": []}  # no pact yet: nothing is filed under it
    if scope == Scope.PACT:
        return {"scope": Scope.PACT, "pact__code": obj.code}
    return {"scope": scope, SCOPE_FIELDS[scope]: obj}


def dashboard_rows(*, year, pact, territory=None, for_partner=False, computation=None):
    """One row per computed or entered indicator of the pact for the year and territory."""
    computation = computation or Computation(year, territory=territory)
    figures = computation.all()
    scope, obj = (Scope.TERRITORY, territory) if territory else (Scope.PACT, pact)
    targets = {
        t.indicator_id: t.value
        for t in Target.objects.filter(year=year, **scope_filter(scope, obj))
    }
    snapshot = Snapshot.objects.filter(year=year).order_by("-taken_at").first()
    reported = {}
    if snapshot:
        reported = {
            m.indicator_id: m.value
            for m in snapshot.measurements.filter(breakdown="", **scope_filter(scope, obj))
        }
    entered = {}
    entries = Measurement.objects.filter(
        year=year, breakdown="", snapshot__isnull=True, **scope_filter(scope, obj)
    ).order_by("created_at")
    for measurement in entries:
        entered[measurement.indicator_id] = measurement  # the latest entry wins
    rows = []
    for indicator in Indicator.objects.exclude(code__startswith="action-"):
        figure = figures.get(indicator.code)
        if figure is not None:
            row = Row(
                indicator,
                figure.value,
                figure.numerator,
                figure.denominator,
                targets.get(indicator.pk),
                reported.get(indicator.pk),
            )
        elif indicator.pk in entered or indicator.pk in targets:
            measurement = entered.get(indicator.pk)
            value = measurement.value if measurement else None
            row = Row(indicator, value, None, None, targets.get(indicator.pk), None)
        else:
            continue
        if for_partner and indicator.is_computed:
            row.suppressed = cell_is_small(indicator, row.value, row.numerator, row.denominator)
        rows.append(row)
    return rows, figures, snapshot


KEY_RATES = {
    "orientés": "oarsa-2-orientes",
    "contrats": "oarsa-6-taux-contrat",
    "sorties dynamiques": "sorties-dynamiques",
}


def key_series(*, years, figures, pact, territory=None, for_partner=False):
    """The evolution of three key rates. A past year shows the figures its latest snapshot
    kept (as they were reported); a year without one is computed (three queries); the year
    shown on the dashboard reuses its `figures`. Partners do not see a rate resting on fewer
    than 11 people."""
    scope, obj = (Scope.TERRITORY, territory) if territory else (Scope.PACT, pact)
    latest = Snapshot.objects.filter(year=OuterRef("year")).order_by("-taken_at", "-pk")
    kept = Measurement.objects.filter(
        year__in=years[:-1],
        snapshot=Subquery(latest.values("pk")[:1]),
        breakdown="",
        indicator__code__in=KEY_RATES.values(),
        **scope_filter(scope, obj),
    ).values_list("year", "indicator__code", "value", "numerator", "denominator")
    points = {(year, code): rest for year, code, *rest in kept}
    kept_years = {year for year, _ in points}
    for year in years:
        if year == years[-1]:
            computed = [figures[code] for code in KEY_RATES.values()]
        elif year not in kept_years:
            computation = Computation(year, territory=territory)
            computed = [
                computation.oarsa_2_oriented(),
                computation.oarsa_6_contract_rate(),
                computation.dynamic_exits(),
            ]
        else:
            continue
        for figure in computed:
            points[(year, figure.code)] = (figure.value, figure.numerator, figure.denominator)
    rate = Indicator(unit=Unit.PERCENT)

    def shown(point):
        if point is None:
            return None
        value, numerator, denominator = point
        if for_partner and cell_is_small(rate, value, numerator, denominator):
            return None
        return value

    return [
        (name, [shown(points.get((year, code))) for year in years])
        for name, code in KEY_RATES.items()
    ]


def threshold():
    return settings.PTI_CASELOAD_THRESHOLD


def as_of_label(year):
    today = timezone.localdate()
    end = datetime.date(year, 12, 31)
    return f"au {min(end, today):%d/%m/%Y}"
