"""Long work in the background: a `TaskRun` kept in the database, done by a worker of Django's
tasks framework (the django-tasks backport and its database backend on Django 5.2: the same
code runs on SQLite for `make run` and on PostgreSQL in production).

Each kind of run registers a `RunHandler` from its app's ready() (`register`), so that this
module, in the core app, imports none of the apps that use it. A page starts a run
(`run_start`), the worker performs it (`perform_run`), the run's page follows its progress.

What a run writes is one transaction: a worker killed half-way leaves nothing half-written,
and the run, seen interrupted (TaskRun.is_interrupted), is started again from the start
(`run_restart`). Its progress is written apart from that transaction (`Progress`), on a
connection of its own where the database allows two writers (PostgreSQL), so that its page
moves while the work goes on; on SQLite it shows the work's end only.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pti.enums import RunStatus
from pti.models import TaskRun, this_worker
from pti.tasks_framework import task

logger = logging.getLogger(__name__)

# The connection progress is written on, outside the run's transaction (settings.py defines it
# on PostgreSQL; elsewhere the run's own connection is used).
PROGRESS_DATABASE = "progress"
UNEXPECTED = (
    "Le traitement s'est arrêté sur une erreur inattendue ; rien n'a été enregistré. "
    "Relancez-le ; si l'erreur revient, signalez-la à l'administrateur de l'application "
    "(n° du traitement : {pk})."
)
ALREADY_ACTIVE = (
    "Un traitement de cette nature est déjà en cours ({run}) : attendez qu'il se termine, "
    "ou arrêtez-le, avant d'en lancer un autre."
)


@dataclass(frozen=True)
class RunHandler:
    """How one kind of run is done.

    `perform(run, progress)` does the work (inside one transaction opened by the worker) and
    returns the summary to keep (a dict of JSON values), or raises ValidationError with a
    French message for the user. `describe(run)` gives the summary of a run done as French
    lines for its page; `result_url(run)` is where its page leads once it is done (or None),
    by a link that reads `result_label`."""

    perform: Callable
    describe: Callable = lambda run: []
    result_url: Callable = lambda run: None
    result_label: str = "Voir le résultat"


_HANDLERS = {}


def register(kind, handler):
    """Make `kind` (a RunKind value) done by `handler`; called from an AppConfig.ready()."""
    _HANDLERS[kind] = handler


def handler_for(kind):
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"No handler registered for the run kind {kind!r}") from None


class Progress:
    """What a running task reports: `total(n)` once known, then `advance(k)` as it goes (in the
    kind's unit). Writes to the database at most every PTI_RUN_PROGRESS_SECONDS, each time with
    the worker's heartbeat."""

    def __init__(self, run):
        self.run = run
        self.done = 0
        self.written_at = None

    def total(self, count):
        self.run.progress_total = count
        self._write(force=True)

    def advance(self, count=1):
        self.done += count
        if self.run.progress_total is not None:
            self.done = min(self.done, self.run.progress_total)
        self._write()

    def _write(self, *, force=False):
        now = timezone.now()
        if (
            not force
            and self.written_at is not None
            and (now - self.written_at).total_seconds() < settings.PTI_RUN_PROGRESS_SECONDS
        ):
            return
        self.written_at = now
        self.run.progress_done = self.done
        TaskRun.objects.using(_progress_database()).filter(pk=self.run.pk).update(
            progress_done=self.done, progress_total=self.run.progress_total, heartbeat_at=now
        )


def _progress_database():
    return PROGRESS_DATABASE if PROGRESS_DATABASE in settings.DATABASES else "default"


def run_start(*, kind, user, parameters=None):
    """Keep a new run of `kind` for `user` and hand it to a worker. Returns the TaskRun.

    Raises ValidationError (in French) while another run of the same kind is not ended: one
    run of each kind at a time for the département (a database constraint)."""
    handler_for(kind)
    try:
        with transaction.atomic():
            run = TaskRun.objects.create(kind=kind, created_by=user, parameters=parameters or {})
            # The task is a row of the same database, written in the same transaction: a
            # worker sees the run and its task together, or neither.
            perform_run.enqueue(run.pk)
    except IntegrityError:
        active = TaskRun.objects.active().filter(kind=kind).first()
        raise ValidationError(ALREADY_ACTIVE.format(run=active or "déjà lancé")) from None
    return run


@transaction.atomic
def run_restart(*, run):
    """Start again, from the start, a run that was interrupted or failed. Returns the run.

    Raises ValidationError (in French) when the run is neither (it still goes on, or ended
    well), or when another run of its kind has started since."""
    run = TaskRun.objects.select_for_update().get(pk=run.pk)
    if not (run.status == RunStatus.FAILED or run.is_interrupted()):
        raise ValidationError(
            "Ce traitement n'est ni interrompu ni échoué : il n'y a rien à relancer."
        )
    run.status = RunStatus.QUEUED
    run.worker, run.error, run.summary = "", "", {}
    run.progress_done, run.progress_total = 0, None
    run.started_at = run.finished_at = run.heartbeat_at = None
    try:
        with transaction.atomic():
            run.save()
            perform_run.enqueue(run.pk)
    except IntegrityError:
        active = TaskRun.objects.active().filter(kind=run.kind).first()
        raise ValidationError(ALREADY_ACTIVE.format(run=active or "déjà lancé")) from None
    return run


@transaction.atomic
def run_cancel(*, run):
    """Give up a run that waits for a worker or whose worker died: it ends « annulé », nothing
    of it was written, and another run of its kind may start. Returns the run.

    Raises ValidationError (in French) when a live worker is doing it, or when it has ended."""
    run = TaskRun.objects.select_for_update().get(pk=run.pk)
    if not (run.status == RunStatus.QUEUED or run.is_interrupted()):
        raise ValidationError(
            "Ce traitement ne peut pas être annulé : il est terminé, ou un worker y travaille."
        )
    _end(run, RunStatus.CANCELLED)
    return run


def _claim(run_id):
    """Take the queued run `run_id` for this worker; None when it is not queued any more (done
    by another worker, cancelled, or started again meanwhile)."""
    with transaction.atomic():
        run = TaskRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.QUEUED:
            return None
        now = timezone.now()
        run.status = RunStatus.RUNNING
        run.worker = this_worker()
        run.started_at = run.heartbeat_at = now
        run.attempts += 1
        run.save()
    return run


@task()
def perform_run(run_id):
    """The worker's side of a run: claim it, do it in one transaction, keep its end (done with
    its summary, or failed with a French message). Returns the run's final status."""
    run = _claim(run_id)
    if run is None:
        return None
    handler = handler_for(run.kind)
    progress = Progress(run)
    try:
        with transaction.atomic():
            summary = handler.perform(run, progress)
    except ValidationError as refusal:
        _end(run, RunStatus.FAILED, error=" ".join(refusal.messages))
    except Exception:
        logger.exception("Run %s (%s) failed", run.pk, run.kind)
        _end(run, RunStatus.FAILED, error=UNEXPECTED.format(pk=run.pk))
    else:
        _end(run, RunStatus.DONE, summary=summary or {})
    return run.status


def _end(run, status, *, summary=None, error=""):
    run.status = status
    run.summary = summary if summary is not None else run.summary
    run.error = error
    run.finished_at = run.heartbeat_at = timezone.now()
    if status == RunStatus.DONE and run.progress_total is not None:
        run.progress_done = run.progress_total
    run.save()


@task()
def check_worker():
    """A task that does nothing but answer: `manage.py check_worker` enqueues it and waits
    for a worker to run it. Returns the name of the worker that ran it (« host:pid »)."""
    return this_worker()
