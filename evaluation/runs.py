"""The evaluation's long work, done in the background (pti.runs): stopping a year's figures
(a snapshot computes every indicator for the pact, each territory and each action), and the
DREES OARSA workbook of a year (every indicator with its breakdowns)."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from evaluation.computations import Computation
from evaluation.exports import oarsa_workbook
from evaluation.services import snapshot_take
from pti.models import Territory
from pti.runs import RunHandler
from pti.tabular import french_number


def perform_snapshot(run, progress):
    """Take the snapshot the run's parameters ask for (`year`, `note`); returns its summary:
    the snapshot's id, its year and the number of figures kept."""
    snapshot = snapshot_take(
        year=run.parameters["year"],
        user=run.created_by,
        note=run.parameters.get("note", ""),
        progress=progress,
    )
    return {
        "snapshot": snapshot.pk,
        "year": snapshot.year,
        "measurements": snapshot.measurements.count(),
    }


def describe_snapshot(run):
    summary = run.summary
    if not summary:
        return []
    return [
        f"Chiffres {summary['year']} arrêtés : {french_number(summary['measurements'])} "
        "mesures gardées telles quelles, même si les données changent ensuite."
    ]


def snapshot_result_url(run):
    """Where the pilot was when they asked for the snapshot (a page of the site), or the list
    of snapshots."""
    return run.parameters.get("next") or reverse("evaluation:snapshots")


SNAPSHOT = RunHandler(
    perform=perform_snapshot,
    describe=describe_snapshot,
    result_url=snapshot_result_url,
    result_label="Revenir aux chiffres",
)


def perform_oarsa(run, progress):
    """The OARSA workbook of the run's `year`, for the département or its `territory` (an
    id), kept as the run's result to download; returns its year and territory's name."""
    year = run.parameters["year"]
    territory = (
        Territory.objects.get(pk=run.parameters["territory"])
        if run.parameters.get("territory")
        else None
    )
    progress.total(2)
    figures = Computation(year, territory=territory).all()
    progress.advance()
    data = oarsa_workbook(
        year=year, figures=figures, department=settings.PTI_DEPARTMENT_NAME, territory=territory
    )
    run.result_name = f"oarsa-{year}{f'-{territory.code}' if territory else ''}.xlsx"
    run.result.save(run.result_name, ContentFile(data), save=False)
    return {"year": year, "territory": territory.name if territory else ""}


def describe_oarsa(run):
    if not run.summary:
        return []
    where = f"territoire {run.summary['territory']}" if run.summary["territory"] else "département"
    return [f"Tableau OARSA {run.summary['year']} ({where}) prêt à télécharger."]


OARSA = RunHandler(
    perform=perform_oarsa,
    describe=describe_oarsa,
    result_url=lambda run: reverse("pti:run_result", args=[run.pk]),
    result_label="Télécharger le tableau OARSA",
)
