"""The organisations of the pact: list, edit, import and export (department staff)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pti.filters import OrganisationFilter
from pti.forms import OrganisationForm
from pti.imports import import_view
from pti.models import Organisation
from pti.organisation_imports import organisation_import_spec
from pti.pages import form_error_status, form_page
from pti.permissions import PILOTS, role_required
from pti.resources import OrganisationResource
from pti.tabular import EXPORT_FORMATS

PAGE_SIZE = 50


def organisations_trail():
    return [("Organisations", reverse("pti:organisation_list"))]


@role_required(PILOTS)
def organisation_list(request):
    queryset = Organisation.objects.select_related("territory").order_by("name")
    filterset = OrganisationFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "query": query.urlencode()}
    template = (
        "pti/includes/organisation_table.html" if request.htmx else "pti/organisation_list.html"
    )
    return render(request, template, context)


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk=None):
    organisation = get_object_or_404(Organisation, pk=pk) if pk else None
    form = OrganisationForm(request.POST or None, instance=organisation)
    if form.is_valid():
        organisation = form.save()
        messages.success(request, f"L'organisation « {organisation} » est enregistrée.")
        return redirect("pti:organisation_list")
    return form_page(
        request,
        form,
        title=f"Modifier « {organisation} »" if organisation else "Nouvelle organisation",
        breadcrumb=organisations_trail(),
        submit_label="Enregistrer",
        cancel_url=reverse("pti:organisation_list"),
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def organisation_import(request):
    return import_view(
        request,
        organisation_import_spec(request.user),
        trail=organisations_trail(),
        back_url=reverse("pti:organisation_list"),
    )


@role_required(PILOTS)
def organisation_export(request, fmt):
    writer, content_type, extension = EXPORT_FORMATS[fmt]
    resource = OrganisationResource()
    dataset = resource.export(queryset=resource.get_export_queryset())
    dataset.title = "Organisations"
    response = HttpResponse(writer(dataset), content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="organisations-{stamp}.{extension}"'
    return response
