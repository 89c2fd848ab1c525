from django.db import models
from django.db.models import Count, F, Q

from pti.enums import OrganisationKind
from pti.models import LockVersioned, Organisation, Orientation, Pact, Territory
from signatories.enums import (
    Attendance,
    BodyKind,
    ConventionKind,
    ConventionStatus,
    SignatoryStatus,
)


def signature_count_label(counts):
    """« 20 signataires sur 22 parties ; 1 refus ; 1 sans réponse » from the counts of
    `SignatoryQuerySet.status_summary` (French plurals: 0 and 1 are singular)."""
    signed, total = counts["signed"], counts["total"]
    return (
        f"{signed} signataire{'s' if signed > 1 else ''} sur {total} partie"
        f"{'s' if total > 1 else ''} ; {counts['declined']} refus ; "
        f"{counts['expected']} sans réponse"
    )


# --- QuerySets -------------------------------------------------------------------------


class SignatoryQuerySet(models.QuerySet):
    def status_summary(self):
        """How many parties there are (`total`), have signed, have not answered yet
        (`expected`), have declined, and whether the Département signed
        (`departement_signed`, a bool): one query. `awaited` is every party but those who
        declined; `label` says it all in French: « 20 signataires sur 22 parties ; 1 refus ;
        1 sans réponse »."""
        counts = self.aggregate(
            total=Count("id"),
            signed=Count("id", filter=Q(status=SignatoryStatus.SIGNED)),
            expected=Count("id", filter=Q(status=SignatoryStatus.EXPECTED)),
            declined=Count("id", filter=Q(status=SignatoryStatus.DECLINED)),
            departement_signatures=Count(
                "id",
                filter=Q(
                    status=SignatoryStatus.SIGNED,
                    organisation__kind=OrganisationKind.DEPARTEMENT,
                ),
            ),
        )
        counts["awaited"] = counts["total"] - counts["declined"]
        counts["departement_signed"] = counts.pop("departement_signatures") > 0
        counts["label"] = signature_count_label(counts)
        return counts

    def signed(self):
        return self.filter(status=SignatoryStatus.SIGNED)

    def for_signature_page(self):
        return self.select_related("organisation").order_by("position", "organisation__name")


class CommitmentQuerySet(models.QuerySet):
    def of_organisation(self, organisation_id):
        return self.filter(signatory__organisation_id=organisation_id)

    def labelled(self):
        """With what the choice lists print: « CAF de la Loire — titre »."""
        return self.select_related("signatory__organisation", "signatory__pact", "orientation")


class ConventionQuerySet(models.QuerySet):
    def with_partner(self):
        return self.select_related("partner", "pact")


class GovernanceBodyQuerySet(models.QuerySet):
    def of_pact(self, pact):
        """The bodies of every version of `pact`."""
        return self.filter(pact__code=pact.code)


# --- Models ----------------------------------------------------------------------------


class Signatory(LockVersioned):
    """An organisation party to one version of the pact, and who signs for it."""

    pact = models.ForeignKey(
        Pact, verbose_name="pacte", on_delete=models.CASCADE, related_name="signatories"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="organisation",
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    position = models.PositiveSmallIntegerField("ordre sur la page des signatures", default=100)
    signer_name = models.CharField("nom du signataire", max_length=150, blank=True)
    signer_title = models.CharField(
        "qualité du signataire",
        max_length=200,
        blank=True,
        help_text="Par exemple : Président du conseil départemental, Directrice de la CAF.",
    )
    status = models.CharField(
        "statut", max_length=20, choices=SignatoryStatus.choices, default=SignatoryStatus.EXPECTED
    )
    signed_on = models.DateField("date de signature", null=True, blank=True)
    decline_reason = models.TextField("motif du refus", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SignatoryQuerySet.as_manager()

    class Meta:
        verbose_name = "signataire"
        verbose_name_plural = "signataires"
        ordering = ["position", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["pact", "organisation"],
                name="signatory_once_per_pact",
                violation_error_message="Cette organisation est déjà signataire de ce pacte.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SignatoryStatus.values), name="signatory_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=SignatoryStatus.SIGNED)
                | (Q(signed_on__isnull=False) & ~Q(signer_name="")),
                name="signatory_signed_has_date_and_name",
            ),
            models.CheckConstraint(
                condition=Q(status=SignatoryStatus.SIGNED) | Q(signed_on__isnull=True),
                name="signatory_date_only_when_signed",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.pact}"


class Commitment(LockVersioned):
    """What a signatory commits to under one orientation of the pact."""

    signatory = models.ForeignKey(
        Signatory, verbose_name="signataire", on_delete=models.CASCADE, related_name="commitments"
    )
    orientation = models.ForeignKey(
        Orientation,
        verbose_name="orientation",
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    title = models.CharField("engagement", max_length=250)
    description = models.TextField("précisions", blank=True)
    # The commitment of the version this one was copied from by an amendment
    # (services.pact_amend): the partner's figures entered on it stay its history.
    carried_from = models.ForeignKey(
        "self",
        verbose_name="repris de",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = "engagement"
        verbose_name_plural = "engagements"
        ordering = ["orientation__position", "id"]

    def __str__(self):
        return self.title

    def indicator_rows(self):
        """The commitment's indicator targets with the latest figure of each year, read from
        the reverse relations (prefetch `indicator_targets__indicator` and `measurements`):
        [(indicator, [(target, latest measurement or None)])], indicators in their order,
        years ascending. The figures are the evaluation's (evaluation.Measurement)."""
        latest = {}
        for measurement in sorted(
            self.measurements.all(), key=lambda m: (m.created_at, m.pk), reverse=True
        ):
            latest.setdefault((measurement.indicator_id, measurement.year), measurement)
        rows = {}
        for target in sorted(
            self.indicator_targets.all(),
            key=lambda t: (t.indicator.position, t.indicator_id, t.year),
        ):
            rows.setdefault(target.indicator_id, (target.indicator, []))[1].append(
                (target, latest.get((target.indicator_id, target.year)))
            )
        return list(rows.values())

    @property
    def choice_label(self):
        """« CAF de la Loire — Transmettre le flux » (select_related the organisation)."""
        organisation = self.signatory.organisation
        return f"{organisation.short_name or organisation.name} — {self.title}"


class Convention(LockVersioned):
    """A bilateral convention between the département and one partner (seed 003)."""

    pact = models.ForeignKey(
        Pact,
        verbose_name="pacte",
        on_delete=models.PROTECT,
        related_name="conventions",
        null=True,
        blank=True,
    )
    partner = models.ForeignKey(
        Organisation,
        verbose_name="partenaire",
        on_delete=models.PROTECT,
        related_name="conventions",
    )
    kind = models.CharField("objet", max_length=30, choices=ConventionKind.choices)
    title = models.CharField("intitulé", max_length=250)
    purpose = models.TextField("contenu", blank=True)
    start_date = models.DateField("début")
    end_date = models.DateField("fin", null=True, blank=True)
    amount = models.DecimalField(
        "montant (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        "statut", max_length=20, choices=ConventionStatus.choices, default=ConventionStatus.DRAFT
    )
    signed_on = models.DateField("signée le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConventionQuerySet.as_manager()

    class Meta:
        verbose_name = "convention bilatérale"
        verbose_name_plural = "conventions bilatérales"
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="convention_dates_ordered",
                violation_error_message="La fin de la convention doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="convention_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ConventionKind.values), name="convention_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConventionStatus.values), name="convention_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ConventionStatus.DRAFT) | Q(signed_on__isnull=False),
                name="convention_signed_has_date",
            ),
        ]

    def __str__(self):
        return self.title


class GovernanceBody(models.Model):
    """A body of the pact: the steering committee, a territorial commission (CTIP)..."""

    # The version of the pact the body was set up under; it serves every later version too.
    pact = models.ForeignKey(
        Pact, verbose_name="pacte", on_delete=models.PROTECT, related_name="governance_bodies"
    )
    kind = models.CharField("type", max_length=20, choices=BodyKind.choices)
    name = models.CharField("nom", max_length=200)
    territory = models.ForeignKey(
        Territory,
        verbose_name="territoire",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="governance_bodies",
    )
    chair = models.CharField("présidence", max_length=200, blank=True)
    remit = models.TextField("missions", blank=True)

    objects = GovernanceBodyQuerySet.as_manager()

    class Meta:
        verbose_name = "instance de gouvernance"
        verbose_name_plural = "instances de gouvernance"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["pact", "name"],
                name="governance_body_unique",
                violation_error_message="Une instance porte déjà ce nom.",
            ),
            models.CheckConstraint(condition=Q(kind__in=BodyKind.values), name="body_kind_valid"),
            # A territorial commission has a territory.
            models.CheckConstraint(
                condition=~Q(kind=BodyKind.CTIP) | Q(territory__isnull=False),
                name="ctip_has_territory",
                violation_error_message="Une commission territoriale a un territoire.",
            ),
        ]

    def __str__(self):
        return self.name


class BodyObjective(models.Model):
    """An annual objective a body steers, e.g. a CTIP's access-to-employment target."""

    body = models.ForeignKey(
        GovernanceBody, verbose_name="instance", on_delete=models.CASCADE, related_name="objectives"
    )
    year = models.PositiveSmallIntegerField("année")
    label = models.CharField("objectif", max_length=200)
    target = models.PositiveIntegerField("cible")
    unit = models.CharField("unité", max_length=40, default="personnes")

    class Meta:
        verbose_name = "objectif annuel"
        verbose_name_plural = "objectifs annuels"
        ordering = ["-year", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "label"],
                name="body_objective_unique",
                violation_error_message="Cet objectif existe déjà pour cette année.",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="body_objective_year"
            ),
        ]

    def __str__(self):
        return f"{self.label} {self.year} : {self.target} {self.unit}"


class Meeting(LockVersioned):
    body = models.ForeignKey(
        GovernanceBody, verbose_name="instance", on_delete=models.PROTECT, related_name="meetings"
    )
    date = models.DateField("date")
    place = models.CharField("lieu", max_length=200, blank=True)
    agenda = models.TextField("ordre du jour", blank=True)
    decisions = models.TextField("relevé de décisions", blank=True)
    attendees = models.ManyToManyField(
        Organisation, through="MeetingAttendance", verbose_name="participants", related_name="+"
    )

    class Meta:
        verbose_name = "réunion"
        verbose_name_plural = "réunions"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "date"],
                name="meeting_one_per_body_per_day",
                violation_error_message="Une réunion de cette instance existe déjà à cette date.",
            )
        ]

    def __str__(self):
        return f"{self.body} du {self.date:%d/%m/%Y}"


class MeetingAttendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    organisation = models.ForeignKey(
        Organisation, verbose_name="organisation", on_delete=models.PROTECT, related_name="+"
    )
    attendance = models.CharField(
        "présence", max_length=10, choices=Attendance.choices, default=Attendance.PRESENT
    )

    class Meta:
        verbose_name = "présence"
        verbose_name_plural = "présences"
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organisation"], name="attendance_once_per_meeting"
            ),
            models.CheckConstraint(
                condition=Q(attendance__in=Attendance.values), name="attendance_valid"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} : {self.get_attendance_display()}"


class FollowUp(models.Model):
    """A follow-up decided in a meeting: who does what, by when."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="réunion", on_delete=models.CASCADE, related_name="follow_ups"
    )
    description = models.CharField("suite à donner", max_length=300)
    owner = models.ForeignKey(
        Organisation,
        verbose_name="porteur",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_date = models.DateField("échéance", null=True, blank=True)
    done = models.BooleanField("fait", default=False)

    class Meta:
        verbose_name = "suite à donner"
        verbose_name_plural = "suites à donner"
        ordering = ["done", "due_date", "id"]

    def __str__(self):
        return self.description
