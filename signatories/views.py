"""Signatories of the pact, their signatures and commitments; conventions; governance."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pti.enums import PactStatus
from pti.imports import import_view
from pti.models import FROZEN_MESSAGES, Pact
from pti.pact_views import pact_trail, pact_url
from pti.pages import confirm_page, form_error_status, form_page, refuse
from pti.permissions import PILOTS, role_required
from pti.tabular import EXPORT_FORMATS
from signatories import services
from signatories.enums import SignatoryStatus
from signatories.forms import (
    AmendmentForm,
    BodyObjectiveForm,
    CommitmentForm,
    ConventionForm,
    DeclineForm,
    FollowUpForm,
    GovernanceBodyForm,
    MeetingForm,
    SignatoryAddForm,
    SignatoryForm,
    SignatureForm,
    SignatureFormSet,
)
from signatories.models import (
    Commitment,
    Convention,
    FollowUp,
    GovernanceBody,
    Meeting,
    MeetingAttendance,
    Signatory,
)
from signatories.resources import SignatoryResource
from signatories.runs import signatory_import_spec


def signatories_url(pact):
    return reverse("signatories:signatory_list", args=[pact.pk])


def signatories_trail(pact):
    return [*pact_trail(pact), ("Signataires", signatories_url(pact))]


def signatory_url(signatory):
    return reverse("signatories:signatory_detail", args=[signatory.pk])


def _closed_to_changes(pact, *, statuses, message=None):
    """The refusal (a ValidationError in French) of a page that changes the parties of
    `pact` unless it is in one of `statuses`; None when the change is open. The page is then
    not offered at all, and its post refused the same way."""
    if pact.status in statuses:
        return None
    return ValidationError(message or FROZEN_MESSAGES[pact.status])


def _signatory(pk):
    return get_object_or_404(Signatory.objects.select_related("pact", "organisation"), pk=pk)


# --- Parties and signatures ------------------------------------------------------------


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signatory_list(request, pact_pk):
    pact = get_object_or_404(Pact, pk=pact_pk)
    can_add = pact.status in (PactStatus.DRAFT, PactStatus.ADOPTED)
    form = SignatoryAddForm(request.POST or None, pact=pact) if can_add else None
    if request.method == "POST":
        if not can_add:
            return refuse(
                request,
                ValidationError("Ce pacte est signé : on ne peut plus y ajouter de signataire."),
                signatories_url(pact),
            )
        if form.is_valid():
            try:
                signatory = services.signatory_add(pact=pact, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{signatory.organisation} est ajouté aux signataires.")
                return redirect(signatories_url(pact))
    signatories = pact.signatories.for_signature_page().annotate(
        commitment_count=Count("commitments")
    )
    context = {
        "pact": pact,
        "signatories": signatories,
        "summary": pact.signatories.status_summary(),
        "form": form,
        "trail": pact_trail(pact),
    }
    return render(
        request,
        "signatories/signatory_list.html",
        context,
        status=form_error_status(form) if form else 200,
    )


@role_required(PILOTS)
def signatory_detail(request, pk):
    signatory = _signatory(pk)
    commitments = signatory.commitments.select_related("orientation").prefetch_related(
        "indicator_targets__indicator", "measurements__entered_by"
    )
    context = {
        "signatory": signatory,
        "pact": signatory.pact,
        "commitments": commitments,
        "trail": signatories_trail(signatory.pact),
    }
    return render(request, "signatories/signatory_detail.html", context)


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signatory_update(request, pk):
    signatory = _signatory(pk)
    closed = _closed_to_changes(
        signatory.pact,
        statuses=(PactStatus.DRAFT, PactStatus.ADOPTED),
        message="Ce pacte est signé : ses signataires ne peuvent plus être modifiés.",
    )
    if closed is None and signatory.status == SignatoryStatus.SIGNED:
        closed = ValidationError(
            "Cette signature est enregistrée : elle ne peut plus être modifiée."
        )
    if closed:
        return refuse(request, closed, signatories_url(signatory.pact))
    form = SignatoryForm(request.POST or None, instance=signatory)
    if form.is_valid():
        try:
            services.signatory_update(
                signatory=signatory,
                expected_version=form.cleaned_data["lock_version"],
                signer_name=form.cleaned_data["signer_name"],
                signer_title=form.cleaned_data["signer_title"],
                position=form.cleaned_data["position"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Le signataire est enregistré.")
            return redirect(signatories_url(signatory.pact))
    return form_page(
        request,
        form,
        title=f"Modifier le signataire {signatory.organisation}",
        breadcrumb=signatories_trail(signatory.pact),
        submit_label="Enregistrer",
        cancel_url=signatories_url(signatory.pact),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signatory_remove(request, pk):
    signatory = _signatory(pk)
    pact = signatory.pact
    closed = _closed_to_changes(pact, statuses=(PactStatus.DRAFT,))
    if closed:
        return refuse(request, closed, signatories_url(pact))
    if request.method == "POST":
        try:
            services.signatory_remove(signatory=signatory)
        except ValidationError as error:
            return refuse(request, error, signatories_url(pact))
        messages.success(request, f"{signatory.organisation} n'est plus signataire de ce projet.")
        return redirect(signatories_url(pact))
    return confirm_page(
        request,
        title="Retirer un signataire",
        message=f"Retirer {signatory.organisation} des signataires, avec ses engagements ?",
        confirm_label="Retirer",
        cancel_url=signatories_url(pact),
        breadcrumb=signatories_trail(pact),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signature_record(request, pk):
    signatory = _signatory(pk)
    pact = signatory.pact
    if pact.status != PactStatus.ADOPTED:
        return refuse(
            request,
            ValidationError(
                "Les signatures se recueillent une fois le pacte adopté, avant sa clôture."
            ),
            signatories_url(pact),
        )
    form = SignatureForm(
        request.POST or None,
        initial={
            "signer_name": signatory.signer_name,
            "signer_title": signatory.signer_title,
            "signed_on": timezone.localdate(),
        },
    )
    if form.is_valid():
        try:
            services.signature_record(signatory=signatory, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            summary = pact.signatories.status_summary()
            messages.success(
                request,
                f"Signature de {signatory.organisation} enregistrée ({summary['label']}).",
            )
            return redirect(signatories_url(pact))
    return form_page(
        request,
        form,
        title=f"Enregistrer la signature de {signatory.organisation}",
        breadcrumb=signatories_trail(pact),
        submit_label="Enregistrer la signature",
        cancel_url=signatories_url(pact),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signatory_decline(request, pk):
    signatory = _signatory(pk)
    pact = signatory.pact
    closed = _closed_to_changes(
        pact,
        statuses=(PactStatus.ADOPTED,),
        message="Un refus se note pendant la signature du pacte adopté.",
    )
    if closed is None and signatory.status == SignatoryStatus.SIGNED:
        closed = ValidationError("Cette organisation a déjà signé.")
    if closed:
        return refuse(request, closed, signatories_url(pact))
    form = DeclineForm(request.POST or None)
    if form.is_valid():
        try:
            services.signatory_decline(signatory=signatory, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Le refus de {signatory.organisation} est enregistré.")
            return redirect(signatories_url(pact))
    return form_page(
        request,
        form,
        title=f"Enregistrer le refus de {signatory.organisation}",
        breadcrumb=signatories_trail(pact),
        submit_label="Enregistrer le refus",
        cancel_url=signatories_url(pact),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signatures_edit(request, pact_pk):
    """The signatures page: every party's answer (signed, declined, none yet), saved at once."""
    pact = get_object_or_404(Pact, pk=pact_pk)
    if pact.status != PactStatus.ADOPTED:
        return refuse(
            request,
            ValidationError(
                "Les signatures se recueillent une fois le pacte adopté, avant sa clôture."
            ),
            signatories_url(pact),
        )
    signatories = list(pact.signatories.for_signature_page())
    initial = [
        {
            "signatory_id": signatory.pk,
            "lock_version": signatory.lock_version,
            "status": signatory.status,
            "signed_on": signatory.signed_on,
            "signer_name": signatory.signer_name,
            "signer_title": signatory.signer_title,
            "decline_reason": signatory.decline_reason,
        }
        for signatory in signatories
    ]
    formset = SignatureFormSet(request.POST or None, initial=initial, prefix="reponses")
    page_errors = []
    if request.method == "POST":
        if formset.is_valid():
            rows = [
                {
                    "signatory_id": form.cleaned_data["signatory_id"],
                    "expected_version": form.cleaned_data["lock_version"],
                    "status": form.cleaned_data["status"],
                    "signed_on": form.cleaned_data["signed_on"],
                    "signer_name": form.cleaned_data["signer_name"],
                    "signer_title": form.cleaned_data["signer_title"],
                    "decline_reason": form.cleaned_data["decline_reason"],
                }
                for form in formset.forms
            ]
            try:
                changed = services.signatures_save(pact=pact, rows=rows)
            except services.SignatureRowsInvalid as error:
                forms_by_id = {form.cleaned_data["signatory_id"]: form for form in formset}
                for signatory_id, fields in error.row_errors.items():
                    for field, field_messages in fields.items():
                        for message in field_messages:
                            forms_by_id[signatory_id].add_error(field, message)
                page_errors = error.messages
            except ValidationError as error:
                page_errors = error.messages
            else:
                summary = pact.signatories.status_summary()
                messages.success(
                    request,
                    f"{changed} réponse{'s' if changed > 1 else ''} enregistrée"
                    f"{'s' if changed > 1 else ''}. {summary['label']}.",
                )
                return redirect(signatures_url(pact))
        else:
            page_errors = [
                *formset.non_form_errors(),
                "Certaines lignes sont à corriger : rien n'a été enregistré.",
            ]
    by_id = {signatory.pk: signatory for signatory in signatories}
    rows = []
    for form in formset.forms:
        if form.is_bound:
            form.describe_errors()
        try:
            signatory = by_id.get(int(form["signatory_id"].value()))
        except (TypeError, ValueError):
            signatory = None
        rows.append((signatory, form))
    context = {
        "pact": pact,
        "rows": rows,
        "formset": formset,
        "page_errors": page_errors,
        "summary": pact.signatories.status_summary(),
        "trail": signatories_trail(pact),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "signatories/signatures_edit.html", context, status=status)


def signatures_url(pact):
    return reverse("signatories:signatures_edit", args=[pact.pk])


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signature_round_close(request, pact_pk):
    """Close the signature round, after a page that names who has not answered or refused."""
    pact = get_object_or_404(Pact, pk=pact_pk)
    if request.method == "POST":
        try:
            services.signature_round_close(pact=pact)
        except ValidationError as error:
            return refuse(request, error, pact_url(pact))
        messages.success(request, "La signature est close : le pacte est signé.")
        return redirect(pact_url(pact))
    if pact.status != PactStatus.ADOPTED:
        return refuse(
            request,
            ValidationError("Seule la signature d'un pacte adopté peut être clôturée."),
            pact_url(pact),
        )
    signatories = list(pact.signatories.for_signature_page())
    summary = pact.signatories.status_summary()
    context = {
        "pact": pact,
        "summary": summary,
        "unanswered": [s for s in signatories if s.status == SignatoryStatus.EXPECTED],
        "declined": [s for s in signatories if s.status == SignatoryStatus.DECLINED],
        "refusal": "" if summary["departement_signed"] else services.ROUND_CLOSE_NEEDS_DEPARTEMENT,
        "trail": pact_trail(pact),
    }
    return render(request, "signatories/round_close.html", context)


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def pact_amend(request, pact_pk):
    pact = get_object_or_404(Pact, pk=pact_pk)
    if pact.status != PactStatus.SIGNED:
        return refuse(
            request,
            ValidationError("Un avenant se fait sur la version signée et en vigueur du pacte."),
            pact_url(pact),
        )
    form = AmendmentForm(request.POST or None)
    if form.is_valid():
        try:
            amendment = services.pact_amend(pact=pact, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"L'{amendment.version_label} est créé en projet, à partir de la version signée, "
                "qui reste inchangée.",
            )
            return redirect(pact_url(amendment))
    return form_page(
        request,
        form,
        title="Créer un avenant",
        intro=(
            "L'avenant est une nouvelle version du pacte, en projet, copiée de la version "
            "signée : orientations, objectifs, signataires et engagements. La version signée "
            "reste intacte et imprimable."
        ),
        breadcrumb=pact_trail(pact),
        submit_label="Créer l'avenant",
        cancel_url=pact_url(pact),
        status=form_error_status(form),
    )


# --- Import and export -----------------------------------------------------------------


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def signatory_import(request, pact_pk):
    pact = get_object_or_404(Pact, pk=pact_pk)
    if pact.status not in (PactStatus.DRAFT, PactStatus.ADOPTED):
        return refuse(
            request,
            ValidationError("Ce pacte est signé : sa liste de signataires ne change plus."),
            signatories_url(pact),
        )
    return import_view(
        request,
        signatory_import_spec(request.user, pact=pact.pk),
        trail=signatories_trail(pact),
        back_url=signatories_url(pact),
        parameters={"pact": pact.pk},
    )


@role_required(PILOTS)
def signatory_export(request, pact_pk, fmt):
    pact = get_object_or_404(Pact, pk=pact_pk)
    writer, content_type, extension = EXPORT_FORMATS[fmt]
    resource = SignatoryResource(pact)
    dataset = resource.export(queryset=resource.get_export_queryset())
    dataset.title = "Signataires"
    response = HttpResponse(writer(dataset), content_type=content_type)
    name = f"signataires-{pact.code}-v{pact.version}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Commitments -----------------------------------------------------------------------


def _commitment_page(request, *, signatory, commitment=None):
    pact = signatory.pact
    if pact.is_frozen:
        return refuse(
            request,
            ValidationError("Les engagements d'un pacte adopté ou signé ne se modifient plus."),
            signatory_url(signatory),
        )
    form = CommitmentForm(request.POST or None, pact=pact, instance=commitment)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.commitment_save(
                signatory=signatory,
                commitment=commitment,
                expected_version=form.cleaned_data["lock_version"],
                orientation=form.cleaned_data["orientation"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if commitment is None:
                # A new commitment is measured by indicators: the pilot ties them next.
                messages.success(
                    request,
                    "L'engagement est enregistré. Liez-le maintenant à ses indicateurs, avec "
                    "une cible par année du pacte.",
                )
                return redirect("evaluation:commitment_indicators", pk=saved.pk)
            messages.success(request, "L'engagement est enregistré.")
            return redirect(signatory_url(signatory))
    status = 422 if request.method == "POST" else 200
    return form_page(
        request,
        form,
        title=("Modifier l'engagement" if commitment else "Nouvel engagement")
        + f" de {signatory.organisation}",
        breadcrumb=[
            *signatories_trail(pact),
            (str(signatory.organisation), signatory_url(signatory)),
        ],
        submit_label="Enregistrer l'engagement",
        cancel_url=signatory_url(signatory),
        status=status,
        extra={"commitment": commitment},
        template="signatories/commitment_form.html",
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def commitment_create(request, pk):
    return _commitment_page(request, signatory=_signatory(pk))


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def commitment_update(request, pk):
    commitment = get_object_or_404(
        Commitment.objects.select_related("signatory__pact", "signatory__organisation"), pk=pk
    )
    return _commitment_page(request, signatory=commitment.signatory, commitment=commitment)


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def commitment_delete(request, pk):
    commitment = get_object_or_404(
        Commitment.objects.select_related("signatory__pact", "signatory__organisation"), pk=pk
    )
    signatory = commitment.signatory
    closed = _closed_to_changes(signatory.pact, statuses=(PactStatus.DRAFT,))
    if closed:
        return refuse(request, closed, signatory_url(signatory))
    if request.method == "POST":
        try:
            services.commitment_delete(commitment=commitment)
        except ValidationError as error:
            return refuse(request, error, signatory_url(signatory))
        messages.success(request, "L'engagement est supprimé.")
        return redirect(signatory_url(signatory))
    return confirm_page(
        request,
        title="Supprimer un engagement",
        message=f"Supprimer l'engagement « {commitment} » et ses cibles ?",
        confirm_label="Supprimer",
        cancel_url=signatory_url(signatory),
        breadcrumb=signatories_trail(signatory.pact),
    )


# --- Conventions -----------------------------------------------------------------------


def conventions_trail():
    return [("Conventions", reverse("signatories:convention_list"))]


@role_required(PILOTS)
def convention_list(request):
    conventions = Convention.objects.with_partner().order_by("-start_date", "title")
    return render(request, "signatories/convention_list.html", {"conventions": conventions})


@role_required(PILOTS)
def convention_detail(request, pk):
    convention = get_object_or_404(Convention.objects.with_partner(), pk=pk)
    return render(
        request,
        "signatories/convention_detail.html",
        {"convention": convention, "trail": conventions_trail()},
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def convention_edit(request, pk=None):
    convention = get_object_or_404(Convention, pk=pk) if pk else None
    form = ConventionForm(request.POST or None, instance=convention)
    if form.is_valid():
        values = {field: form.cleaned_data[field] for field in services.CONVENTION_FIELDS}
        try:
            convention = services.convention_save(
                values=values,
                convention=convention,
                expected_version=form.cleaned_data["lock_version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"La convention « {convention} » est enregistrée.")
            return redirect("signatories:convention_detail", pk=convention.pk)
    return form_page(
        request,
        form,
        title="Modifier la convention" if convention else "Nouvelle convention",
        breadcrumb=conventions_trail(),
        submit_label="Enregistrer",
        cancel_url=reverse("signatories:convention_list"),
        status=form_error_status(form),
    )


# --- Governance ------------------------------------------------------------------------


def governance_trail():
    return [("Gouvernance", reverse("signatories:body_list"))]


def body_url(body):
    return reverse("signatories:body_detail", args=[body.pk])


@role_required(PILOTS)
def body_list(request):
    bodies = (
        GovernanceBody.objects.select_related("territory", "pact")
        .annotate(meeting_count=Count("meetings"))
        .order_by("kind", "name")
    )
    return render(request, "signatories/body_list.html", {"bodies": bodies})


@role_required(PILOTS)
def body_detail(request, pk):
    body = get_object_or_404(GovernanceBody.objects.select_related("territory", "pact"), pk=pk)
    meetings = body.meetings.prefetch_related(
        Prefetch("attendance", queryset=MeetingAttendance.objects.select_related("organisation")),
        Prefetch("follow_ups", queryset=FollowUp.objects.select_related("owner")),
    )
    context = {
        "body": body,
        "objectives": body.objectives.all(),
        "meetings": meetings,
        "objective_form": BodyObjectiveForm(initial={"year": timezone.localdate().year}),
        "trail": governance_trail(),
    }
    return render(request, "signatories/body_detail.html", context)


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def body_edit(request, pk=None):
    body = get_object_or_404(GovernanceBody, pk=pk) if pk else None
    form = GovernanceBodyForm(request.POST or None, instance=body)
    if form.is_valid():
        pact = body.pact if body else Pact.objects.current().first()
        if pact is None:
            form.add_error(None, "Créez d'abord le pacte : ses instances en dépendent.")
        else:
            try:
                body = services.body_save(values=form.cleaned_data, body=body, pact=pact)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"L'instance « {body} » est enregistrée.")
                return redirect(body_url(body))
    return form_page(
        request,
        form,
        title="Modifier l'instance" if body else "Nouvelle instance",
        breadcrumb=governance_trail(),
        submit_label="Enregistrer",
        cancel_url=reverse("signatories:body_list"),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_POST
def body_objective_add(request, pk):
    body = get_object_or_404(GovernanceBody, pk=pk)
    form = BodyObjectiveForm(request.POST)
    if form.is_valid():
        try:
            services.body_objective_add(body=body, **form.cleaned_data)
        except ValidationError as error:
            return refuse(request, error, body_url(body))
        messages.success(request, "L'objectif annuel est ajouté.")
        return redirect(body_url(body) + "#objectifs")
    return form_page(
        request,
        form,
        title=f"Objectif annuel de {body}",
        breadcrumb=[*governance_trail(), (str(body), body_url(body))],
        submit_label="Ajouter l'objectif",
        cancel_url=body_url(body),
        status=422,
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def meeting_edit(request, body_pk=None, pk=None):
    meeting = get_object_or_404(Meeting.objects.select_related("body"), pk=pk) if pk else None
    body = meeting.body if meeting else get_object_or_404(GovernanceBody, pk=body_pk)
    form = MeetingForm(request.POST or None, instance=meeting)
    if form.is_valid():
        values = {f: form.cleaned_data[f] for f in ("date", "place", "agenda", "decisions")}
        try:
            meeting = services.meeting_save(
                body=body,
                meeting=meeting,
                values=values,
                present=form.cleaned_data["present"],
                excused=form.cleaned_data["excused"],
                expected_version=form.cleaned_data["lock_version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "La réunion est enregistrée.")
            return redirect(body_url(body) + f"#reunion-{meeting.pk}")
    return form_page(
        request,
        form,
        title=f"Réunion de {body}",
        breadcrumb=[*governance_trail(), (str(body), body_url(body))],
        submit_label="Enregistrer la réunion",
        cancel_url=body_url(body),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def follow_up_add(request, pk):
    meeting = get_object_or_404(Meeting.objects.select_related("body"), pk=pk)
    form = FollowUpForm(request.POST or None)
    if form.is_valid():
        try:
            services.follow_up_add(meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "La suite à donner est ajoutée.")
            return redirect(body_url(meeting.body) + f"#reunion-{meeting.pk}")
    return form_page(
        request,
        form,
        title=f"Suite à donner – {meeting}",
        breadcrumb=[*governance_trail(), (str(meeting.body), body_url(meeting.body))],
        submit_label="Ajouter",
        cancel_url=body_url(meeting.body),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_POST
def follow_up_toggle(request, pk):
    follow_up = get_object_or_404(FollowUp.objects.select_related("meeting__body"), pk=pk)
    services.follow_up_set_done(follow_up=follow_up, done=request.POST.get("done") == "1")
    messages.success(request, "La suite à donner est mise à jour.")
    return redirect(body_url(follow_up.meeting.body) + f"#reunion-{follow_up.meeting_id}")
