import os
import socket
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from pti.enums import OrganisationKind, PactStatus, Role, RunKind, RunStatus

# --- QuerySets -------------------------------------------------------------------------


class OrganisationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class PactQuerySet(models.QuerySet):
    def current(self):
        """The versions that are in force or being prepared, newest first."""
        return self.exclude(status=PactStatus.ARCHIVED).order_by("-period_start", "-version")

    def versions_of(self, pact):
        """Every version of the same pact (the original and its amendments), oldest first."""
        return self.filter(code=pact.code).order_by("version")

    def in_force(self):
        """The signed versions: what the partners have committed to."""
        return self.filter(status=PactStatus.SIGNED)


class PtiUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)

    def assignable_referents(self):
        """The référents who may be named for a person: an active account and no departure
        recorded (`User.departed_on`). A departed référent stays in the people's history."""
        return self.filter(role=Role.REFERENT, is_active=True, departed_on__isnull=True)


# --- Models ----------------------------------------------------------------------------


class LockVersioned(models.Model):
    """Optimistic locking: a form sends back the version it was built from, and the save is
    refused if someone else saved in between (see `pti.services.check_lock_version`)."""

    lock_version = models.PositiveIntegerField("version d'édition", default=1, editable=False)

    class Meta:
        abstract = True


class Territory(models.Model):
    """A territory of the département (unité territoriale / CTIP area)."""

    code = models.SlugField("code", max_length=40, unique=True)
    name = models.CharField("nom", max_length=120, unique=True)

    class Meta:
        verbose_name = "territoire"
        verbose_name_plural = "territoires"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Commune(models.Model):
    """A commune of the département (INSEE's Code officiel géographique), in one territory.

    A commune has one or more postal codes (`postal_codes`, La Poste's base officielle des
    codes postaux: Saint-Étienne is 42000, 42100 and 42230) and a postal code may serve
    several communes (42300: Roanne and Mably). `postal_code` is the main one, shown beside
    the name; it is always one of `postal_codes` too (pti.communes keeps them so)."""

    insee_code = models.CharField("code INSEE", max_length=5, unique=True)
    name = models.CharField("nom", max_length=120)
    postal_code = models.CharField(
        "code postal principal",
        max_length=5,
        help_text="Celui qui s'affiche à côté du nom ; tous les codes postaux de la commune "
        "sont listés avec elle.",
    )
    territory = models.ForeignKey(
        Territory, verbose_name="territoire", on_delete=models.PROTECT, related_name="communes"
    )

    class Meta:
        verbose_name = "commune"
        verbose_name_plural = "communes"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(insee_code__regex=r"^[0-9][0-9AB][0-9]{3}$"),
                name="commune_insee_code_format",
                violation_error_message="Le code INSEE compte cinq caractères, par exemple 42218.",
            ),
            models.CheckConstraint(
                condition=Q(postal_code__regex=r"^[0-9]{5}$"),
                name="commune_postal_code_format",
                violation_error_message="Le code postal compte cinq chiffres.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.postal_code})"


class PostalCode(models.Model):
    """One postal code of a commune, as La Poste's base officielle des codes postaux lists it
    (datanova « 019HexaSmal »): the code, the libellé d'acheminement written on the envelope
    (« ST ETIENNE »), which lists made from addresses often carry instead of the commune's
    name, and the places of its « ligne 5 » (a commune déléguée, a hamlet: « ST VICTOR SUR
    LOIRE », 42230 Saint-Étienne), one a line, that people write instead of the commune."""

    code = models.CharField("code postal", max_length=5)
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.CASCADE, related_name="postal_codes"
    )
    delivery_label = models.CharField(
        "libellé d'acheminement",
        max_length=60,
        blank=True,
        help_text="Tel que La Poste l'écrit, par exemple « ST ETIENNE ».",
    )
    localities = models.TextField(
        "lieux-dits et communes déléguées",
        blank=True,
        help_text="La ligne 5 des adresses de ce code, une par ligne, par exemple « ST VICTOR "
        "SUR LOIRE » : une liste qui l'écrit à la place de la commune la retrouve.",
    )

    class Meta:
        verbose_name = "code postal"
        verbose_name_plural = "codes postaux"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "commune"], name="postal_code_unique_per_commune"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{5}$"),
                name="postal_code_format",
                violation_error_message="Le code postal compte cinq chiffres.",
            ),
        ]

    def __str__(self):
        return self.code

    def locality_list(self):
        """The places of `localities`, one a line, as a list."""
        return [line.strip() for line in self.localities.splitlines() if line.strip()]


class Organisation(models.Model):
    """Any institution of the pact: the département itself, its partners, the operators."""

    name = models.CharField("nom", max_length=200, unique=True)
    short_name = models.CharField("sigle", max_length=40, blank=True)
    kind = models.CharField("type", max_length=30, choices=OrganisationKind.choices)
    territory = models.ForeignKey(
        Territory,
        verbose_name="territoire",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text="Pour une structure locale ; vide pour une institution départementale.",
    )
    siret = models.CharField("SIRET", max_length=14, blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("ville", max_length=120, blank=True)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = "organisation"
        verbose_name_plural = "organisations"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"),
                name="organisation_siret_format",
                violation_error_message="Le SIRET compte quatorze chiffres.",
            ),
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # Set when IT creates the account or sets its password in the admin: the person chooses
    # their own before anything else (pti.authentication.AccountSecurityMiddleware).
    must_change_password = models.BooleanField(
        "doit choisir son mot de passe",
        default=False,
        help_text="À sa prochaine connexion, la personne devra choisir son propre mot de passe.",
    )
    # A référent who leaves (or has left) the structure: no one is assigned to them any more,
    # the people they still follow are shown on the caseload page to be moved.
    departed_on = models.DateField(
        "départ le",
        null=True,
        blank=True,
        help_text="Un référent parti ne reçoit plus de personnes ; il reste dans l'historique.",
    )

    objects = PtiUserManager()

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            # Everyone but the département's own staff and IT works for an organisation:
            # it is what scopes what they see.
            models.CheckConstraint(
                condition=Q(role__in=[Role.PILOT, Role.ADMIN]) | Q(organisation__isnull=False),
                name="user_organisation_required_for_role",
                violation_error_message="Ce rôle demande une organisation de rattachement.",
            ),
            models.CheckConstraint(
                condition=Q(departed_on__isnull=True) | Q(role=Role.REFERENT),
                name="user_departure_of_referent_only",
                violation_error_message="Seul un référent peut être déclaré parti.",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def has_departed(self):
        """A référent who left: departure recorded or account deactivated."""
        return self.departed_on is not None or not self.is_active

    @property
    def is_pilot(self):
        return self.role == Role.PILOT

    @property
    def full_name(self):
        """First and last names run together, for the password similarity check."""
        return f"{self.first_name}{self.last_name}"


# Why a version of the pact that is no longer a draft cannot change (also shown by the services).
FROZEN_MESSAGES = {
    PactStatus.ADOPTED: (
        "Ce pacte a été adopté : il ne peut plus être modifié. Pour le changer, "
        "créez un avenant une fois le pacte signé."
    ),
    PactStatus.SIGNED: (
        "Ce pacte est signé : il ne peut plus être modifié. Pour le changer, créez un avenant."
    ),
    PactStatus.ARCHIVED: "Ce pacte est archivé : il ne peut plus être modifié.",
}


def check_pact_is_draft(pact_id):
    """Raise ValidationError (FROZEN_MESSAGES) unless the pact `pact_id`, as stored, is a draft:
    what a signed pact says must never change, whoever writes (a page, the admin, a script)."""
    status = Pact.objects.filter(pk=pact_id).values_list("status", flat=True).first()
    if status is not None and status != PactStatus.DRAFT:
        raise ValidationError(FROZEN_MESSAGES[status], code="pact_frozen")


class Pact(LockVersioned):
    """One version of the pact; an amendment (avenant) is a new version of the same pact.

    Every version of a pact shares its `code`. A version is edited only while it is a draft;
    once adopted it waits for signatures, once signed it is frozen and printable for good.
    """

    code = models.SlugField(
        "code",
        max_length=60,
        help_text="Commun à toutes les versions d'un même pacte, par exemple pti-2016-2020.",
    )
    title = models.CharField("titre", max_length=200)
    department_name = models.CharField("département", max_length=120)
    period_start = models.PositiveSmallIntegerField("première année")
    period_end = models.PositiveSmallIntegerField("dernière année")
    preamble = models.TextField("préambule", blank=True)
    legal_frame = models.TextField("cadre juridique", blank=True)
    deliberation_date = models.DateField(
        "date de la délibération de l'assemblée départementale", null=True, blank=True
    )
    status = models.CharField(
        "statut", max_length=20, choices=PactStatus.choices, default=PactStatus.DRAFT
    )
    signed_on = models.DateField("signé le", null=True, blank=True)
    archived_on = models.DateField("archivé le", null=True, blank=True)
    version = models.PositiveSmallIntegerField("version", default=1)
    amendment_reason = models.TextField("objet de l'avenant", blank=True)
    amends = models.ForeignKey(
        "self",
        verbose_name="avenant à",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = PactQuerySet.as_manager()

    class Meta:
        verbose_name = "pacte"
        verbose_name_plural = "pactes"
        ordering = ["-period_start", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PactStatus.values), name="pact_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="pact_period_ordered",
                violation_error_message="La dernière année doit suivre la première.",
            ),
            models.CheckConstraint(
                condition=Q(period_start__gte=2000, period_end__lte=2100),
                name="pact_period_plausible",
                violation_error_message="La période doit être comprise entre 2000 et 2100.",
            ),
            models.UniqueConstraint(
                fields=["code", "version"],
                name="pact_version_unique",
                violation_error_message="Cette version du pacte existe déjà.",
            ),
            # One version at a time is being prepared or signed: two drafts of the same pact
            # would be two competing amendments.
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status__in=[PactStatus.DRAFT, PactStatus.ADOPTED]),
                name="pact_one_version_in_progress",
                violation_error_message="Une autre version de ce pacte est déjà en préparation.",
            ),
            models.CheckConstraint(
                condition=Q(version=1, amends__isnull=True)
                | Q(version__gt=1, amends__isnull=False),
                name="pact_amendment_has_a_parent",
            ),
            models.CheckConstraint(
                condition=Q(status=PactStatus.DRAFT) | Q(deliberation_date__isnull=False),
                name="pact_adopted_has_deliberation_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[PactStatus.SIGNED, PactStatus.ARCHIVED])
                | Q(signed_on__isnull=False),
                name="pact_signed_has_signature_date",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.period_label})"

    # What the version says, frozen once adopted; the lifecycle fields (status, dates of
    # signature and archiving) change only through pti.services, which do not call clean().
    CONTENT_FIELDS = [
        "code",
        "title",
        "department_name",
        "period_start",
        "period_end",
        "preamble",
        "legal_frame",
        "deliberation_date",
        "status",
        "signed_on",
        "version",
        "amendment_reason",
        "amends_id",
    ]

    # A pact is concluded for a few years (the PDI's horizon); a version never commits the
    # parties for more than this many years from the year it takes effect.
    MAX_PERIOD_YEARS = 10

    def period_error(self, period_start, period_end):
        """The French message refusing the period `period_start`-`period_end` (years, ints)
        for this version, or None when it is valid.

        The first version covers at most ten years of its own period. An amendment takes
        effect when it is signed, not in the first year of the pact it amends: its ten years
        run from the year it takes effect (the year of its signature, or this year while it
        is prepared), so an amendment may extend a pact beyond ten years from its start
        (2016-2020 extended to 2027 in 2026) but not commit the parties for more than ten
        years from its own signature."""
        if period_start is None or period_end is None or period_end < period_start:
            return None
        if self.amends_id is None:
            if period_end - period_start + 1 > self.MAX_PERIOD_YEARS:
                return "Un pacte couvre au plus dix ans."
            return None
        takes_effect = max(period_start, (self.signed_on or timezone.localdate()).year)
        last_year = takes_effect + self.MAX_PERIOD_YEARS - 1
        if period_end > last_year:
            return (
                "Un avenant engage les parties pour au plus dix ans à compter de son entrée en "
                f"vigueur ({takes_effect}) : la dernière année ne peut pas dépasser {last_year}."
            )
        return None

    def clean(self):
        """A version's period is at most ten years (`period_error`); a version that is no
        longer a draft is frozen: refuse any change to it."""
        error = self.period_error(self.period_start, self.period_end)
        if error:
            raise ValidationError({"period_end": error}, code="pact_period_too_long")
        if self.pk is None:
            return
        stored = Pact.objects.filter(pk=self.pk).values(*self.CONTENT_FIELDS).first()
        if stored is None or stored["status"] == PactStatus.DRAFT:
            return
        if any(getattr(self, name) != value for name, value in stored.items()):
            raise ValidationError(FROZEN_MESSAGES[stored["status"]], code="pact_frozen")

    @property
    def period_label(self):
        return f"{self.period_start}-{self.period_end}"

    @property
    def is_draft(self):
        return self.status == PactStatus.DRAFT

    @property
    def is_frozen(self):
        """Only a draft is edited; adopted, signed and archived versions are kept as they are."""
        return self.status != PactStatus.DRAFT

    @property
    def is_amendment(self):
        return self.version > 1

    @property
    def version_label(self):
        return "version initiale" if self.version == 1 else f"avenant n° {self.version - 1}"


class Orientation(LockVersioned):
    """An axis of the pact (five in the 2016-2020 pact), numbered by its position.

    `key` stays the same when an amendment copies the orientation, so that what hangs on an
    orientation (actions, indicators) follows it from one version of the pact to the next.
    """

    pact = models.ForeignKey(
        Pact, verbose_name="pacte", on_delete=models.CASCADE, related_name="orientations"
    )
    key = models.UUIDField("identifiant stable", default=uuid.uuid4, editable=False)
    position = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("intitulé", max_length=250)
    description = models.TextField("description", blank=True)

    class Meta:
        verbose_name = "orientation"
        verbose_name_plural = "orientations"
        ordering = ["pact", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["pact", "position"], name="orientation_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="orientation_position_positive"
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"

    def clean(self):
        """An orientation is added, changed or moved only in a draft of the pact (and, when it
        moves to another pact, both must be drafts)."""
        check_pact_is_draft(self.pact_id)
        if self.pk is not None:
            stored_pact = Orientation.objects.filter(pk=self.pk).values_list("pact_id", flat=True)
            for pact_id in stored_pact:
                check_pact_is_draft(pact_id)


class Objective(LockVersioned):
    """An operational objective under an orientation, numbered within it (`key` as above)."""

    orientation = models.ForeignKey(
        Orientation, verbose_name="orientation", on_delete=models.CASCADE, related_name="objectives"
    )
    key = models.UUIDField("identifiant stable", default=uuid.uuid4, editable=False)
    position = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("intitulé", max_length=250)
    description = models.TextField("description", blank=True)

    class Meta:
        verbose_name = "objectif opérationnel"
        verbose_name_plural = "objectifs opérationnels"
        ordering = ["orientation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["orientation", "position"], name="objective_position_unique"
            ),
            models.UniqueConstraint(fields=["orientation", "key"], name="objective_key_unique"),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="objective_position_positive"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def code(self):
        return f"{self.orientation.position}.{self.position}"

    def clean(self):
        """An objective is added or changed only in a draft of the pact."""
        if self.orientation_id is not None:
            check_pact_is_draft(self.orientation.pact_id)
        if self.pk is not None:
            stored = Objective.objects.filter(pk=self.pk).values_list(
                "orientation__pact_id", flat=True
            )
            for pact_id in stored:
                check_pact_is_draft(pact_id)


class SignedPactFile(models.Model):
    """The PDF of a version of the pact once signed, rendered once (pti.pdf.signed_pact_file)
    and kept: what every reader downloads from then on is the document signed, byte for byte,
    whatever the figures of its annex become. Its SHA-256 lets anyone check a copy."""

    pact = models.OneToOneField(
        Pact,
        verbose_name="pacte",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="signed_file",
    )
    file = models.FileField("fichier", upload_to="pactes/")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    size = models.PositiveIntegerField("taille (octets)")
    rendered_at = models.DateTimeField("produit le", auto_now_add=True)

    class Meta:
        verbose_name = "PDF du pacte signé"
        verbose_name_plural = "PDF des pactes signés"
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="signed_pact_file_sha256"
            )
        ]

    def __str__(self):
        return f"PDF signé de {self.pact}"


class TaskRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The runs `user` may follow: every run for a pilot, their own for anyone else."""
        if user.role == Role.PILOT:
            return self
        return self.filter(created_by=user)

    def active(self):
        """Runs not ended: queued, analysing, waiting for confirmation or running."""
        return self.filter(status__in=TaskRun.ACTIVE)


class TaskRun(models.Model):
    """One piece of long work done in the background (pti.runs): who asked for it, where it
    stands, how far it went (`progress_done` of `progress_total`, in the kind's own unit:
    rows, households, indicators), and what it found or did (`summary`, shown on its page).

    A run is written by one worker at a time; `worker` names it (host and process id) and
    `heartbeat_at` says when it last reported, so that a run whose worker died is seen as
    interrupted and can be started again (its writes, one transaction, were rolled back)."""

    ACTIVE = (RunStatus.QUEUED, RunStatus.ANALYSING, RunStatus.TO_CONFIRM, RunStatus.RUNNING)
    WORKING = (RunStatus.ANALYSING, RunStatus.RUNNING)

    kind = models.CharField("nature", max_length=32, choices=RunKind.choices)
    status = models.CharField(
        "état", max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    parameters = models.JSONField("paramètres", default=dict, blank=True)
    created_by = models.ForeignKey(
        "User", verbose_name="demandé par", on_delete=models.PROTECT, related_name="task_runs"
    )
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("fini le", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier signe du worker", null=True, blank=True)
    worker = models.CharField("worker", max_length=120, blank=True)
    attempts = models.PositiveSmallIntegerField("lancements", default=0)
    progress_done = models.PositiveIntegerField("fait", default=0)
    progress_total = models.PositiveIntegerField("à faire", null=True, blank=True)
    summary = models.JSONField("résultat", default=dict, blank=True)
    error = models.TextField("motif de l'échec", blank=True)
    # An import: the file sent (kept in the storage until retention deletes it), analysed
    # first, then written once someone confirmed what the analysis found.
    file = models.FileField("fichier", upload_to="traitements/%Y/%m/", blank=True)
    file_name = models.CharField("nom du fichier envoyé", max_length=255, blank=True)
    analysis = models.JSONField("analyse", default=dict, blank=True)
    # What a run produced to download (an export), and the name it is downloaded under.
    result = models.FileField(
        "fichier produit", upload_to="traitements/produits/%Y/%m/", blank=True
    )
    result_name = models.CharField("nom du fichier produit", max_length=255, blank=True)
    # What the analysis of an import decided, for the confirmation to write without analysing
    # again (a plan: it holds people, and goes with the file it was made from).
    plan = models.FileField("plan d'import", upload_to="traitements/plans/%Y/%m/", blank=True)
    confirmed_at = models.DateTimeField("confirmé le", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "User",
        verbose_name="confirmé par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = TaskRunQuerySet.as_manager()

    class Meta:
        verbose_name = "traitement en arrière-plan"
        verbose_name_plural = "traitements en arrière-plan"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One run of each kind at a time for the département.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status__in=["queued", "analysing", "to_confirm", "running"]),
                name="task_run_one_active_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(progress_total__isnull=True)
                | Q(progress_done__lte=F("progress_total")),
                name="task_run_progress_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} n° {self.pk}"

    @property
    def percent(self):
        """How far the run went, 0 to 100, or None when its total is not known yet."""
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))

    def is_interrupted(self, *, now=None, stall_seconds=None):
        """Whether the worker that was running this run is gone: its process is dead (when it
        ran on this machine), or it has not reported for `stall_seconds`
        (settings.PTI_RUN_STALL_SECONDS). A queued run is not interrupted: it waits."""
        if self.status not in self.WORKING:
            return False
        if self.worker and not worker_alive(self.worker):
            return True
        stall_seconds = settings.PTI_RUN_STALL_SECONDS if stall_seconds is None else stall_seconds
        last = self.heartbeat_at or self.started_at or self.created_at
        return ((now or timezone.now()) - last).total_seconds() > stall_seconds

    @property
    def shown_status(self):
        """(key, French label) of where the run stands as its pages say it: « interrompu »
        for a run whose worker is gone, else its status."""
        if self.is_interrupted():
            return "interrupted", "interrompu"
        return self.status, self.get_status_display()


def this_worker():
    """The name a worker process gives itself in a run: « host:pid »."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_alive(worker):
    """Whether the worker named « host:pid » still runs; True when it ran on another machine
    (only its heartbeat can tell then)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) is dead too.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class FormSubmission(models.Model):
    """A create form that was posted and saved: its one-time `token` (rendered hidden with the
    form, `pti.submissions`) and where what it created is shown (`url`). Saved in the same
    transaction as the object; a second post of the same form finds it and creates nothing.
    Rows older than `pti.submissions.KEPT_DAYS` are pruned on write."""

    token = models.UUIDField("jeton du formulaire")
    user = models.ForeignKey(
        "User", verbose_name="envoyé par", on_delete=models.CASCADE, related_name="+"
    )
    url = models.CharField("page de ce qui a été créé", max_length=300, blank=True)
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "formulaire enregistré"
        verbose_name_plural = "formulaires enregistrés"
        constraints = [
            models.UniqueConstraint(fields=["token"], name="form_submission_token_once"),
        ]
        indexes = [
            # The pruning of the old tokens (pti.submissions.submission_claim).
            models.Index(fields=["created_at"], name="form_submission_created_idx"),
        ]

    def __str__(self):
        return f"formulaire {self.token}"
