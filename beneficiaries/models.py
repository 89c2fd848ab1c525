"""The people: households, beneficiaries and their parcours. The most sensitive data of the
application: every query goes through `Beneficiary.objects.visible_to(user)`."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import NoReverseMatch, reverse

from actions.enums import Obstacle as ObstacleKind
from actions.enums import PrescriptionStatus
from actions.models import Action
from beneficiaries.closures import closure_exit
from beneficiaries.deadlines import (
    active_base_start,
    ending_horizon,
    last_late_start,
    latest_start,
    legacy_deadline,
    notice_start,
)
from beneficiaries.enums import (
    EXITS_FOR_ACTIVITY,
    FIXED_TERM_CONTRACTS,
    FOLLOW_UP_EMPLOYMENT,
    AssignmentReason,
    ContractKind,
    ExitCategory,
    ExitContract,
    ExitOutcome,
    FamilySituation,
    FileOperation,
    FollowUpMilestone,
    FollowUpSituation,
    HoursReduction,
    HouseholdRole,
    InterviewKind,
    LongReviewReason,
    ObstacleStatus,
    Parcours,
    Payer,
    PeopleView,
    PlannedActionKind,
    RefusedTarget,
    ReorientationStatus,
    RightsAndDuties,
    Sex,
)
from beneficiaries.follow_ups import last_late_due_on
from beneficiaries.outcomes import exit_outcome, exit_outcome_expression
from beneficiaries.search import search_condition
from pti.enums import Role
from pti.models import Commune, LockVersioned, Organisation, Territory, User

# --- QuerySets -------------------------------------------------------------------------


def open_assignments():
    return ReferentAssignment.objects.filter(beneficiary=OuterRef("pk"), end_date__isnull=True)


def open_assignment_ids():
    return ReferentAssignment.objects.filter(end_date__isnull=True).values("beneficiary_id")


# --- Last contact ------------------------------------------------------------------------------
# The CNIL référentiel « accompagnement social » (2021) keeps a file in the active base 2 years
# after the last contact (PTI_ACTIVE_RETENTION_DAYS), then it is closed and anonymised
# (beneficiaries.retention). The last contact of a person is the latest of the dated events that
# show they are still followed or still in the right: the events of `contact_events()`, which
# count the last monthly CNAF/MSA flux that listed them (a person the flux still lists is still
# in the RSA), and the day the département learnt their right was open. A closure for lack of
# contact is no news of the person.

# The person's own dates that are news of them (never empty).
PERSON_CONTACT_DATES = ("right_known_on",)


def contact_events():
    """[(rows of the people's parcours, (date fields))]: every dated event that is news of a
    person. The first field of each is never empty. The one definition read by
    `BeneficiaryQuerySet.with_last_contact` and `no_contact_since`."""
    return [
        (Interview.objects.all(), ("date",)),
        (Prescription.objects.all(), ("prescribed_on", "answered_on", "started_on", "ended_on")),
        (OrientationDecision.objects.all(), ("decided_on", "notified_on")),
        (Contract.objects.all(), ("start_date", "signed_on")),
        (ReferentAssignment.objects.all(), ("start_date",)),
        (Obstacle.objects.all(), ("identified_on", "addressed_on", "lifted_on")),
        (Exit.objects.exclude(category=ExitCategory.NO_CONTACT), ("exit_on",)),
        (FluxListing.objects.all(), ("listed_on",)),
    ]


def no_contact_since(day):
    """Q: the people with no contact on or after `day` (a date). One NOT EXISTS per table of
    events, each served by the table's index on the person: stays fast on 100,000 people."""
    condition = Q()
    for name in PERSON_CONTACT_DATES:
        condition &= ~Q(**{f"{name}__gte": day})
    for rows, fields in contact_events():
        since = Q()
        for name in fields:
            since |= Q(**{f"{name}__gte": day})
        condition &= ~Exists(rows.filter(since, beneficiary=OuterRef("pk")))
    return condition


def _latest(*dates):
    """The latest of date expressions, the first never NULL (SQLite's MAX() of several values
    is NULL as soon as one is: the others fall back on the first)."""
    first, *others = dates
    if not others:
        return first
    return Greatest(first, *(Coalesce(date, first) for date in others))


class BeneficiaryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The people a user may see: a référent those assigned to them, a manager those of
        their structure (and those oriented to it, not yet assigned), a pilot everyone, any
        other role no one."""
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.PILOT:
            return self
        # Written as IN (ids) rather than EXISTS: PostgreSQL hashes the ids once, and keeps a
        # good plan on 100,000 people whatever is combined with the scope.
        if user.role == Role.REFERENT:
            return self.filter(pk__in=open_assignment_ids().filter(referent=user))
        if user.role == Role.MANAGER and user.organisation_id:
            assigned_here = open_assignment_ids().filter(structure_id=user.organisation_id)
            oriented_here = (
                OrientationDecision.objects.filter(
                    is_current=True, organisme_id=user.organisation_id
                )
                .exclude(beneficiary_id__in=open_assignment_ids())
                .values("beneficiary_id")
            )
            return self.filter(Q(pk__in=assigned_here) | Q(pk__in=oriented_here))
        return self.none()

    def with_followup(self):
        """Each person with what the deadlines and the lists need, one row per person:
        current orientation and contract, last interview, last contact, prescriptions waiting,
        refusals not yet dealt with (`refused_prescriptions`, and the latest's `refused_on`,
        `refused_action`, `refused_reason`), référent, exit date and outcome (`exit_outcome`,
        an ExitOutcome value, None without an exit: the rule of beneficiaries.outcomes, as
        the indicators count it)."""
        orientation = OrientationDecision.objects.filter(
            beneficiary=OuterRef("pk"), is_current=True
        )
        contract = Contract.objects.filter(beneficiary=OuterRef("pk"), is_current=True)
        assignment = open_assignments()
        waiting = (
            Prescription.objects.filter(beneficiary=OuterRef("pk"), status=PrescriptionStatus.SENT)
            .order_by()
            .values("beneficiary")
            .annotate(count=Count("pk"))
            .values("count")
        )
        refused = Prescription.objects.refusals_to_see().filter(beneficiary=OuterRef("pk"))
        refused_count = (
            refused.order_by().values("beneficiary").annotate(count=Count("pk")).values("count")
        )
        latest_refused = refused.order_by("-answered_on", "-pk")
        people = self.with_last_contact()
        return people.annotate(
            refused_prescriptions=Coalesce(Subquery(refused_count[:1]), Value(0)),
            refused_on=Subquery(latest_refused.values("answered_on")[:1]),
            refused_action=Subquery(latest_refused.values("action__title")[:1]),
            refused_reason=Subquery(latest_refused.values("refusal_reason")[:1]),
            orientation_decided_on=Subquery(orientation.values("decided_on")[:1]),
            orientation_notified_on=Subquery(orientation.values("notified_on")[:1]),
            parcours=Subquery(orientation.values("parcours")[:1]),
            organisme_name=Subquery(orientation.values("organisme__name")[:1]),
            contract_kind=Subquery(contract.values("kind")[:1]),
            contract_signed_on=Subquery(contract.values("signed_on")[:1]),
            contract_end=Subquery(contract.values("end_date")[:1]),
            contract_long_review=Exists(contract.exclude(long_review_reason="")),
            last_interview_on=Subquery(
                Interview.objects.filter(beneficiary=OuterRef("pk"))
                .order_by("-date")
                .values("date")[:1]
            ),
            pending_prescriptions=Coalesce(Subquery(waiting[:1]), Value(0)),
            referent_id=Subquery(assignment.values("referent_id")[:1]),
            referent_last_name=Subquery(assignment.values("referent__last_name")[:1]),
            referent_first_name=Subquery(assignment.values("referent__first_name")[:1]),
            exit_on=F("exit__exit_on"),
            exit_outcome=Case(
                When(exit__isnull=True, then=Value(None)),
                default=exit_outcome_expression("exit__"),
                output_field=models.CharField(),
            ),
            territory_name=F("household__territory__name"),
            caf_number=F("household__caf_number"),
        ).annotate(
            contract_signed_after_orientation=Exists(
                Contract.objects.filter(
                    beneficiary=OuterRef("pk"),
                    signed_on__isnull=False,
                    signed_on__gte=OuterRef("orientation_notified_on"),
                )
            )
        )

    def with_last_contact(self):
        """Each person with `last_contact_on`, the date of their last contact (see
        `contact_events`), never None: the right's being known counts. One subquery per table
        of events, for the rows fetched: meant for a page of a list or one file; to select
        people by it, use `without_contact_since`."""
        latest = [
            Subquery(
                rows.filter(beneficiary=OuterRef("pk"))
                .order_by()
                .values("beneficiary")
                .annotate(last=Max(_latest(*(F(name) for name in fields))))
                .values("last")[:1]
            )
            for rows, fields in contact_events()
        ]
        return self.annotate(
            last_contact_on=_latest(*(F(name) for name in PERSON_CONTACT_DATES), *latest)
        )

    def without_contact_since(self, day):
        """The people with no contact on or after `day` (a date)."""
        return self.filter(no_contact_since(day))

    def due(self, code, today):
        """People for whom `code` (see deadlines.DUE_LABELS) is due or late."""
        return self.filter(due_conditions(today)[code])

    def late(self, today):
        """People with at least one deadline past (`late_condition`): « en retard »."""
        return self.filter(late_condition(today))

    def due_counts(self, today):
        """{code: number of people} for every kind of deadline, in one query."""
        return self.aggregate(
            total=Count("pk"),
            **{
                code: Count("pk", filter=condition)
                for code, condition in due_conditions(today).items()
            },
        )

    def search(self, text):
        """By name (whatever the accents and case), CAF number or birth date (dd/mm/yyyy)."""
        return search_condition(self, text)

    def assigned_to(self, user):
        return self.filter(pk__in=open_assignment_ids().filter(referent=user))

    def followed_by(self, referent):
        """The people `referent` follows now: an open assignment and no exit, as the caseload
        counts them (`referents_with_caseload`)."""
        return self.assigned_to(referent).filter(exit__isnull=True)

    def unassigned(self):
        return self.exclude(pk__in=open_assignment_ids()).filter(exit__isnull=True)

    def active(self):
        """People still in the RSA parcours (no exit recorded)."""
        return self.filter(exit__isnull=True)


def due_conditions(today):
    """The rules of deadlines.due_items as database conditions, {code: Q}. Written with EXISTS
    on indexed tables so that they stay fast on 100,000 people (no per-row annotation).

    A date is never compared with today less a delay: each deadline is compared through the
    latest start date still due or late, computed in Python from `deadlines.deadline` itself
    (`latest_start`, `last_late_start`), so that a list, a counter and a file agree on every day,
    at month ends too. Nothing is due from a person who has left (an Exit recorded)."""
    orientation = OrientationDecision.objects.filter(beneficiary=OuterRef("pk"), is_current=True)
    contract = Contract.objects.filter(beneficiary=OuterRef("pk"), is_current=True)
    horizon = ending_horizon(today)
    signed_since_orientation = Contract.objects.filter(
        beneficiary=OuterRef("beneficiary_id"),
        signed_on__isnull=False,
        signed_on__gte=OuterRef("notified_on"),
    )
    conditions = {
        "orientation": Q(right_known_on__lte=last_late_start("orientation", today))
        & ~Exists(orientation),
        "contract": Q(
            Exists(
                orientation.filter(notified_on__lte=last_late_start("contract", today)).filter(
                    ~Exists(signed_since_orientation)
                )
            )
        ),
        "review": Q(Exists(orientation.filter(parcours=Parcours.SOCIAL)))
        & Q(
            Exists(
                contract.filter(end_date__gte=today).filter(
                    Q(long_review_reason="", signed_on__lte=latest_start("social_review", horizon))
                    | (
                        ~Q(long_review_reason="")
                        & Q(signed_on__lte=latest_start("social_review_long", horizon))
                    )
                )
            )
        ),
        "expired": Q(Exists(contract.filter(end_date__lt=today))),
        "ending": Q(Exists(contract.filter(end_date__gte=today, end_date__lte=horizon))),
        "interview": ~Exists(
            Interview.objects.filter(
                beneficiary=OuterRef("pk"), date__gt=last_late_start("no_interview", today)
            )
        ),
        "answer": Q(
            Exists(
                Prescription.objects.filter(
                    beneficiary=OuterRef("pk"), status=PrescriptionStatus.SENT
                )
            )
        ),
        "refused": Q(
            Exists(Prescription.objects.refusals_to_see().filter(beneficiary=OuterRef("pk")))
        ),
        "legacy": Q(Exists(contract.filter(kind__in=[ContractKind.CER, ContractKind.PPAE]))),
        # No contact for long enough to be closed within the notice period.
        "no_contact": no_contact_since(notice_start(today)),
    }
    return {code: Q(exit__isnull=True) & condition for code, condition in conditions.items()}


def late_condition(today, *, whole=False):
    """Q: the people with at least one item of `deadlines.due_items` marked late (`Due.late`)
    on `today` (a date), as a database condition: an orientation or a contract past its
    deadline, a contract ended, no interview for 3 months, a social parcours past its review,
    a CER or PPAE still there after PTI_LEGACY_CONTRACTS_DEADLINE, a file past its day of
    closure for lack of contact. What is only coming (a contract ending soon, a review within
    the window, a prescription waiting) is not late. Nothing is late for a person who left.

    `whole`: counted over the whole département (the pilot), the orientations and contracts
    are read as IN (ids), which PostgreSQL reads once and hashes; over a few people (a
    référent, a structure) as EXISTS, one index probe per person. The interviews, the largest
    table, are always probed (interview_last_idx), last, only for those not late otherwise."""

    def rows_of(rows):
        if whole:
            return Q(pk__in=rows.values("beneficiary_id"))
        return Q(Exists(rows.filter(beneficiary=OuterRef("pk"))))

    orientation = OrientationDecision.objects.filter(is_current=True)
    contract = Contract.objects.filter(is_current=True)
    signed_since_orientation = Contract.objects.filter(
        beneficiary=OuterRef("beneficiary_id"),
        signed_on__isnull=False,
        signed_on__gte=OuterRef("notified_on"),
    )
    review_past = Q(
        long_review_reason="", signed_on__lte=last_late_start("social_review", today)
    ) | (~Q(long_review_reason="") & Q(signed_on__lte=last_late_start("social_review_long", today)))
    late = (
        rows_of(contract.filter(end_date__lt=today))
        | (Q(right_known_on__lte=last_late_start("orientation", today)) & ~rows_of(orientation))
        | rows_of(
            orientation.filter(notified_on__lte=last_late_start("contract", today)).filter(
                ~Exists(signed_since_orientation)
            )
        )
        | (
            rows_of(contract.filter(review_past, end_date__gte=today))
            & rows_of(orientation.filter(parcours=Parcours.SOCIAL))
        )
    )
    if today >= legacy_deadline():
        late |= rows_of(contract.filter(kind__in=[ContractKind.CER, ContractKind.PPAE]))
    late |= ~Exists(
        Interview.objects.filter(
            beneficiary=OuterRef("pk"), date__gt=last_late_start("no_interview", today)
        )
    )
    # A file past its day of closure has had no interview for as long: late already (above),
    # unless the active base is set shorter than the interviews' delay.
    if active_base_start(today) > last_late_start("no_interview", today):
        late |= no_contact_since(active_base_start(today))
    return Q(exit__isnull=True) & late


def referents_with_caseload(user):
    """The référents a pilot (all of them) or a manager (those of their structure) looks
    after, each with `caseload`: the people they follow now (an open assignment, no exit), the
    very people a reassignment of all of theirs moves. The référents who have left (departure
    recorded, account deactivated) are kept while they still follow someone, to be moved.
    A queryset of User, heaviest first."""
    referents = User.objects.filter(role=Role.REFERENT)
    if user.role == Role.MANAGER:
        referents = referents.filter(organisation_id=user.organisation_id)
    return (
        referents.annotate(
            caseload=Count(
                "assignments",
                filter=Q(
                    assignments__end_date__isnull=True,
                    assignments__beneficiary__exit__isnull=True,
                ),
            )
        )
        .filter(Q(is_active=True, departed_on__isnull=True) | Q(caseload__gt=0))
        .order_by("-caseload", "last_name")
    )


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The households a user may see and attach a person to: those with at least one member
        the user sees (`BeneficiaryQuerySet.visible_to`); a pilot sees every household."""
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.PILOT:
            return self
        return self.filter(pk__in=Beneficiary.objects.visible_to(user).values("household_id"))


class ReferentAssignmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(end_date__isnull=True)


class PrescriptionQuerySet(models.QuerySet):
    def for_operator(self, user):
        """Prescriptions to the actions of the operator's organisation, once sent."""
        if user.role != Role.OPERATOR or not user.organisation_id:
            return self.none()
        return self.filter(action__operator_id=user.organisation_id).exclude(
            status=PrescriptionStatus.PROPOSED
        )

    def awaiting_answer(self):
        return self.filter(status=PrescriptionStatus.SENT)

    def refusals_to_see(self):
        """The prescriptions an operator refused that the référent has not dealt with yet:
        neither marked « prise en compte » (`refusal_seen_on`) nor followed by a new
        prescription of the same person made after the refusal (created later, dated on or
        after the day of the refusal). Served by prescription_person_status_idx."""
        later = Prescription.objects.filter(
            beneficiary=OuterRef("beneficiary_id"),
            pk__gt=OuterRef("pk"),
            prescribed_on__gte=OuterRef("answered_on"),
        )
        return self.filter(status=PrescriptionStatus.REFUSED, refusal_seen_on__isnull=True).filter(
            ~Exists(later)
        )


class ExitFollowUpQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The follow-ups of the people `user` sees (`BeneficiaryQuerySet.visible_to`): a
        référent those of the people still assigned to them (the référent at the exit: an exit
        leaves the designation open), a manager those of their structure, a pilot all."""
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.PILOT:
            return self
        return self.filter(exit__beneficiary__in=Beneficiary.objects.visible_to(user))

    def to_do(self):
        """Not recorded yet."""
        return self.filter(situation="")

    def due(self, today):
        """Not recorded, due on or before `today` (a date), of people still known (not
        anonymised)."""
        return self.to_do().filter(due_on__lte=today, exit__beneficiary__anonymised_on__isnull=True)

    def late(self, today):
        """Due and not recorded within the month after the due date (follow_ups.is_late)."""
        return self.due(today).filter(due_on__lte=last_late_due_on(today))

    def by_milestone(self):
        """{FollowUpMilestone: {"due", "recorded", "unknown", "durable"}}: how many follow-ups,
        how many recorded, recorded « injoignable / situation inconnue », and found in durable
        employment (the exit's rule, beneficiaries.outcomes), for each milestone: what the
        indicators « en emploi durable 6 / 12 mois après la sortie » are read with. One
        query."""
        rows = (
            self.annotate(outcome=exit_outcome_expression())
            .values("milestone")
            .annotate(
                due=Count("pk"),
                recorded=Count("pk", filter=~Q(situation="")),
                unknown=Count("pk", filter=Q(situation=FollowUpSituation.UNKNOWN)),
                durable=Count(
                    "pk",
                    filter=Q(
                        situation=FollowUpSituation.EMPLOYED,
                        outcome=ExitOutcome.DURABLE_EMPLOYMENT,
                    ),
                ),
            )
            .order_by()
        )
        found = {row.pop("milestone"): row for row in rows}
        empty = {"due": 0, "recorded": 0, "unknown": 0, "durable": 0}
        return {milestone: found.get(milestone.value, empty) for milestone in FollowUpMilestone}

    def with_referent(self):
        """Each follow-up with the person's référent at the exit (their last designation):
        `referent_id`, `referent_last_name`, `referent_first_name`, and `referent_gone`, True
        when there is none or their account is closed or no longer a référent's — then the
        pilots record the follow-up. One query whatever the number of rows."""
        last = ReferentAssignment.objects.filter(
            beneficiary=OuterRef("exit__beneficiary_id")
        ).order_by(F("end_date").desc(nulls_first=True), "-start_date", "-pk")
        people = self.annotate(
            referent_id=Subquery(last.values("referent_id")[:1]),
            referent_last_name=Subquery(last.values("referent__last_name")[:1]),
            referent_first_name=Subquery(last.values("referent__first_name")[:1]),
            referent_active=Subquery(last.values("referent__is_active")[:1]),
            referent_role=Subquery(last.values("referent__role")[:1]),
        )
        return people.annotate(
            referent_gone=Case(
                When(Q(referent_active=True, referent_role=Role.REFERENT), then=Value(False)),
                default=Value(True),
                output_field=models.BooleanField(),
            )
        )


# --- The household and the person ----------------------------------------------------------


class Household(LockVersioned):
    """A foyer as the CAF or the MSA pays it."""

    payer = models.CharField("organisme payeur", max_length=3, choices=Payer.choices)
    caf_number = models.CharField(
        "numéro d'allocataire",
        max_length=13,
        help_text="Le matricule CAF sur 7 chiffres, ou celui de la MSA sur 13 chiffres.",
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, null=True, blank=True
    )
    territory = models.ForeignKey(
        Territory, verbose_name="territoire", on_delete=models.PROTECT, related_name="households"
    )
    family_situation = models.CharField(
        "situation familiale", max_length=20, choices=FamilySituation.choices
    )
    homeless = models.BooleanField("sans domicile stable", default=False)
    anonymised_on = models.DateField("anonymisé le", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = "foyer"
        verbose_name_plural = "foyers"
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "caf_number"],
                condition=~Q(caf_number=""),
                name="household_number_unique",
                violation_error_message="Un foyer porte déjà ce numéro d'allocataire.",
            ),
            # The forms of beneficiaries.allocataire: 7 digits, or the MSA's own 13.
            models.CheckConstraint(
                condition=Q(caf_number__regex=r"^[0-9]{7}$")
                | Q(payer=Payer.MSA, caf_number__regex=r"^[0-9]{13}$")
                | Q(caf_number="", anonymised_on__isnull=False),
                name="household_number_format",
                violation_error_message=(
                    "Le numéro d'allocataire compte 7 chiffres (13 pour un matricule MSA)."
                ),
            ),
        ]

    def __str__(self):
        return f"Foyer {self.get_payer_display()} {self.caf_number}"


class Beneficiary(LockVersioned):
    """One person of a household. No NIR is stored (DOMAIN.md: not needed for this purpose)."""

    household = models.ForeignKey(
        Household, verbose_name="foyer", on_delete=models.PROTECT, related_name="members"
    )
    household_role = models.CharField(
        "rôle dans le foyer", max_length=20, choices=HouseholdRole.choices
    )
    last_name = models.CharField("nom", max_length=100)
    birth_name = models.CharField("nom de naissance", max_length=100, blank=True)
    first_name = models.CharField("prénom", max_length=100)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    rights_and_duties = models.CharField(
        "droits et devoirs", max_length=20, choices=RightsAndDuties.choices
    )
    rsa_requested_on = models.DateField("demande de RSA le")
    right_opened_on = models.DateField("droit ouvert le")
    right_known_on = models.DateField(
        "ouverture du droit connue du Département le",
        help_text="Point de départ du délai d'orientation de 6 semaines.",
    )
    # Lower-case name without accents, for search on every database (written by the services).
    search_key = models.CharField(max_length=320, editable=False, db_index=True)
    # Set when the retention period ended: what identified the person has been erased.
    anonymised_on = models.DateField("anonymisé le", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BeneficiaryQuerySet.as_manager()

    class Meta:
        verbose_name = "bénéficiaire"
        verbose_name_plural = "bénéficiaires"
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(right_opened_on__gte=F("rsa_requested_on")),
                name="beneficiary_right_after_request",
                violation_error_message="Le droit ne peut pas s'ouvrir avant la demande.",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="beneficiary_sex_valid"),
        ]
        indexes = [
            # Search by birth date, and the age breakdowns of the indicators.
            models.Index(fields=["birth_date"], name="beneficiary_birth_date_idx"),
            # The lists, in alphabetical order, a page at a time.
            models.Index(fields=["last_name", "first_name", "id"], name="beneficiary_name_idx"),
            # A person found again by names and birth date (the imports, the CNAF flux).
            models.Index(fields=["search_key", "birth_date"], name="beneficiary_identity_idx"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self):
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def exit_outcome_label(self):
        """The label of the outcome annotated by `with_followup` (« emploi durable »...), ""
        without an exit."""
        outcome = getattr(self, "exit_outcome", None)
        return ExitOutcome(outcome).label if outcome else ""


class ReferentAssignment(models.Model):
    """Who follows a person, from when to when, and why. History is kept."""

    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="référent",
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    # The référent's structure when assigned: what a manager's scope reads.
    structure = models.ForeignKey(
        Organisation, verbose_name="structure", on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField("depuis le")
    end_date = models.DateField("jusqu'au", null=True, blank=True)
    reason = models.CharField("motif", max_length=20, choices=AssignmentReason.choices)
    note = models.CharField("précision", max_length=250, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="désigné par",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # When the row was recorded: orders the history's entries of a same day.
    created_at = models.DateTimeField("enregistrée le", auto_now_add=True)

    objects = ReferentAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "désignation du référent"
        verbose_name_plural = "désignations du référent"
        ordering = ["-start_date", "-pk"]
        constraints = [
            # At most one référent at a time.
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(end_date__isnull=True),
                name="assignment_one_open_per_beneficiary",
                violation_error_message="Cette personne a déjà un référent en cours.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_dates_ordered",
            ),
        ]
        indexes = [
            # "Mon portefeuille" and the managers' caseloads: open assignments by référent.
            models.Index(
                fields=["referent", "beneficiary"],
                condition=Q(end_date__isnull=True),
                name="assignment_open_referent_idx",
            ),
            models.Index(
                fields=["structure", "beneficiary"],
                condition=Q(end_date__isnull=True),
                name="assignment_open_structure_idx",
            ),
        ]

    def __str__(self):
        return f"{self.referent} depuis le {self.start_date:%d/%m/%Y}"


class OrientationDecision(models.Model):
    """The decision naming the parcours and the organisme référent; a reorientation is a new one."""

    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        related_name="orientations",
    )
    parcours = models.CharField("parcours", max_length=20, choices=Parcours.choices)
    organisme = models.ForeignKey(
        Organisation, verbose_name="organisme référent", on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField("décidée le")
    notified_on = models.DateField("notifiée le", null=True, blank=True)
    decided_by = models.CharField(
        "décidée par", max_length=150, default="Président du conseil départemental"
    )
    is_reorientation = models.BooleanField("réorientation", default=False)
    reason = models.TextField("motif de la réorientation", blank=True)
    team_consulted = models.BooleanField("équipe pluridisciplinaire consultée", default=False)
    is_current = models.BooleanField(default=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField("enregistrée le", auto_now_add=True)

    class Meta:
        verbose_name = "décision d'orientation"
        verbose_name_plural = "décisions d'orientation"
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(is_current=True),
                name="orientation_one_current_per_beneficiary",
            ),
            # The first decision is the only one that is not a reorientation; the indicators
            # read a person's first orientation through it.
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(is_reorientation=False),
                name="orientation_one_first_per_beneficiary",
                violation_error_message="Cette personne a déjà une première orientation.",
            ),
            models.CheckConstraint(
                condition=Q(notified_on__isnull=True) | Q(notified_on__gte=F("decided_on")),
                name="orientation_notified_after_decision",
                violation_error_message="La notification ne peut pas précéder la décision.",
            ),
            models.CheckConstraint(
                condition=Q(is_reorientation=False) | ~Q(reason=""),
                name="reorientation_has_reason",
                violation_error_message="Une réorientation est motivée.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["beneficiary"], condition=Q(is_current=True), name="orientation_current_idx"
            ),
        ]

    def __str__(self):
        return f"Parcours {self.get_parcours_display()} – {self.organisme}"


class ReorientationRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The requests about the people `user` sees (`BeneficiaryQuerySet.visible_to`)."""
        return self.filter(beneficiary__in=Beneficiary.objects.visible_to(user))

    def pending(self):
        return self.filter(status=ReorientationStatus.PENDING)


class ReorientationRequest(models.Model):
    """A référent (or a manager, a pilot) asks that a person be reoriented, often after the
    diagnostic: a proposed parcours and organisme référent, and why. A manager or a pilot
    accepts it (a new OrientationDecision, `orientation`, through the same rules as
    « Réorienter ») or refuses it, saying why. The équipe pluridisciplinaire's opinion is
    written in the decision's note for now."""

    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        related_name="reorientation_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandée par",
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField("demandée le", auto_now_add=True)
    reason = models.TextField("motif")
    proposed_parcours = models.CharField(
        "parcours proposé", max_length=20, choices=Parcours.choices
    )
    proposed_organisme = models.ForeignKey(
        Organisation,
        verbose_name="organisme référent proposé",
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        "état",
        max_length=10,
        choices=ReorientationStatus.choices,
        default=ReorientationStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidée par",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decision_note = models.TextField("motif de la décision", blank=True)
    orientation = models.OneToOneField(
        OrientationDecision,
        verbose_name="orientation qui en résulte",
        on_delete=models.PROTECT,
        related_name="request",
        null=True,
        blank=True,
    )

    objects = ReorientationRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de réorientation"
        verbose_name_plural = "demandes de réorientation"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReorientationStatus.values),
                name="reorientation_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(proposed_parcours__in=Parcours.values),
                name="reorientation_request_parcours_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="reorientation_request_has_reason",
                violation_error_message="Une demande de réorientation est motivée.",
            ),
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(status=ReorientationStatus.PENDING),
                name="reorientation_request_one_pending",
                violation_error_message=(
                    "Une demande de réorientation est déjà en attente pour cette personne."
                ),
            ),
            # A decision says who and when; a pending request has neither.
            models.CheckConstraint(
                condition=(
                    Q(
                        status=ReorientationStatus.PENDING,
                        decided_by__isnull=True,
                        decided_at__isnull=True,
                    )
                    | (
                        ~Q(status=ReorientationStatus.PENDING)
                        & Q(decided_by__isnull=False, decided_at__isnull=False)
                    )
                ),
                name="reorientation_request_decision_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReorientationStatus.REFUSED) | ~Q(decision_note=""),
                name="reorientation_request_refusal_has_reason",
                violation_error_message="Un refus de réorientation est motivé.",
            ),
            # Accepted if and only if it led to an orientation.
            models.CheckConstraint(
                condition=Q(status=ReorientationStatus.ACCEPTED, orientation__isnull=False)
                | (~Q(status=ReorientationStatus.ACCEPTED) & Q(orientation__isnull=True)),
                name="reorientation_request_accepted_has_orientation",
            ),
        ]
        indexes = [
            # « Demandes de réorientation »: the pending ones, oldest first; the home counters.
            models.Index(
                fields=["requested_at"],
                condition=Q(status=ReorientationStatus.PENDING),
                name="reorientation_pending_idx",
            ),
            # The recently decided ones.
            models.Index(fields=["-decided_at"], name="reorientation_decided_idx"),
        ]

    def __str__(self):
        return f"Demande de réorientation du {self.requested_at:%d/%m/%Y}"


class Contract(LockVersioned):
    """The contrat d'engagement (since 2025) or a legacy CER / PPAE. A revision is a new
    contract that replaces the current one; the earlier version is kept."""

    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name="bénéficiaire", on_delete=models.CASCADE, related_name="contracts"
    )
    kind = models.CharField("type de contrat", max_length=10, choices=ContractKind.choices)
    start_date = models.DateField("début")
    end_date = models.DateField("fin")
    signed_on = models.DateField("signé le", null=True, blank=True)
    objectives = models.TextField("objectifs du plan d'action")
    weekly_hours = models.DecimalField(
        "heures d'activité par semaine", max_digits=4, decimal_places=1, default=15
    )
    hours_reduction = models.CharField(
        "motif de la réduction des heures",
        max_length=20,
        choices=HoursReduction.choices,
        blank=True,
    )
    hours_reduction_note = models.CharField("précision", max_length=250, blank=True)
    long_review_reason = models.CharField(
        "révision à 12 mois pour motif",
        max_length=20,
        choices=LongReviewReason.choices,
        blank=True,
        help_text="Parcours social : la révision a lieu à 12 mois au lieu de 6 pour ces motifs.",
    )
    revises = models.OneToOneField(
        "self",
        verbose_name="révise le contrat",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revision",
    )
    revision_reason = models.CharField("motif de la révision", max_length=250, blank=True)
    is_current = models.BooleanField(default=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "contrat"
        verbose_name_plural = "contrats"
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(is_current=True),
                name="contract_one_current_per_beneficiary",
            ),
            # Two contracts of one person never start the same day (a form posted twice):
            # the first version of each contract counts, its revisions may keep its start.
            # Overlapping periods are refused by services.contract_create under the person's
            # lock (an exclusion constraint would need btree_gist on PostgreSQL only).
            models.UniqueConstraint(
                fields=["beneficiary", "start_date"],
                condition=Q(revises__isnull=True),
                name="contract_one_first_version_per_start",
                violation_error_message="Un contrat de cette personne commence déjà ce jour-là.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="contract_dates_ordered",
                violation_error_message="La fin du contrat doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gte=0, weekly_hours__lte=35),
                name="contract_hours_range",
                violation_error_message="Les heures d'activité vont de 0 à 35 par semaine.",
            ),
            # Fewer than 15 hours in a contrat d'engagement: the reason is recorded.
            models.CheckConstraint(
                condition=~Q(kind=ContractKind.CE)
                | Q(weekly_hours__gte=15)
                | ~Q(hours_reduction=""),
                name="contract_reduced_hours_have_reason",
                violation_error_message="Moins de 15 heures par semaine : indiquez le motif.",
            ),
            models.CheckConstraint(
                condition=Q(revises__isnull=True) | ~Q(revision_reason=""),
                name="contract_revision_has_reason",
                violation_error_message="Une révision du contrat est motivée.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["beneficiary"], condition=Q(is_current=True), name="contract_current_idx"
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} du {self.start_date:%d/%m/%Y} au {self.end_date:%d/%m/%Y}"
        )

    @property
    def duration_days(self):
        return (self.end_date - self.start_date).days


class PlannedAction(models.Model):
    """A line of the plan d'action: what the person will do, possibly an action of the offer."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="planned_actions")
    kind = models.CharField("nature", max_length=20, choices=PlannedActionKind.choices)
    description = models.CharField("action prévue", max_length=250)
    action = models.ForeignKey(
        Action,
        verbose_name="action du catalogue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "action du plan"
        verbose_name_plural = "actions du plan"
        ordering = ["pk"]

    def __str__(self):
        return self.description


# The longest interview note, in characters: the form says it and refuses more, the database
# holds it (interview_note_length).
INTERVIEW_NOTE_MAX = 2000


class Interview(models.Model):
    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        related_name="interviews",
    )
    kind = models.CharField("type", max_length=20, choices=InterviewKind.choices)
    date = models.DateField("date")
    # A text the database also holds to INTERVIEW_NOTE_MAX characters: never cut silently.
    note = models.TextField("note", blank=True)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "entretien"
        verbose_name_plural = "entretiens"
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), INTERVIEW_NOTE_MAX),
                name="interview_note_length",
                violation_error_message=(
                    f"La note d'entretien tient en {INTERVIEW_NOTE_MAX} caractères au plus."
                ),
            ),
        ]
        indexes = [
            # "No interview for 3 months": the last interview of each person.
            models.Index(fields=["beneficiary", "-date"], name="interview_last_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.date:%d/%m/%Y}"


class Obstacle(models.Model):
    """A frein in a person's way: identified, then being addressed, then lifted."""

    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name="bénéficiaire", on_delete=models.CASCADE, related_name="obstacles"
    )
    kind = models.CharField("frein", max_length=20, choices=ObstacleKind.choices)
    status = models.CharField(
        "état", max_length=20, choices=ObstacleStatus.choices, default=ObstacleStatus.IDENTIFIED
    )
    identified_on = models.DateField("identifié le")
    addressed_on = models.DateField("traité depuis le", null=True, blank=True)
    lifted_on = models.DateField("levé le", null=True, blank=True)
    note = models.CharField("note", max_length=500, blank=True)
    actions = models.ManyToManyField(
        Action, verbose_name="actions mobilisées", blank=True, related_name="+"
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "frein"
        verbose_name_plural = "freins"
        ordering = ["status", "-identified_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ObstacleStatus.LIFTED) | Q(lifted_on__isnull=False),
                name="obstacle_lifted_has_date",
            ),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=F("identified_on")),
                name="obstacle_lifted_after_identified",
                violation_error_message="Un frein ne peut pas être levé avant d'être identifié.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class Prescription(models.Model):
    """A person sent to an action of the catalogue, and what the operator made of it."""

    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        related_name="prescriptions",
    )
    action = models.ForeignKey(
        Action, verbose_name="action", on_delete=models.PROTECT, related_name="prescriptions"
    )
    status = models.CharField(
        "état", max_length=20, choices=PrescriptionStatus.choices, default=PrescriptionStatus.SENT
    )
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    prescribed_on = models.DateField("prescrite le")
    note = models.CharField("message à l'opérateur", max_length=500, blank=True)
    answered_on = models.DateField("réponse le", null=True, blank=True)
    refusal_reason = models.CharField("motif du refus", max_length=250, blank=True)
    # The référent has read the operator's refusal (« Prise en compte »): the due item goes.
    refusal_seen_on = models.DateField("refus pris en compte le", null=True, blank=True)
    refusal_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="refus pris en compte par",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    started_on = models.DateField("entrée le", null=True, blank=True)
    ended_on = models.DateField("sortie le", null=True, blank=True)
    outcome = models.CharField("issue", max_length=250, blank=True)
    sessions_planned = models.PositiveSmallIntegerField("séances prévues", default=0)
    sessions_attended = models.PositiveSmallIntegerField("séances suivies", default=0)
    lock_version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField("enregistrée le", auto_now_add=True)

    objects = PrescriptionQuerySet.as_manager()

    class Meta:
        verbose_name = "prescription"
        verbose_name_plural = "prescriptions"
        ordering = ["-prescribed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PrescriptionStatus.values), name="prescription_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PrescriptionStatus.REFUSED) | ~Q(refusal_reason=""),
                name="prescription_refusal_has_reason",
                violation_error_message="Un refus est motivé.",
            ),
            models.CheckConstraint(
                condition=Q(refusal_seen_on__isnull=True) | Q(status=PrescriptionStatus.REFUSED),
                name="prescription_refusal_seen_only_if_refused",
                violation_error_message="Seul un refus de l'opérateur se prend en compte.",
            ),
            models.CheckConstraint(
                condition=Q(refusal_seen_on__isnull=True, refusal_seen_by__isnull=True)
                | Q(refusal_seen_on__isnull=False, refusal_seen_by__isnull=False),
                name="prescription_refusal_seen_says_who",
                violation_error_message="La prise en compte d'un refus dit qui l'a faite.",
            ),
            models.CheckConstraint(
                condition=Q(sessions_attended__lte=F("sessions_planned")),
                name="prescription_attendance_within_sessions",
                violation_error_message="Plus de séances suivies que prévues.",
            ),
            # One live prescription of a person to an action at a time.
            models.UniqueConstraint(
                fields=["beneficiary", "action"],
                condition=Q(
                    status__in=[
                        PrescriptionStatus.PROPOSED,
                        PrescriptionStatus.SENT,
                        PrescriptionStatus.ACCEPTED,
                        PrescriptionStatus.STARTED,
                    ]
                ),
                name="prescription_one_live_per_action",
                violation_error_message=(
                    "Cette personne a déjà une prescription en cours vers cette action."
                ),
            ),
        ]
        indexes = [
            # The operators' inbox and the portfolio's "waiting for an answer".
            models.Index(fields=["action", "status"], name="prescription_action_status_idx"),
            models.Index(fields=["beneficiary", "status"], name="prescription_person_status_idx"),
        ]

    def __str__(self):
        return f"{self.action} – {self.get_status_display()}"


# --- Hours of activity -------------------------------------------------------------------------
# The contrat d'engagement plans at least 15 hours of activity a week (CASF L262-35, loi du
# 18 décembre 2023 pour le plein emploi), lowered or removed for a recorded reason. What was
# done is recorded by the operators, one row per prescription and ISO week (Monday to Sunday).

MAX_WEEKLY_HOURS = 60  # a week of one action: more is a typing error


def week_start(day):
    """The Monday (a date) of the ISO week of `day`."""
    return day - datetime.timedelta(days=day.weekday())


class AttendanceQuerySet(models.QuerySet):
    def for_operator(self, user):
        """The weeks recorded for the prescriptions the operator reaches."""
        return self.filter(prescription__in=Prescription.objects.for_operator(user))

    def weekly_hours_of(self, beneficiary, first_week, last_week):
        """{Monday (date): hours done (Decimal)} of a person over their prescriptions, for the
        weeks from `first_week` to `last_week` (Mondays), weeks with nothing recorded left out.
        One grouped query."""
        return dict(
            self.filter(
                prescription__beneficiary=beneficiary, week__gte=first_week, week__lte=last_week
            )
            .values_list("week")
            .annotate(hours=Sum("hours"))
            .order_by()
        )


class Attendance(models.Model):
    """The hours a person did in one action in one ISO week, as its operator recorded them.
    `sessions` (optional) is the number of the action's sessions attended that week; when the
    weeks of a prescription carry sessions, its `sessions_attended` is their sum
    (`services.attendance_record`)."""

    prescription = models.ForeignKey(
        Prescription,
        verbose_name="prescription",
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    week = models.DateField("semaine du", help_text="Le lundi de la semaine.")
    hours = models.DecimalField("heures réalisées", max_digits=4, decimal_places=2)
    sessions = models.PositiveSmallIntegerField("séances suivies", null=True, blank=True)
    # Emptied when the file is anonymised (beneficiaries.retention); always set by a write.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField("saisi le", auto_now=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = "heures d'activité d'une semaine"
        verbose_name_plural = "heures d'activité par semaine"
        ordering = ["-week", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0, hours__lte=MAX_WEEKLY_HOURS),
                name="attendance_hours_range",
                violation_error_message=(
                    f"Les heures d'une semaine sont comprises entre 0 et {MAX_WEEKLY_HOURS}."
                ),
            ),
            models.CheckConstraint(
                condition=Q(week__iso_week_day=1),
                name="attendance_week_is_a_monday",
                violation_error_message="Une semaine est désignée par son lundi.",
            ),
            models.UniqueConstraint(
                fields=["prescription", "week"],
                name="attendance_one_per_prescription_and_week",
                violation_error_message="Les heures de cette semaine sont déjà saisies.",
            ),
        ]
        # The unique constraint's index serves a prescription's weeks; this one the file's
        # and the indicator's sums by week.
        indexes = [models.Index(fields=["week"], name="attendance_week_idx")]

    def __str__(self):
        return f"{self.hours} h la semaine du {self.week:%d/%m/%Y}"


class Exit(models.Model):
    """The end of the parcours: why the person left the RSA, and what for."""

    beneficiary = models.OneToOneField(
        Beneficiary, verbose_name="bénéficiaire", on_delete=models.CASCADE, related_name="exit"
    )
    exit_on = models.DateField("sortie le")
    category = models.CharField("motif de sortie", max_length=20, choices=ExitCategory.choices)
    contract_type = models.CharField(
        "situation à la sortie", max_length=30, choices=ExitContract.choices
    )
    contract_days = models.PositiveIntegerField(
        "durée du contrat (jours)",
        null=True,
        blank=True,
        help_text="Pour un CDD, un intérim ou un contrat aidé.",
    )
    note = models.CharField("précision", max_length=250, blank=True)
    # The CAF's or MSA's own closure reason (MOTICLORSA) as the flux gave it, when the exit
    # comes from a closure of the dossier: its category is read from beneficiaries.closures.
    closure_reason = models.CharField("motif de clôture CAF ou MSA", max_length=10, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField("enregistrée le", auto_now_add=True)

    class Meta:
        verbose_name = "sortie"
        verbose_name_plural = "sorties"
        constraints = [
            models.CheckConstraint(
                condition=~Q(
                    contract_type__in=[ExitContract.CDD, ExitContract.TEMP, ExitContract.SUBSIDISED]
                )
                | Q(contract_days__isnull=False),
                name="exit_fixed_term_has_length",
                violation_error_message="Indiquez la durée du contrat en jours.",
            ),
            # A closure for lack of contact is the application's (beneficiaries.retention), not
            # an outcome of the parcours: recorded by no one, and never a job nor a training,
            # so that no indicator counts it as a sortie dynamique.
            models.CheckConstraint(
                condition=~Q(category=ExitCategory.NO_CONTACT)
                | Q(
                    contract_type=ExitContract.NONE,
                    contract_days__isnull=True,
                    recorded_by__isnull=True,
                ),
                name="exit_no_contact_is_no_outcome",
                violation_error_message=(
                    "Une clôture faute de contact ne s'enregistre pas à la main : elle est "
                    "prononcée par la fin de la durée de conservation, sans emploi ni formation."
                ),
            ),
            # Only an exit for resources or activity says what the person left for: a death, a
            # move or a sanction is never a job nor a training (enums.EXITS_FOR_ACTIVITY).
            models.CheckConstraint(
                condition=Q(category__in=EXITS_FOR_ACTIVITY)
                | Q(contract_type=ExitContract.NONE, contract_days__isnull=True),
                name="exit_situation_only_for_activity",
                violation_error_message=(
                    "Seule une fin de droit ou une sortie des droits et devoirs dit ce que la "
                    "personne a trouvé (emploi ou formation)."
                ),
            ),
        ]

    def __str__(self):
        return f"Sortie du {self.exit_on:%d/%m/%Y} : {self.get_category_display()}"

    @property
    def outcome(self):
        """What the exit led to (an ExitOutcome), by the département's rule « 6 mois ou plus »
        (beneficiaries.outcomes, the rule the indicators count by)."""
        return ExitOutcome(exit_outcome(self.contract_type, self.contract_days))

    @property
    def situation_label(self):
        """« CDI », « CDD, 180 jours »…: what the person left for, "" after a death, a move, a
        sanction or a closure, which say nothing of it (EXITS_FOR_ACTIVITY)."""
        if self.category not in EXITS_FOR_ACTIVITY:
            return ""
        label = self.get_contract_type_display()
        return f"{label}, {self.contract_days} jours" if self.contract_days else label

    @property
    def closure_label(self):
        """The French label of the CAF/MSA closure reason (beneficiaries.closures), with its
        code: « déménagement hors du département (MUT) »; "" for an exit recorded here."""
        if not self.closure_reason:
            return ""
        return f"{closure_exit(self.closure_reason)[1]} ({self.closure_reason})"


class ExitFollowUp(models.Model):
    """What became of a person 3, 6 or 12 calendar months after an exit for resources or
    activity (enums.EXITS_FOR_ACTIVITY; a death, a move, a sanction or a closure for lack of
    contact is never followed): planned when it comes due (`services.exit_follow_ups_plan`),
    then recorded by the référent, or by a pilot when the référent has left.

    Not recorded yet: `situation` is "" and `recorded_*` are empty. Recorded: the situation
    found, on `recorded_on`, by `recorded_by`; in employment, its kind (ExitContract) and, for a
    fixed term, its length in days (`contract_days`), so that « emploi durable » is the exit's
    own rule (beneficiaries.outcomes)."""

    exit = models.ForeignKey(
        Exit, verbose_name="sortie", on_delete=models.CASCADE, related_name="follow_ups"
    )
    milestone = models.CharField("échéance", max_length=2, choices=FollowUpMilestone.choices)
    due_on = models.DateField("à faire à partir du")
    situation = models.CharField(
        "situation constatée", max_length=20, choices=FollowUpSituation.choices, blank=True
    )
    contract_type = models.CharField(
        "type d'emploi", max_length=30, choices=ExitContract.choices, blank=True
    )
    contract_days = models.PositiveIntegerField(
        "durée du contrat (jours)",
        null=True,
        blank=True,
        help_text="Pour un CDD, un intérim ou un contrat aidé.",
    )
    note = models.CharField("précision", max_length=250, blank=True)
    recorded_on = models.DateField("situation constatée le", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="renseigné par",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = ExitFollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = "suivi après sortie"
        verbose_name_plural = "suivis après sortie"
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["exit", "milestone"],
                name="exit_follow_up_one_per_milestone",
                violation_error_message="Ce suivi après sortie existe déjà.",
            ),
            models.CheckConstraint(
                condition=Q(milestone__in=FollowUpMilestone.values),
                name="exit_follow_up_milestone_valid",
            ),
            models.CheckConstraint(
                condition=Q(situation__in=["", *FollowUpSituation.values]),
                name="exit_follow_up_situation_valid",
            ),
            # Recorded all at once: the situation, its date and who found it.
            models.CheckConstraint(
                condition=Q(situation="", recorded_on__isnull=True, recorded_by__isnull=True)
                | (~Q(situation="") & Q(recorded_on__isnull=False, recorded_by__isnull=False)),
                name="exit_follow_up_recorded_together",
                violation_error_message="Indiquez la situation constatée et sa date.",
            ),
            # The kind of employment, only and always for a person in employment.
            models.CheckConstraint(
                condition=Q(
                    situation=FollowUpSituation.EMPLOYED, contract_type__in=FOLLOW_UP_EMPLOYMENT
                )
                | (~Q(situation=FollowUpSituation.EMPLOYED) & Q(contract_type="")),
                name="exit_follow_up_kind_only_in_employment",
                violation_error_message=(
                    "Indiquez le type d'emploi pour une personne en emploi, et seulement pour elle."
                ),
            ),
            # A length in days for a fixed term, and only for it.
            models.CheckConstraint(
                condition=Q(
                    contract_type__in=FIXED_TERM_CONTRACTS,
                    contract_days__isnull=False,  # NULL > 0 is not false: a CHECK lets it by
                    contract_days__gt=0,
                )
                | (~Q(contract_type__in=FIXED_TERM_CONTRACTS) & Q(contract_days__isnull=True)),
                name="exit_follow_up_fixed_term_has_length",
                violation_error_message=(
                    "Indiquez la durée du contrat en jours pour un CDD, un intérim ou un contrat "
                    "aidé, et seulement pour eux."
                ),
            ),
        ]
        indexes = [
            # The follow-ups to do (the list « Suivis après sortie », the portfolio's counter):
            # those not recorded, by due date.
            models.Index(
                fields=["due_on", "exit"],
                condition=Q(situation=""),
                name="exit_follow_up_to_do_idx",
            ),
        ]

    def __str__(self):
        return f"Suivi à {self.get_milestone_display()}"

    @property
    def is_recorded(self):
        return bool(self.situation)

    @property
    def outcome(self):
        """The outcome of the situation found (an ExitOutcome), by the exit's rule (beneficiaries
        .outcomes): « emploi durable » for a CDI, a titularisation, a business created, a CDD
        or an intérim of 6 months or more; None when not recorded."""
        if not self.situation:
            return None
        return ExitOutcome(exit_outcome(self.contract_type, self.contract_days))


class FluxListing(models.Model):
    """The last monthly CNAF/MSA flux that listed a person in an open dossier (its date): news
    of them for the active base (beneficiaries.retention). Written by the flux in bulk, one
    narrow row per person, so that a monthly flux rewrites no row of the people's table."""

    beneficiary = models.OneToOneField(
        Beneficiary,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="flux_listing",
    )
    listed_on = models.DateField("dernier flux CNAF ou MSA le")

    class Meta:
        verbose_name = "présence dans le flux CNAF ou MSA"
        verbose_name_plural = "présences dans le flux CNAF ou MSA"
        indexes = [
            # The dates of the last two fluxes, and the people of the previous one no longer
            # listed (beneficiaries.quality: the households absent from the last flux).
            models.Index(fields=["listed_on"], name="flux_listing_listed_on_idx"),
        ]

    def __str__(self):
        return f"Dans le flux du {self.listed_on:%d/%m/%Y}"


class FileAccess(models.Model):
    """Who read or wrote which person's file, when, and how (kept 6 to 12 months)."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="accesses", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    operation = models.CharField("opération", max_length=10, choices=FileOperation.choices)
    what = models.CharField("objet", max_length=120)

    class Meta:
        verbose_name = "accès à un dossier"
        verbose_name_plural = "accès aux dossiers"
        ordering = ["-at", "-pk"]
        indexes = [
            # A pilot lists the accesses to one file, newest first.
            models.Index(fields=["beneficiary", "-at"], name="file_access_by_file_idx"),
            # Purging the log past its retention period.
            models.Index(fields=["at"], name="file_access_at_idx"),
        ]

    def __str__(self):
        return f"{self.get_operation_display()} par {self.user} le {self.at:%d/%m/%Y %H:%M}"


class ListAccess(models.Model):
    """A look at several people at once (a list, a search, an inbox, an export): who, when,
    where, with which filters and how many people were shown. Kept as long as `FileAccess`.

    `filters` holds the criteria as the user chose them ({"territoire": "3", "état": "active"}),
    except a searched name, CAF number or birth date, which is never kept in clear: only its
    kind and a keyed fingerprint (`beneficiaries.traces.search_fingerprint`) that lets a pilot
    answer « who searched for this person? » without the trace holding the text."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    view = models.CharField("page", max_length=20, choices=PeopleView.choices)
    filters = models.JSONField("critères", default=dict, blank=True)
    search_fingerprint = models.CharField("empreinte de la recherche", max_length=32, blank=True)
    shown = models.PositiveIntegerField("personnes affichées")
    total = models.PositiveIntegerField("personnes trouvées")

    class Meta:
        verbose_name = "consultation d'une liste de personnes"
        verbose_name_plural = "consultations de listes de personnes"
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(view__in=PeopleView.values), name="list_access_view_valid"
            ),
            models.CheckConstraint(
                condition=Q(shown__lte=F("total")), name="list_access_shown_within_total"
            ),
        ]
        indexes = [
            # The pilot's journal: by user, newest first; purging by date.
            models.Index(fields=["user", "-at"], name="list_access_by_user_idx"),
            models.Index(fields=["at"], name="list_access_at_idx"),
            # « Who searched for this person? »
            models.Index(
                fields=["search_fingerprint"],
                condition=~Q(search_fingerprint=""),
                name="list_access_search_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_view_display()} par {self.user} le {self.at:%d/%m/%Y %H:%M}"


class RefusedAccess(models.Model):
    """An attempt to reach a person's file (or a household, a prescription, an obstacle)
    outside the user's scope or role: who tried which id, when, and what they were answered —
    403 or 404 for a page asked by its id (the id may name nobody: guessing ids is what this
    trace is for), 422 for a write refused because the CAF number or the identity it gave
    leads to a file outside the user's scope (`beneficiaries.services.OutOfScope`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    target = models.CharField("objet demandé", max_length=20, choices=RefusedTarget.choices)
    object_id = models.BigIntegerField("identifiant demandé")
    page = models.CharField("page", max_length=80)
    status = models.PositiveSmallIntegerField("réponse")

    class Meta:
        verbose_name = "tentative d'accès refusée"
        verbose_name_plural = "tentatives d'accès refusées"
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__in=RefusedTarget.values), name="refused_access_target_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[403, 404, 422]), name="refused_access_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["-at"], name="refused_access_at_idx"),
            models.Index(fields=["user", "-at"], name="refused_access_by_user_idx"),
        ]

    def __str__(self):
        return f"{self.get_target_display()} n° {self.object_id} refusé à {self.user}"

    @property
    def requested_path(self):
        """The address that was asked for (its ids only; a page of no id for a refused write),
        or the page's name if it has moved."""
        for kwargs in ({"pk": self.object_id}, {}):
            try:
                return reverse(self.page, kwargs=kwargs)
            except NoReverseMatch:
                continue
        return self.page


class HeldHousehold(models.Model):
    """A household of a CNAF or MSA flux set aside, its own data being wrong (an unknown
    commune, a missing date…), while the rest of the flux was imported: nothing of it was
    written. A pilot deals with it by hand and marks it done, or the next flux that reads it
    without error settles it (beneficiaries.cnaf)."""

    run = models.ForeignKey(
        "pti.TaskRun",
        verbose_name="import",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    flux_on = models.DateField("flux du", null=True, blank=True)
    position = models.PositiveIntegerField("foyer n° dans le fichier")
    line = models.PositiveIntegerField("ligne", null=True, blank=True)
    payer = models.CharField("organisme payeur", max_length=3, choices=Payer.choices)
    caf_number = models.CharField("matricule", max_length=13, blank=True)
    reasons = models.TextField("motifs")
    held_at = models.DateTimeField("mis de côté le", auto_now_add=True)
    resolved_at = models.DateTimeField("traité le", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="traité par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField("comment", max_length=300, blank=True)

    class Meta:
        verbose_name = "foyer du flux à traiter"
        verbose_name_plural = "foyers du flux à traiter"
        # Those waiting first, the latest flux first, in the file's order.
        ordering = [
            F("resolved_at").asc(nulls_first=True),
            F("flux_on").desc(nulls_last=True),
            "position",
        ]
        indexes = [models.Index(fields=["payer", "caf_number"], name="held_household_number")]

    def __str__(self):
        return f"Foyer n°{self.position} du flux du {self.flux_on}"
