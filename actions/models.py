from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from actions.enums import (
    ActionStatus,
    AgreementStatus,
    ApplicationDecision,
    CallStatus,
    FundingSource,
    ObjectiveMeasure,
    Obstacle,
    RenewalDecision,
)
from pti.enums import Role
from pti.models import LockVersioned, Objective, Organisation, Orientation, Territory

# --- QuerySets -------------------------------------------------------------------------


class ActionQuerySet(models.QuerySet):
    def in_catalogue(self):
        """What référents may prescribe to: open actions and full ones (a place may free up)."""
        return self.filter(status__in=[ActionStatus.OPEN, ActionStatus.FULL])

    def visible_to(self, user):
        """Pilots see the whole offer, operators their own actions, référents and managers
        the catalogue; partners and IT see none."""
        if user.role == Role.PILOT:
            return self
        if user.role == Role.OPERATOR:
            return self.filter(operator_id=user.organisation_id)
        if user.role in (Role.REFERENT, Role.MANAGER):
            return self.in_catalogue()
        return self.none()

    def with_places_left(self):
        return self.annotate(places_left=F("capacity") - F("places_taken"))

    def with_catalogue_details(self):
        return self.select_related("operator", "orientation", "objective").prefetch_related(
            "territories", "obstacles"
        )

    def under_orientation_key(self, key):
        """Actions under an orientation, whichever version of the pact they were filed under."""
        return self.filter(orientation__key=key)


class AgreementQuerySet(models.QuerySet):
    def with_totals(self):
        # The amounts are summed apart: joined with the actions, each would count once per action.
        total = (
            AgreementAmount.objects.filter(agreement=OuterRef("pk"))
            .values("agreement")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.select_related("operator").annotate(
            total_amount=Subquery(total), action_count=Count("actions", distinct=True)
        )


# --- The offer ---------------------------------------------------------------------------


class Action(LockVersioned):
    """A fiche action of the PDI, under an orientation and an objective of the pact."""

    reference = models.CharField(
        "référence", max_length=30, unique=True, help_text="Par exemple FA-2017-012."
    )
    title = models.CharField("intitulé", max_length=250)
    description = models.TextField("description", blank=True)
    orientation = models.ForeignKey(
        Orientation, verbose_name="orientation", on_delete=models.PROTECT, related_name="actions"
    )
    objective = models.ForeignKey(
        Objective,
        verbose_name="objectif opérationnel",
        on_delete=models.PROTECT,
        related_name="actions",
        null=True,
        blank=True,
    )
    operator = models.ForeignKey(
        Organisation, verbose_name="opérateur", on_delete=models.PROTECT, related_name="actions"
    )
    territories = models.ManyToManyField(
        Territory, verbose_name="territoires", related_name="actions"
    )
    target_public = models.CharField("public visé", max_length=250, blank=True)
    capacity = models.PositiveIntegerField("places")
    places_taken = models.PositiveIntegerField("places occupées", default=0, editable=False)
    start_date = models.DateField("début")
    end_date = models.DateField("fin", null=True, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    budget = models.DecimalField("budget total (€)", max_digits=12, decimal_places=2, default=0)
    place = models.CharField("lieu", max_length=250, blank=True)
    contact = models.CharField("contact de l'opérateur", max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = "action"
        verbose_name_plural = "actions"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_taken__lte=F("capacity")),
                name="action_places_within_capacity",
                violation_error_message="Il n'y a plus de place dans cette action.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="action_dates_ordered",
                violation_error_message="La fin de l'action doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="action_status_valid"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="action_budget_positive"),
        ]
        indexes = [
            # The catalogue: open actions, filtered by orientation.
            models.Index(fields=["status", "orientation"], name="action_catalogue_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def places_remaining(self):
        return self.capacity - self.places_taken


class ActionObstacle(models.Model):
    """An obstacle an action helps to lift (an action addresses one or several)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="obstacles")
    obstacle = models.CharField("frein", max_length=20, choices=Obstacle.choices)

    class Meta:
        verbose_name = "frein traité"
        verbose_name_plural = "freins traités"
        constraints = [
            models.UniqueConstraint(fields=["action", "obstacle"], name="action_obstacle_unique"),
            models.CheckConstraint(
                condition=Q(obstacle__in=Obstacle.values), name="action_obstacle_valid"
            ),
        ]
        indexes = [
            # The catalogue's filter by obstacle.
            models.Index(fields=["obstacle", "action"], name="action_obstacle_filter_idx"),
        ]

    def __str__(self):
        return self.get_obstacle_display()


class ActionFunding(models.Model):
    """One funding line of an action: who pays how much, for which year."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField("financeur", max_length=20, choices=FundingSource.choices)
    year = models.PositiveSmallIntegerField("année")
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "ligne de financement"
        verbose_name_plural = "lignes de financement"
        ordering = ["year", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "source", "year"],
                name="action_funding_unique",
                violation_error_message="Ce financeur a déjà une ligne pour cette année.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="action_funding_positive"),
            models.CheckConstraint(
                condition=Q(source__in=FundingSource.values), name="action_funding_source_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.year} : {self.amount} €"


# --- Calls for projects ------------------------------------------------------------------


class CallForProjects(LockVersioned):
    year = models.PositiveSmallIntegerField("année")
    title = models.CharField("intitulé", max_length=250)
    description = models.TextField("présentation", blank=True)
    deadline = models.DateField("date limite de dépôt")
    status = models.CharField(
        "statut", max_length=20, choices=CallStatus.choices, default=CallStatus.OPEN
    )

    class Meta:
        verbose_name = "appel à projets"
        verbose_name_plural = "appels à projets"
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "title"],
                name="call_unique_per_year",
                violation_error_message="Un appel à projets porte déjà ce titre cette année.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CallStatus.values), name="call_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.year})"


class CallAxis(models.Model):
    call = models.ForeignKey(CallForProjects, on_delete=models.CASCADE, related_name="axes")
    position = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("axe", max_length=200)

    class Meta:
        verbose_name = "axe"
        verbose_name_plural = "axes"
        ordering = ["call", "position"]
        constraints = [
            models.UniqueConstraint(fields=["call", "position"], name="call_axis_position_unique")
        ]

    def __str__(self):
        return f"Axe {self.position} – {self.title}"


class Application(models.Model):
    """An action proposed in answer to a call, and the decision on it."""

    call = models.ForeignKey(
        CallForProjects, verbose_name="appel", on_delete=models.PROTECT, related_name="applications"
    )
    axis = models.ForeignKey(
        CallAxis, verbose_name="axe", on_delete=models.PROTECT, related_name="applications"
    )
    action = models.ForeignKey(
        Action, verbose_name="action", on_delete=models.PROTECT, related_name="applications"
    )
    requested_amount = models.DecimalField("montant demandé (€)", max_digits=12, decimal_places=2)
    granted_amount = models.DecimalField(
        "montant accordé (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    decision = models.CharField(
        "décision",
        max_length=20,
        choices=ApplicationDecision.choices,
        default=ApplicationDecision.PENDING,
    )
    decision_reason = models.TextField("motif de la décision", blank=True)
    decided_on = models.DateField("décidée le", null=True, blank=True)

    class Meta:
        verbose_name = "candidature"
        verbose_name_plural = "candidatures"
        ordering = ["axis__position", "action__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "action"],
                name="application_once_per_call",
                violation_error_message="Cette action a déjà répondu à cet appel.",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=ApplicationDecision.values),
                name="application_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(decision=ApplicationDecision.PENDING) | Q(decided_on__isnull=False),
                name="application_decided_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(decision=ApplicationDecision.REJECTED) | ~Q(decision_reason=""),
                name="application_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0)
                & (Q(granted_amount__isnull=True) | Q(granted_amount__gte=0)),
                name="application_amounts_positive",
            ),
        ]

    def __str__(self):
        return f"{self.action} – {self.call}"


# --- Multi-year funding agreements (CPO) -------------------------------------------------

MAX_AGREEMENT_YEARS = 4


class FundingAgreement(LockVersioned):
    """A convention pluriannuelle d'objectifs with an operator: 4 years at most."""

    reference = models.CharField("référence", max_length=30, unique=True)
    title = models.CharField("intitulé", max_length=250)
    operator = models.ForeignKey(
        Organisation, verbose_name="opérateur", on_delete=models.PROTECT, related_name="agreements"
    )
    actions = models.ManyToManyField(Action, verbose_name="actions", related_name="agreements")
    start_year = models.PositiveSmallIntegerField("première année")
    end_year = models.PositiveSmallIntegerField("dernière année")
    status = models.CharField(
        "statut", max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    signed_on = models.DateField("signée le", null=True, blank=True)
    renewal_decision = models.CharField(
        "décision de renouvellement", max_length=20, choices=RenewalDecision.choices, blank=True
    )
    renewal_justification = models.TextField("justification", blank=True)
    renewal_decided_on = models.DateField("décidée le", null=True, blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = "convention pluriannuelle d'objectifs"
        verbose_name_plural = "conventions pluriannuelles d'objectifs"
        ordering = ["-start_year", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year"))
                & Q(end_year__lte=F("start_year") + (MAX_AGREEMENT_YEARS - 1)),
                name="agreement_four_years_at_most",
                violation_error_message="Une convention pluriannuelle couvre de 1 à 4 années.",
            ),
            models.CheckConstraint(
                condition=Q(renewal_decision="")
                | (~Q(renewal_justification="") & Q(renewal_decided_on__isnull=False)),
                name="agreement_renewal_justified",
                violation_error_message="Une décision de renouvellement est datée et justifiée.",
            ),
            models.CheckConstraint(
                condition=Q(status=AgreementStatus.DRAFT) | Q(signed_on__isnull=False),
                name="agreement_signed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    @property
    def years(self):
        return list(range(self.start_year, self.end_year + 1))


class AgreementAmount(models.Model):
    agreement = models.ForeignKey(
        FundingAgreement, on_delete=models.CASCADE, related_name="amounts"
    )
    year = models.PositiveSmallIntegerField("année")
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "montant annuel"
        verbose_name_plural = "montants annuels"
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "year"], name="agreement_amount_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="agreement_amount_positive"),
        ]

    def __str__(self):
        return f"{self.year} : {self.amount} €"


class AgreementObjective(models.Model):
    """What an action financed by the agreement must achieve in a year."""

    agreement = models.ForeignKey(
        FundingAgreement, on_delete=models.CASCADE, related_name="objectives"
    )
    action = models.ForeignKey(
        Action, verbose_name="action", on_delete=models.PROTECT, related_name="agreement_objectives"
    )
    year = models.PositiveSmallIntegerField("année")
    measure = models.CharField("mesure", max_length=30, choices=ObjectiveMeasure.choices)
    label = models.CharField("objectif", max_length=200)
    target = models.DecimalField("cible", max_digits=10, decimal_places=2)
    reported_value = models.DecimalField(
        "résultat déclaré",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Pour un objectif que l'application ne calcule pas.",
    )

    class Meta:
        verbose_name = "objectif de convention"
        verbose_name_plural = "objectifs de convention"
        ordering = ["year", "action__title", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "action", "year", "measure"],
                name="agreement_objective_unique",
                violation_error_message="Cette action a déjà cet objectif pour cette année.",
            ),
            models.CheckConstraint(condition=Q(target__gte=0), name="agreement_objective_positive"),
            models.CheckConstraint(
                condition=Q(measure__in=ObjectiveMeasure.values),
                name="agreement_objective_measure_valid",
            ),
        ]

    def __str__(self):
        return f"{self.label} {self.year} : {self.target}"
