"""The computed indicators, each an aggregate query (never a loop over people in Python).

A `Figure` is the value of an indicator for a year (and a territory, or an action), with the
counts behind it and its breakdowns. Breakdowns come from the same query: the people are
grouped by age band, sex, family situation, seniority in the RSA and territory in the
database, and each breakdown is the sum of those groups.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractIsoWeekDay, Greatest, Least, Mod
from django.utils import timezone
from django.utils.functional import cached_property

from actions.enums import PrescriptionStatus
from actions.models import Action
from beneficiaries.activity import RULE_HOURS
from beneficiaries.enums import (
    ContractKind,
    ExitCategory,
    ExitOutcome,
    FamilySituation,
    ObstacleStatus,
    Parcours,
    PlannedActionKind,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Attendance,
    Beneficiary,
    Contract,
    Exit,
    Obstacle,
    OrientationDecision,
    PlannedAction,
    Prescription,
    ReferentAssignment,
)
from beneficiaries.outcomes import exit_outcome_expression
from evaluation.enums import Breakdown
from pti.models import Organisation, Territory

DIMENSIONS = {
    Breakdown.AGE: "dim_age",
    Breakdown.SEX: "dim_sex",
    Breakdown.FAMILY: "dim_family",
    Breakdown.SENIORITY: "dim_seniority",
    Breakdown.TERRITORY: "dim_territory",
}
AGE_BANDS = [(25, "moins de 25 ans"), (35, "25 à 34 ans"), (45, "35 à 44 ans"), (55, "45 à 54 ans")]
OLDEST_BAND = "55 ans et plus"
SENIORITY_BANDS = [(6, "moins de 6 mois"), (12, "de 6 à 12 mois")]
LONGEST_SENIORITY = "un an et plus"
# Age and seniority bands are grouped as numbers (the database sorts them much faster than
# labels), then named here.
LABELS = {
    Breakdown.AGE: dict(enumerate([label for _, label in AGE_BANDS] + [OLDEST_BAND])),
    Breakdown.SENIORITY: dict(
        enumerate([label for _, label in SENIORITY_BANDS] + [LONGEST_SENIORITY])
    ),
    Breakdown.SEX: dict(Sex.choices),
    Breakdown.FAMILY: dict(FamilySituation.choices),
    Breakdown.PARCOURS: dict(Parcours.choices),
}

# The organismes référents as DREES counts them (indicator 4).
ORGANISME_CATEGORIES = [
    ("France Travail", ["france_travail"]),
    ("services du Département", ["departement"]),
    ("autres organismes publics de l'emploi", ["cap_emploi", "mission_locale", "plie"]),
    ("autres organismes (CCAS, associations…)", None),
]


def organisme_category(kind):
    """The DREES category of an organisme référent (indicator 4), from its kind."""
    for label, kinds in ORGANISME_CATEGORIES:
        if kinds is None or kind in kinds:
            return label
    return ORGANISME_CATEGORIES[-1][0]


DYNAMIC_OUTCOMES = [
    ExitOutcome.DURABLE_EMPLOYMENT,
    ExitOutcome.TRANSITION_EMPLOYMENT,
    ExitOutcome.POSITIVE_EXIT,
]


@dataclass
class Cell:
    category: str
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None


@dataclass
class Figure:
    code: str
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None
    breakdowns: dict = field(default_factory=dict)

    def cells(self, breakdown):
        return self.breakdowns.get(breakdown, [])


def percent(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def mean(total, count):
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def days(duration):
    """A summed duration as a number of days (0 when there is nothing)."""
    if duration is None:
        return 0
    if isinstance(duration, datetime.timedelta):
        return duration.days + duration.seconds / 86400
    return duration / 86_400_000_000  # microseconds, as SQLite returns them


class DaysBetween(Func):
    """The whole days from `earlier` to `later`, two date expressions (an integer, negative when
    `later` is earlier): PostgreSQL subtracts dates, SQLite their Julian days."""

    arity = 2
    output_field = IntegerField()

    def _operands(self, compiler):
        sql, params = [], []
        for expression in self.source_expressions:
            part, part_params = compiler.compile(expression)
            sql.append(part)
            params.extend(part_params)
        return sql, params

    def as_sql(self, compiler, connection, **extra):
        (later, earlier), params = self._operands(compiler)
        return f"(CAST({later} AS date) - CAST({earlier} AS date))", params

    def as_sqlite(self, compiler, connection, **extra):
        (later, earlier), params = self._operands(compiler)
        return f"CAST(julianday({later}) - julianday({earlier}) AS integer)", params


def diff(later, earlier):
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


class Computation:
    """Every computed indicator of one year, for the whole département or one territory."""

    def __init__(self, year, *, territory=None, today=None):
        self.year = year
        self.today = today or timezone.localdate()
        self.start = datetime.date(year, 1, 1)
        self.as_of = min(datetime.date(year, 12, 31), self.today)
        self.territory = territory

    # --- populations ---

    def in_territory(self, queryset, prefix=""):
        if self.territory is None:
            return queryset
        return queryset.filter(**{f"{prefix}household__territory": self.territory})

    def people(self):
        """Beneficiaries whose right is open at the end of the year (not exited before)."""
        people = Beneficiary.objects.filter(right_opened_on__lte=self.as_of).exclude(
            pk__in=Exit.objects.filter(exit_on__lte=self.as_of).values("beneficiary_id")
        )
        return self.in_territory(people)

    def subject(self):
        return self.people().filter(rights_and_duties=RightsAndDuties.SUBJECT)

    def through(self, queryset, prefix):
        """`queryset` (of rows pointing to a person by `prefix`) limited to the SDD of the year,
        written as joins: PostgreSQL then estimates it well on 100,000 people."""
        exited = Exit.objects.filter(exit_on__lte=self.as_of).values("beneficiary_id")
        queryset = self.in_territory(queryset, prefix).exclude(**{f"{prefix}id__in": exited})
        queryset = queryset.filter(
            **{
                f"{prefix}right_opened_on__lte": self.as_of,
                f"{prefix}rights_and_duties": RightsAndDuties.SUBJECT,
            },
        )
        return queryset

    def dimensions(self, prefix=""):
        age = [
            When(
                **{f"{prefix}birth_date__gt": self.as_of - relativedelta(years=limit)},
                then=Value(band),
            )
            for band, (limit, _) in enumerate(AGE_BANDS)
        ]
        seniority = [
            When(
                **{f"{prefix}right_opened_on__gt": self.as_of - relativedelta(months=months)},
                then=Value(band),
            )
            for band, (months, _) in enumerate(SENIORITY_BANDS)
        ]
        return {
            "dim_age": Case(*age, default=Value(len(AGE_BANDS))),
            "dim_sex": F(f"{prefix}sex"),
            "dim_family": F(f"{prefix}household__family_situation"),
            "dim_seniority": Case(*seniority, default=Value(len(SENIORITY_BANDS))),
            "dim_territory": F(f"{prefix}household__territory_id"),
        }

    def orientation_at_date(self):
        return OrientationDecision.objects.filter(
            beneficiary=OuterRef("pk"), decided_on__lte=self.as_of
        ).order_by("-decided_on", "-pk")

    # --- grouping ---

    @cached_property
    def territory_names(self):
        return dict(Territory.objects.values_list("pk", "name"))

    def grouped(self, queryset, prefix="", extra=(), **aggregates):
        """Aggregate `queryset` by the five dimensions (and `extra` columns): one query."""
        names = [*DIMENSIONS.values(), *extra]
        return list(
            queryset.annotate(**self.dimensions(prefix))
            .values(*names)
            .annotate(**aggregates)
            .order_by()
        )

    @staticmethod
    def totals(rows, keys):
        total = defaultdict(Decimal)
        for row in rows:
            for key in keys:
                total[key] += Decimal(str(row[key] or 0))
        return total

    def breakdown_cells(self, rows, keys, make_value):
        breakdowns = {}
        for breakdown, column in DIMENSIONS.items():
            groups = defaultdict(lambda: defaultdict(Decimal))
            for row in rows:
                for key in keys:
                    groups[row[column]][key] += Decimal(str(row[key] or 0))
            labels = self.territory_names if breakdown == Breakdown.TERRITORY else LABELS[breakdown]
            breakdowns[breakdown] = sorted(
                (
                    make_value(labels.get(category, category) or "non renseigné", sums)
                    for category, sums in groups.items()
                ),
                key=lambda cell: cell.category,
            )
        return breakdowns

    def share_of_rows(self, code, rows, hit, n, extra_breakdowns=None):
        """A share figure from grouped rows: `hit` among `n` (the names of two columns)."""
        rows = [{**row, "hit": row[hit], "n": row[n]} for row in rows]
        total = self.totals(rows, ["n", "hit"])

        def cell(category, sums):
            return Cell(category, percent(sums["hit"], sums["n"]), int(sums["hit"]), int(sums["n"]))

        figure = Figure(
            code,
            percent(total["hit"], total["n"]),
            int(total["hit"]),
            int(total["n"]),
            self.breakdown_cells(rows, ["n", "hit"], cell),
        )
        figure.breakdowns.update(extra_breakdowns or {})
        return figure

    def count_of_rows(self, code, rows, n, extra=None):
        rows = [{**row, "n": row[n]} for row in rows]
        total = self.totals(rows, ["n"])

        def cell(category, sums):
            return Cell(category, Decimal(int(sums["n"])), int(sums["n"]), None)

        figure = Figure(
            code,
            Decimal(int(total["n"])),
            int(total["n"]),
            None,
            self.breakdown_cells(rows, ["n"], cell),
        )
        figure.breakdowns.update(extra or {})
        return figure

    def share(self, code, queryset, condition, prefix="", extra_breakdowns=None):
        rows = self.grouped(queryset, prefix, n=Count("pk"), hit=Count("pk", filter=condition))
        total = self.totals(rows, ["n", "hit"])

        def cell(category, sums):
            return Cell(category, percent(sums["hit"], sums["n"]), int(sums["hit"]), int(sums["n"]))

        figure = Figure(
            code,
            percent(total["hit"], total["n"]),
            int(total["hit"]),
            int(total["n"]),
            self.breakdown_cells(rows, ["n", "hit"], cell),
        )
        figure.breakdowns.update(extra_breakdowns or {})
        return figure

    def average(self, code, queryset, duration, prefix=""):
        rows = self.grouped(queryset, prefix, n=Count("pk"), total=Sum(duration))
        for row in rows:
            row["total"] = days(row["total"])
        total = self.totals(rows, ["n", "total"])

        def cell(category, sums):
            return Cell(category, mean(sums["total"], sums["n"]), None, int(sums["n"]))

        return Figure(
            code,
            mean(total["total"], total["n"]),
            None,
            int(total["n"]),
            self.breakdown_cells(rows, ["n", "total"], cell),
        )

    def count(self, code, queryset, prefix="", extra=None):
        rows = self.grouped(queryset, prefix, n=Count("pk"))
        total = self.totals(rows, ["n"])

        def cell(category, sums):
            return Cell(category, Decimal(int(sums["n"])), int(sums["n"]), None)

        figure = Figure(
            code,
            Decimal(int(total["n"])),
            int(total["n"]),
            None,
            self.breakdown_cells(rows, ["n"], cell),
        )
        figure.breakdowns.update(extra or {})
        return figure

    def distribution(self, queryset, column):
        """{category: count} of one annotated column (one query)."""
        return dict(queryset.values_list(column).annotate(n=Count("pk")).order_by())

    # --- OARSA (DREES) ---

    def latest_orientations(self):
        """Each person's latest orientation decided by the end of the year, as a queryset of
        decisions. It is the current one, unless that one came after the end of the year:
        then, for those few people, the latest before it."""
        later = OrientationDecision.objects.filter(is_current=True, decided_on__gt=self.as_of)
        before_a_later_one = OrientationDecision.objects.filter(
            decided_on__lte=self.as_of,
            beneficiary__in=later.values("beneficiary_id"),
            pk=Subquery(
                OrientationDecision.objects.filter(
                    beneficiary=OuterRef("beneficiary"), decided_on__lte=self.as_of
                )
                .order_by("-decided_on", "-pk")
                .values("pk")[:1]
            ),
        )
        return OrientationDecision.objects.filter(
            Q(is_current=True, decided_on__lte=self.as_of)
            | Q(pk__in=before_a_later_one.values("pk"))
        )

    @cached_property
    def population(self):
        """What indicators 1, 2, 4, 5 and 6 count, in two grouped queries: the people of the
        year by the five dimensions (all, SDD), then their latest orientation by the same
        dimensions and by parcours and organisme (SDD oriented, and with a contract)."""
        subject = Q(rights_and_duties=RightsAndDuties.SUBJECT)
        people = self.grouped(self.people(), n=Count("pk"), sdd=Count("pk", filter=subject))
        for row in people:
            row.update(oriented=0, with_contract=0, parcours=None, kind=None, category=None)
        contract = Contract.objects.filter(
            beneficiary=OuterRef("beneficiary_id"),
            signed_on__lte=self.as_of,
            start_date__lte=self.as_of,
            end_date__gte=self.as_of,
        )
        oriented = self.grouped(
            self.through(self.latest_orientations(), "beneficiary__"),
            "beneficiary__",
            extra=["parcours", "organisme_id"],
            oriented=Count("pk"),
            with_contract=Count("pk", filter=Q(Exists(contract))),
        )
        kinds = dict(Organisation.objects.values_list("pk", "kind"))
        for row in oriented:
            row.update(n=0, sdd=0, kind=kinds.get(row["organisme_id"]))
            row["category"] = organisme_category(row["kind"])
        return people + oriented

    def oarsa_1_subject(self):
        """Share of the beneficiaries who are subject to rights and duties (SDD)."""
        return self.share_of_rows("oarsa-1-sdd", self.population, "sdd", "n")

    def oarsa_2_oriented(self):
        return self.share_of_rows("oarsa-2-orientes", self.population, "oriented", "sdd")

    def oarsa_3_orientation_delay(self):
        """For the people who entered the RSA in the year and were oriented by its end: the
        days between their request and their first orientation (the decision that is not a
        reorientation)."""
        firsts = OrientationDecision.objects.filter(
            is_reorientation=False,
            decided_on__lte=self.as_of,
            beneficiary__right_opened_on__gte=self.start,
        )
        return self.average(
            "oarsa-3-delai-orientation",
            self.through(firsts, "beneficiary__"),
            diff("decided_on", "beneficiary__rsa_requested_on"),
            prefix="beneficiary__",
        )

    def oriented_rows(self):
        return [row for row in self.population if row["parcours"]]

    @staticmethod
    def organisme_cells(rows):
        """The people oriented (grouped `rows`) by DREES category of organisme référent."""
        total = sum(row["oriented"] for row in rows)
        cells = []
        for label, _ in ORGANISME_CATEGORIES:
            count = sum(row["oriented"] for row in rows if row["category"] == label)
            cells.append(Cell(label, percent(count, total), count, total))
        return cells

    @staticmethod
    def parcours_cells(rows):
        """The people oriented (grouped `rows`) by parcours."""
        total = sum(row["oriented"] for row in rows)
        cells = []
        for value, label in Parcours.choices:
            count = sum(row["oriented"] for row in rows if row["parcours"] == value)
            cells.append(Cell(label, percent(count, total), count, total))
        return cells

    def oarsa_4_organisme(self):
        rows = self.oriented_rows()
        return self.count_of_rows(
            "oarsa-4-organismes",
            rows,
            "oriented",
            extra={Breakdown.ORGANISME: self.organisme_cells(rows)},
        )

    def oarsa_5_parcours(self):
        rows = self.oriented_rows()
        return self.count_of_rows(
            "oarsa-5-parcours",
            rows,
            "oriented",
            extra={Breakdown.PARCOURS: self.parcours_cells(rows)},
        )

    def valid_contract(self):
        return Contract.objects.filter(
            beneficiary=OuterRef("pk"),
            signed_on__lte=self.as_of,
            start_date__lte=self.as_of,
            end_date__gte=self.as_of,
        )

    def oarsa_6_contract_rate(self):
        """Among the people oriented to another organisme than France Travail, the share with
        a contract signed and in force at the end of the year."""
        rows = [
            row for row in self.population if row["parcours"] and row["kind"] != "france_travail"
        ]
        return self.share_of_rows("oarsa-6-taux-contrat", rows, "with_contract", "oriented")

    def oarsa_7_contract_delay(self):
        """For the people whose first contract was signed in the year: the days between their
        first orientation and that signature."""
        signed = Contract.objects.filter(signed_on__isnull=False)
        earlier = signed.filter(beneficiary=OuterRef("beneficiary_id")).filter(
            Q(signed_on__lt=OuterRef("signed_on"))
            | Q(signed_on=OuterRef("signed_on"), pk__lt=OuterRef("pk"))
        )
        firsts = signed.filter(~Exists(earlier))
        first_contracts = self.through(
            firsts.filter(
                signed_on__gte=self.start,
                signed_on__lte=self.as_of,
                beneficiary__orientations__is_reorientation=False,
            ),
            "beneficiary__",
        ).annotate(first_orientation=F("beneficiary__orientations__decided_on"))
        return self.average(
            "oarsa-7-delai-contrat",
            first_contracts,
            diff("signed_on", "first_orientation"),
            prefix="beneficiary__",
        )

    def valid_contracts(self):
        """The contracts in force at the end of the year (a revised version is not counted)."""
        contracts = Contract.objects.filter(
            signed_on__lte=self.as_of,
            start_date__lte=self.as_of,
            end_date__gte=self.as_of,
        ).filter(Q(revision__isnull=True) | Q(revision__start_date__gt=self.as_of))
        return self.through(contracts, "beneficiary__")

    def oarsa_8_contract_content(self):
        """Content and length of the contracts in force: one grouped query, three figures."""
        contracts = self.valid_contracts()

        def planned(kind):
            return Q(pk__in=PlannedAction.objects.filter(kind=kind).values("contract_id"))

        long_enough = Q(
            end_date__gte=F("start_date")
            + datetime.timedelta(days=settings.PTI_DURABLE_EMPLOYMENT_DAYS)
        )
        rows = self.grouped(
            contracts,
            "beneficiary__",
            n=Count("pk"),
            job=Count("pk", filter=planned(PlannedActionKind.JOB_SEARCH)),
            care_count=Count("pk", filter=planned(PlannedActionKind.CARE)),
            long=Count("pk", filter=long_enough),
        )
        return [
            self.share_of_rows("oarsa-8a-recherche-emploi", rows, "job", "n"),
            self.share_of_rows("oarsa-8b-acces-soins", rows, "care_count", "n"),
            self.share_of_rows("oarsa-8c-six-mois", rows, "long", "n"),
        ]

    def oarsa_9_reorientations(self):
        decisions = OrientationDecision.objects.filter(
            is_reorientation=True, decided_on__gte=self.start, decided_on__lte=self.as_of
        )
        decisions = self.in_territory(decisions, "beneficiary__")
        return self.count("oarsa-9-reorientations", decisions, prefix="beneficiary__")

    def oarsa(self):
        return [
            self.oarsa_1_subject(),
            self.oarsa_2_oriented(),
            self.oarsa_3_orientation_delay(),
            self.oarsa_4_organisme(),
            self.oarsa_5_parcours(),
            self.oarsa_6_contract_rate(),
            self.oarsa_7_contract_delay(),
            *self.oarsa_8_contract_content(),
            self.oarsa_9_reorientations(),
        ]

    # --- the pact's own indicators ---

    def exits(self):
        exits = Exit.objects.filter(exit_on__gte=self.start, exit_on__lte=self.as_of)
        return self.in_territory(exits, "beneficiary__").annotate(
            outcome=exit_outcome_expression(),
            outcome_iae=exit_outcome_expression(strictly_more=True),
        )

    def durable_employment(self):
        exits = self.exits()
        return [
            self.share(
                "emploi-durable",
                exits,
                Q(outcome=ExitOutcome.DURABLE_EMPLOYMENT),
                prefix="beneficiary__",
            ),
            self.share(
                "emploi-durable-iae",
                exits,
                Q(outcome_iae=ExitOutcome.DURABLE_EMPLOYMENT),
                prefix="beneficiary__",
            ),
        ]

    @staticmethod
    def outcome_cells(by_outcome, total):
        """The exits of each dynamic outcome ({outcome: count}) among `total` exits."""
        return [
            Cell(
                ExitOutcome(outcome).label,
                percent(by_outcome.get(outcome, 0), total),
                by_outcome.get(outcome, 0),
                total,
            )
            for outcome in DYNAMIC_OUTCOMES
        ]

    def dynamic_exits(self):
        exits = self.exits()
        total = exits.count()
        by_outcome = self.distribution(exits, "outcome")
        return self.share(
            "sorties-dynamiques",
            exits,
            Q(outcome__in=DYNAMIC_OUTCOMES),
            prefix="beneficiary__",
            extra_breakdowns={Breakdown.KIND: self.outcome_cells(by_outcome, total)},
        )

    @staticmethod
    def category_cells(by_category):
        """The exits of each category ({ExitCategory: count}), in the enum's order, the
        categories with no exit left out."""
        return [
            Cell(category.label, Decimal(by_category[category]), by_category[category], None)
            for category in ExitCategory
            if by_category.get(category)
        ]

    def exits_by_category(self):
        """The exits of the year, by category of exit (DOMAIN.md: end of right, out of rights
        and duties, move, sanction, death; and the closures for lack of contact): one query,
        grouped by the five dimensions and the category."""
        rows = self.grouped(self.exits(), "beneficiary__", extra=("category",), n=Count("pk"))
        by_category = defaultdict(int)
        for row in rows:
            by_category[row["category"]] += row["n"]
        return self.count_of_rows(
            "sorties-par-motif",
            rows,
            "n",
            extra={Breakdown.KIND: self.category_cells(by_category)},
        )

    def obstacles_lifted(self):
        """Among the obstacles open during the year, the share lifted in the year."""
        obstacles = Obstacle.objects.filter(identified_on__lte=self.as_of).filter(
            Q(lifted_on__isnull=True) | Q(lifted_on__gte=self.start)
        )
        obstacles = self.in_territory(obstacles, "beneficiary__")
        return self.share(
            "freins-leves",
            obstacles,
            Q(status=ObstacleStatus.LIFTED, lifted_on__gte=self.start, lifted_on__lte=self.as_of),
            prefix="beneficiary__",
        )

    @cached_property
    def hours_done_rows(self):
        """The rows of `hours_done`, grouped by the five dimensions and the parcours."""
        return self._hours_done_rows()

    def hours_done(self):
        """The share of people at 15 hours of activity done a week (CASF L262-35, loi du
        18 décembre 2023 pour le plein emploi), in one grouped query.

        Counted: the contrats d'engagement in force at the end of the period (as
        `valid_contracts`: signed, one per person, a revised version replaced by its revision),
        of the SDD of the period. Their weeks: the whole ISO weeks (Monday to Sunday) from the
        contract's start (or 1 January) to the last Sunday on or before the end of the period;
        a contract with no whole week in it is not counted. Hours done: the hours the operators
        recorded for the person in those weeks (beneficiaries.Attendance, all actions). A person
        reaches the rule when hours done >= weeks x 15 hours, or weeks x the planned hours when a
        reduction is recorded (0 when the hours are removed). Breakdowns: the five dimensions
        and the parcours of the person's latest orientation at the end of the period."""
        rows = self.hours_done_rows
        return self.share_of_rows(
            "heures-activite",
            rows,
            "hit",
            "n",
            extra_breakdowns={Breakdown.PARCOURS: self.hours_parcours_cells(rows)},
        )

    def _hours_done_rows(self):
        last_sunday = self.as_of - datetime.timedelta(days=self.as_of.isoweekday() % 7)
        last_monday = last_sunday - datetime.timedelta(days=6)
        contracts = (
            self.valid_contracts()
            .filter(kind=ContractKind.CE)
            .annotate(window_start=Greatest(F("start_date"), Value(self.start)))
        )
        # Days from the first Monday on or after the window's start to the last Sunday.
        to_first_monday = Mod(8 - ExtractIsoWeekDay("window_start"), 7)
        done = (
            Attendance.objects.filter(
                prescription__beneficiary=OuterRef("beneficiary_id"),
                week__gte=OuterRef("window_start"),
                week__lte=last_monday,
            )
            .order_by()
            .values("prescription__beneficiary")
            .annotate(total=Sum("hours"))
            .values("total")
        )
        reference = Case(
            When(~Q(hours_reduction=""), then=Least(F("weekly_hours"), Value(RULE_HOURS))),
            default=Value(RULE_HOURS),
            output_field=DecimalField(max_digits=4, decimal_places=1),
        )
        parcours = Subquery(
            OrientationDecision.objects.filter(
                beneficiary=OuterRef("beneficiary_id"), decided_on__lte=self.as_of
            )
            .order_by("-decided_on", "-pk")
            .values("parcours")[:1]
        )
        contracts = contracts.annotate(
            weeks=(DaysBetween(Value(last_sunday), F("window_start")) + 1 - to_first_monday) / 7,
            done=Coalesce(Subquery(done[:1]), Value(Decimal(0)), output_field=DecimalField()),
            reference=reference,
            dim_parcours=parcours,
        )
        due = ExpressionWrapper(F("reference") * F("weeks"), output_field=DecimalField())
        rows = self.grouped(
            contracts,
            "beneficiary__",
            extra=["dim_parcours"],
            n=Count("pk", filter=Q(weeks__gt=0)),
            hit=Count("pk", filter=Q(weeks__gt=0, done__gte=due)),
        )
        return rows

    @staticmethod
    def hours_parcours_cells(rows):
        """The share at 15 hours done by parcours (rows of `hours_done_rows`)."""
        by_parcours = defaultdict(lambda: [0, 0])
        for row in rows:
            by_parcours[row["dim_parcours"]][0] += row["hit"]
            by_parcours[row["dim_parcours"]][1] += row["n"]
        parcours_cells = [
            Cell(LABELS[Breakdown.PARCOURS].get(value, "non orienté"), percent(hit, n), hit, n)
            for value, (hit, n) in sorted(by_parcours.items(), key=lambda item: item[0] or "~")
            if n
        ]
        return parcours_cells

    def caseload(self):
        """People followed per référent at the end of the year."""
        assignments = (
            ReferentAssignment.objects.filter(start_date__lte=self.as_of)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=self.as_of))
            .filter(beneficiary__in=self.people())
        )
        per_referent = assignments.values("referent").annotate(n=Count("pk")).order_by()
        stats = per_referent.aggregate(
            people=Sum("n"), referents=Count("referent"), average=Avg("n")
        )
        above = per_referent.filter(n__gt=settings.PTI_CASELOAD_THRESHOLD).count()
        return Figure(
            "charge-referent",
            mean(stats["people"] or 0, stats["referents"]),
            above,
            stats["referents"],
            {},
        )

    def access_to_employment_by_territory(self):
        """{territory id: exits of the year to durable or transition employment}: what each
        CTIP's access-to-employment objective counts."""
        return dict(
            self.exits()
            .filter(outcome__in=[ExitOutcome.DURABLE_EMPLOYMENT, ExitOutcome.TRANSITION_EMPLOYMENT])
            .values_list("beneficiary__household__territory")
            .annotate(n=Count("pk"))
            .order_by()
        )

    def territory_figures(self, figures):
        """{territory id: {code: Figure}}: each territory's figures as its own Computation
        would give them (value and counts, and the breakdowns by organisme, parcours and
        nature of exit), taken from the département's `figures` (this computation's, for the
        whole département) and the rows they were grouped from; one query more for the exits
        by territory and outcome, one for the exits by territory and category. A figure with no
        breakdown by territory (the référents' caseload) is left out."""
        names = self.territory_names
        result = {pk: {} for pk in names}
        for code, figure in figures.items():
            if Breakdown.TERRITORY not in figure.breakdowns:
                continue
            by_name = {cell.category: cell for cell in figure.cells(Breakdown.TERRITORY)}
            for pk, name in names.items():
                cell = by_name.get(name)
                if cell is None:  # nobody there: the counts are zero
                    cell = Cell(
                        name,
                        None,
                        None if figure.numerator is None else 0,
                        None if figure.denominator is None else 0,
                    )
                result[pk][code] = Figure(code, cell.value, cell.numerator, cell.denominator)
        oriented = (
            self.oriented_rows()
            if {"oarsa-4-organismes", "oarsa-5-parcours"} & set(figures)
            else []
        )
        for pk, territory_figures in result.items():
            rows = [row for row in oriented if row["dim_territory"] == pk]
            if "oarsa-4-organismes" in territory_figures:
                territory_figures["oarsa-4-organismes"].breakdowns[Breakdown.ORGANISME] = (
                    self.organisme_cells(rows)
                )
            if "oarsa-5-parcours" in territory_figures:
                territory_figures["oarsa-5-parcours"].breakdowns[Breakdown.PARCOURS] = (
                    self.parcours_cells(rows)
                )
        if "heures-activite" in figures:
            rows = self.hours_done_rows
            for pk, territory_figures in result.items():
                territory_figures["heures-activite"].breakdowns[Breakdown.PARCOURS] = (
                    self.hours_parcours_cells([row for row in rows if row["dim_territory"] == pk])
                )
        if "sorties-par-motif" in figures:
            categories = defaultdict(dict)
            exits = (
                self.exits()
                .values_list("beneficiary__household__territory", "category")
                .annotate(n=Count("pk"))
                .order_by()
            )
            for territory_id, category, count in exits:
                categories[territory_id][category] = count
            for pk, territory_figures in result.items():
                territory_figures["sorties-par-motif"].breakdowns[Breakdown.KIND] = (
                    self.category_cells(categories.get(pk, {}))
                )
        if "sorties-dynamiques" in figures:
            by_territory = defaultdict(dict)
            exits = (
                self.exits()
                .values_list("beneficiary__household__territory", "outcome")
                .annotate(n=Count("pk"))
                .order_by()
            )
            for territory_id, outcome, count in exits:
                by_territory[territory_id][outcome] = count
            for pk, territory_figures in result.items():
                by_outcome = by_territory.get(pk, {})
                territory_figures["sorties-dynamiques"].breakdowns[Breakdown.KIND] = (
                    self.outcome_cells(by_outcome, sum(by_outcome.values()))
                )
        return result

    def key_rates_and_ties(self):
        """{code: Figure} of the dashboard's three key rates (people oriented, contract rate,
        dynamic exits) and of every indicator that counts some of the same people: what the
        secret of those rates depends on (see `evaluation.disclosure`)."""
        figures = [
            self.oarsa_1_subject(),
            self.oarsa_2_oriented(),
            self.oarsa_4_organisme(),
            self.oarsa_5_parcours(),
            self.oarsa_6_contract_rate(),
            *self.durable_employment(),
            self.dynamic_exits(),
        ]
        return {figure.code: figure for figure in figures}

    def pact_indicators(self):
        return [
            *self.durable_employment(),
            self.dynamic_exits(),
            self.exits_by_category(),
            self.obstacles_lifted(),
            self.hours_done(),
            self.caseload(),
        ]

    def all(self):
        return {figure.code: figure for figure in [*self.oarsa(), *self.pact_indicators()]}


# --- Per action -------------------------------------------------------------------------------


def action_results(year, actions=None, today=None):
    """{action id: {measure: value}} for the year, in one query: places used, prescriptions
    accepted, completed and abandoned, people accompanied, their dynamic and durable exits."""
    today = today or timezone.localdate()
    start, end = datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today)
    present = Q(
        prescriptions__started_on__lte=end,
        prescriptions__started_on__isnull=False,
    ) & (Q(prescriptions__ended_on__isnull=True) | Q(prescriptions__ended_on__gte=start))
    queryset = Action.objects.all() if actions is None else actions
    rows = queryset.annotate(
        accepted=Count(
            "prescriptions",
            filter=Q(prescriptions__answered_on__gte=start, prescriptions__answered_on__lte=end)
            & ~Q(prescriptions__status=PrescriptionStatus.REFUSED),
        ),
        completed=Count(
            "prescriptions",
            filter=Q(
                prescriptions__status=PrescriptionStatus.COMPLETED,
                prescriptions__ended_on__gte=start,
                prescriptions__ended_on__lte=end,
            ),
        ),
        abandoned=Count(
            "prescriptions",
            filter=Q(
                prescriptions__status=PrescriptionStatus.ABANDONED,
                prescriptions__ended_on__gte=start,
                prescriptions__ended_on__lte=end,
            ),
        ),
        accompanied=Count("prescriptions__beneficiary", filter=present, distinct=True),
    ).values("pk", "capacity", "places_taken", "accepted", "completed", "abandoned", "accompanied")
    results = {row["pk"]: row for row in rows}
    # Dynamic and durable exits of the people accompanied (a second grouped query).
    exits = (
        Prescription.objects.filter(
            action__in=queryset, started_on__isnull=False, started_on__lte=end
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .filter(beneficiary__exit__isnull=False, beneficiary__exit__exit_on__lte=end)
        .annotate(exit_result=exit_outcome_expression("beneficiary__exit__"))
        .values("action")
        .annotate(
            dynamic=Count("beneficiary", filter=Q(exit_result__in=DYNAMIC_OUTCOMES), distinct=True),
            durable=Count(
                "beneficiary",
                filter=Q(exit_result=ExitOutcome.DURABLE_EMPLOYMENT),
                distinct=True,
            ),
        )
        .order_by()
    )
    for row in results.values():
        row["dynamic"] = row["durable"] = 0
    for row in exits:
        results[row["action"]]["dynamic"] = row["dynamic"]
        results[row["action"]]["durable"] = row["durable"]
    for row in results.values():
        row["dynamic_rate"] = percent(row["dynamic"], row["accompanied"])
    return results
