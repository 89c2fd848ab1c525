"""The pact's pages: versions, content, lifecycle, orientations and objectives."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pti import services
from pti.enums import PactStatus
from pti.forms import AdoptionForm, ObjectiveForm, OrientationForm, PactForm
from pti.models import Objective, Orientation, Pact, SignedPactFile
from pti.pact_content import pact_content
from pti.pages import confirm_page, form_error_status, form_page, refuse
from pti.pdf import pact_figures_filename, pact_pdf_filename, signed_or_rendered_pdf
from pti.pdf import pact_figures_pdf as pact_figures_pdf_bytes
from pti.permissions import PACT_READERS, PILOTS, role_required


def pact_trail(pact=None):
    trail = [("Pacte", reverse("pti:pact_list"))]
    if pact is not None:
        trail.append((f"{pact.period_label} – {pact.version_label}", pact_url(pact)))
    return trail


def pact_url(pact):
    return reverse("pti:pact_detail", args=[pact.pk])


# --- Versions ----------------------------------------------------------------------------


@role_required(PACT_READERS)
def pact_list(request):
    pacts = Pact.objects.order_by("-period_start", "code", "-version")
    return render(request, "pti/pact_list.html", {"pacts": pacts})


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def pact_create(request):
    form = PactForm(request.POST or None, initial={"department_name": _department_name()})
    if form.is_valid():
        try:
            pact = services.pact_create(
                **{field: form.cleaned_data[field] for field in services.PACT_FIELDS[:-1]}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Le pacte est créé en projet : ajoutez ses orientations.")
            return redirect(pact_url(pact))
    return form_page(
        request,
        form,
        title="Nouveau pacte",
        breadcrumb=pact_trail(),
        submit_label="Créer le pacte",
        cancel_url=reverse("pti:pact_list"),
        status=form_error_status(form),
    )


def _department_name():
    return settings.PTI_DEPARTMENT_NAME


@role_required(PACT_READERS)
def pact_detail(request, pk):
    pact = get_object_or_404(Pact, pk=pk)
    context = pact_content(pact)
    context["can_edit"] = request.user.is_pilot and pact.is_draft
    context["version_in_progress"] = next(
        (
            version
            for version in context["versions"]
            if version.status in (PactStatus.DRAFT, PactStatus.ADOPTED) and version.pk != pact.pk
        ),
        None,
    )
    context["signed_file"] = SignedPactFile.objects.filter(pact=pact).first()
    return render(request, "pti/pact_detail.html", context)


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def pact_update(request, pk):
    pact = get_object_or_404(Pact, pk=pk)
    if pact.is_frozen:
        return refuse(
            request, services.PactFrozen(services.FROZEN_MESSAGES[pact.status]), pact_url(pact)
        )
    form = PactForm(request.POST or None, instance=pact)
    if form.is_valid():
        values = {field: form.cleaned_data[field] for field in form.Meta.fields}
        try:
            services.pact_update(
                pact=pact, expected_version=form.cleaned_data["lock_version"], **values
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Le pacte est enregistré.")
            return redirect(pact_url(pact))
    return form_page(
        request,
        form,
        title="Modifier le pacte",
        breadcrumb=pact_trail(pact),
        submit_label="Enregistrer",
        cancel_url=pact_url(pact),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def pact_adopt(request, pk):
    pact = get_object_or_404(Pact, pk=pk)
    if pact.is_frozen:
        return refuse(
            request, services.PactFrozen(services.FROZEN_MESSAGES[pact.status]), pact_url(pact)
        )
    form = AdoptionForm(request.POST or None)
    if form.is_valid():
        try:
            services.pact_adopt(pact=pact, deliberation_date=form.cleaned_data["deliberation_date"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Le pacte est adopté : il ne peut plus être modifié. Recueillez maintenant "
                "les signatures.",
            )
            return redirect(pact_url(pact))
    return form_page(
        request,
        form,
        title="Adopter le pacte",
        intro=(
            "Une fois adopté, le pacte ne peut plus être modifié : les signatures des "
            "partenaires se recueillent sur ce texte."
        ),
        breadcrumb=pact_trail(pact),
        submit_label="Adopter le pacte",
        cancel_url=pact_url(pact),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def pact_archive(request, pk):
    pact = get_object_or_404(Pact, pk=pk)
    if request.method == "POST":
        try:
            services.pact_archive(pact=pact)
        except ValidationError as error:
            return refuse(request, error, pact_url(pact))
        messages.success(request, "Le pacte est archivé ; il reste consultable et imprimable.")
        return redirect(pact_url(pact))
    if pact.status != PactStatus.SIGNED:
        return refuse(
            request, ValidationError("Seul un pacte signé peut être archivé."), pact_url(pact)
        )
    return confirm_page(
        request,
        title="Archiver le pacte",
        message=(
            f"Archiver « {pact} » ? Il restera consultable et imprimable, mais ne sera plus "
            "le pacte en vigueur."
        ),
        confirm_label="Archiver",
        cancel_url=pact_url(pact),
        breadcrumb=pact_trail(pact),
    )


# --- Orientations and objectives ----------------------------------------------------------


def _draft_or_refuse(request, pact):
    if pact.is_frozen:
        return refuse(
            request, services.PactFrozen(services.FROZEN_MESSAGES[pact.status]), pact_url(pact)
        )
    return None


def _content_form(request, *, form, pact, title, submit_label, save, success):
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, success)
            return redirect(pact_url(pact) + "#orientations")
    return form_page(
        request,
        form,
        title=title,
        breadcrumb=pact_trail(pact),
        submit_label=submit_label,
        cancel_url=pact_url(pact) + "#orientations",
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def orientation_create(request, pk):
    pact = get_object_or_404(Pact, pk=pk)
    if refused := _draft_or_refuse(request, pact):
        return refused
    return _content_form(
        request,
        form=OrientationForm(request.POST or None),
        pact=pact,
        title="Nouvelle orientation",
        submit_label="Ajouter l'orientation",
        success="L'orientation est ajoutée.",
        save=lambda data: services.orientation_create(
            pact=pact, title=data["title"], description=data["description"]
        ),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def orientation_update(request, pk):
    orientation = get_object_or_404(Orientation.objects.select_related("pact"), pk=pk)
    pact = orientation.pact
    if refused := _draft_or_refuse(request, pact):
        return refused
    return _content_form(
        request,
        form=OrientationForm(request.POST or None, instance=orientation),
        pact=pact,
        title=f"Modifier l'orientation {orientation.position}",
        submit_label="Enregistrer l'orientation",
        success="L'orientation est enregistrée.",
        save=lambda data: services.orientation_update(
            orientation=orientation,
            expected_version=data["lock_version"],
            title=data["title"],
            description=data["description"],
        ),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def orientation_delete(request, pk):
    orientation = get_object_or_404(Orientation.objects.select_related("pact"), pk=pk)
    pact = orientation.pact
    if refused := _draft_or_refuse(request, pact):
        return refused
    if request.method == "POST":
        try:
            services.orientation_delete(orientation=orientation)
        except ValidationError as error:
            return refuse(request, error, pact_url(pact))
        messages.success(request, f"L'orientation « {orientation.title} » est supprimée.")
        return redirect(pact_url(pact) + "#orientations")
    return confirm_page(
        request,
        title="Supprimer une orientation",
        message=(
            f"Supprimer l'orientation « {orientation} » et ses objectifs opérationnels ? "
            "Les orientations suivantes seront renumérotées."
        ),
        confirm_label="Supprimer",
        cancel_url=pact_url(pact) + "#orientations",
        breadcrumb=pact_trail(pact),
    )


@role_required(PILOTS)
@require_POST
def orientation_move(request, pk):
    orientation = get_object_or_404(Orientation.objects.select_related("pact"), pk=pk)
    pact = orientation.pact
    try:
        services.orientation_move(orientation=orientation, offset=_offset(request))
    except ValidationError as error:
        return refuse(request, error, pact_url(pact))
    return _after_move(request, pact, f"orientation-{orientation.pk}")


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def objective_create(request, pk):
    orientation = get_object_or_404(Orientation.objects.select_related("pact"), pk=pk)
    pact = orientation.pact
    if refused := _draft_or_refuse(request, pact):
        return refused
    return _content_form(
        request,
        form=ObjectiveForm(request.POST or None),
        pact=pact,
        title=f"Nouvel objectif opérationnel de l'orientation {orientation.position}",
        submit_label="Ajouter l'objectif",
        success="L'objectif opérationnel est ajouté.",
        save=lambda data: services.objective_create(
            orientation=orientation, title=data["title"], description=data["description"]
        ),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def objective_update(request, pk):
    objective = get_object_or_404(Objective.objects.select_related("orientation__pact"), pk=pk)
    pact = objective.orientation.pact
    if refused := _draft_or_refuse(request, pact):
        return refused
    return _content_form(
        request,
        form=ObjectiveForm(request.POST or None, instance=objective),
        pact=pact,
        title=f"Modifier l'objectif {objective.code}",
        submit_label="Enregistrer l'objectif",
        success="L'objectif opérationnel est enregistré.",
        save=lambda data: services.objective_update(
            objective=objective,
            expected_version=data["lock_version"],
            title=data["title"],
            description=data["description"],
        ),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def objective_delete(request, pk):
    objective = get_object_or_404(Objective.objects.select_related("orientation__pact"), pk=pk)
    pact = objective.orientation.pact
    if refused := _draft_or_refuse(request, pact):
        return refused
    if request.method == "POST":
        try:
            services.objective_delete(objective=objective)
        except ValidationError as error:
            return refuse(request, error, pact_url(pact))
        messages.success(request, f"L'objectif « {objective.title} » est supprimé.")
        return redirect(pact_url(pact) + "#orientations")
    return confirm_page(
        request,
        title="Supprimer un objectif opérationnel",
        message=f"Supprimer l'objectif « {objective} » ?",
        confirm_label="Supprimer",
        cancel_url=pact_url(pact) + "#orientations",
        breadcrumb=pact_trail(pact),
    )


@role_required(PILOTS)
@require_POST
def objective_move(request, pk):
    objective = get_object_or_404(Objective.objects.select_related("orientation__pact"), pk=pk)
    pact = objective.orientation.pact
    try:
        services.objective_move(objective=objective, offset=_offset(request))
    except ValidationError as error:
        return refuse(request, error, pact_url(pact))
    return _after_move(request, pact, f"objectif-{objective.pk}")


def _offset(request):
    return -1 if request.POST.get("direction") == "up" else 1


def _after_move(request, pact, anchor):
    """With htmx, send back the orientations block; without, reload the page at the item."""
    if request.htmx:
        context = pact_content(pact)
        context["can_edit"] = True
        return render(request, "pti/includes/pact_orientations.html", context)
    return redirect(f"{pact_url(pact)}#{anchor}")


@role_required(PACT_READERS)
def pact_figures_pdf(request, pk):
    """The annex of the pact's current figures as a PDF, rendered now: the signed PDF stays as
    it was signed, the figures reported since are in this one."""
    pact = get_object_or_404(Pact, pk=pk)
    response = HttpResponse(pact_figures_pdf_bytes(pact), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pact_figures_filename(pact)}"'
    return response


@role_required(PACT_READERS)
def pact_pdf(request, pk):
    pact = get_object_or_404(Pact, pk=pk)
    response = HttpResponse(signed_or_rendered_pdf(pact), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pact_pdf_filename(pact)}"'
    return response
