"""The secret statistique: which figures a reader outside the département may see.

Partners (and every reader of the pact's PDF) see aggregated figures only, and no figure may
tell something about fewer than `PTI_SMALL_CELL_THRESHOLD` people (11 by default). This module
is the one place that decides it, for every page, export and document that shows figures
outside the département; the pilot's own pages keep the raw figures.

The rule is the secret statistique as DREES and INSEE apply it to the tables they publish:
a threshold of 11 people (DOMAIN.md: « small cells (under 11 people) are suppressed in
exports for partners »), primary and secondary suppression (« secret primaire » and
« secret secondaire » of INSEE's « Guide du secret statistique »):

1. Primary suppression. A count of fewer than 11 people is hidden, zero included (« nobody »
   says something about each person of the group, as « everybody » does). A rate is hidden
   when its numerator or its denominator is hidden, and when its complement (denominator
   minus numerator) is under 11: « 19 of 22 » tells that 3 people do not have the attribute,
   so the numerator is hidden with it. A mean is hidden with the people it rests on.
2. Secondary suppression. The reader adds and subtracts: a count hidden in a group of cells
   that sums to a shown total (a breakdown by organisme, parcours or nature of exit, the
   territories that make up the département, the people of one indicator counted again in
   another) comes back by subtraction when it is the only one hidden. Another count of the
   group is then hidden too, the smallest shown part (or the total when no part is left),
   and so on until no hidden count can be recovered, whatever the combination of totals
   and breakdowns the reader uses, complements included. The check is exact (linear
   algebra over the sums the reader knows, and counts that must be zero because a sum of
   hidden counts is zero); it does not hide counts that are only bounded (« 3 at most »).

A hidden figure is shown as « s » with the legend `secret_legend()`, never as an empty cell,
and its value goes nowhere in the page (no title, attribute or chart label).

`SmallCells` is the mechanism, on any counts tied by sums. `FigureSecret` applies it to the
pact's indicators: `live_secret` to the figures computed now, `snapshot_secret` to the
figures a snapshot kept; the same figures give the same decision wherever they are shown.
"""

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from django.conf import settings

from beneficiaries.enums import ExitOutcome
from evaluation.computations import ORGANISME_CATEGORIES, Cell, Figure
from evaluation.enums import Breakdown, Scope, Unit

SECRET_MARK = "s"  # noqa: S105 (the mark of a hidden figure, not a password)


def small_cell_threshold():
    """The number of people under which a figure is not shown outside the département."""
    return settings.PTI_SMALL_CELL_THRESHOLD


def secret_legend():
    """The legend of the « s » mark, in French, with the threshold in force."""
    threshold = small_cell_threshold()
    return (
        f"« {SECRET_MARK} » : secret statistique – moins de {threshold} personnes, ou chiffre "
        f"qui permettrait d'en retrouver un de moins de {threshold} personnes."
    )


def _order(key):
    return repr(key)


class SmallCells:
    """Primary and secondary suppression over counts of people tied by sums.

    Register the counts (`count`: a key, a number of people, whether the reader sees it),
    the sums the reader knows (`total`: a total and its parts, each a key) and the pairs of
    counts shown together as a rate (`pair`: the reader takes their difference too). Keys
    are any hashable values; a key used in a sum but never counted is unknown to the reader.
    `hidden` is then the frozenset of the shown keys to hide.
    """

    def __init__(self, *, threshold=None):
        self.threshold = small_cell_threshold() if threshold is None else threshold
        self.values = {}
        self.published = set()
        self.sums = []
        self.pairs = []

    def count(self, key, value, *, published=True):
        if value is None:
            return
        self.values.setdefault(key, int(value))
        if published:
            self.published.add(key)

    def total(self, total, parts):
        parts = tuple(parts)
        if parts:
            self.sums.append((total, parts))

    def pair(self, numerator, denominator):
        self.pairs.append((numerator, denominator))

    def is_small(self, value):
        return value is not None and value < self.threshold

    def is_hidden(self, key):
        return key in self.hidden

    @cached_property
    def hidden(self):
        # In a fixed order, so that the same counts always give the same decision (the
        # figures computed now and those a snapshot kept, registered in another order).
        self.sums = sorted({(t, tuple(sorted(p, key=_order))) for t, p in self.sums}, key=_order)
        self.pairs = sorted(set(self.pairs), key=_order)
        hidden = {key for key in self.published if self.is_small(self.values[key])}
        while True:
            self._spread(hidden)
            leak = self._leak(hidden)
            if leak is None:
                break
            cover = self._cover(leak, hidden)
            if cover is None:  # nothing shown is tied to it: it cannot be recovered
                break
            hidden.add(cover)
        return frozenset(hidden)

    def _protected(self, key, hidden):
        return key in hidden or (key not in self.published and self.is_small(self.values.get(key)))

    def _spread(self, hidden):
        """The plain rule, until nothing changes: a pair whose difference is small and in
        plain sight hides its numerator; a sum with exactly one protected count unknown
        (or hidden counts that must all be zero) hides its smallest shown part, else its
        total. Cheap; `_leak` then looks for what combinations of sums would still give."""
        changed = True
        while changed:
            changed = False
            shown = self.published - hidden
            for numerator, denominator in self.pairs:
                if numerator in shown and denominator in shown:
                    complement = self.values[denominator] - self.values[numerator]
                    if complement >= 0 and self.is_small(complement):
                        hidden.add(numerator)
                        shown = self.published - hidden
                        changed = True
            for total, parts in self.sums:
                unknown = [key for key in (total, *parts) if key not in shown]
                single = len(unknown) == 1 and self._protected(unknown[0], hidden)
                zero = (
                    len(unknown) > 1
                    and total in shown
                    and self.values[total] == sum(self.values[p] for p in parts if p in shown)
                    and any(self._protected(key, hidden) for key in unknown)
                )
                if not (single or zero):
                    continue
                candidates = [p for p in parts if p in shown] or [total] * (total in shown)
                if candidates:
                    hidden.add(min(candidates, key=self._size))
                    shown = self.published - hidden
                    changed = True

    @cached_property
    def _sensitive(self):
        """The values that must not be recovered, as linear forms {key: coefficient}: the
        small counts, and the small complements of the pairs."""
        forms = [
            {key: 1} for key in sorted(self.values, key=_order) if self.is_small(self.values[key])
        ]
        for numerator, denominator in self.pairs:
            if numerator in self.values and denominator in self.values:
                complement = self.values[denominator] - self.values[numerator]
                if complement >= 0 and self.is_small(complement):
                    forms.append({denominator: 1, numerator: -1})
        return forms

    def _equations(self, shown):
        """The sums as equations on the values the reader does not see: a list of
        ({unknown key: coefficient}, constant)."""
        equations = []
        for total, parts in self.sums:
            coefficients = {total: 1}
            for part in parts:
                coefficients[part] = coefficients.get(part, 0) - 1
            unknown = {k: c for k, c in coefficients.items() if c and k not in shown}
            if not unknown:
                continue
            constant = -sum(c * self.values[k] for k, c in coefficients.items() if k in shown)
            equations.append((unknown, constant))
            signs = {c > 0 for c in unknown.values()}
            if constant == 0 and len(signs) == 1:
                # Counts are never negative: hidden counts that add up to zero are all zero.
                equations.extend(({key: 1}, 0) for key in unknown)
        return equations

    def _determined(self, form, shown, equations=None):
        """Whether the reader computes the linear form `form` from the `shown` counts."""
        unknown = {key: c for key, c in form.items() if key not in shown}
        if not unknown:
            return True
        equations = self._equations(shown) if equations is None else equations
        # Only the equations linked to these unknown values, through other unknown ones.
        linked, keys, frontier = [], set(unknown), set(unknown)
        remaining = list(equations)
        while frontier:
            touching = [e for e in remaining if frontier & e[0].keys()]
            if not touching:
                break
            remaining = [e for e in remaining if not frontier & e[0].keys()]
            linked += touching
            frontier = {key for coefficients, _ in touching for key in coefficients} - keys
            keys |= frontier
        pivots = _echelon(coefficients for coefficients, _ in linked)
        return _reduces_to_zero(unknown, pivots)

    def _leak(self, hidden):
        """The first sensitive form the reader can compute, or None. The unknown values fall
        into groups tied by sums; each group's equations are reduced once."""
        shown = self.published - hidden
        equations = self._equations(shown)
        group = {}  # unknown key -> its group (union-find)

        def find(key):
            while group[key] != key:
                group[key] = group[group[key]]
                key = group[key]
            return key

        for coefficients, _ in equations:
            keys = list(coefficients)
            for key in keys:
                group.setdefault(key, key)
            for key in keys[1:]:
                group[find(key)] = find(keys[0])
        members = {}
        for coefficients, _ in equations:
            members.setdefault(find(next(iter(coefficients))), []).append(coefficients)
        echelons = {}
        for form in self._sensitive:
            unknown = {key: c for key, c in form.items() if key not in shown}
            if not unknown:
                return form
            if any(key not in group for key in unknown):
                continue  # in no sum: free
            by_group = {}
            for key, c in unknown.items():
                by_group.setdefault(find(key), {})[key] = c
            for root in by_group:
                if root not in echelons:
                    echelons[root] = _echelon(members[root])
            if all(_reduces_to_zero(sub, echelons[root]) for root, sub in by_group.items()):
                return form
        return None

    def _size(self, key):
        return (self.values[key], _order(key))

    def _cover(self, form, hidden):
        """The shown count to hide next so that `form` is no longer computed. A form made
        of shown counts only (a pair's difference) hides the pair's numerator. Otherwise,
        among the sums around its unknown values (and, through other unknown values, the
        sums around those), the smallest shown part whose hiding stops the leak, else the
        smallest such total; when no single count stops it, the smallest part nearest to it
        (the next round goes on from there)."""
        shown = self.published - hidden
        unknown = {key for key in form if key not in shown}
        if not unknown:  # a pair's difference: its numerator (coefficient -1) goes
            return min(form, key=lambda key: (form[key], self._size(key)))
        levels, seen, frontier = [], set(unknown), set(unknown)
        while frontier:
            touching = [(t, p) for t, p in self.sums if frontier & {t, *p}]
            levels.append(touching)
            frontier = {key for t, p in touching for key in (t, *p)} - shown - seen
            seen |= frontier
        parts = {key for touching in levels for _, p in touching for key in p if key in shown}
        totals = {t for touching in levels for t, _ in touching if t in shown} - parts
        for candidates in (parts, totals):
            for key in sorted(candidates, key=self._size):
                if not self._determined(form, shown - {key}):
                    return key
        for touching in levels:
            nearest = [key for _, p in touching for key in p if key in shown]
            nearest = nearest or [t for t, _ in touching if t in shown]
            if nearest:
                return min(nearest, key=self._size)
        direct = [key for key in form if key in shown]
        return min(direct, key=self._size) if direct else None


def _echelon(rows):
    """The reduced row echelon form of `rows` ({key: coefficient}), as [(pivot, row)]."""
    pivots = []
    for row in rows:
        row = {k: Fraction(v) for k, v in row.items() if v}
        row = _reduce(row, pivots)
        if not row:
            continue
        pivot = min(row, key=_order)
        factor = row[pivot]
        row = {k: v / factor for k, v in row.items()}
        reduced = []
        for other_pivot, other in pivots:
            if pivot in other:
                factor = other[pivot]
                merged = {k: other.get(k, 0) - factor * row.get(k, 0) for k in other | row}
                other = {k: v for k, v in merged.items() if v}
            reduced.append((other_pivot, other))
        pivots = [*reduced, (pivot, row)]
    return pivots


def _reduce(vector, pivots):
    vector = dict(vector)
    for pivot, row in pivots:
        factor = vector.get(pivot)
        if factor:
            for key, value in row.items():
                vector[key] = vector.get(key, 0) - factor * value
            vector = {k: v for k, v in vector.items() if v}
    return vector


def _reduces_to_zero(vector, pivots):
    """Whether the linear form `vector` is a combination of the equations: then the reader
    computes its value from the shown counts."""
    return not _reduce({k: Fraction(v) for k, v in vector.items()}, pivots)


# --- The pact's indicators ------------------------------------------------------------------

# The people each computed indicator counts: (its numerator, its denominator). Two indicators
# that count the same people share the name, so that a count hidden in one is hidden in the
# other (the people oriented are indicator 2's numerator and indicators 4 and 5's total).
POPULATIONS = {
    "oarsa-1-sdd": ("sdd", "people"),
    "oarsa-2-orientes": ("oriented", "sdd"),
    "oarsa-3-delai-orientation": (None, "entrants-oriented"),
    "oarsa-4-organismes": ("oriented", None),
    "oarsa-5-parcours": ("oriented", None),
    "oarsa-6-taux-contrat": ("oriented-not-ft-with-contract", "oriented-not-ft"),
    "oarsa-7-delai-contrat": (None, "first-contracts"),
    "oarsa-8a-recherche-emploi": ("contracts-job-search", "contracts"),
    "oarsa-8b-acces-soins": ("contracts-care", "contracts"),
    "oarsa-8c-six-mois": ("contracts-six-months", "contracts"),
    "oarsa-9-reorientations": ("reorientations", None),
    "emploi-durable": ("exits-durable", "exits"),
    "emploi-durable-iae": ("exits-durable-iae", "exits"),
    "sorties-dynamiques": ("exits-dynamic", "exits"),
    # The follow-ups recorded at 6 and 12 months after an exit, those in durable employment.
    "emploi-durable-6-mois": ("follow-ups-6-durable", "follow-ups-6-recorded"),
    "emploi-durable-12-mois": ("follow-ups-12-durable", "follow-ups-12-recorded"),
    # The exits of the year, all of them: the denominator of the three above.
    "sorties-par-motif": ("exits", None),
    "freins-leves": ("obstacles-lifted", "obstacles"),
    "heures-activite": ("ce-fifteen-hours-done", "ce-contracts-with-weeks"),
    "charge-referent": ("referents-above-threshold", "referents"),
}
# The breakdowns a partner sees, each splitting its indicator's numerator.
SHOWN_BREAKDOWNS = (Breakdown.ORGANISME, Breakdown.PARCOURS, Breakdown.KIND)
# A breakdown cell that counts the same people as another indicator.
CELL_POPULATIONS = {
    ("sorties-dynamiques", Breakdown.KIND, ExitOutcome.DURABLE_EMPLOYMENT.label): "exits-durable",
}
FRANCE_TRAVAIL = ORGANISME_CATEGORIES[0][0]
# A référent may follow people in several territories: these counts do not add up.
NOT_ADDITIVE = {"referents", "referents-above-threshold"}
REST = "autres"  # the people of no territory: in the département's total, on no page


def populations(code):
    return POPULATIONS.get(code, (f"{code}:numerator", f"{code}:denominator"))


@dataclass(frozen=True)
class Hidden:
    """What of a figure is under the secret statistique."""

    value: bool = False
    numerator: bool = False
    denominator: bool = False


SHOWN = Hidden()


class FigureSecret:
    """The secret of one year's figures, for the département (scope None) and each territory
    (scope: its id): every figure of every scope is taken as seen by the reader, since a
    partner can open each territory's page.

    `scopes` is {scope: {code: Figure}}, Figures as `evaluation.computations` makes them.
    """

    def __init__(self, scopes, *, codes=None, threshold=None):
        self.cells = SmallCells(threshold=threshold)
        self.codes = codes or {}  # {indicator id: code}, to read measurements
        self.figure_keys = {}
        self.cell_keys = {}
        for scope, figures in scopes.items():
            for code, figure in figures.items():
                self._add_figure(scope, code, figure)
        self._add_territories([scope for scope in scopes if scope is not None])

    def _add_figure(self, scope, code, figure):
        cells = self.cells
        numerator_name, denominator_name = populations(code)
        numerator = (numerator_name, scope, ()) if figure.numerator is not None else None
        denominator = (denominator_name, scope, ()) if figure.denominator is not None else None
        cells.count(numerator, figure.numerator)
        cells.count(denominator, figure.denominator)
        if numerator and denominator:
            cells.pair(numerator, denominator)
        self.figure_keys[(scope, code)] = (numerator, denominator)
        for breakdown in map(str, SHOWN_BREAKDOWNS):
            parts = []
            base = denominator or numerator
            for cell in figure.cells(breakdown):
                name = CELL_POPULATIONS.get((code, breakdown, cell.category))
                if name:
                    key = (name, scope, ())
                else:
                    key = (numerator_name, scope, (breakdown, cell.category))
                cells.count(key, cell.numerator)
                if base is not None and cell.numerator is not None:
                    cells.pair(key, base)
                parts.append(key)
                self.cell_keys[(scope, code, breakdown, cell.category)] = (key, base)
            if parts and numerator is not None:
                cells.total(numerator, parts)
        if code == "oarsa-6-taux-contrat" and denominator is not None:
            # Those oriented to France Travail and the others make up all the people oriented.
            france_travail = ("oriented", scope, (str(Breakdown.ORGANISME), FRANCE_TRAVAIL))
            cells.total(("oriented", scope, ()), [france_travail, denominator])

    def _add_territories(self, territories):
        """The territories make up the département: each count of the département is the sum
        of the territories' (and of the people of no territory, on no page)."""
        cells = self.cells
        if not territories:
            return
        totals = sorted(
            (key for key in cells.values if key[1] is None and key[0] not in NOT_ADDITIVE),
            key=_order,
        )
        for total in totals:
            name, _, detail = total
            parts = [(name, t, detail) for t in territories if (name, t, detail) in cells.values]
            rest = cells.values[total] - sum(cells.values[part] for part in parts)
            if rest < 0:
                continue  # not the same people (a figure counted differently): no sum to use
            if rest:
                parts.append((name, REST, detail))
                cells.count((name, REST, detail), rest, published=False)
            cells.total(total, parts)

    def figure(self, scope, code):
        """`Hidden` for the figure `code` of `scope` (None: the département; a territory id)."""
        keys = self.figure_keys.get((scope, code))
        if keys is None:
            return SHOWN
        numerator, denominator = (key is not None and self.cells.is_hidden(key) for key in keys)
        return Hidden(numerator or denominator, numerator, denominator)

    def cell(self, scope, code, breakdown, category):
        """`Hidden` for a cell of a breakdown: its count (numerator) and its share (value)."""
        keys = self.cell_keys.get((scope, code, str(breakdown), category))
        if keys is None:
            return SHOWN
        count, base = (key is not None and self.cells.is_hidden(key) for key in keys)
        return Hidden(count or base, count, False)

    def hides_measurement(self, measurement):
        """Whether a measurement of a snapshot (at the pact's or a territory's scope) is under
        the secret; `measurement.indicator_code` names its indicator."""
        if measurement.scope == Scope.PACT:
            scope = None
        elif measurement.scope == Scope.TERRITORY:
            scope = measurement.territory_id
        else:
            return False
        code = self.codes.get(measurement.indicator_id)
        if measurement.breakdown:
            return self.cell(scope, code, measurement.breakdown, measurement.category).value
        return self.figure(scope, code).value


def live_secret(computation, figures, *, viewed=None):
    """The secret of the figures computed now for a year: `computation` is the département's
    (no territory), `figures` its `all()` (or the part tied to what is shown), `viewed` the
    figures of the territory on the page, as {territory id: {code: Figure}} (it adds those
    with no breakdown by territory, the référents' caseload)."""
    scopes = {None: figures, **computation.territory_figures(figures)}
    for territory_id, territory_figures in (viewed or {}).items():
        known = scopes.setdefault(territory_id, {})
        for code, figure in territory_figures.items():
            known.setdefault(code, figure)
    return FigureSecret(scopes)


SNAPSHOT_BREAKDOWNS = ["", *SHOWN_BREAKDOWNS]


def snapshot_secret(measurements):
    """The secret of the figures a snapshot kept: `measurements` are its measurements at the
    pact's and the territories' scope (breakdowns `SNAPSHOT_BREAKDOWNS`), with their
    indicator loaded."""
    scopes = {}
    codes = {}
    for measurement in measurements:
        code = measurement.indicator.code
        codes[measurement.indicator_id] = code
        scope = measurement.territory_id if measurement.scope == Scope.TERRITORY else None
        figure = scopes.setdefault(scope, {}).setdefault(code, Figure(code, None))
        if measurement.breakdown:
            figure.breakdowns.setdefault(measurement.breakdown, []).append(
                Cell(
                    measurement.category,
                    measurement.value,
                    measurement.numerator,
                    measurement.denominator,
                )
            )
        else:
            figure.value = measurement.value
            figure.numerator = measurement.numerator
            figure.denominator = measurement.denominator
    return FigureSecret(scopes, codes=codes)


def entered_is_secret(unit, value):
    """An entered figure that counts fewer people than the threshold (the département's or a
    partner's own figures in people; amounts and numbers of files are not people)."""
    return unit == Unit.PEOPLE and value is not None and value < small_cell_threshold()
