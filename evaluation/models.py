"""Indicators of the pact, their targets, and the measurements that answer them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from actions.models import Action, AgreementObjective
from evaluation.disclosure import SNAPSHOT_BREAKDOWNS, entered_is_secret, snapshot_secret
from evaluation.enums import Breakdown, Direction, Scope, Source, Unit
from pti.models import Orientation, Pact, Territory
from signatories.models import Commitment, Signatory

SCOPE_FIELDS = {
    Scope.PACT: "pact",
    Scope.ORIENTATION: "orientation",
    Scope.TERRITORY: "territory",
    Scope.ACTION: "action",
    Scope.COMMITMENT: "commitment",
    Scope.AGREEMENT_OBJECTIVE: "agreement_objective",
}


def one_scope(prefix=""):
    """Exactly the field of the scope is set, every other scope field is empty."""
    condition = Q()
    for scope, field in SCOPE_FIELDS.items():
        others = {f"{other}__isnull": True for other in SCOPE_FIELDS.values() if other != field}
        condition |= Q(scope=scope, **{f"{field}__isnull": False}, **others)
    return condition


class ScopedQuerySet(models.QuerySet):
    def for_scope(self, *, scope, obj=None):
        query = {"scope": scope}
        if obj is not None:
            query[SCOPE_FIELDS[scope]] = obj
        return self.filter(**query)


class TargetQuerySet(ScopedQuerySet):
    def partner_figures_by_signatory(self, *, pact, year):
        """{signatory id: {"expected": n, "reported": n}} for `pact` and `year`: the targets
        of its commitments that the partner reports itself (indicators of source PARTNER),
        and how many of them have at least one figure entered. One query; a signatory with
        nothing expected is absent."""
        reported = Measurement.objects.filter(
            scope=Scope.COMMITMENT,
            commitment=models.OuterRef("commitment"),
            indicator=models.OuterRef("indicator"),
            year=models.OuterRef("year"),
        )
        rows = (
            self.filter(
                scope=Scope.COMMITMENT,
                commitment__signatory__pact=pact,
                year=year,
                indicator__source=Source.PARTNER,
            )
            .annotate(has_figure=models.Exists(reported))
            .values("commitment__signatory")
            .annotate(
                expected=models.Count("id"),
                reported=models.Count("id", filter=Q(has_figure=True)),
            )
            .order_by()
        )
        return {row["commitment__signatory"]: row for row in rows}


class Indicator(models.Model):
    code = models.SlugField("code", max_length=60, unique=True)
    label = models.CharField("libellé", max_length=200)
    definition = models.TextField("définition")
    unit = models.CharField("unité", max_length=20, choices=Unit.choices)
    direction = models.CharField(
        "sens", max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    source = models.CharField("source", max_length=20, choices=Source.choices)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=100)
    is_oarsa = models.BooleanField("indicateur OARSA de la DREES", default=False)

    class Meta:
        verbose_name = "indicateur"
        verbose_name_plural = "indicateurs"
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="indicator_unit_valid"),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="indicator_source_valid"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def is_computed(self):
        return self.source == Source.COMPUTED


class ScopedModel(models.Model):
    """What a target or a measurement is about: the whole pact, or one part of it."""

    scope = models.CharField("périmètre", max_length=30, choices=Scope.choices)
    pact = models.ForeignKey(
        Pact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    orientation = models.ForeignKey(
        Orientation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreement_objective = models.ForeignKey(
        AgreementObjective, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def scope_object(self):
        return getattr(self, SCOPE_FIELDS[self.scope])


class Target(ScopedModel):
    """What an indicator should reach in a year, for one scope."""

    # Reached from the pact (its PDF prints the targets in an annex).
    pact = models.ForeignKey(
        Pact, on_delete=models.PROTECT, null=True, blank=True, related_name="targets"
    )
    # A commitment's measurable targets, one row per indicator and year of its pact's period,
    # reached from the commitment (the signatory's page, the PDF): they go with it.
    commitment = models.ForeignKey(
        Commitment,
        verbose_name="engagement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicator_targets",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name="indicateur", on_delete=models.PROTECT, related_name="targets"
    )
    year = models.PositiveSmallIntegerField("année")
    value = models.DecimalField("cible", max_digits=12, decimal_places=2)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = "cible"
        verbose_name_plural = "cibles"
        ordering = ["indicator__position", "year"]
        constraints = [
            models.CheckConstraint(condition=one_scope(), name="target_one_scope"),
            *[
                models.UniqueConstraint(
                    fields=["indicator", "year", field],
                    condition=Q(scope=scope),
                    name=f"target_unique_per_{field}",
                    violation_error_message=(
                        "Cette cible existe déjà pour cette année et ce périmètre."
                    ),
                )
                for scope, field in SCOPE_FIELDS.items()
            ],
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="target_year"),
        ]

    def __str__(self):
        return f"{self.indicator} {self.year} : {self.value}"


class Snapshot(models.Model):
    """The figures of a year as computed on a given day: kept as they were reported."""

    year = models.PositiveSmallIntegerField("année")
    taken_at = models.DateTimeField("arrêté le", auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField("objet", max_length=200, blank=True)

    class Meta:
        verbose_name = "instantané"
        verbose_name_plural = "instantanés"
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self):
        return f"Chiffres {self.year} arrêtés le {self.taken_at:%d/%m/%Y}"

    @cached_property
    def secret(self):
        """Which of the figures kept here readers outside the département may not see (a
        `disclosure.FigureSecret`; one query)."""
        measurements = self.measurements.filter(
            scope__in=[Scope.PACT, Scope.TERRITORY], breakdown__in=SNAPSHOT_BREAKDOWNS
        ).select_related("indicator")
        return snapshot_secret(measurements)


class Measurement(ScopedModel):
    """A value of an indicator for a year and a scope, possibly for one category of a
    breakdown; computed in a snapshot, or entered by the département or a partner."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="indicateur", on_delete=models.PROTECT, related_name="measurements"
    )
    pact = models.ForeignKey(
        Pact, on_delete=models.PROTECT, null=True, blank=True, related_name="measurements"
    )
    # Reached from the offer (the funding-renewal screen reads an objective's measurements).
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="measurements"
    )
    agreement_objective = models.ForeignKey(
        AgreementObjective,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measurements",
    )
    # A partner's figures on its commitment, reached from the commitment (the signatory's
    # page, the PDF); they stay with the version of the pact they were entered on.
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measurements",
    )
    year = models.PositiveSmallIntegerField("année")
    breakdown = models.CharField(
        "ventilation", max_length=20, choices=Breakdown.choices, blank=True
    )
    category = models.CharField("catégorie", max_length=100, blank=True)
    value = models.DecimalField("valeur", max_digits=14, decimal_places=2, null=True)
    # The people counted, for rates and for the suppression of small cells.
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField("source", max_length=20, choices=Source.choices)
    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.CASCADE, null=True, blank=True, related_name="measurements"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField("commentaire", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "mesure"
        verbose_name_plural = "mesures"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=one_scope(), name="measurement_one_scope"),
            # A computed measurement belongs to a snapshot; an entered one names who entered it.
            models.CheckConstraint(
                condition=Q(source=Source.COMPUTED, snapshot__isnull=False)
                | (~Q(source=Source.COMPUTED) & Q(snapshot__isnull=True, entered_by__isnull=False)),
                name="measurement_origin",
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "year", "scope"], name="measurement_lookup_idx"),
            models.Index(
                fields=["agreement_objective", "-created_at"], name="measurement_objective_idx"
            ),
            models.Index(
                fields=["commitment", "year", "-created_at"], name="measurement_commitment_idx"
            ),
        ]

    def __str__(self):
        return f"{self.indicator} {self.year} = {self.value}"

    @property
    def is_secret(self):
        """Whether readers outside the département may not see this figure (the secret
        statistique, `evaluation.disclosure`): a figure a snapshot kept, as the snapshot's
        secret decides; an entered one, when it counts fewer people than the threshold."""
        if self.snapshot_id:
            return self.snapshot.secret.hides_measurement(self)
        return entered_is_secret(self.indicator.unit, self.value)


class PrecomputedFigures(models.Model):
    """Every computed indicator of a year, for the département and each territory, as the
    nightly task (`compute_figures`) computed them: the dashboard reads them in one query
    instead of computing them (some 10 s at 100,000 people) and says as of when. Unlike a
    Snapshot, they are nobody's report: recomputed every night, never shown as « transmis ».
    `scopes` is `evaluation.precomputed.scopes_to_json`'s: {"": figures of the département,
    "<territory id>": figures of that territory}."""

    year = models.PositiveSmallIntegerField("année", unique=True)
    computed_at = models.DateTimeField("calculés le")
    scopes = models.JSONField("chiffres")

    class Meta:
        verbose_name = "chiffres calculés la nuit"
        verbose_name_plural = "chiffres calculés la nuit"
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="precomputed_figures_year"
            ),
        ]

    def __str__(self):
        return f"Chiffres {self.year} calculés le {self.computed_at:%d/%m/%Y à %H:%M}"


class FigureReminder(models.Model):
    """The pilot reminded a signatory to report its figures of a year (shown in the
    application, at the top of the partner's « Mes engagements »; e-mail comes later). It is
    open until the partner enters a figure of that year after it was sent."""

    signatory = models.ForeignKey(
        Signatory,
        verbose_name="signataire",
        on_delete=models.CASCADE,
        related_name="figure_reminders",
    )
    year = models.PositiveSmallIntegerField("année")
    message = models.TextField("message", blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField("envoyée le", auto_now_add=True)

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="figure_reminder_year"
            ),
        ]

    def __str__(self):
        return f"Relance {self.year} – {self.signatory.organisation}"
