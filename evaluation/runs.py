"""The evaluation's long work, done in the background (pti.runs): stopping a year's figures
(a snapshot computes every indicator for the pact, each territory and each action)."""

from django.urls import reverse

from evaluation.services import snapshot_take
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
