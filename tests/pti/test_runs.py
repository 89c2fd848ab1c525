"""Long work in the background (pti/runs.py): a run is kept, done by a worker, followed on its
page; one run of a kind at a time; a run whose worker died is seen interrupted, nothing of it
written, and is started again. Most tests run the tasks at once (the immediate backend of the
test settings); the last ones start a real worker process and kill it."""

import datetime
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Snapshot
from pti.enums import RunKind, RunStatus
from pti.models import TaskRun, Territory, this_worker
from pti.runs import register, run_start
from tests.pti.factories import PactFactory, UserFactory
from tests.pti.waiting_runs import KIND as WAITING
from tests.pti.waiting_runs import WRITTEN, waiting_handler

pytestmark = pytest.mark.django_db

YEAR = datetime.date.today().year - 1


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


def stop_figures(client, **extra):
    return client.post(reverse("evaluation:snapshots"), {"year": YEAR, "note": "", **extra})


# --- A run from its page to its end -------------------------------------------------------------


def test_the_pilot_stops_the_figures_in_the_background_and_follows_the_run(pilot):
    PactFactory()

    response = stop_figures(pilot)

    run = TaskRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pti:run_detail", args=[run.pk])
    assert (run.kind, run.status, run.attempts) == (RunKind.SNAPSHOT, RunStatus.DONE, 1)
    snapshot = Snapshot.objects.get()
    assert run.summary["snapshot"] == snapshot.pk
    assert run.progress_done == run.progress_total  # the pact, each territory, the actions
    page = pilot.get(response["Location"]).content.decode()
    assert "Instantané des indicateurs n° " in page
    assert "terminé" in page
    count = snapshot.measurements.count()
    assert f"Chiffres {YEAR} arrêtés : {count} mesures gardées telles quelles" in page
    assert 'hx-trigger="every 2s"' not in page  # ended: the page no longer asks for itself


def test_a_run_that_fails_says_why_in_french_and_may_be_started_again(pilot):
    stop_figures(pilot)  # no pact yet

    run = TaskRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.error == "Créez d'abord le pacte : les chiffres s'y rattachent."
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "Le traitement a échoué</strong> : Créez d&#x27;abord le pacte" in page
    assert "Relancer" in page

    PactFactory()
    pilot.post(reverse("pti:run_restart", args=[run.pk]))

    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (RunStatus.DONE, 2, "")
    assert Snapshot.objects.count() == 1


def test_one_run_of_a_kind_at_a_time(pilot):
    PactFactory()
    TaskRun.objects.create(
        kind=RunKind.SNAPSHOT,
        status=RunStatus.RUNNING,
        created_by=UserFactory(pilot=True),
        worker=this_worker(),  # alive: this very process
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    response = stop_figures(pilot)

    assert response.status_code == 422
    assert "Un traitement de cette nature n&#x27;est pas terminé" in response.content.decode()
    assert TaskRun.objects.count() == 1
    assert not Snapshot.objects.exists()
    snapshots = pilot.get(reverse("evaluation:snapshots")).content.decode()
    assert "Un arrêt des chiffres est déjà en cours" in snapshots


def test_a_running_run_asks_for_its_own_progress_and_shows_it(pilot):
    run = TaskRun.objects.create(
        kind=RunKind.SNAPSHOT,
        status=RunStatus.RUNNING,
        created_by=UserFactory(pilot=True),
        worker=this_worker(),
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        progress_done=3,
        progress_total=12,
    )
    url = reverse("pti:run_detail", args=[run.pk])

    page = pilot.get(url).content.decode()
    fragment = pilot.get(url, headers={"HX-Request": "true"}).content.decode()

    assert "<h1" in page
    assert "<h1" not in fragment
    for content in (page, fragment):
        assert f'hx-get="{url}"' in content
        polling = """hx-vals='{"etat": "running", "fait": "3"}' hx-trigger="every 2s\""""
        assert polling in content
        assert "Avancement : 25 % (3 sur 12)" in content
        assert '<progress id="run-progress" class="w-100 mb-2" max="100" value="25">' in content


# --- A worker that died -------------------------------------------------------------------------


def dead_worker():
    """The name of a worker process of this machine that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return f"{this_worker().rpartition(':')[0]}:{process.pid}"


def running(worker, *, heartbeat_minutes_ago=0):
    at = timezone.now() - datetime.timedelta(minutes=heartbeat_minutes_ago)
    return TaskRun.objects.create(
        kind=RunKind.SNAPSHOT,
        status=RunStatus.RUNNING,
        created_by=UserFactory(pilot=True),
        worker=worker,
        started_at=at,
        heartbeat_at=at,
        attempts=1,
        parameters={"year": YEAR, "note": ""},
    )


def test_a_run_whose_worker_died_is_interrupted_and_started_again(pilot):
    PactFactory()
    run = running(dead_worker())

    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "interrompu" in page
    assert "Rien n'en a été enregistré. Vous pouvez le relancer depuis le début" in page
    listing = pilot.get(reverse("pti:run_list")).content.decode()
    assert "interrompu" in listing

    pilot.post(reverse("pti:run_restart", args=[run.pk]))

    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 2)
    assert Snapshot.objects.count() == 1


def test_an_interrupted_run_may_be_given_up_and_another_started(pilot):
    PactFactory()
    run = running(dead_worker())

    pilot.post(reverse("pti:run_cancel", args=[run.pk]))
    stop_figures(pilot)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert TaskRun.objects.filter(status=RunStatus.DONE).count() == 1


@pytest.mark.parametrize(("minutes", "interrupted"), [(1, False), (20, True)])
def test_a_worker_of_another_machine_is_judged_by_its_heartbeat(minutes, interrupted):
    run = running("autre-serveur:4242", heartbeat_minutes_ago=minutes)

    assert run.is_interrupted() is interrupted


def test_a_live_run_is_neither_restarted_nor_cancelled(pilot):
    run = running(this_worker())

    restart = pilot.post(reverse("pti:run_restart", args=[run.pk]), follow=True)
    cancel = pilot.post(reverse("pti:run_cancel", args=[run.pk]), follow=True)

    assert "il n&#x27;y a rien à relancer" in restart.content.decode()
    assert "ne peut pas être annulé : il est terminé, ou un worker y travaille" in (
        cancel.content.decode()
    )
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.RUNNING, 1)


# --- Who follows which run ----------------------------------------------------------------------


def test_a_manager_follows_their_own_runs_only(client_as):
    manager = UserFactory(manager=True)
    own = TaskRun.objects.create(kind=RunKind.SNAPSHOT, status=RunStatus.DONE, created_by=manager)
    other = TaskRun.objects.create(
        kind=RunKind.SNAPSHOT, status=RunStatus.DONE, created_by=UserFactory(pilot=True)
    )
    client = client_as(manager)

    listing = client.get(reverse("pti:run_list"))

    assert list(listing.context["page"].object_list) == [own]
    assert client.get(reverse("pti:run_detail", args=[other.pk])).status_code == 404


def test_the_run_list_makes_a_constant_number_of_queries(pilot, assert_constant_queries):
    user = UserFactory(pilot=True)

    def page():
        assert pilot.get(reverse("pti:run_list")).status_code == 200

    def add(count):
        for _ in range(count):
            TaskRun.objects.create(kind=RunKind.SNAPSHOT, status=RunStatus.DONE, created_by=user)

    add(1)
    assert_constant_queries(page, page, between=lambda: add(20))


# --- The worker itself --------------------------------------------------------------------------


def test_check_worker_says_which_worker_answered(capsys):
    call_command("check_worker", "--timeout", "5")

    assert f"Worker en service : {this_worker()}." in capsys.readouterr().out


@pytest.fixture
def real_worker(worker_process):
    """`start(*options)` starts a worker process (tests/conftest.py) that also knows the kind
    of run that waits for the test's signal."""
    register(WAITING, waiting_handler())
    return worker_process


def wait_for(path, process):
    """Wait until `path` exists (the run says it got there), failing at once if the worker
    ended first. The bound only keeps a broken test from waiting for ever."""
    for _ in range(12_000):
        if path.exists():
            return
        assert process.poll() is None, "the worker ended before the run got there"
        time.sleep(0.01)
    pytest.fail(f"{path.name} never came")


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_nothing_and_the_run_starts_again(real_worker, tmp_path, client_as):
    pilot = client_as(UserFactory(pilot=True))
    run = run_start(
        kind=WAITING, user=UserFactory(pilot=True), parameters={"signals": str(tmp_path)}
    )
    worker = real_worker()

    wait_for(tmp_path / "started-1", worker)  # the run has written, and waits
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.worker.endswith(f":{worker.pid}")
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    # Its writes were one transaction: nothing of it is left.
    assert not Territory.objects.filter(name=WRITTEN).exists()
    run.refresh_from_db()
    assert run.is_interrupted()
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "interrompu" in page

    pilot.post(reverse("pti:run_restart", args=[run.pk]))
    (tmp_path / "go").touch()
    again = real_worker("--batch")  # does what is queued, then ends
    again.wait(timeout=120)

    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 2)
    assert run.summary == {"territories": 1}
    assert Territory.objects.filter(name=WRITTEN).count() == 1


def test_the_home_page_lists_the_runs_not_ended(client_as):
    manager = UserFactory(manager=True)
    waiting = TaskRun.objects.create(kind=RunKind.SNAPSHOT, created_by=manager)
    TaskRun.objects.create(kind=RunKind.CNAF_FLUX, status=RunStatus.DONE, created_by=manager)

    page = client_as(manager).get(reverse("pti:home")).content.decode()

    url = reverse("pti:run_detail", args=[waiting.pk])
    assert f'<a href="{url}">Instantané des indicateurs n° {waiting.pk}</a> — en attente' in page
    assert "Import du flux" not in page


def test_the_page_asks_again_only_for_what_changed(pilot):
    run = running(this_worker())
    url = reverse("pti:run_detail", args=[run.pk])
    ask = {"headers": {"HX-Request": "true"}}

    unchanged = pilot.get(url, {"etat": "running", "fait": "0"}, **ask)
    TaskRun.objects.filter(pk=run.pk).update(progress_done=1, progress_total=4)
    moved = pilot.get(url, {"etat": "running", "fait": "0"}, **ask)

    assert unchanged.status_code == 204  # nothing swapped: focus and screen reader left alone
    assert moved.status_code == 200
    assert "Avancement : 25 % (1 sur 4)" in moved.content.decode()


def test_a_run_waiting_for_its_confirmation_does_not_ask_again(pilot):
    run = TaskRun.objects.create(
        kind=RunKind.CNAF_FLUX, status=RunStatus.TO_CONFIRM, created_by=UserFactory(pilot=True)
    )

    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()

    assert "hx-trigger" not in page
    assert "Confirmer l'import</button>" in page


def test_the_home_page_says_a_run_whose_worker_died_is_interrupted(client_as):
    run = running(dead_worker())

    page = client_as(run.created_by).get(reverse("pti:home")).content.decode()

    assert f"Instantané des indicateurs n° {run.pk}</a> — interrompu" in page
