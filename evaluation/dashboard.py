"""What the evaluation pages show: figures against targets, under the secret statistique for
partners (`evaluation.disclosure`)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from beneficiaries.models import Beneficiary
from evaluation import precomputed
from evaluation.computations import Computation
from evaluation.disclosure import SHOWN, FigureSecret, entered_is_secret, live_secret
from evaluation.enums import Direction, Scope
from evaluation.models import (
    SCOPE_FIELDS,
    Indicator,
    Measurement,
    PrecomputedFigures,
    Snapshot,
    Target,
)


def available_years(today=None):
    today = today or timezone.localdate()
    first = Beneficiary.objects.aggregate(first=Min("right_opened_on"))["first"]
    start = max(first.year if first else today.year, today.year - 7)
    return list(range(today.year, start - 1, -1))


@dataclass
class Row:
    """One indicator on the dashboard. For a partner, a figure under the secret statistique
    is None with its `*_secret` flag set (see `evaluation.disclosure`)."""

    indicator: Indicator
    value: Decimal | None
    numerator: int | None
    denominator: int | None
    target: Decimal | None
    reported: Decimal | None
    value_secret: bool = False
    numerator_secret: bool = False
    denominator_secret: bool = False
    reported_secret: bool = False

    @property
    def suppressed(self):
        return self.value_secret

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

    def hide(self, hidden):
        """Blank what `hidden` (a `disclosure.Hidden`) puts under the secret."""
        if hidden.value:
            self.value, self.value_secret = None, True
        if hidden.numerator:
            self.numerator, self.numerator_secret = None, True
        if hidden.denominator:
            self.denominator, self.denominator_secret = None, True


@dataclass
class ShownCell:
    """A cell of a breakdown as the page shows it: None and `secret` when hidden."""

    category: str
    value: Decimal | None
    numerator: int | None
    value_secret: bool = False
    numerator_secret: bool = False


def shown_cells(cells, *, secret=None, scope=None, code=None, breakdown=None):
    """The cells of a breakdown, with the secret of `secret` (None: the raw figures)."""
    shown = []
    for cell in cells:
        hidden = secret.cell(scope, code, breakdown, cell.category) if secret else SHOWN
        shown.append(
            ShownCell(
                cell.category,
                None if hidden.value else cell.value,
                None if hidden.numerator else cell.numerator,
                hidden.value,
                hidden.numerator,
            )
        )
    return shown


def scope_filter(scope, obj):
    """Targets and measurements of a scope (those of the pact: of any version of it)."""
    if obj is None:
        return {"pk__in": []}  # no pact yet: nothing is filed under it
    if scope == Scope.PACT:
        return {"scope": Scope.PACT, "pact__code": obj.code}
    return {"scope": scope, SCOPE_FIELDS[scope]: obj}


def year_secret(*, year, figures, territory=None, computation=None, key_rates_only=False):
    """The secret of a year's figures computed now, as partners see them; `figures` are those
    of `territory` (None: the département), `computation` the département's if at hand.
    With `key_rates_only`, `figures` are `key_rates_and_ties()`: the département's are
    computed the same way (the secret of those rates depends on nothing else)."""
    if territory is None:
        return live_secret(computation or Computation(year), figures)
    whole = Computation(year)
    whole_figures = whole.key_rates_and_ties() if key_rates_only else whole.all()
    return live_secret(whole, whole_figures, viewed={territory.pk: figures})


def dashboard_rows(*, year, pact, territory=None, for_partner=False, year_figures=None):
    """One row per computed or entered indicator of the pact for the year and territory, with
    the département's figures, the figures of the dashboard (`figures`), the year's latest
    snapshot, and for a partner the secret applied (`secret`, else None):
    (rows, figures, snapshot, secret). `year_figures` (a YearFigures) gives the computed
    figures: the night's when there are some."""
    year_figures = year_figures or YearFigures.of(year)
    figures = year_figures.figures(territory)
    secret = year_figures.secret(figures, territory) if for_partner else None
    scope, obj = (Scope.TERRITORY, territory) if territory else (Scope.PACT, pact)
    secret_scope = territory.pk if territory else None
    targets = {
        t.indicator_id: t.value
        for t in Target.objects.filter(year=year, **scope_filter(scope, obj))
    }
    snapshot = Snapshot.objects.filter(year=year).order_by("-taken_at").first()
    reported, reported_secret = {}, set()
    if snapshot:
        for m in snapshot.measurements.filter(breakdown="", **scope_filter(scope, obj)):
            reported[m.indicator_id] = m.value
            if for_partner and snapshot.secret.hides_measurement(m):
                reported_secret.add(m.indicator_id)
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
            if secret:
                row.hide(secret.figure(secret_scope, indicator.code))
        elif indicator.pk in entered or indicator.pk in targets:
            measurement = entered.get(indicator.pk)
            value = measurement.value if measurement else None
            row = Row(indicator, value, None, None, targets.get(indicator.pk), None)
            if for_partner and entered_is_secret(indicator.unit, value):
                row.value, row.value_secret = None, True
        else:
            continue
        if indicator.pk in reported_secret:
            row.reported, row.reported_secret = None, True
        rows.append(row)
    return rows, figures, snapshot, secret


KEY_RATES = {
    "orientés": "oarsa-2-orientes",
    "contrats": "oarsa-6-taux-contrat",
    "sorties dynamiques": "sorties-dynamiques",
}


@dataclass
class Point:
    """A rate of the history: None and `secret` when a partner may not see it."""

    value: Decimal | None
    secret: bool = False


def key_series(*, years, figures, pact, territory=None, for_partner=False, secret=None):
    """The evolution of three key rates, as [(name, [Point per year])]. A past year shows the
    figures its latest snapshot kept (as they were reported); a year without one is computed
    (three queries); the year shown on the dashboard reuses its `figures`. For partners, each
    year's rates keep the secret that year's figures have wherever they are shown: the
    snapshot's, or the figures computed now (for the dashboard's year, `secret`). A year
    without a snapshot reads the night's figures when there are some (no computation)."""
    scope, obj = (Scope.TERRITORY, territory) if territory else (Scope.PACT, pact)
    secret_scope = territory.pk if territory else None
    latest = Snapshot.objects.filter(year=OuterRef("year")).order_by("-taken_at", "-pk")
    kept = Measurement.objects.filter(
        year__in=years[:-1],
        snapshot=Subquery(latest.values("pk")[:1]),
        breakdown="",
        indicator__code__in=KEY_RATES.values(),
        **scope_filter(scope, obj),
    ).select_related("snapshot")
    points, snapshots = {}, {}
    for measurement in kept:
        # One Snapshot object per snapshot, so that its secret is worked out once.
        snapshot = snapshots.setdefault(measurement.snapshot_id, measurement.snapshot)
        hidden = for_partner and snapshot.secret.hides_measurement(measurement)
        points[(measurement.year, measurement.indicator_id)] = Point(
            None if hidden else measurement.value, hidden
        )
    codes = dict(Indicator.objects.filter(code__in=KEY_RATES.values()).values_list("pk", "code"))
    points = {(year, codes[pk]): point for (year, pk), point in points.items()}
    kept_years = {year for year, _ in points}
    nightly = {
        kept.year: YearFigures(kept.year, kept)
        for kept in PrecomputedFigures.objects.filter(
            year__in=[year for year in years[:-1] if year not in kept_years]
        )
    }
    for year in years:
        if year == years[-1]:
            year_figures, hidden_by = figures, secret
        elif year in nightly:
            year_figures = nightly[year].figures(territory)
            hidden_by = nightly[year].secret(year_figures, territory) if for_partner else None
        elif year not in kept_years:
            computation = Computation(year, territory=territory)
            if for_partner:
                year_figures = computation.key_rates_and_ties()
                hidden_by = year_secret(
                    year=year, figures=year_figures, territory=territory, key_rates_only=True
                )
            else:
                year_figures = {
                    figure.code: figure
                    for figure in (
                        computation.oarsa_2_oriented(),
                        computation.oarsa_6_contract_rate(),
                        computation.dynamic_exits(),
                    )
                }
                hidden_by = None
        else:
            continue
        for code in KEY_RATES.values():
            figure = year_figures[code]
            hidden = bool(for_partner and hidden_by and hidden_by.figure(secret_scope, code).value)
            points[(year, code)] = Point(None if hidden else figure.value, hidden)
    return [
        (name, [points.get((year, code), Point(None)) for year in years])
        for name, code in KEY_RATES.items()
    ]


def threshold():
    return settings.PTI_CASELOAD_THRESHOLD


def as_of_label(year):
    today = timezone.localdate()
    end = datetime.date(year, 12, 31)
    return f"au {min(end, today):%d/%m/%Y}"


class YearFigures:
    """The figures of one year as the pages read them, precomputed or computed now.

    `figures(territory)`: {code: Figure} of the département (None) or of a territory;
    `secret()`: the secret statistique of those figures for partners (a FigureSecret);
    `computed_at`: when they were computed (None: now)."""

    def __init__(self, year, kept=None):
        self.year = year
        self.kept = kept
        self.computed_at = kept.computed_at if kept else None
        self._computations = {}

    @classmethod
    def of(cls, year):
        """The year's figures: the nightly ones if any (one query), else computed now."""
        return cls(year, PrecomputedFigures.objects.filter(year=year).first())

    def computation(self, territory=None):
        key = territory.pk if territory else None
        if key not in self._computations:
            self._computations[key] = Computation(self.year, territory=territory)
        return self._computations[key]

    def figures(self, territory=None):
        if self.kept is None:
            return self.computation(territory).all()
        key = str(territory.pk) if territory else precomputed.WHOLE
        data = self.kept.scopes.get(key)
        if data is None:  # a territory created since the night: computed now
            return self.computation(territory).all()
        return precomputed.figures_from_json(data)

    def secret(self, figures, territory=None):
        """The secret of `figures` (those of `territory`) for readers outside the
        département. Precomputed: from the kept figures of every scope, no query; computed
        now: as `evaluation.dashboard.year_secret`."""
        if self.kept is None:
            return year_secret(
                year=self.year,
                figures=figures,
                territory=territory,
                computation=None if territory else self.computation(),
            )
        scopes = {
            (None if key == precomputed.WHOLE else int(key)): precomputed.figures_from_json(data)
            for key, data in self.kept.scopes.items()
        }
        if territory is not None:
            scopes[territory.pk] = figures
        return FigureSecret(scopes)

    def as_of_label(self):
        """« au 02/12/2026 »: the day the figures were computed (today, or the night's)."""
        if self.computed_at is None:
            return as_of_label(self.year)
        return f"au {timezone.localtime(self.computed_at):%d/%m/%Y}"
