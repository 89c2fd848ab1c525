"""Writes of a person's file. Each records who did what in the file's access log, in the
same transaction; the log names the operation, never the personal data."""

import datetime
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from actions.enums import PLACE_HOLDING_STATUSES, ActionStatus, PrescriptionStatus
from actions.services import action_release_place, action_take_place, actions_release_places
from beneficiaries import follow_ups
from beneficiaries.enums import (
    EXIT_JOBS,
    EXITS_FOR_ACTIVITY,
    FIXED_TERM_CONTRACTS,
    FOLLOW_UP_EMPLOYMENT,
    REFERENT_ORGANISME_KINDS,
    AssignmentReason,
    ContractKind,
    ExitContract,
    FileOperation,
    FollowUpMilestone,
    FollowUpSituation,
    HouseholdRole,
    ObstacleStatus,
    PrescriptionAtExit,
    RefusedTarget,
    ReorientationStatus,
    Sex,
)
from beneficiaries.event_dates import check_event_dates
from beneficiaries.households import SINGLE_ROLES, household_situation
from beneficiaries.models import (
    Attendance,
    Beneficiary,
    Contract,
    Exit,
    ExitFollowUp,
    FileAccess,
    Household,
    Interview,
    Obstacle,
    OrientationDecision,
    PlannedAction,
    Prescription,
    ReferentAssignment,
    RefusedAccess,
    ReorientationRequest,
    week_start,
)
from beneficiaries.search import identity_keys, search_key
from pti.bulk import insert_rows, update_rows
from pti.enums import Role
from pti.models import User
from pti.services import check_lock_version, save_with_lock

# A prescription in these states is part of a parcours still going on.
LIVE_PRESCRIPTIONS = (
    PrescriptionStatus.PROPOSED,
    PrescriptionStatus.SENT,
    PrescriptionStatus.ACCEPTED,
    PrescriptionStatus.STARTED,
)


ANONYMISED = (
    "Ce dossier a été anonymisé à la fin de sa durée de conservation : il ne peut plus être "
    "modifié."
)


def _lock_person(beneficiary_id):
    """The person, locked for the write; an anonymised file is never written again."""
    person = Beneficiary.objects.select_for_update().get(pk=beneficiary_id)
    if person.anonymised_on:
        raise ValidationError(ANONYMISED)
    return person


def record_access(*, user, beneficiary, operation, what):
    FileAccess.objects.create(user=user, beneficiary=beneficiary, operation=operation, what=what)


def _today():
    return timezone.localdate()


def _not_in_future(date, what):
    if date and date > _today():
        raise ValidationError(f"{what} ne peut pas être dans le futur.")


# --- The person ------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = ["payer", "caf_number", "address", "commune", "family_situation", "homeless"]
PERSON_FIELDS = [
    "household_role",
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "rights_and_duties",
    "rsa_requested_on",
    "right_opened_on",
    "right_known_on",
]


class OutOfScope(ValidationError):
    """A write would attach to a household or a person outside the user's scope: refused with
    `OUT_OF_SCOPE`, which says nothing of the other file. `target` (a RefusedTarget) and
    `object_id` name what was found, for the trace of the refusal (never shown)."""

    def __init__(self, *, target, object_id):
        super().__init__(OUT_OF_SCOPE)
        self.target, self.object_id = target, object_id


def record_refusal(*, user, refusal, page):
    """Trace a write refused as OutOfScope (`refusal`) on `page` (a URL name): who tried to
    reach which file. Call it outside the refused write's transaction."""
    RefusedAccess.objects.create(
        user=user,
        target=refusal.target,
        object_id=refusal.object_id,
        page=page,
        status=422,
    )


# The same words whatever was found (a household, a person) and wherever it is followed: the
# refusal must not tell a manager who else the Département follows.
OUT_OF_SCOPE = (
    "Ce dossier ne peut pas être enregistré depuis votre structure : adressez-vous au "
    "Département (un pilote du PTI), qui vérifiera le foyer et la personne."
)
DUPLICATE_PERSON = (
    "Cette personne a déjà un dossier dans ce foyer (mêmes nom, prénom et date de naissance) : "
    "ouvrez son dossier plutôt que d'en créer un second."
)
HOMONYM_LABEL = "Je confirme qu'il s'agit d'une autre personne"
PROBABLE_HOMONYM = (
    "Homonyme probable : une personne de mêmes nom, prénom et date de naissance a déjà un "
    "dossier dans un autre foyer{where}. S'il s'agit bien d'une autre personne, cochez « "
    + HOMONYM_LABEL
    + " » et enregistrez de nouveau ; sinon, ouvrez son dossier."
)


def person_label(person):
    """« BENALI Mohamed, né(e) le 01/01/1990, foyer CAF 7600001 »: a file named to a user who
    may see it."""
    household = person.household
    born = {Sex.FEMALE: "née", Sex.MALE: "né"}.get(person.sex, "né(e)")
    return (
        f"{person.full_name}, {born} le {person.birth_date:%d/%m/%Y}, foyer "
        f"{household.get_payer_display()} {household.caf_number}"
    )


class DuplicatePerson(ValidationError):
    """The person to create already has a file in that household (`person`, which the user
    may see): never a second file."""

    def __init__(self, person):
        super().__init__(f"{DUPLICATE_PERSON} Dossier existant : {person_label(person)}.")
        self.person = person


class ProbableHomonym(ValidationError):
    """People of the same identity (names and birth date) have files in other households:
    probably other people (a conventional 01/01 birth date makes this common), created only
    once the user confirms. `visible` are those the user may see (named), `hidden` how many
    others there are (never named)."""

    def __init__(self, *, visible, hidden):
        where = ""
        if visible:
            where = " (" + " ; ".join(person_label(person) for person in visible) + ")"
        super().__init__(PROBABLE_HOMONYM.format(where=where))
        self.visible, self.hidden = visible, hidden


def _trace_household_members(*, household, except_person, user, what):
    """A write to a household is a write to the file of each of its other members."""
    FileAccess.objects.bulk_create(
        FileAccess(beneficiary_id=pk, user=user, operation=FileOperation.UPDATE, what=what)
        for pk in household.members.exclude(pk=except_person.pk).values_list("pk", flat=True)
    )


def household_for(*, household_values, territory, user):
    """The household of `household_values`' payer and CAF/MSA number, created when there is
    none. Two requests creating the same household at once both get the one that won.

    Raises OutOfScope when the household exists and has no member `user` may see
    (`Household.objects.visible_to`): a number must never open another structure's household.
    Returns (household, created)."""
    candidate = Household(territory=territory, **household_values)
    candidate.full_clean(exclude=["lock_version"], validate_constraints=False)
    for constraint in Household._meta.constraints:
        if constraint.name != "household_number_unique":
            constraint.validate(Household, candidate)
    key = {"payer": candidate.payer, "caf_number": candidate.caf_number}
    defaults = {
        name: getattr(candidate, name)
        for name in ("address", "commune", "family_situation", "homeless", "territory")
    }
    household, created = Household.objects.get_or_create(**key, defaults=defaults)
    if not created and not Household.objects.visible_to(user).filter(pk=household.pk).exists():
        raise OutOfScope(target=RefusedTarget.HOUSEHOLD, object_id=household.pk)
    return household, created


def _same_identity(names, birth_date):
    """The people of the base (not anonymised) born on `birth_date` and known under one of
    the identity keys of `names` (last name, birth name, first name), oldest first."""
    wanted = identity_keys(*names)
    born_that_day = Beneficiary.objects.filter(
        birth_date=birth_date, anonymised_on__isnull=True
    ).select_related("household")
    return [
        person
        for person in born_that_day.order_by("pk")
        if identity_keys(person.last_name, person.birth_name, person.first_name) & wanted
    ]


def _household_join(*, household, role, claimed):
    """A person of `role` joins the existing `household` (locked until the end of the
    transaction): refuses (ValidationError on « household_role ») a second demandeur or
    conjoint, and sets the family situation the roles and the form's `claimed` one give
    (households.household_situation), with a new version when it changes."""
    locked = Household.objects.select_for_update(of=("self",)).get(pk=household.pk)
    roles = Counter(
        locked.members.filter(anonymised_on__isnull=True).values_list("household_role", flat=True)
    )
    if role in SINGLE_ROLES and roles[role]:
        raise ValidationError(
            {
                "household_role": (
                    f"Ce foyer a déjà un {HouseholdRole(role).label} : un foyer n'en compte "
                    "qu'un ; vérifiez le rôle de la personne ou le numéro d'allocataire."
                )
            }
        )
    roles[role] += 1
    situation = household_situation(roles, {locked.family_situation, claimed} - {None})
    if situation != locked.family_situation:
        locked.family_situation = situation
        locked.lock_version += 1
        locked.save(update_fields=["family_situation", "lock_version", "updated_at"])
        household.family_situation, household.lock_version = situation, locked.lock_version


@transaction.atomic
def beneficiary_create(
    *,
    household_values,
    person_values,
    territory,
    user,
    referent=None,
    what="dossier",
    homonyms_confirmed=False,
):
    """A person, in the household of that CAF/MSA number (created if it does not exist), with
    their first référent when `referent` is given (required of a manager: without one, the
    person would not be followed by the manager's structure).

    The same identity (names as `search.identity_keys` compares them, and birth date) in the
    same household is the same person: refused (DuplicatePerson, naming the file), never
    created twice, even by two requests at once (the household is locked while it is
    checked). The same identity in another household is a probable homonym: refused
    (ProbableHomonym) unless `homonyms_confirmed`. A household or a person outside `user`'s
    scope is refused (OutOfScope) in words that reveal nothing of the other file. `what`
    names the write in the file's access log ("import" for a spreadsheet). Returns the new
    Beneficiary."""
    if user.role == Role.MANAGER and referent is None:
        raise ValidationError(
            "Désignez un référent de votre structure : sans lui, la personne ne serait pas "
            "suivie par votre structure."
        )
    names = (
        person_values["last_name"],
        person_values.get("birth_name", ""),
        person_values["first_name"],
    )
    key = search_key(*names)
    household, created = household_for(
        household_values=household_values, territory=territory, user=user
    )
    # A second request for the same person waits here until the first one is committed,
    # then finds them.
    household = Household.objects.select_for_update().get(pk=household.pk)
    same_identity = _same_identity(names, person_values["birth_date"])
    visible = set(
        Beneficiary.objects.visible_to(user)
        .filter(pk__in=[person.pk for person in same_identity])
        .values_list("pk", flat=True)
    )
    for person in same_identity:
        if person.household_id == household.pk:
            if person.pk in visible:
                raise DuplicatePerson(person)
            raise OutOfScope(target=RefusedTarget.FILE, object_id=person.pk)
    if same_identity and not homonyms_confirmed:
        raise ProbableHomonym(
            visible=[person for person in same_identity if person.pk in visible],
            hidden=len([person for person in same_identity if person.pk not in visible]),
        )
    if not created:
        _household_join(
            household=household,
            role=person_values["household_role"],
            claimed=household_values.get("family_situation"),
        )
    person = Beneficiary(household=household, search_key=key, **person_values)
    person.full_clean(exclude=["lock_version", "search_key"])
    person.save()
    record_access(user=user, beneficiary=person, operation=FileOperation.CREATE, what=what)
    if not created:
        _trace_household_members(
            household=household, except_person=person, user=user, what="foyer : nouveau membre"
        )
    if referent is not None:
        referent_assign(
            beneficiary=person,
            referent=referent,
            start_date=timezone.localdate(),
            reason=AssignmentReason.FIRST,
            by=user,
        )
    return person


@transaction.atomic
def beneficiary_update(
    *,
    beneficiary,
    expected_version,
    values,
    household_values,
    user,
    expected_household_version=None,
    what="identité et foyer",
):
    """Change the person (`values`) and their household (`household_values`, left untouched
    when empty; then `expected_household_version` is required). Both are versioned: a save
    based on an older version of either is refused (ConcurrentEdit). A change of the household
    is traced on the file of each of its other members. `what` names the write in the file's
    access log."""
    person = _lock_person(beneficiary.pk)
    check_lock_version(person, expected_version)
    if household_values:
        household = Household.objects.select_for_update().get(pk=person.household_id)
        for field, value in household_values.items():
            setattr(household, field, value)
        if household.commune_id:
            household.territory = household.commune.territory
        save_with_lock(
            household,
            expected_version=expected_household_version,
            fields=[*household_values, "territory", "updated_at"],
        )
        _trace_household_members(
            household=household, except_person=person, user=user, what="foyer modifié"
        )
    for field, value in values.items():
        setattr(person, field, value)
    person.search_key = search_key(person.last_name, person.birth_name, person.first_name)
    save_with_lock(
        person, expected_version=expected_version, fields=[*values, "search_key", "updated_at"]
    )
    record_access(user=user, beneficiary=person, operation=FileOperation.UPDATE, what=what)
    return person


# --- Référents -------------------------------------------------------------------------------


# A bulk reassignment is done in the request up to this many people (a few seconds at most);
# a larger selection is refused with a message asking to narrow it.
REASSIGN_MAX_PEOPLE = 500

_OTHER_ORGANISME = (
    "{referent} n'est pas un référent de l'organisme vers lequel la personne est orientée : "
    "{names}."
)
_OTHER_ORGANISME_MANY = (
    "{referent} n'est pas un référent de l'organisme vers lequel ces personnes sont orientées : "
    "{names}. Retirez-les de la sélection ou choisissez un autre référent."
)


def _check_referent(referent, by):
    if referent.role != Role.REFERENT or not referent.is_active:
        raise ValidationError(f"{referent} n'est pas un référent en activité.")
    if referent.departed_on is not None:
        raise ValidationError(
            f"{referent} a quitté sa structure : choisissez un référent en poste."
        )
    if by.role == Role.MANAGER and referent.organisation_id != by.organisation_id:
        raise ValidationError("Vous ne pouvez désigner qu'un référent de votre structure.")


def _referent_fits(referent, oriented_to, by):
    """Whether `referent` may follow a person oriented to the organisation `oriented_to` (an
    id, None when not oriented yet), named by `by`: a référent of that organisme, or of the
    manager's own structure (which follows the person or to which they are oriented)."""
    if oriented_to is None or referent.organisation_id == oriented_to:
        return True
    return by.role == Role.MANAGER and referent.organisation_id == by.organisation_id


def people_names(people, shown=5):
    """« DUPONT Jean, MARTIN Léa et 3 autres »: the first `shown` of `people` by name."""
    names = [f"{p.last_name.upper()} {p.first_name}" for p in people]
    if len(names) <= shown:
        return ", ".join(names)
    rest = len(names) - shown
    return f"{', '.join(names[:shown])} et {rest} autre{'s' if rest > 1 else ''}"


@transaction.atomic
def referent_assign(*, beneficiary, referent, start_date, reason, by, note=""):
    """Name the person's référent from `start_date`; the previous assignment ends that day."""
    _check_referent(referent, by)
    _not_in_future(start_date, "La date de désignation")
    check_event_dates(_lock_person(beneficiary.pk), start_date=start_date)
    current = ReferentAssignment.objects.open().filter(beneficiary=beneficiary).first()
    oriented_to = (
        OrientationDecision.objects.filter(beneficiary=beneficiary, is_current=True)
        .values_list("organisme_id", flat=True)
        .first()
    )
    if not _referent_fits(referent, oriented_to, by):
        raise ValidationError(_OTHER_ORGANISME.format(referent=referent, names=str(beneficiary)))
    if current is not None:
        if current.referent_id == referent.pk:
            raise ValidationError(f"{referent} est déjà le référent de cette personne.")
        if start_date < current.start_date:
            raise ValidationError("La nouvelle désignation ne peut pas précéder la précédente.")
        current.end_date = start_date
        current.save(update_fields=["end_date"])
    assignment = ReferentAssignment.objects.create(
        beneficiary=beneficiary,
        referent=referent,
        structure_id=referent.organisation_id,
        start_date=start_date,
        reason=reason,
        note=note,
        assigned_by=by,
    )
    record_access(
        user=by, beneficiary=beneficiary, operation=FileOperation.UPDATE, what="référent désigné"
    )
    return assignment


@transaction.atomic
def referent_record_departure(*, referent, departed_on, by):
    """Record that `referent` leaves (or has left) on `departed_on` (a date): from now on no
    one is assigned to them (User.objects.assignable_referents); those they follow stay
    theirs until moved. A manager records it for a référent of their structure, a pilot for
    any. Raises ValidationError otherwise, or when a departure is already recorded. Returns
    the referent, locked and saved."""
    referent = User.objects.select_for_update().get(pk=referent.pk)
    if referent.role != Role.REFERENT:
        raise ValidationError(f"{referent} n'est pas un référent.")
    if by.role == Role.MANAGER and referent.organisation_id != by.organisation_id:
        raise ValidationError("Ce référent n'est pas de votre structure.")
    if by.role not in (Role.MANAGER, Role.PILOT):
        raise ValidationError("Seuls les responsables et les pilotes déclarent un départ.")
    if referent.departed_on is not None:
        raise ValidationError(
            f"Le départ de {referent} est déjà enregistré (le {referent.departed_on:%d/%m/%Y})."
        )
    referent.departed_on = departed_on
    referent.full_clean()
    referent.save(update_fields=["departed_on"])
    return referent


@transaction.atomic
def referent_reassign_people(*, people_ids, to_referent, start_date, reason, by, note=""):
    """Move exactly the people `people_ids` (Beneficiary ids) to `to_referent` from
    `start_date`: each current assignment ends that day and a new one opens, each file traced
    (« référent réaffecté »). People not yet followed get their first assignment. Returns how
    many were moved, always len(set(people_ids)).

    All or nothing (one transaction, the people and their assignments locked); raises
    ValidationError, nothing moved, when: the selection is empty or above
    REASSIGN_MAX_PEOPLE; one of the ids is outside `by`'s scope (Beneficiary.visible_to);
    `to_referent` is not an active référent, has departed, or (for a manager) is of another
    structure; someone has left the dispositif (an exit), is anonymised, or is followed by
    `to_referent` already; `to_referent` is not of the organisme the person is oriented to
    (a manager may name one of their structure) (naming them); a current assignment starts after
    `start_date`. CASF L262-27: the référent is named by the organisme of the orientation."""
    _check_referent(to_referent, by)
    _not_in_future(start_date, "La date de réaffectation")
    ids = set(people_ids)
    if not ids:
        raise ValidationError("Sélectionnez au moins une personne.")
    if len(ids) > REASSIGN_MAX_PEOPLE:
        raise ValidationError(
            f"Vous avez sélectionné {len(ids)} personnes : on ne peut en réaffecter que "
            f"{REASSIGN_MAX_PEOPLE} à la fois. Filtrez la liste pour réduire la sélection."
        )
    people = list(
        Beneficiary.objects.visible_to(by)
        .filter(pk__in=ids)
        .select_for_update(of=("self",))
        .order_by("last_name", "first_name", "pk")
    )
    if len(people) != len(ids):
        outside = len(ids) - len(people)
        raise ValidationError(
            f"{outside} des personnes choisies "
            f"{'ne sont' if outside > 1 else 'n’est'} pas dans votre périmètre : "
            "personne n'a été réaffecté."
        )
    current = {
        a.beneficiary_id: a
        for a in ReferentAssignment.objects.open()
        .filter(beneficiary_id__in=ids)
        .select_for_update()
    }
    oriented = dict(
        OrientationDecision.objects.filter(is_current=True, beneficiary_id__in=ids).values_list(
            "beneficiary_id", "organisme_id"
        )
    )
    exited = set(
        Exit.objects.filter(beneficiary_id__in=ids).values_list("beneficiary_id", flat=True)
    )
    refusals = [
        (
            [p for p in people if p.pk in exited or p.anonymised_on],
            "Ces personnes ont quitté le dispositif : {names}. Retirez-les de la sélection.",
        ),
        (
            [p for p in people if p.pk in current and current[p.pk].referent_id == to_referent.pk],
            f"Ces personnes sont déjà suivies par {to_referent} : {{names}}.",
        ),
        (
            [p for p in people if not _referent_fits(to_referent, oriented.get(p.pk), by)],
            _OTHER_ORGANISME_MANY.replace("{referent}", str(to_referent)),
        ),
        (
            [p for p in people if p.pk in current and current[p.pk].start_date > start_date],
            "Le référent actuel de ces personnes a été désigné après cette date : {names}. "
            "Choisissez une date plus tardive.",
        ),
    ]
    for concerned, message in refusals:
        if concerned:
            raise ValidationError(message.format(names=people_names(concerned)))
    ReferentAssignment.objects.filter(pk__in=[a.pk for a in current.values()]).update(
        end_date=start_date
    )
    ReferentAssignment.objects.bulk_create(
        ReferentAssignment(
            beneficiary=person,
            referent=to_referent,
            structure_id=to_referent.organisation_id,
            start_date=start_date,
            reason=reason,
            note=note,
            assigned_by=by,
        )
        for person in people
    )
    FileAccess.objects.bulk_create(
        FileAccess(
            beneficiary=person,
            user=by,
            operation=FileOperation.UPDATE,
            what="référent réaffecté",
        )
        for person in people
    )
    return len(people)


# --- Orientation -----------------------------------------------------------------------------


@transaction.atomic
def orientation_decide(
    *,
    beneficiary,
    parcours,
    organisme,
    decided_on,
    notified_on,
    by,
    reason="",
    team_consulted=False,
    decided_by="Président du conseil départemental",
):
    _not_in_future(decided_on, "La date de décision")
    _not_in_future(notified_on, "La date de notification")
    check_event_dates(_lock_person(beneficiary.pk), decided_on=decided_on, notified_on=notified_on)
    previous = OrientationDecision.objects.filter(beneficiary=beneficiary, is_current=True).first()
    if previous is not None:
        if not reason.strip():
            raise ValidationError("Une réorientation est motivée : indiquez le motif.")
        if decided_on < previous.decided_on:
            raise ValidationError("La réorientation ne peut pas précéder l'orientation en cours.")
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    decision = OrientationDecision(
        beneficiary=beneficiary,
        parcours=parcours,
        organisme=organisme,
        decided_on=decided_on,
        notified_on=notified_on,
        decided_by=decided_by,
        is_reorientation=previous is not None,
        reason=reason.strip(),
        team_consulted=team_consulted,
        recorded_by=by,
    )
    decision.full_clean()
    decision.save()
    record_access(
        user=by,
        beneficiary=beneficiary,
        operation=FileOperation.UPDATE,
        what="réorientation" if previous else "orientation",
    )
    return decision


# --- Reorientation requests -------------------------------------------------------------------


@transaction.atomic
def reorientation_request(*, beneficiary, reason, proposed_parcours, proposed_organisme, by):
    """A request that `beneficiary` be reoriented to `proposed_parcours` (a Parcours value)
    with `proposed_organisme` (an Organisation of REFERENT_ORGANISME_KINDS), for `reason`
    (text, required). A ReorientationRequest, pending. Raises ValidationError (French) when
    the person is not oriented yet, has left, already has a pending request, or when the
    proposal is the current orientation itself. The decision (CASF L262-31) is
    `reorientation_decide`'s."""
    person = _lock_person(beneficiary.pk)
    if Exit.objects.filter(beneficiary=person).exists():
        raise ValidationError("Cette personne est sortie du dispositif : elle n'est plus orientée.")
    current = OrientationDecision.objects.filter(beneficiary=person, is_current=True).first()
    if current is None:
        raise ValidationError(
            "Cette personne n'est pas encore orientée : une réorientation suppose une "
            "orientation en cours."
        )
    if ReorientationRequest.objects.filter(
        beneficiary=person, status=ReorientationStatus.PENDING
    ).exists():
        raise ValidationError(
            "Une demande de réorientation est déjà en attente pour cette personne : "
            "attendez sa décision."
        )
    if proposed_organisme.kind not in REFERENT_ORGANISME_KINDS:
        raise ValidationError("Cet organisme ne peut pas être organisme référent.")
    if current.parcours == proposed_parcours and current.organisme_id == proposed_organisme.pk:
        raise ValidationError(
            "C'est l'orientation en cours : proposez un autre parcours ou un autre organisme."
        )
    request = ReorientationRequest(
        beneficiary=person,
        requested_by=by,
        reason=reason.strip(),
        proposed_parcours=proposed_parcours,
        proposed_organisme=proposed_organisme,
    )
    request.full_clean()
    request.save()
    record_access(
        user=by, beneficiary=person, operation=FileOperation.CREATE, what="demande de réorientation"
    )
    return request


@transaction.atomic
def reorientation_decide(*, request, accept, by, decision_note=""):
    """The manager's or the pilot's decision on a pending `request`. Accepted (`accept`
    True): a new orientation is recorded through `orientation_decide` (decided today, the
    request's reason as the reorientation's, the same rules as « Réorienter ») and linked to
    the request. Refused: `decision_note` (the reason, required) is recorded. The request,
    updated. Raises ValidationError (French) when it is decided already, or refused without
    a reason."""
    request = (
        ReorientationRequest.objects.select_for_update(of=("self",))
        .select_related("beneficiary", "proposed_organisme")
        .get(pk=request.pk)
    )
    if request.status != ReorientationStatus.PENDING:
        raise ValidationError(
            f"Cette demande est déjà {request.get_status_display()} : elle ne se décide "
            "qu'une fois."
        )
    note = decision_note.strip()
    if not accept and not note:
        raise ValidationError("Indiquez le motif du refus de la réorientation.")
    if accept:
        request.orientation = orientation_decide(
            beneficiary=request.beneficiary,
            parcours=request.proposed_parcours,
            organisme=request.proposed_organisme,
            decided_on=_today(),
            notified_on=None,
            by=by,
            reason=request.reason,
        )
    request.status = ReorientationStatus.ACCEPTED if accept else ReorientationStatus.REFUSED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note
    request.full_clean()
    request.save()
    record_access(
        user=by,
        beneficiary=request.beneficiary,
        operation=FileOperation.UPDATE,
        what="réorientation acceptée" if accept else "réorientation refusée",
    )
    return request


# --- Contracts -------------------------------------------------------------------------------


def _build_contract(beneficiary, values, planned, by):
    contract = Contract(beneficiary=beneficiary, created_by=by, **values)
    if contract.kind == ContractKind.CE and contract.weekly_hours >= 15:
        contract.hours_reduction = ""
    contract.full_clean(exclude=["lock_version", "revises", "is_current"])
    _not_in_future(contract.signed_on, "La date de signature")
    check_event_dates(beneficiary, start_date=contract.start_date, signed_on=contract.signed_on)
    return contract


def _save_planned(contract, planned):
    PlannedAction.objects.bulk_create(
        PlannedAction(contract=contract, kind=kind, description=description, action=action)
        for kind, description, action in planned
    )


def _check_no_overlap(contract, *, revised=None):
    """Refuses `contract` (a new one, or the revision of `revised`) when its period overlaps
    another contract of the person: the latest version of any other contract (a version
    revised since is history). Two periods that only share the day one ends and the other
    starts do not overlap. The caller holds the person's lock, so that two posts at once
    cannot both pass."""
    others = Contract.objects.filter(
        beneficiary_id=contract.beneficiary_id,
        revision__isnull=True,
        start_date__lt=contract.end_date,
        end_date__gt=contract.start_date,
    )
    if revised is not None:
        others = others.exclude(pk=revised.pk)
    other = others.order_by("start_date", "pk").first()
    if other is not None:
        raise ValidationError(
            f"Un contrat couvre déjà cette période : {other.get_kind_display()} du "
            f"{other.start_date:%d/%m/%Y} au {other.end_date:%d/%m/%Y}. Révisez-le plutôt que "
            "d'en enregistrer un autre."
        )


@transaction.atomic
def contract_create(*, beneficiary, values, planned, by):
    """A new contract (first one, or after the previous one ended); it becomes the current one.
    `values`: the ContractForm's values; `planned`: [(PlannedActionKind, description, Action or
    None)]. Raises ValidationError (French message) for a period that overlaps another
    contract of the person (to be revised instead), a date before the person's birth or RSA
    request or more than a year ahead (event_dates), a contract the model refuses."""
    person = _lock_person(beneficiary.pk)
    contract = _build_contract(person, values, planned, by)
    _check_no_overlap(contract)
    Contract.objects.filter(beneficiary=beneficiary, is_current=True).update(is_current=False)
    contract.save()
    _save_planned(contract, planned)
    record_access(user=by, beneficiary=beneficiary, operation=FileOperation.CREATE, what="contrat")
    return contract


@transaction.atomic
def contract_revise(*, contract, expected_version, values, planned, reason, by):
    """A revision: a new version of the contract; the earlier one is kept as it was."""
    _lock_person(contract.beneficiary_id)
    current = Contract.objects.select_for_update().get(pk=contract.pk)
    check_lock_version(current, expected_version)
    if not current.is_current:
        raise ValidationError(
            "Ce contrat a déjà été révisé ou remplacé : révisez la version en cours."
        )
    if not reason.strip():
        raise ValidationError("Indiquez le motif de la révision.")
    revision = _build_contract(current.beneficiary, values, planned, by)
    _check_no_overlap(revision, revised=current)
    revision.revises = current
    revision.revision_reason = reason.strip()
    current.is_current = False
    current.lock_version += 1
    current.save(update_fields=["is_current", "lock_version"])
    revision.save()
    _save_planned(revision, planned)
    record_access(
        user=by,
        beneficiary=current.beneficiary,
        operation=FileOperation.UPDATE,
        what="contrat révisé",
    )
    return revision


# --- The parcours ----------------------------------------------------------------------------


@transaction.atomic
def interview_add(*, beneficiary, kind, date, note, by):
    """An interview of the person with `by` on `date` (not in the future, nor before the
    person's birth or RSA request: event_dates)."""
    _not_in_future(date, "La date de l'entretien")
    check_event_dates(_lock_person(beneficiary.pk), date=date)
    interview = Interview(beneficiary=beneficiary, kind=kind, date=date, note=note, referent=by)
    interview.full_clean()
    interview.save()
    record_access(
        user=by, beneficiary=beneficiary, operation=FileOperation.CREATE, what="entretien"
    )
    return interview


@transaction.atomic
def obstacle_identify(*, beneficiary, kind, identified_on, note, by):
    _not_in_future(identified_on, "La date")
    check_event_dates(_lock_person(beneficiary.pk), identified_on=identified_on)
    if beneficiary.obstacles.filter(kind=kind).exclude(status=ObstacleStatus.LIFTED).exists():
        raise ValidationError("Ce frein est déjà identifié et n'est pas levé.")
    obstacle = Obstacle(beneficiary=beneficiary, kind=kind, identified_on=identified_on, note=note)
    obstacle.full_clean()
    obstacle.save()
    record_access(user=by, beneficiary=beneficiary, operation=FileOperation.CREATE, what="frein")
    return obstacle


@transaction.atomic
def obstacle_progress(*, obstacle, status, on, actions, by):
    """identified -> being addressed -> lifted, with the actions used to lift it.

    `status` is ObstacleStatus.ADDRESSED or LIFTED, `on` the date it happened (not in the
    future, not before the identification, plausible for the person: event_dates); a frein
    lifted straight from « identifié » keeps no « en cours de traitement » date, as that step
    never happened. Raises ValidationError for a step back or a bad date."""
    check_event_dates(_lock_person(obstacle.beneficiary_id), on=on)
    obstacle = Obstacle.objects.select_for_update().get(pk=obstacle.pk)
    order = [ObstacleStatus.IDENTIFIED, ObstacleStatus.ADDRESSED, ObstacleStatus.LIFTED]
    if order.index(status) <= order.index(obstacle.status):
        raise ValidationError(f"Ce frein est déjà « {obstacle.get_status_display()} ».")
    _not_in_future(on, "La date")
    if on < obstacle.identified_on:
        raise ValidationError("La date ne peut pas précéder l'identification du frein.")
    obstacle.status = status
    if status == ObstacleStatus.ADDRESSED:
        obstacle.addressed_on = on
    else:
        obstacle.lifted_on = on
    obstacle.full_clean()
    obstacle.save()
    if actions:
        obstacle.actions.add(*actions)
    record_access(
        user=by, beneficiary=obstacle.beneficiary, operation=FileOperation.UPDATE, what="frein"
    )
    return obstacle


@transaction.atomic
def prescription_create(*, beneficiary, action, note, send, by):
    if action.status not in (ActionStatus.OPEN, ActionStatus.FULL):
        raise ValidationError("Cette action n'est pas ouverte aux prescriptions.")
    if hasattr(beneficiary, "exit"):
        raise ValidationError("Cette personne est sortie du dispositif.")
    prescription = Prescription(
        beneficiary=beneficiary,
        action=action,
        status=PrescriptionStatus.SENT if send else PrescriptionStatus.PROPOSED,
        prescribed_by=by,
        prescribed_on=_today(),
        note=note,
    )
    prescription.full_clean()
    prescription.save()
    record_access(
        user=by, beneficiary=beneficiary, operation=FileOperation.CREATE, what="prescription"
    )
    return prescription


def _lock_prescription(prescription, allowed, verb):
    prescription = (
        Prescription.objects.select_for_update().select_related("action").get(pk=prescription.pk)
    )
    if prescription.status not in allowed:
        raise ValidationError(
            f"Cette prescription est « {prescription.get_status_display()} » : "
            f"on ne peut pas la {verb}."
        )
    return prescription


def _touch(prescription, fields):
    prescription.lock_version += 1
    prescription.full_clean()
    prescription.save(update_fields=[*fields, "lock_version"])


@transaction.atomic
def prescription_send(*, prescription, by):
    prescription = _lock_prescription(prescription, [PrescriptionStatus.PROPOSED], "envoyer")
    prescription.status = PrescriptionStatus.SENT
    _touch(prescription, ["status"])
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="prescription envoyée",
    )
    return prescription


@transaction.atomic
def prescription_accept(*, prescription, by):
    """The operator accepts: a place of the action is taken, if one is left."""
    prescription = _lock_prescription(prescription, [PrescriptionStatus.SENT], "accepter")
    if not action_take_place(action=prescription.action):
        raise ValidationError(
            "Il n'y a plus de place libre dans cette action : refusez la prescription "
            "ou libérez une place."
        )
    prescription.status = PrescriptionStatus.ACCEPTED
    prescription.answered_on = _today()
    _touch(prescription, ["status", "answered_on"])
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="prescription acceptée",
    )
    return prescription


@transaction.atomic
def prescription_refuse(*, prescription, reason, by):
    prescription = _lock_prescription(prescription, [PrescriptionStatus.SENT], "refuser")
    if not reason.strip():
        raise ValidationError("Indiquez le motif du refus.")
    prescription.status = PrescriptionStatus.REFUSED
    prescription.refusal_reason = reason.strip()
    prescription.answered_on = _today()
    _touch(prescription, ["status", "refusal_reason", "answered_on"])
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="prescription refusée",
    )
    return prescription


@transaction.atomic
def prescription_refusal_acknowledge(*, prescription, by):
    """The référent has read the operator's refusal of `prescription` (« Prise en compte »):
    records who and when, and the due item « prescription refusée » goes from the file and
    the portfolio. Raises ValidationError (French) for a prescription that is not refused, or
    whose refusal was already taken into account."""
    prescription = _lock_prescription(
        prescription, [PrescriptionStatus.REFUSED], "prendre en compte"
    )
    if prescription.refusal_seen_on is not None:
        raise ValidationError(
            f"Ce refus a déjà été pris en compte le {prescription.refusal_seen_on:%d/%m/%Y}."
        )
    prescription.refusal_seen_on = _today()
    prescription.refusal_seen_by = by
    _touch(prescription, ["refusal_seen_on", "refusal_seen_by"])
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="refus de prescription pris en compte",
    )
    return prescription


@transaction.atomic
def prescription_start(*, prescription, started_on, sessions_planned, by):
    prescription = _lock_prescription(prescription, [PrescriptionStatus.ACCEPTED], "commencer")
    _not_in_future(started_on, "La date d'entrée")
    check_event_dates(prescription.beneficiary, started_on=started_on)
    prescription.status = PrescriptionStatus.STARTED
    prescription.started_on = started_on
    prescription.sessions_planned = sessions_planned
    _touch(prescription, ["status", "started_on", "sessions_planned"])
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="entrée en action",
    )
    return prescription


@transaction.atomic
def prescription_attendance(*, prescription, sessions_planned, sessions_attended, by):
    prescription = _lock_prescription(prescription, [PrescriptionStatus.STARTED], "modifier")
    prescription.sessions_planned = sessions_planned
    prescription.sessions_attended = sessions_attended
    _touch(prescription, ["sessions_planned", "sessions_attended"])
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="présences",
    )
    return prescription


# --- Hours of activity done ------------------------------------------------------------------


def _check_week(prescription, week):
    """Refuse a week that is not a Monday, that ends before the person entered the action, or
    that has not begun yet (ValidationError, in French)."""
    if week != week_start(week):
        raise ValidationError("Une semaine est désignée par son lundi.")
    if week > _today():
        raise ValidationError("On ne saisit pas les heures d'une semaine qui n'a pas commencé.")
    if prescription.started_on and week + datetime.timedelta(days=6) < prescription.started_on:
        raise ValidationError(
            f"La personne est entrée dans l'action le {prescription.started_on:%d/%m/%Y} : "
            "cette semaine est antérieure."
        )


def _derive_sessions(prescription):
    """`sessions_attended` of the prescription is the sum of the sessions of its weeks, as soon
    as one week carries sessions (otherwise it is left as the operator entered it)."""
    total = prescription.attendances.exclude(sessions__isnull=True).aggregate(n=Sum("sessions"))
    if total["n"] is None:
        return
    if total["n"] > prescription.sessions_planned:
        raise ValidationError(
            f"Cela ferait {total['n']} séances suivies pour {prescription.sessions_planned} "
            "prévues : corrigez d'abord le nombre de séances prévues."
        )
    prescription.sessions_attended = total["n"]
    _touch(prescription, ["sessions_attended"])


@transaction.atomic
def attendance_record(*, prescription, week, hours, sessions=None, by):
    """Record (or correct) the hours a person did in the action in the ISO week of Monday
    `week` (a date): `hours` a Decimal from 0 to 60, `sessions` the sessions attended that week
    or None. Only on a started prescription. Raises ValidationError (in French) for a closed
    prescription, a week before the entry or still to come, hours out of range, or sessions
    beyond those planned. Returns the Attendance. The file's log names the write, never the
    hours."""
    prescription = _lock_prescription(
        prescription, [PrescriptionStatus.STARTED], "compléter d'heures"
    )
    _check_week(prescription, week)
    row = Attendance.objects.filter(prescription=prescription, week=week).first() or Attendance(
        prescription=prescription, week=week
    )
    row.hours, row.sessions, row.recorded_by = hours, sessions, by
    row.full_clean(validate_unique=False)
    row.save()
    _derive_sessions(prescription)
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="heures d'activité",
    )
    return row


@transaction.atomic
def attendance_record_week(*, prescriptions, week, hours, by):
    """Record the hours of a whole group in one week: `prescriptions` the started
    prescriptions of one action (as the operator reaches them), `hours` {prescription id:
    Decimal or None}; None leaves the person's week as it was (not recorded, or unchanged).
    Rows are written in bulk (one insert or update per row in the database, a fixed number of
    queries), with one trace per person written. Sessions already recorded for the week are
    kept. Raises ValidationError (in French) naming the first person whose week is refused;
    nothing is written then. Returns the number of people written."""
    locked = list(
        Prescription.objects.select_for_update(of=("self",))
        .filter(pk__in=[p.pk for p in prescriptions], status=PrescriptionStatus.STARTED)
        .select_related("beneficiary")
        .order_by("pk")
    )
    rows = []
    for prescription in locked:
        value = hours.get(prescription.pk)
        if value is None:
            continue
        try:
            _check_week(prescription, week)
        except ValidationError as error:
            person = prescription.beneficiary
            raise ValidationError(
                f"{person.first_name} {person.last_name.upper()} : {error.messages[0]}"
            ) from error
        row = Attendance(prescription=prescription, week=week, hours=value, recorded_by=by)
        row.full_clean(exclude=["prescription", "recorded_by"], validate_unique=False)
        rows.append(row)
    Attendance.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["prescription", "week"],
        update_fields=["hours", "recorded_by", "recorded_at"],
    )
    FileAccess.objects.bulk_create(
        FileAccess(
            user=by,
            beneficiary_id=row.prescription.beneficiary_id,
            operation=FileOperation.UPDATE,
            what="heures d'activité",
        )
        for row in rows
    )
    return len(rows)


@transaction.atomic
def prescription_end(*, prescription, completed, ended_on, outcome, by):
    """The person leaves the action (completed or abandoned): the place is given back."""
    allowed = [PrescriptionStatus.ACCEPTED, PrescriptionStatus.STARTED]
    if by.role == Role.REFERENT:
        allowed += [PrescriptionStatus.PROPOSED, PrescriptionStatus.SENT]
    prescription = _lock_prescription(prescription, allowed, "clore")
    _not_in_future(ended_on, "La date de sortie")
    check_event_dates(prescription.beneficiary, ended_on=ended_on)
    holding = prescription.status in PLACE_HOLDING_STATUSES
    prescription.status = (
        PrescriptionStatus.COMPLETED if completed else PrescriptionStatus.ABANDONED
    )
    prescription.ended_on = ended_on
    prescription.outcome = outcome.strip()
    _touch(prescription, ["status", "ended_on", "outcome"])
    if holding:
        action_release_place(action=prescription.action)
    record_access(
        user=by,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.UPDATE,
        what="sortie d'action",
    )
    return prescription


SITUATION_REQUIRED = (
    "Indiquez la situation à la sortie : l'emploi ou la formation trouvés, "
    "ou « sans emploi ni formation »."
)
SITUATION_REFUSED = (
    "Laissez la situation vide : seule une fin de droit ou une sortie des droits et devoirs "
    "dit ce que la personne a trouvé."
)


LENGTH_REFUSED = (
    "Laissez la durée vide : seule une fin de droit ou une sortie des droits et devoirs dit "
    "quel contrat la personne a trouvé."
)
INTERRUPTED_WITHOUT_JOB = (
    "« interrompue par l'emploi » ne va qu'avec une sortie vers un emploi : choisissez "
    "« terminée » ou « se poursuit », ou dites l'emploi trouvé."
)
PRESCRIPTION_AT_EXIT_REQUIRED = (
    "Dites si cette action est terminée, interrompue par l'emploi ou se poursuit."
)


@transaction.atomic
def exit_record(
    *,
    beneficiary,
    exit_on,
    category,
    contract_type,
    contract_days,
    note,
    by,
    prescriptions_at_exit=None,
):
    """Record the person's exit (an ExitCategory) on `exit_on`, and what they left for.

    `contract_type` (an ExitContract, its length `contract_days` in days for a fixed term) is
    required for an exit for resources or activity (enums.EXITS_FOR_ACTIVITY); for the others
    a job or a training is refused and they are recorded « sans emploi ni formation ».

    `prescriptions_at_exit` ({prescription id: PrescriptionAtExit}) says, for an exit for
    resources or activity, what became of each action the person had started (required for
    each): terminée, interrompue par un emploi (neither completed nor abandoned), or it goes
    on (the place stays held). Other running prescriptions, and every one after another exit,
    are abandoned « sortie du dispositif » and their places freed. Raises ValidationError
    (French message) otherwise."""
    if category in EXITS_FOR_ACTIVITY:
        if not contract_type:
            raise ValidationError(SITUATION_REQUIRED)
    elif contract_type not in ("", None, ExitContract.NONE):
        raise ValidationError(SITUATION_REFUSED)
    elif contract_days:
        raise ValidationError(LENGTH_REFUSED)
    else:
        contract_type = ExitContract.NONE
    beneficiary = _lock_person(beneficiary.pk)
    if Exit.objects.filter(beneficiary=beneficiary).exists():
        raise ValidationError("La sortie de cette personne est déjà enregistrée.")
    _not_in_future(exit_on, "La date de sortie")
    check_event_dates(beneficiary, exit_on=exit_on)
    if exit_on < beneficiary.right_opened_on:
        raise ValidationError("La sortie ne peut pas précéder l'ouverture du droit.")
    if contract_type not in (ExitContract.CDD, ExitContract.TEMP, ExitContract.SUBSIDISED):
        # The field is hidden for these (the length of a permanent job is not asked): a length
        # left from an earlier choice on the page is not the person's.
        contract_days = None
    exit_ = Exit(
        beneficiary=beneficiary,
        exit_on=exit_on,
        category=category,
        contract_type=contract_type,
        contract_days=contract_days,
        note=note,
        recorded_by=by,
    )
    exit_.full_clean()
    exit_.save()
    # The parcours is over: prescriptions still in progress end, and their places are freed,
    # unless the référent says an action the person started goes on.
    at_exit = prescriptions_at_exit or {}
    asked = category in EXITS_FOR_ACTIVITY
    for prescription in beneficiary.prescriptions.filter(
        status__in=LIVE_PRESCRIPTIONS
    ).select_related("action"):
        said = at_exit.get(prescription.pk) if asked else None
        if asked and prescription.status == PrescriptionStatus.STARTED and not said:
            raise ValidationError(
                f"Action « {prescription.action.title} » : {PRESCRIPTION_AT_EXIT_REQUIRED}"
            )
        if said == PrescriptionAtExit.INTERRUPTED and contract_type not in EXIT_JOBS:
            raise ValidationError(
                f"Action « {prescription.action.title} » : {INTERRUPTED_WITHOUT_JOB}"
            )
        if said == PrescriptionAtExit.CONTINUES:
            continue
        holding = prescription.status in PLACE_HOLDING_STATUSES
        if said == PrescriptionAtExit.COMPLETED:
            prescription.status = PrescriptionStatus.COMPLETED
            prescription.outcome = "terminée à la sortie du dispositif"
        elif said == PrescriptionAtExit.INTERRUPTED:
            prescription.status = PrescriptionStatus.INTERRUPTED
            prescription.outcome = "interrompue par un emploi à la sortie du dispositif"
        else:
            prescription.status = PrescriptionStatus.ABANDONED
            prescription.outcome = "sortie du dispositif"
        prescription.ended_on = exit_on
        _touch(prescription, ["status", "ended_on", "outcome"])
        if holding:
            action_release_place(action=prescription.action)
    record_access(user=by, beneficiary=beneficiary, operation=FileOperation.CREATE, what="sortie")
    return exit_


@transaction.atomic
def exits_record_closures(*, closures, by, what):
    """Record at once the exits of many people whose dossier was closed (a closure the CNAF
    flux reports), as `exit_record` does for one: the exit (its category, the CAF's closure
    reason as given, no job), the prescriptions still live ended (« sortie du dispositif »)
    with their places given back, a trace in each file (`what` names its source). For the
    monthly flux at 100,000 households: a constant number of statements per call, whatever
    the number of people.

    `closures` is a list of (person id, exit date, ExitCategory, closure reason code, note).
    Returns {person id: category} of the people whose exit was recorded; a person who has an
    exit already, or is gone, is left as they are (an exit recorded by hand meanwhile stands).
    Checks nothing else: the caller has checked the dates (not in the future, not before the
    right opened) and chosen the category (beneficiaries.closures)."""
    wanted = {pk: (exit_on, category, code, note) for pk, exit_on, category, code, note in closures}
    people = set(
        Beneficiary.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted, exit__isnull=True)
        .values_list("pk", flat=True)
    )
    insert_rows(
        Exit,
        [
            Exit(
                beneficiary_id=pk,
                exit_on=wanted[pk][0],
                category=wanted[pk][1],
                closure_reason=wanted[pk][2][: Exit._meta.get_field("closure_reason").max_length],
                contract_type=ExitContract.NONE,
                note=wanted[pk][3][: Exit._meta.get_field("note").max_length],
                recorded_by=by,
            )
            for pk in sorted(people)
        ],
    )
    prescriptions = list(
        Prescription.objects.select_for_update()
        .filter(beneficiary_id__in=people, status__in=LIVE_PRESCRIPTIONS)
        .order_by("pk")
    )
    released = Counter()
    for prescription in prescriptions:
        if prescription.status in PLACE_HOLDING_STATUSES:
            released[prescription.action_id] += 1
        prescription.status = PrescriptionStatus.ABANDONED
        prescription.ended_on = wanted[prescription.beneficiary_id][0]
        prescription.outcome = "sortie du dispositif"
        prescription.lock_version += 1
    update_rows(Prescription, prescriptions, ["status", "ended_on", "outcome", "lock_version"])
    actions_release_places(released)
    insert_rows(
        FileAccess,
        [
            FileAccess(beneficiary_id=pk, user=by, operation=FileOperation.CREATE, what=what)
            for pk in sorted(people)
        ],
    )
    return {pk: wanted[pk][1] for pk in people}


# --- The follow-ups after an exit (beneficiaries.follow_ups) ------------------------------------


def exit_follow_ups_to_plan(today):
    """{FollowUpMilestone: [(exit id, exit date)]}: the follow-ups due on or before `today` and
    not written yet, of the exits for resources or activity of people still known (not
    anonymised), within follow_ups.CATCH_UP. One query per milestone, served by the unique
    index (exit, milestone)."""
    found = {}
    for milestone in FollowUpMilestone:
        planned = ExitFollowUp.objects.filter(exit=OuterRef("pk"), milestone=milestone)
        found[milestone] = list(
            Exit.objects.filter(
                category__in=EXITS_FOR_ACTIVITY,
                beneficiary__anonymised_on__isnull=True,
                exit_on__gte=follow_ups.earliest_exit_planned(milestone, today),
                exit_on__lte=follow_ups.latest_exit_due(milestone, today),
            )
            .filter(~Exists(planned))
            .order_by("pk")
            .values_list("pk", "exit_on")
        )
    return found


@transaction.atomic
def exit_follow_ups_plan(*, today=None):
    """Write the follow-ups after an exit that have come due by `today` (a date, default the
    day): one row per (exit, milestone), not recorded, due on the exit date plus 3, 6 or 12
    months (beneficiaries.follow_ups). Run every night (`manage.py plan_exit_follow_ups`, or
    the task `beneficiaries.tasks.plan_exit_follow_ups`); running it again writes nothing more.
    Three reads and bulk inserts (pti.bulk), whatever the number of people. Returns
    {FollowUpMilestone: number of follow-ups written}."""
    today = today or _today()
    written = {}
    for milestone, exits in exit_follow_ups_to_plan(today).items():
        insert_rows(
            ExitFollowUp,
            [
                ExitFollowUp(
                    exit_id=pk,
                    milestone=milestone,
                    due_on=follow_ups.due_on(exit_on, milestone),
                )
                for pk, exit_on in exits
            ],
        )
        written[milestone] = len(exits)
    return written


FOLLOW_UP_NOT_FOLLOWED = (
    "Seule une fin de droit ou une sortie des droits et devoirs est suivie après la sortie."
)
FOLLOW_UP_KIND_REQUIRED = "Indiquez le type d'emploi."
FOLLOW_UP_KIND_REFUSED = "Le type d'emploi ne se renseigne que pour une personne en emploi."
FOLLOW_UP_DAYS_REQUIRED = "Indiquez la durée du contrat en jours (CDD, intérim, contrat aidé)."


@transaction.atomic
def exit_follow_up_record(
    *, exit_, milestone, recorded_on, situation, contract_type, contract_days, note, by
):
    """Record the situation found at the follow-up `milestone` (a FollowUpMilestone) of the
    exit `exit_`: the day it was found (`recorded_on`, a date), the situation (a
    FollowUpSituation), in employment its kind (an ExitContract of FOLLOW_UP_EMPLOYMENT) and,
    for a fixed term, its length in days. Writes the follow-up if the nightly planning has not
    yet; traced in the person's file. Returns the ExitFollowUp.

    Raises ValidationError (French message) for an exit that is not followed (not for
    resources or activity), a follow-up not due yet or already recorded, a date before the
    exit or in the future, a kind missing or given out of employment, a length missing."""
    person = _lock_person(exit_.beneficiary_id)
    if exit_.category not in EXITS_FOR_ACTIVITY:
        raise ValidationError(FOLLOW_UP_NOT_FOLLOWED)
    milestone = FollowUpMilestone(milestone)
    due = follow_ups.due_on(exit_.exit_on, milestone)
    if due > _today():
        raise ValidationError(f"Ce suivi n'est à faire qu'à partir du {due:%d/%m/%Y}.")
    _not_in_future(recorded_on, "La date de la situation constatée")
    if recorded_on < exit_.exit_on:
        raise ValidationError("La situation constatée ne peut pas précéder la sortie.")
    check_event_dates(person, recorded_on=recorded_on)
    if situation == FollowUpSituation.EMPLOYED:
        if contract_type not in FOLLOW_UP_EMPLOYMENT:
            raise ValidationError(FOLLOW_UP_KIND_REQUIRED)
    elif contract_type:
        raise ValidationError(FOLLOW_UP_KIND_REFUSED)
    if contract_type in FIXED_TERM_CONTRACTS:
        if not contract_days:
            raise ValidationError(FOLLOW_UP_DAYS_REQUIRED)
    else:
        contract_days = None
    follow_up, _ = ExitFollowUp.objects.select_for_update().get_or_create(
        exit=exit_, milestone=milestone, defaults={"due_on": due}
    )
    if follow_up.situation:
        raise ValidationError("Ce suivi est déjà renseigné.")
    follow_up.situation = situation
    follow_up.contract_type = contract_type or ""
    follow_up.contract_days = contract_days
    follow_up.note = note
    follow_up.recorded_on = recorded_on
    follow_up.recorded_by = by
    follow_up.full_clean()
    follow_up.save()
    record_access(
        user=by,
        beneficiary=person,
        operation=FileOperation.UPDATE,
        what=f"suivi après sortie ({milestone.label})",
    )
    return follow_up


@transaction.atomic
def held_household_resolve(*, held, user, resolution=""):
    """Mark a household of the flux set aside as dealt with by `user` (a pilot), saying how.
    Returns it."""
    held.resolved_at = timezone.now()
    held.resolved_by = user
    held.resolution = resolution or "traité à la main"
    held.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return held
