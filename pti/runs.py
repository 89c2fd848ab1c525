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
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

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
    "Un traitement de cette nature n'est pas terminé ({run}) : attendez sa fin, ou "
    "confirmez-le ou annulez-le depuis « Traitements en arrière-plan », avant d'en lancer un "
    "autre."
)
# The same refusal for someone who may not follow that run (a manager, a pilot's run): who
# holds it, not what it holds.
ACTIVE_FOR_ANOTHER = (
    "Un traitement de cette nature, lancé par {who}, n'est pas terminé : un seul à la fois "
    "pour le Département. Réessayez une fois qu'il sera confirmé ou annulé (un import non "
    "confirmé est annulé au bout d'un jour)."
)


@dataclass(frozen=True)
class RunHandler:
    """How one kind of run is done.

    `perform(run, progress)` does the work (inside one transaction opened by the worker) and
    returns the summary to keep (a dict of JSON values), or raises ValidationError with a
    French message for the user, or RunRefused to keep what it found too. An import has an
    `analyse(run, progress)` too, run first and written nowhere: its result (`run.analysis`)
    is shown for someone to confirm (`run_confirm`) before `perform` writes.

    `describe(run)` gives, as French lines for its page, what the run found (its analysis)
    or did (its summary); `result_url(run)` is where its page leads once it is done (or
    None), by a link that reads `result_label`; `progress_unit` names what the progress
    counts (« octets », « foyers »), and `write_unit`, when it differs, what it counts once an
    import is confirmed.

    `analysed(run)`, when given, is called by the worker once an analysis has ended (found
    good or refused), after its transaction was rolled back: what it writes (the access
    traces of the people an import's preview shows) is kept."""

    perform: Callable
    analyse: Callable | None = None
    analysed: Callable | None = None
    describe: Callable = lambda run: []
    result_url: Callable = lambda run: None
    result_label: str = "Voir le résultat"
    progress_unit: str = ""
    write_unit: str = ""

    def unit_of(self, run):
        """What `run`'s progress counts now, as its page names it."""
        return (self.write_unit if run.confirmed_at else "") or self.progress_unit


class RunRefused(Exception):
    """The work cannot be done, for reasons the user reads (`message`, in French), with what
    was found on the way (`found`, a dict of JSON values, kept as the run's analysis or
    summary)."""

    def __init__(self, message, *, found):
        super().__init__(message)
        self.message = message
        self.found = found


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

    def reading(self, stream, size):
        """`stream` (a binary file of `size` bytes) as a file that reports, as the progress,
        the bytes read: each pass over it (a seek to the start) counts from zero again."""
        self.total(size)
        return ReportingReader(stream, self)

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


class ReportingReader:
    """A binary file whose reads advance a Progress (Progress.reading)."""

    def __init__(self, stream, progress):
        self.stream = stream
        self.progress = progress

    def read(self, size=-1):
        data = self.stream.read(size)
        self.progress.advance(len(data))
        return data

    def seek(self, offset, whence=0):
        if (offset, whence) == (0, 0):
            self.progress.done = 0
        return self.stream.seek(offset, whence)

    def tell(self):
        return self.stream.tell()


def _progress_database():
    return PROGRESS_DATABASE if PROGRESS_DATABASE in settings.DATABASES else "default"


def run_start(*, kind, user, parameters=None, upload=None, file_name=None):
    """Keep a new run of `kind` for `user` and hand it to a worker. Returns the TaskRun.
    `upload` (a Django File, for an import) is kept in the storage with the run, under a
    random name with its extension; `file_name` is the name its page shows (by default the
    upload's).

    Raises ValidationError (in French) while another run of the same kind is not ended: one
    run of each kind at a time for the département (a database constraint)."""
    handler_for(kind)
    active = TaskRun.objects.active().filter(kind=kind).select_related("created_by").first()
    if active is not None:
        # Said before the file is stored; the constraint below settles a race.
        raise ValidationError(already_active(active, user))
    try:
        with transaction.atomic():
            run = TaskRun(kind=kind, created_by=user, parameters=parameters or {})
            if upload is not None:
                run.file_name = (file_name or upload.name)[-255:]
                run.file.save(_stored_name(upload.name), upload, save=False)
            run.save()
            # The task is a row of the same database, written in the same transaction: a
            # worker sees the run and its task together, or neither.
            perform_run.enqueue(run.pk)
    except IntegrityError:
        if upload is not None and run.file:
            run.file.delete(save=False)
        active = TaskRun.objects.active().filter(kind=kind).first()
        if active is None:
            raise ValidationError(ALREADY_ACTIVE.format(run="déjà lancé")) from None
        raise ValidationError(already_active(active, user)) from None
    return run


def already_active(active, user):
    """Why `user` may not start a run while `active` (a run of the same kind) is not ended, in
    French: the run itself when they may follow it, else only who started it."""
    if TaskRun.objects.visible_to(user).filter(pk=active.pk).exists():
        return ALREADY_ACTIVE.format(run=f"{active}, {active.get_status_display()}")
    creator = active.created_by
    who = creator.get_full_name() or "un autre utilisateur"
    return ACTIVE_FOR_ANOTHER.format(who=f"{who} ({creator.get_role_display()})")


def _stored_name(uploaded_name):
    """A name for the stored file that says nothing of what it holds (the name the user gave
    is kept apart, in the run): a random one, with the same extension."""
    extension = uploaded_name.rsplit(".", 1)[-1].lower() if "." in uploaded_name else "bin"
    return f"{secrets.token_hex(16)}.{extension[:10]}"


@transaction.atomic
def run_confirm(*, run, user, on_purpose=False):
    """Confirm what the analysis of an import found: a worker now writes it. Returns the run.
    An analysis that says `confirm_on_purpose` (a sentence) is confirmed only `on_purpose`,
    the user having ticked that sentence.

    Raises ValidationError (in French) when the run does not wait for a confirmation, or
    waits for one on purpose that was not given."""
    run = TaskRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.TO_CONFIRM:
        raise ValidationError("Ce traitement n'attend pas de confirmation.")
    if run.analysis.get("confirm_on_purpose") and not on_purpose:
        raise ValidationError(
            "Cochez la case qui confirme l'import voulu de ce fichier, ou annulez-le : "
            + run.analysis["confirm_on_purpose"]
        )
    run.status = RunStatus.QUEUED
    run.confirmed_at, run.confirmed_by = timezone.now(), user
    run.progress_done, run.progress_total = 0, None
    # Its page says when the write starts, not when the analysis did.
    run.started_at = None
    run.save()
    perform_run.enqueue(run.pk)
    return run


@transaction.atomic
def run_reanalyse(*, run, parameters):
    """Analyse again, from its kept file, an import whose analysis waits for a confirmation,
    with `parameters` (dict, JSON) in place of its own: the user changed what they asked for
    (the rows hidden in the spreadsheet, left out or not) before confirming. Nothing was
    written; the earlier analysis, its plan and its held rows are dropped. Returns the run.

    Raises ValidationError (in French) when the run does not wait for a confirmation, or has
    no file kept."""
    run = TaskRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.TO_CONFIRM or not run.file:
        raise ValidationError(
            "Ce traitement n'attend plus de confirmation : il ne peut plus être analysé de "
            "nouveau. Envoyez de nouveau le fichier."
        )
    for kept in (run.plan, run.result):
        if kept:
            kept.delete(save=False)
    run.parameters = parameters
    run.status = RunStatus.QUEUED
    run.worker, run.error, run.summary, run.analysis = "", "", {}, {}
    run.progress_done, run.progress_total = 0, None
    run.started_at = run.finished_at = run.heartbeat_at = None
    run.save()
    perform_run.enqueue(run.pk)
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
    if (run.summary or run.analysis).get("refused"):
        raise ValidationError(
            "Ce fichier a été refusé : le relancer donnerait la même réponse. Envoyez un "
            "fichier corrigé."
        )
    run.status = RunStatus.QUEUED
    run.worker, run.error, run.summary = "", "", {}
    if run.confirmed_at is None:
        run.analysis = {}
        if run.plan:
            run.plan.delete(save=False)
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
    if not (run.status in (RunStatus.QUEUED, RunStatus.TO_CONFIRM) or run.is_interrupted()):
        raise ValidationError(
            "Ce traitement ne peut pas être annulé : il est terminé, ou un worker y travaille."
        )
    _end(run, RunStatus.CANCELLED)
    # Nothing was written from them: what they hold (people, for an import: the file, its
    # plan, its held rows) is not kept.
    for kept in (run.file, run.plan, run.result):
        if kept:
            kept.delete(save=False)
    run.save(update_fields=["file", "plan", "result"])
    return run


def _claim(run_id):
    """Take the queued run `run_id` for this worker, to analyse it (an import not confirmed
    yet) or to do it; None when it is not queued any more (done by another worker, cancelled,
    or started again meanwhile)."""
    with transaction.atomic():
        run = TaskRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.QUEUED:
            return None
        now = timezone.now()
        analysed_first = handler_for(run.kind).analyse is not None
        run.status = (
            RunStatus.ANALYSING
            if analysed_first and run.confirmed_at is None
            else RunStatus.RUNNING
        )
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
    analysing = run.status == RunStatus.ANALYSING
    step = handler.analyse if analysing else handler.perform
    field = "analysis" if analysing else "summary"
    progress = Progress(run)
    try:
        with transaction.atomic():
            found = step(run, progress)
            if analysing:
                # An analysis writes nothing, whatever it called.
                transaction.set_rollback(True)
    except RunRefused as refusal:
        # The file itself is refused: starting again would give the same answer.
        setattr(run, field, {**refusal.found, "refused": True})
        _end(run, RunStatus.FAILED, error=refusal.message)
    except ValidationError as refusal:
        _end(run, RunStatus.FAILED, error=" ".join(refusal.messages))
    except Exception:
        logger.exception("Run %s (%s) failed", run.pk, run.kind)
        _end(run, RunStatus.FAILED, error=UNEXPECTED.format(pk=run.pk))
        return run.status
    else:
        setattr(run, field, found or {})
        _end(run, RunStatus.TO_CONFIRM if analysing else RunStatus.DONE)
    if analysing and handler.analysed is not None:
        with transaction.atomic():
            handler.analysed(run)
    return run.status


def _end(run, status, *, error=""):
    """Keep where the run stands once its step is over (an analysis waiting for its
    confirmation is such an end)."""
    run.status = status
    run.error = error
    run.heartbeat_at = timezone.now()
    if status != RunStatus.TO_CONFIRM:
        run.finished_at = run.heartbeat_at
    if status in (RunStatus.DONE, RunStatus.TO_CONFIRM) and run.progress_total is not None:
        run.progress_done = run.progress_total
    run.save()


@task()
def check_worker():
    """A task that does nothing but answer: `manage.py check_worker` enqueues it and waits
    for a worker to run it. Returns the name of the worker that ran it (« host:pid »)."""
    return this_worker()


# What a run's analysis or summary lists of people, by matricule or by row: errors, households
# to check, households or rows held aside, the rows a preview shows. Forgotten with the files.
LISTS_OF_PEOPLE = ("errors", "warnings", "to_check", "held", "rows")


def purge_run_files(now=None):
    """What runs keep of people, past its time (`apply_retention` calls it every night):

    - an import analysed but neither confirmed nor cancelled within a day is cancelled (it
      blocks the next import of its kind, and its file holds people);
    - the files of a run ended PTI_RUN_FILE_RETENTION_DAYS ago (the one it was given, its plan,
      the one it produced) are deleted, and what it listed of people (LISTS_OF_PEOPLE: they
      name households by matricule, or show rows of the file) is forgotten; the run's counts
      and French lines stay.

    Returns how many files were deleted."""
    now = now or timezone.now()
    deleted = 0
    for run in TaskRun.objects.filter(
        status=RunStatus.TO_CONFIRM, heartbeat_at__lt=now - timedelta(days=1)
    ):
        deleted += bool(run.file)
        run_cancel(run=run)
    limit = now - timedelta(days=settings.PTI_RUN_FILE_RETENTION_DAYS)
    for run in TaskRun.objects.exclude(status__in=TaskRun.ACTIVE).filter(finished_at__lt=limit):
        found = [run.analysis, run.summary]
        listed = [
            (found_by_run, name)
            for found_by_run in found
            for name in LISTS_OF_PEOPLE
            if isinstance(found_by_run.get(name), list) and found_by_run[name]
        ]
        if not (run.file or run.result or run.plan or listed):
            continue
        for kept in (run.file, run.result, run.plan):
            if kept:
                kept.delete(save=False)
                deleted += 1
        for found_by_run, name in listed:
            found_by_run[name] = []
        run.save(update_fields=["file", "result", "plan", "analysis", "summary"])
    return deleted
