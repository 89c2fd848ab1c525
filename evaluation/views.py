"""The evaluation pages: the pilot's dashboard, per territory, orientation and action, the
targets, the snapshots, the partners' commitments and their figures, the exports."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from actions.models import Action
from evaluation import offer, services
from evaluation.charts import bar_chart, line_chart, paired_bar_chart
from evaluation.computations import Computation, action_results, percent
from evaluation.dashboard import (
    Point,
    YearFigures,
    as_of_label,
    available_years,
    dashboard_rows,
    key_series,
    shown_cells,
    year_secret,
)
from evaluation.disclosure import secret_legend
from evaluation.enums import Breakdown, Scope, Source, Unit
from evaluation.exports import actions_dataset, dashboard_dataset
from evaluation.forms import (
    EntryForm,
    OfferNeedForm,
    PartnerEntryForm,
    PeriodForm,
    SnapshotForm,
    TargetForm,
)
from evaluation.models import Indicator, Measurement, Snapshot, Target
from pti.enums import Role, RunKind
from pti.models import TaskRun, Territory
from pti.pages import form_error_status, refuse
from pti.permissions import PILOTS, role_required
from pti.redirects import safe_next
from pti.runs import run_start
from pti.tabular import EXPORT_FORMATS
from signatories.models import BodyObjective, CommitmentTarget

DASHBOARD_READERS = frozenset({Role.PILOT, Role.PARTNER})
PARTNERS = frozenset({Role.PARTNER})


def evaluation_trail():
    return [("Évaluation", reverse("evaluation:dashboard"))]


def _period(request):
    years = available_years()
    form = PeriodForm(request.GET or None, years=years)
    year, territory = form.period(years)
    return form, year, territory, years


def _download(dataset, fmt, name):
    writer, content_type, extension = EXPORT_FORMATS[fmt]
    response = HttpResponse(writer(dataset), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


# --- The dashboard -------------------------------------------------------------------------------


@role_required(DASHBOARD_READERS)
def dashboard(request):
    """The pact's indicators against their targets for a year and a territory; partners see
    them under the secret statistique (`evaluation.disclosure`)."""
    form, year, territory, years = _period(request)
    pact = services.reference_pact()
    for_partner = request.user.role == Role.PARTNER
    year_figures = YearFigures.of(year)
    rows, figures, snapshot, secret = dashboard_rows(
        year=year,
        pact=pact,
        territory=territory,
        for_partner=for_partner,
        year_figures=year_figures,
    )
    rates = [r for r in rows if r.indicator.unit == Unit.PERCENT and not r.value_secret]
    charts = {
        "rates": bar_chart(
            chart_id="taux",
            title=f"Taux du pacte en {year}, réalisé et cible",
            description=(
                "Pour chaque taux, la barre pleine est la valeur réalisée, la barre hachurée "
                "la cible ; les valeurs sont écrites au bout des barres. Le tableau ci-dessus "
                "donne les mêmes chiffres."
                + (" Les taux sous le secret statistique n'y figurent pas." if for_partner else "")
            ),
            rows=[(r.indicator.label, r.value, r.target) for r in rates],
            unit="%",
            maximum=100,
        )
    }
    history_years = sorted(y for y in years if y <= year)[-5:]
    history = key_series(
        years=history_years,
        figures=figures,
        pact=pact,
        territory=territory,
        for_partner=for_partner,
        secret=secret,
    )
    series = [(name, [point.value for point in points]) for name, points in history]
    charts["history"] = line_chart(
        chart_id="evolution",
        title="Évolution de trois taux clés",
        description=(
            "Part des personnes soumises aux droits et devoirs orientées, taux de "
            "contractualisation et part des sorties dynamiques, année par année (une année passée "
            "arrêtée dans un instantané montre les chiffres transmis) ; chaque série a sa forme "
            "de point, rappelée dans la légende. Le tableau qui suit le graphique donne les mêmes "
            "chiffres."
        ),
        years=history_years,
        series=series,
        unit="%",
    )
    breakdowns = []
    for code, breakdown in (
        ("oarsa-4-organismes", Breakdown.ORGANISME),
        ("oarsa-5-parcours", Breakdown.PARCOURS),
        ("sorties-dynamiques", Breakdown.KIND),
        ("sorties-par-motif", Breakdown.KIND),
    ):
        cells = shown_cells(
            figures[code].cells(breakdown),
            secret=secret,
            scope=territory.pk if territory else None,
            code=code,
            breakdown=breakdown,
        )
        breakdowns.append((Indicator.objects.get(code=code), breakdown, cells))
    context = {
        "form": form,
        "year": year,
        "territory": territory,
        "rows": rows,
        "charts": charts,
        "series": series,
        "history": history,
        "history_years": history_years,
        "breakdowns": breakdowns,
        "snapshot": snapshot,
        "as_of": year_figures.as_of_label(),
        "computed_at": year_figures.computed_at,
        "for_partner": for_partner,
        "secret_legend": secret_legend() if for_partner else "",
        "snapshot_form": SnapshotForm(initial={"year": year}),
        "query": request.GET.urlencode(),
    }
    return render(request, "evaluation/dashboard.html", context)


@role_required(DASHBOARD_READERS)
def dashboard_export(request, fmt):
    """The dashboard's table as CSV or XLSX; a partner's under the secret statistique."""
    _form, year, territory, _years = _period(request)
    for_partner = request.user.role == Role.PARTNER
    rows, _, _, _ = dashboard_rows(
        year=year,
        pact=services.reference_pact(),
        territory=territory,
        for_partner=for_partner,
    )
    suffix = f"-{territory.code}" if territory else ""
    dataset = dashboard_dataset(rows, legend=secret_legend() if for_partner else "")
    return _download(dataset, fmt, f"indicateurs-{year}{suffix}")


@role_required(PILOTS)
@require_POST
def oarsa_export(request):
    """The DREES OARSA table of the year, as an XLSX workbook made in the background: the
    pilot follows the run and downloads the workbook from its page."""
    years = available_years()
    form = PeriodForm(request.POST, years=years)
    year, territory = form.period(years)
    try:
        run = run_start(
            kind=RunKind.OARSA_EXPORT,
            user=request.user,
            parameters={"year": year, "territory": territory.pk if territory else None},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("evaluation:dashboard"))
    return redirect("pti:run_detail", pk=run.pk)


# --- Per territory, orientation, action ----------------------------------------------------------


@role_required(PILOTS)
def territories(request):
    """Key figures per territory, and each CTIP's access-to-employment objective."""
    form, year, _territory, _years = _period(request)
    objectives = {
        o.body.territory_id: o
        for o in BodyObjective.objects.filter(
            year=year, body__territory__isnull=False
        ).select_related("body")
    }
    access = Computation(year).access_to_employment_by_territory()
    rows = []
    for territory in Territory.objects.all():
        by_territory = Computation(year, territory=territory)
        objective = objectives.get(territory.pk)
        rows.append(
            {
                "territory": territory,
                "subject": by_territory.oarsa_1_subject(),
                "oriented": by_territory.oarsa_2_oriented(),
                "contracts": by_territory.oarsa_6_contract_rate(),
                "dynamic": by_territory.dynamic_exits(),
                "objective": objective,
                "access": access.get(territory.pk, 0),
                "attainment": percent(access.get(territory.pk, 0), objective and objective.target),
            }
        )
    context = {
        "form": form,
        "year": year,
        "rows": rows,
        "trail": evaluation_trail(),
        "as_of": as_of_label(year),
    }
    return render(request, "evaluation/territories.html", context)


@role_required(PILOTS)
def offer_and_need(request):
    """Offer against need: per territory and kind of obstacle, the open obstacles against the
    free places of the actions that treat them, and the prescriptions waiting for a place
    (evaluation.offer); the needs not covered said in words, a chart with the same figures."""
    today = timezone.localdate()
    form = OfferNeedForm(request.GET or None)
    territory, sort = form.chosen()
    rows = offer.offer_and_need(today, territory=territory, sort=sort)
    totals = offer.totals(rows)
    where = territory.name if territory else "tout le département"
    chart = paired_bar_chart(
        chart_id="offre-besoins",
        title=f"Freins ouverts et places libres par frein, {where}",
        description=(
            "Pour chaque frein, la barre pleine compte les freins ouverts des personnes dans le "
            "dispositif, la barre hachurée les places libres des actions qui le traitent ; "
            "chaque barre porte son nom et son nombre. Le tableau qui suit le graphique donne "
            "les mêmes chiffres."
        ),
        rows=[(label, need, places) for label, (need, places, _waiting) in totals.items()],
        names=("freins ouverts", "places libres"),
    )
    return render(
        request,
        "evaluation/offer_and_need.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "chart": chart,
            "territory": territory,
            "where": where,
            "today": today,
            "uncovered_label": offer.UNCOVERED,
            "uncovered_count": sum(1 for row in rows if row.uncovered),
            "trail": evaluation_trail(),
        },
    )


@role_required(PILOTS)
def orientations(request):
    form, year, _territory, _years = _period(request)
    pact = services.reference_pact()
    orientation_list = list(pact.orientations.order_by("position")) if pact else []
    keys = [o.key for o in orientation_list]
    actions = list(
        Action.objects.filter(orientation__key__in=keys)
        .select_related("operator", "orientation")
        .order_by("reference")
    )
    results = action_results(year, Action.objects.filter(pk__in=[a.pk for a in actions]))
    groups = []
    for orientation in orientation_list:
        members = [a for a in actions if a.orientation.key == orientation.key]
        totals = {
            key: sum(results.get(a.pk, {}).get(key, 0) for a in members)
            for key in ("accompanied", "accepted", "completed", "dynamic", "durable")
        }
        groups.append({"orientation": orientation, "actions": members, "totals": totals})
    return render(
        request,
        "evaluation/orientations.html",
        {
            "form": form,
            "year": year,
            "groups": groups,
            "results": results,
            "trail": evaluation_trail(),
        },
    )


def _action_table(year):
    actions = list(Action.objects.select_related("operator").order_by("reference"))
    results = action_results(year)
    indicator = Indicator.objects.get(code="action-personnes")
    targets = {
        t.action_id: t.value
        for t in Target.objects.filter(indicator=indicator, year=year, scope=Scope.ACTION)
    }
    return actions, results, targets


@role_required(PILOTS)
def actions_view(request):
    form, year, _territory, _years = _period(request)
    actions, results, targets = _action_table(year)
    rows = [(a, results.get(a.pk, {}), targets.get(a.pk)) for a in actions]
    return render(
        request,
        "evaluation/actions.html",
        {
            "form": form,
            "year": year,
            "rows": rows,
            "trail": evaluation_trail(),
            "query": request.GET.urlencode(),
        },
    )


@role_required(PILOTS)
def actions_export(request, fmt):
    _form, year, _territory, _years = _period(request)
    return _download(actions_dataset(*_action_table(year)), fmt, f"actions-{year}")


# --- Targets, entries, snapshots -----------------------------------------------------------------


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def targets(request):
    form = TargetForm(
        request.POST or None, initial={"year": timezone.localdate().year, "scope": Scope.PACT}
    )
    if form.is_valid():
        data = form.cleaned_data
        scope = data["scope"]
        obj = {
            Scope.PACT: services.reference_pact(),
            Scope.TERRITORY: data["territory"],
            Scope.ACTION: data["action"],
        }[scope]
        try:
            services.target_set(
                indicator=data["indicator"],
                year=data["year"],
                scope=scope,
                obj=obj,
                value=data["value"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "La cible est enregistrée.")
            return redirect("evaluation:targets")
    target_list = Target.objects.select_related(
        "indicator", "territory", "action", "pact"
    ).order_by("-year", "indicator__position", "scope")
    return render(
        request,
        "evaluation/targets.html",
        {"form": form, "targets": target_list[:300], "trail": evaluation_trail()},
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def entries(request):
    """Figures the département enters itself (its own indicators)."""
    form = EntryForm(request.POST or None, initial={"year": timezone.localdate().year})
    if form.is_valid():
        try:
            services.measurement_enter(
                indicator=form.cleaned_data["indicator"],
                year=form.cleaned_data["year"],
                scope=Scope.PACT,
                obj=services.reference_pact(),
                value=form.cleaned_data["value"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Le chiffre est enregistré.")
            return redirect("evaluation:entries")
    history = (
        Measurement.objects.filter(snapshot__isnull=True)
        .select_related(
            "indicator", "entered_by", "commitment_target__commitment__signatory__organisation"
        )
        .order_by("-created_at")[:100]
    )
    return render(
        request,
        "evaluation/entries.html",
        {"form": form, "history": history, "trail": evaluation_trail()},
        status=form_error_status(form),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def snapshots(request):
    form = SnapshotForm(request.POST or None, initial={"year": timezone.localdate().year})
    if form.is_valid():
        try:
            run = run_start(
                kind=RunKind.SNAPSHOT,
                user=request.user,
                parameters={
                    "year": form.cleaned_data["year"],
                    "note": form.cleaned_data["note"],
                    # Where the run's page leads once the figures are stopped.
                    "next": safe_next(request, reverse("evaluation:snapshots")),
                },
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Les chiffres {form.cleaned_data['year']} vont être arrêtés en arrière-plan : "
                "suivez l'avancement ci-dessous.",
            )
            return redirect("pti:run_detail", pk=run.pk)
    snapshot_list = Snapshot.objects.select_related("taken_by").order_by("-taken_at")[:50]
    return render(
        request,
        "evaluation/snapshots.html",
        {
            "form": form,
            "snapshots": snapshot_list,
            "active_run": TaskRun.objects.active().filter(kind=RunKind.SNAPSHOT).first(),
            "trail": evaluation_trail(),
        },
        status=form_error_status(form),
    )


# --- Partners ------------------------------------------------------------------------------------


def _partner_targets(user):
    """The measurable targets of the partner's commitments, with the indicator that follows them."""
    return (
        CommitmentTarget.objects.filter(
            commitment__signatory__organisation_id=user.organisation_id,
            commitment__signatory__pact__status__in=["signed", "adopted", "archived"],
        )
        .select_related("commitment__orientation", "commitment__signatory__pact")
        .prefetch_related(
            Prefetch(
                "measurements",
                queryset=Measurement.objects.select_related("indicator", "entered_by").order_by(
                    "-created_at"
                ),
            ),
        )
        .order_by("year", "label")
    )


def _computed_figures(years):
    """{year: (figures of the département, their secret)} for the partners' pages."""
    result = {}
    for year in years:
        computation = Computation(year)
        figures = computation.all()
        result[year] = (figures, year_secret(year=year, figures=figures, computation=computation))
    return result


@role_required(PARTNERS)
def partner_commitments(request):
    """The partner's commitment targets with its latest figures; beside a target followed by
    a computed indicator, the département's figure of that year, under the secret
    statistique."""
    links = {
        t.commitment_target_id: t.indicator
        for t in Target.objects.filter(
            scope=Scope.COMMITMENT,
            commitment_target__commitment__signatory__organisation_id=request.user.organisation_id,
        ).select_related("indicator")
    }
    commitment_targets = list(_partner_targets(request.user))
    computed = _computed_figures(
        sorted(
            {
                t.year
                for t in commitment_targets
                if links.get(t.pk) is not None and links[t.pk].is_computed
            }
        )
    )
    rows = []
    for commitment_target in commitment_targets:
        indicator = links.get(commitment_target.pk)
        latest = next(iter(commitment_target.measurements.all()), None)
        figure = None
        if indicator is not None and commitment_target.year in computed:
            figures, secret = computed[commitment_target.year]
            if indicator.code in figures:
                hidden = secret.figure(None, indicator.code).value
                figure = Point(None if hidden else figures[indicator.code].value, hidden)
        rows.append(
            {
                "target": commitment_target,
                "indicator": indicator,
                "latest": latest,
                "computed": figure,
                "as_of": as_of_label(commitment_target.year),
                "can_enter": indicator is not None and indicator.source == Source.PARTNER,
                "form": PartnerEntryForm(prefix=f"cible-{commitment_target.pk}"),
            }
        )
    context = {"rows": rows, "secret_legend": secret_legend() if computed else ""}
    return render(request, "evaluation/partner_commitments.html", context)


@role_required(PARTNERS)
@require_POST
def partner_entry(request, pk):
    commitment_target = get_object_or_404(_partner_targets(request.user), pk=pk)
    link = (
        Target.objects.filter(scope=Scope.COMMITMENT, commitment_target=commitment_target)
        .select_related("indicator")
        .first()
    )
    form = PartnerEntryForm(request.POST, prefix=f"cible-{pk}")
    back = reverse("evaluation:partner_commitments")
    if link is None:
        return refuse(
            request, ValidationError("Aucun indicateur n'est associé à cet engagement."), back
        )
    if not form.is_valid():
        return refuse(request, ValidationError("Saisissez un nombre positif ou nul."), back)
    try:
        services.measurement_enter(
            indicator=link.indicator,
            year=commitment_target.year,
            scope=Scope.COMMITMENT,
            obj=commitment_target,
            value=form.cleaned_data["value"],
            user=request.user,
        )
    except ValidationError as error:
        return refuse(request, error, back)
    messages.success(request, f"Votre chiffre pour « {commitment_target.label} » est enregistré.")
    return redirect(back)
