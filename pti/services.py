"""Writes of the core: the pact, its orientations and objectives, and their lifecycle.

Every function takes keyword arguments, runs in a transaction and refuses what the rules
forbid with a `ValidationError` whose message is shown to the user as it is.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, ProtectedError
from django.utils import timezone

from pti.enums import PactStatus
from pti.models import FROZEN_MESSAGES, Objective, Orientation, Pact
from pti.pdf import render_signed_pact


class ConcurrentEdit(ValidationError):
    """Someone else saved the same record since the form was opened."""


class PactFrozen(ValidationError):
    """The pact version is no longer a draft."""


MISSING_VERSION = (
    "Ce formulaire est incomplet (sa version d'édition manque) : rien n'a été enregistré. "
    "Rechargez la page, puis refaites votre modification."
)


def check_lock_version(instance, expected_version):
    """Refuse the save if `instance` (locked by the caller) changed since the form was built.

    `expected_version` is the version the form (or the server-side writer) read: an int, or
    its text from a form. None is refused too: a save that does not say which version it
    changes could overwrite someone else's, so no write may skip the check."""
    if expected_version is None or expected_version == "":
        raise ConcurrentEdit(MISSING_VERSION)
    if instance.lock_version != int(expected_version):
        raise ConcurrentEdit(
            "Quelqu'un d'autre a enregistré une modification depuis que vous avez ouvert ce "
            "formulaire. Rien n'a été enregistré : rechargez la page pour voir la version "
            "actuelle, puis refaites votre modification."
        )


def save_with_lock(instance, *, expected_version, fields):
    """Full-clean and save `fields` of `instance` (locked by the caller with
    select_for_update), bumping its lock version by one. The new version is a plain number,
    so that the trail of changes records it as one."""
    check_lock_version(instance, expected_version)
    instance.lock_version = instance.lock_version + 1
    instance.full_clean(exclude=["lock_version"])
    instance.save(update_fields=[*fields, "lock_version"])
    return instance


def ensure_draft(pact):
    if pact.status != PactStatus.DRAFT:
        raise PactFrozen(FROZEN_MESSAGES[pact.status])


def lock_pact(pact):
    return Pact.objects.select_for_update(of=("self",)).get(pk=pact.pk)


# --- The pact ------------------------------------------------------------------------------

PACT_FIELDS = [
    "title",
    "department_name",
    "period_start",
    "period_end",
    "preamble",
    "legal_frame",
    "deliberation_date",
]


@transaction.atomic
def pact_create(*, title, department_name, period_start, period_end, preamble="", legal_frame=""):
    pact = Pact(
        code=f"pti-{period_start}-{period_end}",
        title=title,
        department_name=department_name,
        period_start=period_start,
        period_end=period_end,
        preamble=preamble,
        legal_frame=legal_frame,
    )
    if Pact.objects.filter(code=pact.code).exists():
        raise ValidationError(
            f"Un pacte existe déjà pour la période {pact.period_label} : ouvrez-le, "
            "ou créez un avenant s'il est signé."
        )
    pact.full_clean(exclude=["lock_version"])
    pact.save()
    return pact


@transaction.atomic
def pact_update(*, pact, expected_version, **values):
    pact = lock_pact(pact)
    ensure_draft(pact)
    unknown = set(values) - set(PACT_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    for field, value in values.items():
        setattr(pact, field, value)
    return save_with_lock(pact, expected_version=expected_version, fields=list(values))


@transaction.atomic
def pact_adopt(*, pact, deliberation_date):
    """The assemblée départementale voted the pact: it is frozen and goes to signature."""
    pact = lock_pact(pact)
    ensure_draft(pact)
    if deliberation_date is None:
        raise ValidationError("Indiquez la date de la délibération de l'assemblée départementale.")
    if deliberation_date > timezone.localdate():
        raise ValidationError("La date de la délibération ne peut pas être dans le futur.")
    if not pact.orientations.exists():
        raise ValidationError("Un pacte sans orientation ne peut pas être adopté.")
    pact.status = PactStatus.ADOPTED
    pact.deliberation_date = deliberation_date
    pact.lock_version += 1  # locked above: a number, not an expression, for the trail
    pact.save(update_fields=["status", "deliberation_date", "lock_version", "updated_at"])
    pact.refresh_from_db()
    return pact


@transaction.atomic
def pact_mark_signed(*, pact, signed_on):
    """The signature round is over. The version it amends is archived: this one replaces it."""
    pact = lock_pact(pact)
    if pact.status != PactStatus.ADOPTED:
        raise ValidationError(
            "Seul un pacte adopté, en cours de signature, peut être déclaré signé."
        )
    pact.status = PactStatus.SIGNED
    pact.signed_on = signed_on
    pact.lock_version += 1  # locked above: a number, not an expression, for the trail
    pact.save(update_fields=["status", "signed_on", "lock_version", "updated_at"])
    if pact.amends_id:
        previous = lock_pact(pact.amends)
        if previous.status == PactStatus.SIGNED:
            _archive(previous, on=signed_on)
    pact.refresh_from_db()
    # The signed PDF is rendered once, in the background, once the signature is committed.
    transaction.on_commit(lambda: render_signed_pact.enqueue(pact.pk))
    return pact


@transaction.atomic
def pact_archive(*, pact):
    """The pact is over (its period ended, or a later version replaced it)."""
    pact = lock_pact(pact)
    if pact.status != PactStatus.SIGNED:
        raise ValidationError("Seul un pacte signé peut être archivé.")
    _archive(pact, on=timezone.localdate())
    pact.refresh_from_db()
    return pact


def _archive(pact, *, on):
    pact.status = PactStatus.ARCHIVED
    pact.archived_on = on
    pact.lock_version += 1  # locked above: a number, not an expression, for the trail
    pact.save(update_fields=["status", "archived_on", "lock_version", "updated_at"])


@transaction.atomic
def orientations_copy(*, source, target):
    """Copy the orientations of the pact `source`, with their operational objectives, into the
    pact `target` (same keys, positions, titles, descriptions). Returns {orientation id of
    `source`: its copy}. Used by an amendment, and by a new pact that takes up the former
    one's orientations."""
    copies = {}
    for orientation in source.orientations.prefetch_related("objectives").order_by("position"):
        copy = Orientation.objects.create(
            pact=target,
            key=orientation.key,
            position=orientation.position,
            title=orientation.title,
            description=orientation.description,
        )
        Objective.objects.bulk_create(
            Objective(
                orientation=copy,
                key=objective.key,
                position=objective.position,
                title=objective.title,
                description=objective.description,
            )
            for objective in orientation.objectives.all()
        )
        copies[orientation.pk] = copy
    return copies


def pact_copy_as_amendment(*, pact, reason):
    """A new draft version of a signed pact, with copies of its orientations and objectives.

    Returns the new version and a mapping {old orientation id: new orientation} so that the
    apps which hang things on orientations can copy them too. The signed version is untouched.
    """
    pact = lock_pact(pact)
    if pact.status != PactStatus.SIGNED:
        raise ValidationError("Un avenant se fait sur la version signée et en vigueur du pacte.")
    if not reason.strip():
        raise ValidationError("Indiquez l'objet de l'avenant.")
    if Pact.objects.filter(
        code=pact.code, status__in=[PactStatus.DRAFT, PactStatus.ADOPTED]
    ).exists():
        raise ValidationError(
            "Un avenant à ce pacte est déjà en préparation : terminez-le d'abord."
        )
    latest = Pact.objects.filter(code=pact.code).aggregate(latest=Max("version"))["latest"]
    amendment = Pact.objects.create(
        code=pact.code,
        title=pact.title,
        department_name=pact.department_name,
        period_start=pact.period_start,
        period_end=pact.period_end,
        preamble=pact.preamble,
        legal_frame=pact.legal_frame,
        version=latest + 1,
        amends=pact,
        amendment_reason=reason.strip(),
    )
    orientation_map = orientations_copy(source=pact, target=amendment)
    return amendment, orientation_map


# --- Orientations and objectives ---------------------------------------------------------


@transaction.atomic
def orientation_create(*, pact, title, description=""):
    pact = lock_pact(pact)
    ensure_draft(pact)
    last = pact.orientations.aggregate(last=Max("position"))["last"] or 0
    orientation = Orientation(pact=pact, position=last + 1, title=title, description=description)
    orientation.full_clean(exclude=["lock_version"])
    orientation.save()
    return orientation


@transaction.atomic
def orientation_update(*, orientation, expected_version, title, description):
    ensure_draft(lock_pact(orientation.pact))
    orientation = Orientation.objects.select_for_update().get(pk=orientation.pk)
    orientation.title = title
    orientation.description = description
    return save_with_lock(
        orientation, expected_version=expected_version, fields=["title", "description"]
    )


@transaction.atomic
def orientation_delete(*, orientation):
    """Delete an orientation of a draft; refused (ValidationError) while actions or
    commitments of signatories hang on it: they would lose their place in the pact."""
    ensure_draft(lock_pact(orientation.pact))
    pact = orientation.pact
    try:
        with transaction.atomic():
            orientation.delete()
    except ProtectedError:
        raise ValidationError(
            "Des actions ou des engagements de signataires relèvent de cette orientation : "
            "rattachez-les à une autre orientation avant de la supprimer."
        ) from None
    _renumber(pact.orientations.all())


@transaction.atomic
def orientation_move(*, orientation, offset):
    """Move an orientation up (offset -1) or down (+1) in the pact; the numbers follow."""
    ensure_draft(lock_pact(orientation.pact))
    _move(orientation, orientation.pact.orientations.all(), offset)


@transaction.atomic
def objective_create(*, orientation, title, description=""):
    ensure_draft(lock_pact(orientation.pact))
    last = orientation.objectives.aggregate(last=Max("position"))["last"] or 0
    objective = Objective(
        orientation=orientation, position=last + 1, title=title, description=description
    )
    objective.full_clean(exclude=["lock_version"])
    objective.save()
    return objective


@transaction.atomic
def objective_update(*, objective, expected_version, title, description):
    ensure_draft(lock_pact(objective.orientation.pact))
    objective = Objective.objects.select_for_update().get(pk=objective.pk)
    objective.title = title
    objective.description = description
    return save_with_lock(
        objective, expected_version=expected_version, fields=["title", "description"]
    )


@transaction.atomic
def objective_delete(*, objective):
    """Delete an objective of a draft; refused (ValidationError) while actions hang on it."""
    ensure_draft(lock_pact(objective.orientation.pact))
    orientation = objective.orientation
    try:
        with transaction.atomic():
            objective.delete()
    except ProtectedError:
        raise ValidationError(
            "Des actions relèvent de cet objectif : rattachez-les à un autre objectif avant "
            "de le supprimer."
        ) from None
    _renumber(orientation.objectives.all())


@transaction.atomic
def objective_move(*, objective, offset):
    ensure_draft(lock_pact(objective.orientation.pact))
    _move(objective, objective.orientation.objectives.all(), offset)


def _move(item, siblings, offset):
    ordered = list(siblings.select_for_update().order_by("position"))
    index = next(i for i, sibling in enumerate(ordered) if sibling.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    _write_positions(ordered)


def _renumber(siblings):
    _write_positions(list(siblings.select_for_update().order_by("position")))


def _write_positions(ordered):
    """Number 1..n in the given order without ever breaking the (parent, position) uniqueness."""
    if not ordered:
        return
    model = type(ordered[0])
    pks = [item.pk for item in ordered]
    offset = len(ordered) + 1000
    model.objects.filter(pk__in=pks).update(position=F("position") + offset)
    for position, item in enumerate(ordered, start=1):
        model.objects.filter(pk=item.pk).update(position=position)
