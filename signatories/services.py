"""Writes of the signatories app: parties to the pact, signatures, amendments, commitments,
conventions and governance."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pti.enums import PactStatus
from pti.services import (
    check_lock_version,
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
    """Record that one party signed. The pact stays adopted: the pilot closes the round
    (`signature_round_close`), even once every party answered."""
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
    return signatory


@transaction.atomic
def signatory_decline(*, signatory, reason):
    """A party declines to sign; the pilot may then close the round without it."""
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
    return signatory


ROUND_CLOSE_NEEDS_DEPARTEMENT = (
    "Le Département n'a pas signé : la signature ne peut pas être clôturée. Le pacte est "
    "conclu par le président du conseil départemental avec les partenaires (article L. 263-2 "
    "du code de l'action sociale et des familles) ; enregistrez d'abord sa signature."
)


@transaction.atomic
def signature_round_close(*, pact):
    """The pilot ends the signature round: the pact is signed as it stands, on the date of its
    last signature; the parties who declined or did not answer stay as such.

    Raises ValidationError (French) unless the pact is adopted and the Département (a party
    of kind « conseil départemental ») signed: the pact is the Département's, concluded by
    the président du conseil départemental (CASF L. 263-2), so without its signature there
    is no pact, whatever the other parties did."""
    pact = lock_pact(pact)
    if pact.status != PactStatus.ADOPTED:
        raise ValidationError("Seule la signature d'un pacte adopté peut être clôturée.")
    if not pact.signatories.status_summary()["departement_signed"]:
        raise ValidationError(ROUND_CLOSE_NEEDS_DEPARTEMENT)
    last_signature = pact.signatories.signed().order_by("-signed_on").first()
    return pact_mark_signed(pact=pact, signed_on=last_signature.signed_on)


class SignatureRowsInvalid(ValidationError):
    """Some rows of the signatures page are wrong: `row_errors` is {signatory id: {field:
    [French messages]}}; nothing was saved."""

    def __init__(self, row_errors):
        self.row_errors = row_errors
        super().__init__(
            "Certaines lignes sont à corriger : rien n'a été enregistré.", code="rows_invalid"
        )


def signature_row_errors(*, pact, status, signed_on, signer_name, signer_title, today=None):
    """The French errors of one answer of the signatures page, as {field: message}; empty
    when the answer is valid. `status` is a SignatoryStatus value, `signed_on` a date or
    None. A signature needs its date (not in the future, not before the deliberation that
    opened the round), the name and the quality of the person who signed."""
    today = today or timezone.localdate()
    errors = {}
    if status == SignatoryStatus.SIGNED:
        if signed_on is None:
            errors["signed_on"] = "Indiquez la date de la signature."
        elif signed_on > today:
            errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
        elif pact.deliberation_date and signed_on < pact.deliberation_date:
            errors["signed_on"] = (
                "La date de signature ne peut pas précéder la délibération qui a adopté le "
                f"pacte ({pact.deliberation_date:%d/%m/%Y})."
            )
        if not signer_name.strip():
            errors["signer_name"] = "Indiquez le nom de la personne qui a signé."
        if not signer_title.strip():
            errors["signer_title"] = "Indiquez la qualité de la personne qui a signé."
    elif signed_on is not None:
        errors["signed_on"] = "Une date ne s'indique que pour une signature : effacez-la."
    return errors


@transaction.atomic
def signatures_save(*, pact, rows):
    """Save the answers of every party of an adopted pact at once (the signatures page).

    `rows` is a list of dicts {"signatory_id": int, "expected_version": int, "status":
    SignatoryStatus value, "signed_on": date or None, "signer_name": str, "signer_title":
    str, "decline_reason": str}, one per party. All or nothing: raises ConcurrentEdit when
    a party was changed by someone else since the page was opened, SignatureRowsInvalid
    (with each row's French errors) when a row is wrong, ValidationError when the pact is
    not being signed. Returns the number of parties whose answer changed. The pact stays
    adopted: the pilot closes the round (`signature_round_close`)."""
    pact = lock_pact(pact)
    if pact.status != PactStatus.ADOPTED:
        raise ValidationError(
            "Les signatures se recueillent une fois le pacte adopté par l'assemblée "
            "départementale, et avant sa clôture."
        )
    signatories = {
        signatory.pk: signatory
        for signatory in pact.signatories.select_for_update(of=("self",)).select_related(
            "organisation"
        )
    }
    if {row["signatory_id"] for row in rows} - set(signatories):
        raise ValidationError(
            "Une des parties de la page n'est plus signataire de ce pacte : rien n'a été "
            "enregistré. Rechargez la page."
        )
    for row in rows:
        check_lock_version(signatories[row["signatory_id"]], row["expected_version"])
    today = timezone.localdate()
    row_errors = {}
    for row in rows:
        errors = signature_row_errors(
            pact=pact,
            status=row["status"],
            signed_on=row["signed_on"],
            signer_name=row["signer_name"],
            signer_title=row["signer_title"],
            today=today,
        )
        if errors:
            row_errors[row["signatory_id"]] = {
                field: [message] for field, message in errors.items()
            }
    if row_errors:
        raise SignatureRowsInvalid(row_errors)
    changed = 0
    fields = ["status", "signed_on", "signer_name", "signer_title", "decline_reason"]
    for row in rows:
        signatory = signatories[row["signatory_id"]]
        values = {
            "status": row["status"],
            "signed_on": row["signed_on"],
            "signer_name": row["signer_name"].strip(),
            "signer_title": row["signer_title"].strip(),
            "decline_reason": (
                row["decline_reason"].strip() if row["status"] == SignatoryStatus.DECLINED else ""
            ),
        }
        if all(getattr(signatory, field) == value for field, value in values.items()):
            continue
        for field, value in values.items():
            setattr(signatory, field, value)
        save_with_lock(
            signatory,
            expected_version=signatory.lock_version,  # checked above for every row
            fields=[*fields, "updated_at"],
        )
        changed += 1
    return changed


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
