"""Writes of the signatories app: parties to the pact, signatures, amendments, commitments,
conventions and governance."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pti.enums import PactStatus
from pti.services import (
    ensure_draft,
    lock_pact,
    pact_copy_as_amendment,
    pact_mark_signed,
    save_with_lock,
)
from signatories.enums import Attendance, SignatoryStatus
from signatories.models import (
    BodyObjective,
    Commitment,
    Convention,
    FollowUp,
    GovernanceBody,
    Meeting,
    MeetingAttendance,
    Signatory,
)

# --- Parties and signatures ------------------------------------------------------------


@transaction.atomic
def signatory_add(*, pact, organisation, signer_name="", signer_title="", position=100):
    """Add a party to a pact still being prepared or signed (draft or adopted)."""
    pact = lock_pact(pact)
    if pact.status not in (PactStatus.DRAFT, PactStatus.ADOPTED):
        raise ValidationError(
            "Ce pacte est signé : on ne peut plus y ajouter de signataire. "
            "Créez un avenant pour associer un nouveau partenaire."
        )
    if pact.signatories.filter(organisation=organisation).exists():
        raise ValidationError(f"{organisation} est déjà signataire de ce pacte.")
    signatory = Signatory(
        pact=pact,
        organisation=organisation,
        signer_name=signer_name,
        signer_title=signer_title,
        position=position,
    )
    signatory.full_clean(exclude=["lock_version"])
    signatory.save()
    return signatory


@transaction.atomic
def signatory_update(*, signatory, expected_version, signer_name, signer_title, position):
    pact = lock_pact(signatory.pact)
    if pact.status not in (PactStatus.DRAFT, PactStatus.ADOPTED):
        raise ValidationError("Ce pacte est signé : ses signataires ne peuvent plus être modifiés.")
    signatory = Signatory.objects.select_for_update().get(pk=signatory.pk)
    if signatory.status == SignatoryStatus.SIGNED:
        raise ValidationError("Cette signature est enregistrée : elle ne peut plus être modifiée.")
    signatory.signer_name = signer_name
    signatory.signer_title = signer_title
    signatory.position = position
    return save_with_lock(
        signatory,
        expected_version=expected_version,
        fields=["signer_name", "signer_title", "position", "updated_at"],
    )


@transaction.atomic
def signatory_remove(*, signatory):
    ensure_draft(lock_pact(signatory.pact))
    signatory.delete()


@transaction.atomic
def signature_record(*, signatory, signer_name, signer_title, signed_on):
    """Record that a party signed. When the last awaited party signs, the pact is signed."""
    pact = lock_pact(signatory.pact)
    if pact.status != PactStatus.ADOPTED:
        raise ValidationError(
            "Les signatures se recueillent une fois le pacte adopté par l'assemblée "
            "départementale, et avant sa clôture."
        )
    signatory = Signatory.objects.select_for_update().get(pk=signatory.pk)
    if signatory.status == SignatoryStatus.SIGNED:
        raise ValidationError(f"La signature de {signatory.organisation} est déjà enregistrée.")
    if signed_on > timezone.localdate():
        raise ValidationError("La date de signature ne peut pas être dans le futur.")
    if pact.deliberation_date and signed_on < pact.deliberation_date:
        raise ValidationError(
            "La date de signature ne peut pas précéder la délibération qui a adopté le pacte "
            f"({pact.deliberation_date:%d/%m/%Y})."
        )
    if not signer_name.strip():
        raise ValidationError("Indiquez le nom de la personne qui a signé.")
    signatory.status = SignatoryStatus.SIGNED
    signatory.signer_name = signer_name.strip()
    signatory.signer_title = signer_title.strip()
    signatory.signed_on = signed_on
    signatory.decline_reason = ""
    save_with_lock(
        signatory,
        expected_version=signatory.lock_version,  # a step of the round, checked by status
        fields=[
            "status",
            "signer_name",
            "signer_title",
            "signed_on",
            "decline_reason",
            "updated_at",
        ],
    )
    if not pact.signatories.filter(status=SignatoryStatus.EXPECTED).exists():
        last_signature = pact.signatories.signed().order_by("-signed_on").first()
        pact_mark_signed(pact=pact, signed_on=last_signature.signed_on)
    return signatory


@transaction.atomic
def signatory_decline(*, signatory, reason):
    """A party declines to sign; the round may then end without it."""
    pact = lock_pact(signatory.pact)
    if pact.status != PactStatus.ADOPTED:
        raise ValidationError("Un refus se note pendant la signature du pacte adopté.")
    if not reason.strip():
        raise ValidationError("Indiquez le motif du refus.")
    signatory = Signatory.objects.select_for_update().get(pk=signatory.pk)
    if signatory.status == SignatoryStatus.SIGNED:
        raise ValidationError("Cette organisation a déjà signé.")
    signatory.status = SignatoryStatus.DECLINED
    signatory.decline_reason = reason.strip()
    save_with_lock(
        signatory,
        expected_version=signatory.lock_version,  # a step of the round, checked by status
        fields=["status", "decline_reason", "updated_at"],
    )
    if not pact.signatories.filter(status=SignatoryStatus.EXPECTED).exists():
        last_signature = pact.signatories.signed().order_by("-signed_on").first()
        if last_signature:
            pact_mark_signed(pact=pact, signed_on=last_signature.signed_on)
    return signatory


@transaction.atomic
def signature_round_close(*, pact):
    """The pilot ends the round before every party signed: the pact is signed as it stands."""
    pact = lock_pact(pact)
    if pact.status != PactStatus.ADOPTED:
        raise ValidationError("Seule la signature d'un pacte adopté peut être clôturée.")
    last_signature = pact.signatories.signed().order_by("-signed_on").first()
    if last_signature is None:
        raise ValidationError(
            "Aucune signature n'est enregistrée : le pacte ne peut pas être clos."
        )
    return pact_mark_signed(pact=pact, signed_on=last_signature.signed_on)


@transaction.atomic
def pact_amend(*, pact, reason):
    """Open an amendment: a draft copy of the signed pact, its parties and their commitments,
    each commitment with its indicator targets and `carried_from` naming the one it copies
    (the partner's figures stay on the version they were entered on; its page reads the
    earlier version's through `carried_from`).

    The parties are asked to sign again; the signed version stays as it is.
    """
    amendment, orientation_map = pact_copy_as_amendment(pact=pact, reason=reason)
    for signatory in pact.signatories.exclude(status=SignatoryStatus.DECLINED).prefetch_related(
        "commitments__indicator_targets"
    ):
        copy = Signatory.objects.create(
            pact=amendment,
            organisation_id=signatory.organisation_id,
            position=signatory.position,
            signer_name=signatory.signer_name,
            signer_title=signatory.signer_title,
        )
        for commitment in signatory.commitments.all():
            commitment_copy = Commitment.objects.create(
                signatory=copy,
                orientation=orientation_map[commitment.orientation_id],
                title=commitment.title,
                description=commitment.description,
                carried_from=commitment,
            )
            _copy_indicator_targets(commitment, commitment_copy)
    return amendment


def _copy_indicator_targets(commitment, commitment_copy):
    """Copy the rows that hang on `commitment` through its reverse relation `indicator_targets`
    (evaluation.Target, which signatories may not import): each row as it is, on the copy.
    Whatever fields the evaluation gives a target are carried over without this app naming
    them."""
    rows = []
    for target in commitment.indicator_targets.all():
        target.pk = None
        target.commitment = commitment_copy
        rows.append(target)
    if rows:
        Commitment.indicator_targets.rel.related_model.objects.bulk_create(rows)


# --- Commitments -----------------------------------------------------------------------


def _check_commitment(signatory, orientation):
    if orientation.pact_id != signatory.pact_id:
        raise ValidationError("L'orientation choisie n'appartient pas à ce pacte.")


@transaction.atomic
def commitment_save(
    *, signatory, orientation, title, description, commitment=None, expected_version=None
):
    """Create or update a commitment of a draft pact. Its measurable targets are indicator
    targets (evaluation: the page « indicateurs de l'engagement »). Raises ValidationError (in
    French) when the pact is no longer a draft or the orientation is another pact's."""
    ensure_draft(lock_pact(signatory.pact))
    _check_commitment(signatory, orientation)
    if commitment is None:
        commitment = Commitment(signatory=signatory)
        commitment.orientation = orientation
        commitment.title = title
        commitment.description = description
        commitment.full_clean(exclude=["lock_version", "carried_from"])
        commitment.save()
        return commitment
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    commitment.orientation = orientation
    commitment.title = title
    commitment.description = description
    return save_with_lock(
        commitment,
        expected_version=expected_version,
        fields=["orientation", "title", "description"],
    )


@transaction.atomic
def commitment_delete(*, commitment):
    ensure_draft(lock_pact(commitment.signatory.pact))
    commitment.delete()


# --- Conventions -----------------------------------------------------------------------

CONVENTION_FIELDS = [
    "partner",
    "kind",
    "title",
    "purpose",
    "start_date",
    "end_date",
    "amount",
    "status",
    "signed_on",
    "pact",
]


@transaction.atomic
def convention_save(*, values, convention=None, expected_version=None):
    if convention is None:
        convention = Convention(**values)
        convention.full_clean(exclude=["lock_version"])
        convention.save()
        return convention
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    for field, value in values.items():
        setattr(convention, field, value)
    return save_with_lock(
        convention, expected_version=expected_version, fields=[*values, "updated_at"]
    )


# --- Governance ------------------------------------------------------------------------


@transaction.atomic
def body_save(*, values, body=None, pact=None):
    if body is None:
        body = GovernanceBody(pact=pact)
    for field, value in values.items():
        setattr(body, field, value)
    body.full_clean()
    body.save()
    return body


@transaction.atomic
def body_objective_add(*, body, year, label, target, unit):
    objective = BodyObjective(body=body, year=year, label=label, target=target, unit=unit)
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def meeting_save(*, body, values, present, excused, meeting=None, expected_version=None):
    """Create or update a meeting and its attendance (every other organisation is absent)."""
    if meeting is None:
        meeting = Meeting(body=body, **values)
        meeting.full_clean(exclude=["lock_version"])
        meeting.save()
    else:
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        for field, value in values.items():
            setattr(meeting, field, value)
        save_with_lock(meeting, expected_version=expected_version, fields=list(values))
        meeting.attendance.all().delete()
    MeetingAttendance.objects.bulk_create(
        [
            MeetingAttendance(meeting=meeting, organisation=o, attendance=Attendance.PRESENT)
            for o in present
        ]
        + [
            MeetingAttendance(meeting=meeting, organisation=o, attendance=Attendance.EXCUSED)
            for o in excused
        ]
    )
    return meeting


@transaction.atomic
def follow_up_add(*, meeting, description, owner, due_date):
    follow_up = FollowUp(meeting=meeting, description=description, owner=owner, due_date=due_date)
    follow_up.full_clean()
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_set_done(*, follow_up, done):
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    follow_up.done = done
    follow_up.save(update_fields=["done"])
    return follow_up
