"""The pages of background runs (pti.runs): the list, and each run's page, whose progress
refreshes itself (htmx) while a worker does it; a plain reload shows the same."""

from urllib.parse import urlencode

import tablib
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from pti import runs
from pti.enums import Role, RunStatus
from pti.imports import EXCLUDE_HIDDEN_ROWS
from pti.models import TaskRun
from pti.permissions import role_required
from pti.tabular import write_csv

RUN_FOLLOWERS = frozenset({Role.PILOT, Role.MANAGER})


def runs_trail():
    return [("Traitements en arrière-plan", reverse("pti:run_list"))]


@role_required(RUN_FOLLOWERS)
def run_list(request):
    """Every run for a pilot, a manager's own, newest first; `?etat=<RunStatus>` keeps those of
    one status (« à valider »: the imports waiting for someone to confirm them). An unknown
    status shows them all."""
    queryset = TaskRun.objects.visible_to(request.user).select_related("created_by")
    status = request.GET.get("etat", "")
    if status in RunStatus.values:
        queryset = queryset.filter(status=status)
    else:
        status = ""
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status_label": RunStatus(status).label if status else "",
        "query": urlencode({"etat": status}) if status else "",
    }
    return render(request, "pti/run_list.html", context)


def _run_for(request, pk):
    return get_object_or_404(TaskRun.objects.visible_to(request.user), pk=pk)


@role_required(RUN_FOLLOWERS)
def run_detail(request, pk):
    run = _run_for(request, pk)
    handler = runs.handler_for(run.kind)
    context = {
        "run": run,
        "state": (state := run.shown_status[0]),
        "interrupted": state == "interrupted",
        "lines": handler.describe(run),
        "result_url": handler.result_url(run),
        "result_label": handler.result_label,
        "progress_unit": handler.unit_of(run),
        "errors": (run.summary or run.analysis).get("errors", []),
        "warnings": (run.summary or run.analysis).get("warnings", []),
        "found": run.summary or run.analysis,
        "trail": runs_trail(),
    }
    if request.htmx:
        shown = (request.GET.get("etat"), request.GET.get("fait"))
        if shown == (state, str(run.progress_done)):
            # Nothing changed: the block stays as it is (no focus lost, nothing re-read).
            return HttpResponse(status=204)
        return render(request, "pti/includes/run_state.html", context)
    return render(request, "pti/run_detail.html", context)


def _act_on_run(request, pk, act, done):
    """Do `act(run)` (a service of pti.runs) on the run `pk` of the user's, then go back to
    its page saying `done`, or why it was refused."""
    run = _run_for(request, pk)
    try:
        act(run)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, done)
    return redirect("pti:run_detail", pk=run.pk)


@role_required(RUN_FOLLOWERS)
@require_POST
def run_restart(request, pk):
    return _act_on_run(
        request,
        pk,
        lambda run: runs.run_restart(run=run),
        "Le traitement est relancé depuis le début.",
    )


@role_required(RUN_FOLLOWERS)
@require_POST
def run_confirm(request, pk):
    on_purpose = request.POST.get("on_purpose") == "oui"
    return _act_on_run(
        request,
        pk,
        lambda run: runs.run_confirm(run=run, user=request.user, on_purpose=on_purpose),
        "Import confirmé : il s'enregistre en arrière-plan.",
    )


@role_required(RUN_FOLLOWERS)
@require_POST
def run_hidden_rows(request, pk):
    """The user's choice, before confirming, for the rows hidden or filtered in the
    spreadsheet (« inclure » = « oui » or « non »): the file is analysed again with it."""
    include = request.POST.get("inclure") == "oui"
    return _act_on_run(
        request,
        pk,
        lambda run: runs.run_reanalyse(
            run=run, parameters={**run.parameters, EXCLUDE_HIDDEN_ROWS: not include}
        ),
        "Le fichier est analysé de nouveau "
        + ("avec" if include else "sans")
        + " les lignes masquées ou filtrées du tableur.",
    )


@role_required(RUN_FOLLOWERS)
@require_POST
def run_cancel(request, pk):
    return _act_on_run(
        request,
        pk,
        lambda run: runs.run_cancel(run=run),
        "Le traitement est annulé : rien n'en a été enregistré.",
    )


@role_required(RUN_FOLLOWERS)
def run_report(request, pk):
    """What the run found or did, and every error it listed, as a CSV that French Excel
    opens (`;`, UTF-8 with BOM): one row per sentence of the summary, one per error."""
    run = _run_for(request, pk)
    found = run.summary or run.analysis
    dataset = tablib.Dataset(headers=["Rubrique", "Texte"], title="Rapport")
    for line in runs.handler_for(run.kind).describe(run):
        dataset.append(["Résumé", line])
    if run.error:
        dataset.append(["Échec", run.error])
    for error in found.get("errors", []):
        dataset.append(["Erreur", error])
    for warning in found.get("warnings", []):
        dataset.append(["Avertissement", warning])
    for item in found.get("held", []):
        dataset.append(["Mis de côté", item])
    for item in found.get("to_check", []):
        dataset.append(["À vérifier", item])
    response = HttpResponse(write_csv(dataset), content_type="text/csv; charset=utf-8")
    name = f"traitement-{run.pk}-{slugify(run.get_kind_display())}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(RUN_FOLLOWERS)
def run_result(request, pk):
    """The file a run produced (an export), under its name."""
    run = _run_for(request, pk)
    if not run.result:
        raise Http404("Ce traitement n'a pas produit de fichier.")
    return FileResponse(run.result.open("rb"), as_attachment=True, filename=run.result_name)
