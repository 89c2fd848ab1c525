"""The offer of insertion actions: catalogue, fiches actions, calls for projects, funding."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions import services
from actions.filters import ActionAdminFilter, CatalogueFilter
from actions.forms import (
    ActionForm,
    AgreementForm,
    AgreementObjectiveForm,
    ApplicationForm,
    CallForm,
    DecisionForm,
    FundingFormSet,
    RenewalForm,
    ReportedValueForm,
)
from actions.models import (
    Action,
    AgreementObjective,
    Application,
    CallForProjects,
    FundingAgreement,
)
from actions.resources import ActionResource
from actions.results import agreement_results
from actions.runs import action_import_spec
from pti.enums import Role
from pti.imports import import_view
from pti.models import Pact
from pti.pages import form_error_status, form_page, refuse
from pti.permissions import PILOTS, role_required
from pti.tabular import EXPORT_FORMATS

PAGE_SIZE = 25
CATALOGUE_READERS = frozenset({Role.PILOT, Role.REFERENT, Role.MANAGER})
ACTION_READERS = frozenset({Role.PILOT, Role.REFERENT, Role.MANAGER, Role.OPERATOR})


def offer_pact():
    """The pact the offer is organised under: the one in force, else the latest."""
    return (
        Pact.objects.in_force().order_by("-period_start").first() or Pact.objects.current().first()
    )


def offer_trail():
    return [("Offre d'insertion", reverse("actions:action_list"))]


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# --- Catalogue and action pages ----------------------------------------------------------


@role_required(CATALOGUE_READERS)
def catalogue(request):
    pact = offer_pact()
    orientations = list(pact.orientations.order_by("position")) if pact else []
    base = Action.objects.in_catalogue().with_places_left().with_catalogue_details()
    filterset = CatalogueFilter(request.GET or None, queryset=base, orientations=orientations)
    page, query = _page(
        request, filterset.qs.order_by("title") if not request.GET.get("sort") else filterset.qs
    )
    context = {"filter": filterset, "page": page, "query": query}
    template = (
        "actions/includes/catalogue_results.html" if request.htmx else "actions/catalogue.html"
    )
    return render(request, template, context)


@role_required({Role.OPERATOR})
def my_actions(request):
    actions = (
        Action.objects.visible_to(request.user)
        .with_places_left()
        .with_catalogue_details()
        .order_by("status", "title")
    )
    return render(request, "actions/my_actions.html", {"actions": actions})


@role_required(ACTION_READERS)
def action_detail(request, pk):
    action = get_object_or_404(
        Action.objects.visible_to(request.user).with_catalogue_details(), pk=pk
    )
    context = {"action": action, "trail": _detail_trail(request.user)}
    if request.user.role == Role.PILOT:
        context["funding"] = action.funding.all()
        context["applications"] = action.applications.select_related("call", "axis")
        context["agreements"] = action.agreements.all()
    return render(request, "actions/action_detail.html", context)


def _detail_trail(user):
    if user.role == Role.PILOT:
        return offer_trail()
    if user.role == Role.OPERATOR:
        return [("Mes actions", reverse("actions:my_actions"))]
    return [("Catalogue des actions", reverse("actions:catalogue"))]


@role_required(PILOTS)
def action_list(request):
    base = (
        Action.objects.with_places_left()
        .select_related("operator", "orientation")
        .annotate(territory_count=Count("territories", distinct=True))
    )
    filterset = ActionAdminFilter(request.GET or None, queryset=base)
    page, query = _page(request, filterset.qs.order_by("reference"))
    totals = Action.objects.aggregate(actions=Count("id"), budget=Sum("budget"))
    context = {"filter": filterset, "page": page, "query": query, "totals": totals}
    template = "actions/includes/action_table.html" if request.htmx else "actions/action_list.html"
    return render(request, template, context)


def _funding_initial(action):
    if action is None:
        return []
    return [{"source": f.source, "year": f.year, "amount": f.amount} for f in action.funding.all()]


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def action_edit(request, pk=None):
    action = get_object_or_404(Action, pk=pk) if pk else None
    pact = offer_pact()
    if pact is None:
        return refuse(
            request,
            ValidationError("Créez d'abord le pacte et ses orientations."),
            reverse("actions:action_list"),
        )
    form = ActionForm(request.POST or None, instance=action, pact=pact)
    funding = FundingFormSet(
        request.POST or None, initial=_funding_initial(action), prefix="financements"
    )
    if request.method == "POST" and form.is_valid() and funding.is_valid():
        values = {field: form.cleaned_data[field] for field in services.ACTION_FIELDS}
        lines = [
            (line["source"], line["year"], line["amount"])
            for line in funding.cleaned_data
            if line and not line.get("DELETE")
        ]
        try:
            action = services.action_save(
                values=values,
                territories=form.cleaned_data["territories"],
                obstacles=form.cleaned_data["obstacles"],
                funding=lines,
                action=action,
                expected_version=form.cleaned_data["lock_version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"L'action « {action} » est enregistrée.")
            return redirect("actions:action_detail", pk=action.pk)
    return form_page(
        request,
        form,
        title=f"Modifier « {action} »" if action else "Nouvelle action",
        breadcrumb=offer_trail(),
        submit_label="Enregistrer l'action",
        cancel_url=reverse("actions:action_detail", args=[action.pk])
        if action
        else reverse("actions:action_list"),
        status=422 if request.method == "POST" else 200,
        extra={"funding": funding},
        template="actions/action_form.html",
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def action_import(request):
    if offer_pact() is None:
        return refuse(
            request,
            ValidationError("Créez d'abord le pacte et ses orientations."),
            reverse("actions:action_list"),
        )
    pact = offer_pact()
    return import_view(
        request,
        action_import_spec(request.user, pact=pact.pk),
        trail=offer_trail(),
        back_url=reverse("actions:action_list"),
        parameters={"pact": pact.pk},
    )


@role_required(PILOTS)
def action_export(request, fmt):
    writer, content_type, extension = EXPORT_FORMATS[fmt]
    resource = ActionResource(offer_pact())
    dataset = resource.export(queryset=resource.get_export_queryset())
    dataset.title = "Actions"
    response = HttpResponse(writer(dataset), content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="actions-{stamp}.{extension}"'
    return response


# --- Calls for projects ------------------------------------------------------------------


def calls_trail():
    return [*offer_trail(), ("Appels à projets", reverse("actions:call_list"))]


@role_required(PILOTS)
def call_list(request):
    calls = CallForProjects.objects.annotate(
        application_count=Count("applications", distinct=True),
        axis_count=Count("axes", distinct=True),
    )
    return render(request, "actions/call_list.html", {"calls": calls, "trail": offer_trail()})


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def call_edit(request, pk=None):
    call = get_object_or_404(CallForProjects, pk=pk) if pk else None
    form = CallForm(request.POST or None, instance=call)
    if form.is_valid():
        values = {
            f: form.cleaned_data[f] for f in ("year", "title", "description", "deadline", "status")
        }
        try:
            call = services.call_save(
                values=values,
                axes=form.cleaned_data["axes"],
                call=call,
                expected_version=form.cleaned_data["lock_version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"L'appel à projets « {call} » est enregistré.")
            return redirect("actions:call_detail", pk=call.pk)
    return form_page(
        request,
        form,
        title="Modifier l'appel à projets" if call else "Nouvel appel à projets",
        breadcrumb=calls_trail(),
        submit_label="Enregistrer",
        cancel_url=reverse("actions:call_list"),
        status=form_error_status(form),
    )


@role_required(PILOTS)
def call_detail(request, pk):
    call = get_object_or_404(CallForProjects, pk=pk)
    applications = call.applications.select_related("action__operator", "axis")
    summary = applications.aggregate(
        requested=Sum("requested_amount"), granted=Sum("granted_amount")
    )
    context = {
        "call": call,
        "axes": call.axes.annotate(application_count=Count("applications")),
        "applications": applications,
        "summary": summary,
        "form": ApplicationForm(call=call),
        "trail": calls_trail(),
    }
    return render(request, "actions/call_detail.html", context)


@role_required(PILOTS)
@require_POST
def application_add(request, pk):
    call = get_object_or_404(CallForProjects, pk=pk)
    form = ApplicationForm(request.POST, call=call)
    if form.is_valid():
        try:
            services.application_add(call=call, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "La candidature est enregistrée.")
            return redirect("actions:call_detail", pk=call.pk)
    return form_page(
        request,
        form,
        title=f"Candidature à « {call} »",
        breadcrumb=calls_trail(),
        submit_label="Enregistrer la candidature",
        cancel_url=reverse("actions:call_detail", args=[call.pk]),
        status=422,
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def application_decide(request, pk):
    application = get_object_or_404(Application.objects.select_related("call", "action"), pk=pk)
    form = DecisionForm(
        request.POST or None,
        initial={
            "decided_on": timezone.localdate(),
            "granted_amount": application.requested_amount,
        },
    )
    if form.is_valid():
        try:
            services.application_decide(application=application, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"La décision sur « {application.action} » est enregistrée.")
            return redirect("actions:call_detail", pk=application.call_id)
    return form_page(
        request,
        form,
        title=f"Décision sur « {application.action} »",
        breadcrumb=[
            *calls_trail(),
            (str(application.call), reverse("actions:call_detail", args=[application.call_id])),
        ],
        submit_label="Enregistrer la décision",
        cancel_url=reverse("actions:call_detail", args=[application.call_id]),
        status=form_error_status(form),
    )


# --- Funding agreements ------------------------------------------------------------------


def agreements_trail():
    return [*offer_trail(), ("Conventions pluriannuelles", reverse("actions:agreement_list"))]


@role_required(PILOTS)
def agreement_list(request):
    agreements = FundingAgreement.objects.with_totals()
    return render(
        request, "actions/agreement_list.html", {"agreements": agreements, "trail": offer_trail()}
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def agreement_edit(request, pk=None):
    agreement = get_object_or_404(FundingAgreement, pk=pk) if pk else None
    if request.POST.get("etape") == "operateur":
        # Without JavaScript: « Choisir l'opérateur » shows the form again, as typed, with
        # that operator's actions; nothing is saved and nothing is refused yet.
        form = AgreementForm(initial=typed_values(request.POST), instance=agreement)
    else:
        form = AgreementForm(request.POST or None, instance=agreement)
    if form.is_valid():
        values = {f: form.cleaned_data[f] for f in AgreementForm.Meta.fields}
        try:
            agreement = services.agreement_save(
                values=values,
                actions=list(form.cleaned_data["actions"]),
                amounts=form.amounts(),
                agreement=agreement,
                expected_version=form.cleaned_data["lock_version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"La convention « {agreement.reference} » est enregistrée.")
            return redirect("actions:agreement_detail", pk=agreement.pk)
    return form_page(
        request,
        form,
        title="Modifier la convention" if agreement else "Nouvelle convention pluriannuelle",
        breadcrumb=agreements_trail(),
        submit_label="Enregistrer",
        cancel_url=reverse("actions:agreement_list"),
        status=form_error_status(form),
    )


def typed_values(data):
    """What a posted form held, as a form's `initial` (lists only for the actions)."""
    return {
        key: values if key == "actions" else values[-1]
        for key, values in data.lists()
        if key not in ("csrfmiddlewaretoken", "etape")
    }


@role_required(PILOTS)
@require_GET
def agreement_action_choices(request):
    """The « Actions financées » field for the operator `?operator=` (htmx, on change)."""
    form = AgreementForm(initial={"operator": request.GET.get("operator") or None})
    return HttpResponse(form["actions"].as_field_group())


@role_required(PILOTS)
def agreement_detail(request, pk):
    agreement = get_object_or_404(FundingAgreement.objects.with_totals(), pk=pk)
    context = {
        "agreement": agreement,
        "amounts": agreement.amounts.all(),
        "actions": agreement.actions.select_related("operator").with_places_left(),
        "results": agreement_results(agreement),
        "objective_form": AgreementObjectiveForm(agreement=agreement),
        "trail": agreements_trail(),
    }
    return render(request, "actions/agreement_detail.html", context)


@role_required(PILOTS)
@require_POST
def agreement_objective_add(request, pk):
    agreement = get_object_or_404(FundingAgreement, pk=pk)
    form = AgreementObjectiveForm(request.POST, agreement=agreement)
    if form.is_valid():
        try:
            services.agreement_objective_add(agreement=agreement, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "L'objectif est ajouté.")
            return redirect(reverse("actions:agreement_detail", args=[agreement.pk]) + "#objectifs")
    return form_page(
        request,
        form,
        title=f"Objectif de la convention {agreement.reference}",
        breadcrumb=agreements_trail(),
        submit_label="Ajouter l'objectif",
        cancel_url=reverse("actions:agreement_detail", args=[agreement.pk]),
        status=422,
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def agreement_objective_report(request, pk):
    objective = get_object_or_404(
        AgreementObjective.objects.select_related("agreement", "action"), pk=pk
    )
    form = ReportedValueForm(request.POST or None, initial={"value": objective.reported_value})
    back = reverse("actions:agreement_detail", args=[objective.agreement_id]) + "#objectifs"
    if form.is_valid():
        services.agreement_objective_report(objective=objective, value=form.cleaned_data["value"])
        messages.success(request, "Le résultat déclaré est enregistré.")
        return redirect(back)
    return form_page(
        request,
        form,
        title=f"Résultat de « {objective.label} » ({objective.year})",
        breadcrumb=agreements_trail(),
        submit_label="Enregistrer",
        cancel_url=back,
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def agreement_renewal(request, pk):
    """Objectives against results, then the decision to renew the funding."""
    agreement = get_object_or_404(FundingAgreement.objects.with_totals(), pk=pk)
    form = RenewalForm(
        request.POST or None,
        instance=agreement,
        initial={
            "decision": agreement.renewal_decision or None,
            "justification": agreement.renewal_justification,
            "decided_on": agreement.renewal_decided_on or timezone.localdate(),
        },
    )
    if form.is_valid():
        try:
            services.agreement_renewal_decide(
                agreement=agreement,
                decision=form.cleaned_data["decision"],
                justification=form.cleaned_data["justification"],
                decided_on=form.cleaned_data["decided_on"],
                expected_version=form.cleaned_data["lock_version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "La décision de renouvellement est enregistrée.")
            return redirect("actions:agreement_detail", pk=agreement.pk)
    context = {
        "agreement": agreement,
        "results": agreement_results(agreement),
        "measure_year": min(
            max(timezone.localdate().year, agreement.start_year), agreement.end_year
        ),
        "form": form,
        "trail": [
            *agreements_trail(),
            (agreement.reference, reverse("actions:agreement_detail", args=[agreement.pk])),
        ],
    }
    return render(
        request, "actions/agreement_renewal.html", context, status=form_error_status(form)
    )
