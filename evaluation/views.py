"""The evaluation pages: the pilot's dashboard, per territory, orientation and action, the
targets, the snapshots, the partners' commitments and their figures, the exports."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, Max, OuterRef
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
    CommitmentIndicatorForm,
    EntryForm,
    OfferNeedForm,
    PartnerEntryForm,
    PeriodForm,
    ReminderForm,
    SnapshotForm,
    TargetForm,
)
from evaluation.models import FigureReminder, Indicator, Measurement, Snapshot, Target
from pti.enums import PactStatus, Role, RunKind
from pti.models import Pact, TaskRun, Territory
from pti.pages import form_error_status, refuse
from pti.permissions import PILOTS, role_required
from pti.redirects import safe_next
from pti.runs import run_start
from pti.tabular import EXPORT_FORMATS
from signatories.models import BodyObjective, Commitment, Signatory
from signatories.views import signatories_trail, signatory_url

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


def _target_commitments(pact):
    """The commitments a target may be set for on the targets page: those of the version of
    the reference pact being prepared (a draft amendment), else of the pact itself (a draft
    pact); a signed version's are what its parties signed."""
    if pact is None:
        return Commitment.objects.none()
    draft = Pact.objects.filter(code=pact.code, status=PactStatus.DRAFT).first() or pact
    return (
        Commitment.objects.filter(signatory__pact=draft)
        .labelled()
        .order_by("signatory__position", "orientation__position", "pk")
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def targets(request):
    """Targets of the reference pact, an orientation, a territory, an action, or a
    signatory's commitment (of the version being prepared, else of the pact in force)."""
    pact = services.reference_pact()
    form = TargetForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "scope": Scope.PACT},
        pact=pact,
        commitments=_target_commitments(pact),
    )
    if form.is_valid():
        data = form.cleaned_data
        scope = data["scope"]
        obj = {
            Scope.PACT: pact,
            Scope.ORIENTATION: data["orientation"],
            Scope.TERRITORY: data["territory"],
            Scope.ACTION: data["action"],
            Scope.COMMITMENT: data["commitment"],
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
        "indicator",
        "territory",
        "action",
        "pact",
        "orientation",
        "commitment__signatory__organisation",
        "commitment__signatory__pact",
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
        .select_related("indicator", "entered_by", "commitment__signatory__organisation")
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


# --- Commitments: their indicators, the partners' figures, who reported -------------------------


def _commitment_trail(commitment):
    signatory = commitment.signatory
    return [
        *signatories_trail(signatory.pact),
        (str(signatory.organisation), signatory_url(signatory)),
    ]


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def commitment_indicators(request, pk):
    """The indicators a commitment is measured by, with one target per year of its pact's
    period: the pilot adds one, changes its targets, removes one while the pact is a draft;
    read-only afterwards (what a party commits to is what it signs)."""
    commitment = get_object_or_404(
        Commitment.objects.select_related(
            "signatory__pact", "signatory__organisation", "orientation"
        ),
        pk=pk,
    )
    pact = commitment.signatory.pact
    here = reverse("evaluation:commitment_indicators", args=[pk])
    targets = list(
        commitment.indicator_targets.select_related("indicator").order_by(
            "indicator__position", "indicator_id", "year"
        )
    )
    tied = {}
    for target in targets:
        tied.setdefault(target.indicator_id, (target.indicator, {}))[1][target.year] = target.value
    editable = pact.status == PactStatus.DRAFT
    if request.method == "POST" and not editable:
        return refuse(
            request,
            ValidationError(
                "Ce pacte n'est plus un projet : les indicateurs de ses engagements ne se "
                "modifient plus (créez un avenant)."
            ),
            here,
        )
    indicators = Indicator.objects.exclude(pk__in=tied).order_by("position", "code")
    add_form = CommitmentIndicatorForm(
        request.POST if request.POST.get("action") == "ajouter" else None,
        pact=pact,
        indicators=indicators,
        prefix="nouvel",
    )
    edit_forms = []
    for indicator_id, (indicator, values) in tied.items():
        prefix = f"ind{indicator_id}"
        posted = request.POST.get("action") == prefix
        edit_forms.append(
            (
                indicator,
                CommitmentIndicatorForm(
                    request.POST if posted else None,
                    pact=pact,
                    indicators=Indicator.objects.all(),
                    fixed_indicator=indicator,
                    prefix=prefix,
                    initial={
                        "indicator": indicator.pk,
                        **{f"cible_{year}": value for year, value in values.items()},
                    },
                ),
                values,
            )
        )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "retirer":
            indicator = get_object_or_404(Indicator, pk=request.POST.get("indicator") or 0)
            try:
                services.commitment_indicator_remove(commitment=commitment, indicator=indicator)
            except ValidationError as error:
                return refuse(request, error, here)
            messages.success(request, f"L'indicateur « {indicator} » n'est plus lié.")
            return redirect(here)
        form = (
            add_form
            if action == "ajouter"
            else next((f for _, f, _ in edit_forms if f.prefix == action), None)
        )
        if form is None:
            return refuse(request, ValidationError("Formulaire inconnu : rechargez la page."), here)
        if form.is_valid():
            try:
                services.commitment_indicator_set(
                    commitment=commitment,
                    indicator=form.cleaned_data["indicator"],
                    values=form.values(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"Les cibles de « {form.cleaned_data['indicator']} » sont enregistrées.",
                )
                return redirect(here)
    invalid = any(f.is_bound and f.errors for f in [add_form, *(f for _, f, _ in edit_forms)])
    context = {
        "commitment": commitment,
        "pact": pact,
        "years": list(range(pact.period_start, pact.period_end + 1)),
        "editable": editable,
        "add_form": add_form,
        "edit_forms": edit_forms,
        "trail": _commitment_trail(commitment),
    }
    return render(
        request,
        "evaluation/commitment_indicators.html",
        context,
        status=422 if invalid else 200,
    )


def _computed_figures(years):
    """{year: (figures of the département, their secret)} for the partners' pages."""
    result = {}
    for year in years:
        computation = Computation(year)
        figures = computation.all()
        result[year] = (figures, year_secret(year=year, figures=figures, computation=computation))
    return result


def _year_choice(request, years):
    """The year of ?annee= among `years` (ascending), else this year, else the latest."""
    today = timezone.localdate().year
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = None
    if year in years:
        return year
    return today if today in years else (years[-1] if years else today)


def _reported_years(pacts):
    """The years a partner may report on: those of the pacts' periods up to this year."""
    today = timezone.localdate().year
    return sorted(
        {y for pact in pacts for y in range(pact.period_start, pact.period_end + 1) if y <= today}
    )


def _commitment_history(commitments, year):
    """{commitment id: [figures of `year` on it and on the versions it was carried from],
    newest first}, in two queries whatever the number of commitments (the chain of
    `carried_from` is read from the organisation's commitments of every version)."""
    chains = {}
    if not commitments:
        return chains
    organisation_id = commitments[0].signatory.organisation_id
    parents = dict(
        Commitment.objects.of_organisation(organisation_id).values_list("pk", "carried_from_id")
    )
    wanted = set()
    for commitment in commitments:
        chain, current = [], commitment.pk
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[commitment.pk] = chain
        wanted.update(chain)
    figures = (
        Measurement.objects.filter(scope=Scope.COMMITMENT, commitment_id__in=wanted, year=year)
        .select_related("entered_by", "commitment__signatory__pact", "indicator")
        .order_by("-created_at", "-pk")
    )
    by_commitment = {}
    for figure in figures:
        by_commitment.setdefault(figure.commitment_id, []).append(figure)
    return {
        pk: sorted(
            (f for link in chain for f in by_commitment.get(link, [])),
            key=lambda f: (f.created_at, f.pk),
            reverse=True,
        )
        for pk, chain in chains.items()
    }


def _open_reminders(organisation_id, signatories):
    """The reminders sent to the organisation's signatories not yet followed by a figure of
    their year entered after them."""
    latest_entry = Measurement.objects.filter(
        scope=Scope.COMMITMENT,
        commitment__signatory__organisation_id=organisation_id,
        year=OuterRef("year"),
        created_at__gt=OuterRef("sent_at"),
    )
    return (
        FigureReminder.objects.filter(signatory__in=signatories)
        .annotate(answered=Exists(latest_entry))
        .filter(answered=False)
        .select_related("signatory__pact")
    )


@role_required(PARTNERS)
def partner_commitments(request):
    """« Mes engagements »: the partner's commitments in the pact in force, one block per
    commitment and one row per indicator, for a year of the period up to this year: the
    target, the latest figure with its comment, who entered it and when (a user's name is
    the partner's own colleague), the earlier figures of that year, the département's value
    of a computed indicator under the secret statistique, and the entry form of the figures
    the partner reports. The commitments of earlier (archived) versions are read-only
    history below."""
    organisation_id = request.user.organisation_id
    in_force = list(
        Signatory.objects.filter(
            organisation_id=organisation_id, pact__status=PactStatus.SIGNED
        ).select_related("pact")
    )
    years = _reported_years(s.pact for s in in_force)
    year = _year_choice(request, years)
    commitments = list(
        Commitment.objects.filter(signatory__in=in_force)
        .select_related("signatory__pact", "signatory__organisation", "orientation")
        .prefetch_related("indicator_targets__indicator")
        .order_by("signatory__pact__period_start", "orientation__position", "pk")
    )
    history = _commitment_history(commitments, year)
    computed_codes = {
        t.indicator.code
        for c in commitments
        for t in c.indicator_targets.all()
        if t.indicator.is_computed
    }
    computed = _computed_figures([year]) if computed_codes else {}
    blocks = []
    for commitment in commitments:
        indicators, targets = {}, {}
        for target in commitment.indicator_targets.all():
            indicators.setdefault(target.indicator_id, target.indicator)
            if target.year == year:
                targets[target.indicator_id] = target.value
        figures = history.get(commitment.pk, [])
        rows = []
        for indicator in sorted(indicators.values(), key=lambda i: (i.position, i.pk)):
            own = [f for f in figures if f.indicator_id == indicator.pk]
            latest_own = next((f for f in own if f.commitment_id == commitment.pk), None)
            figure = None
            if indicator.is_computed and year in computed:
                values, secret = computed[year]
                if indicator.code in values:
                    hidden = secret.figure(None, indicator.code).value
                    figure = Point(None if hidden else values[indicator.code].value, hidden)
            pact = commitment.signatory.pact
            in_period = pact.period_start <= year <= pact.period_end
            can_enter = indicator.source == Source.PARTNER and in_period
            rows.append(
                {
                    "indicator": indicator,
                    "target": targets.get(indicator.pk),
                    "latest": own[0] if own else None,
                    "earlier": own[1:],
                    "computed": figure,
                    "can_enter": can_enter,
                    "form": PartnerEntryForm(
                        auto_id=f"id_%s_{commitment.pk}_{indicator.pk}",
                        initial={
                            "indicator": indicator.pk,
                            "year": year,
                            "based_on": latest_own.pk if latest_own else None,
                        },
                    )
                    if can_enter
                    else None,
                }
            )
        blocks.append({"commitment": commitment, "rows": rows})
    archived = (
        Commitment.objects.filter(
            signatory__organisation_id=organisation_id,
            signatory__pact__status=PactStatus.ARCHIVED,
        )
        .select_related("signatory__pact", "orientation")
        .prefetch_related("indicator_targets__indicator", "measurements")
        .order_by("-signatory__pact__period_start", "-signatory__pact__version", "pk")
    )
    context = {
        "blocks": blocks,
        "year": year,
        "years": years,
        "pacts": [s.pact for s in in_force],
        "reminders": _open_reminders(organisation_id, in_force),
        "archived": archived,
        "as_of": as_of_label(year),
        "secret_legend": secret_legend() if computed else "",
    }
    return render(request, "evaluation/partner_commitments.html", context)


@role_required(PARTNERS)
@require_POST
def partner_entry(request, pk):
    """The partner enters (or corrects) a figure of its commitment `pk` in the pact in force."""
    commitment = get_object_or_404(
        Commitment.objects.select_related("signatory__pact"),
        pk=pk,
        signatory__organisation_id=request.user.organisation_id,
        signatory__pact__status=PactStatus.SIGNED,
    )
    form = PartnerEntryForm(request.POST)
    year = request.POST.get("year", "")
    back = reverse("evaluation:partner_commitments") + (f"?annee={year}" if year.isdigit() else "")
    if not form.is_valid():
        return refuse(
            request,
            ValidationError(
                "Saisissez un nombre positif ou nul, par exemple 1 500 ou 12,5 "
                "(le commentaire fait au plus 1 000 caractères)."
            ),
            back,
        )
    data = form.cleaned_data
    try:
        services.commitment_figure_enter(
            commitment=commitment,
            indicator=data["indicator"],
            year=data["year"],
            value=data["value"],
            comment=data["comment"],
            user=request.user,
            based_on=data["based_on"],
        )
    except ValidationError as error:
        return refuse(request, error, back)
    messages.success(
        request, f"Votre chiffre {data['year']} pour « {data['indicator']} » est enregistré."
    )
    return redirect(back)


@role_required(PILOTS)
def signatory_reporting(request):
    """Who reported: for each signatory of the pact in force and a year of its period up to
    this year, the figures expected (its commitments' targets of indicators the partner
    reports), reported, missing, the last entry and the last reminder; in a fixed number of
    queries."""
    pact = services.pact_in_force()
    years = _reported_years([pact] if pact else [])
    year = _year_choice(request, years)
    rows = []
    if pact is not None:
        expected = Target.objects.partner_figures_by_signatory(pact=pact, year=year)
        last_entries = dict(
            Measurement.objects.filter(
                scope=Scope.COMMITMENT, commitment__signatory__pact=pact, year=year
            )
            .values("commitment__signatory")
            .annotate(last=Max("created_at"))
            .values_list("commitment__signatory", "last")
        )
        reminders = dict(
            FigureReminder.objects.filter(signatory__pact=pact, year=year)
            .values("signatory")
            .annotate(last=Max("sent_at"))
            .values_list("signatory", "last")
        )
        for signatory in pact.signatories.for_signature_page():
            counts = expected.get(signatory.pk, {"expected": 0, "reported": 0})
            rows.append(
                {
                    "signatory": signatory,
                    "expected": counts["expected"],
                    "reported": counts["reported"],
                    "missing": counts["expected"] - counts["reported"],
                    "last_entry": last_entries.get(signatory.pk),
                    "last_reminder": reminders.get(signatory.pk),
                    "form": ReminderForm(initial={"year": year}, auto_id=f"id_%s_{signatory.pk}"),
                }
            )
    context = {
        "pact": pact,
        "year": year,
        "years": years,
        "rows": rows,
        "totals": {
            key: sum(row[key] for row in rows) for key in ("expected", "reported", "missing")
        },
        "trail": evaluation_trail(),
    }
    return render(request, "evaluation/signatory_reporting.html", context)


@role_required(PILOTS)
@require_POST
def signatory_remind(request, pk):
    """« Relancer »: record a reminder the partner sees on « Mes engagements »."""
    signatory = get_object_or_404(Signatory.objects.select_related("pact", "organisation"), pk=pk)
    form = ReminderForm(request.POST)
    year = request.POST.get("year", "")
    back = reverse("evaluation:signatory_reporting") + (f"?annee={year}" if year.isdigit() else "")
    if not form.is_valid():
        return refuse(request, ValidationError("Le message fait au plus 1 000 caractères."), back)
    try:
        services.figure_reminder_send(
            signatory=signatory,
            year=form.cleaned_data["year"],
            message=form.cleaned_data["message"],
            user=request.user,
        )
    except ValidationError as error:
        return refuse(request, error, back)
    messages.success(
        request,
        f"La relance est enregistrée : {signatory.organisation} la verra sur sa page "
        "« Mes engagements ».",
    )
    return redirect(back)
