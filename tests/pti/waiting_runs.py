"""A kind of background run for the tests of the real worker (tests/pti/test_runs.py): it
writes a territory, says it has (a file « started » in the folder its parameters name), then
waits for the test's signal (a file « go ») before it ends. Killed while it waits, its worker
must leave nothing written."""

import time
from pathlib import Path

from django.apps import AppConfig

KIND = "waiting"
WRITTEN = "Écrit par le traitement qui attend"


def perform_waiting(run, progress):
    from pti.models import Territory

    signals = Path(run.parameters["signals"])
    progress.total(2)
    Territory.objects.create(name=WRITTEN)
    progress.advance()
    (signals / f"started-{run.attempts}").touch()
    # Waits for the test's file, not for a time: the test kills the worker meanwhile, or
    # writes the file. The bound only keeps a forgotten worker from waiting for ever.
    for _ in range(6000):
        if (signals / "go").exists():
            return {"territories": Territory.objects.filter(name=WRITTEN).count()}
        time.sleep(0.01)
    raise RuntimeError("the test never gave its signal")


def waiting_handler():
    from pti.runs import RunHandler

    return RunHandler(perform=perform_waiting)


class WaitingRunsConfig(AppConfig):
    name = "tests.pti.waiting_runs"
    label = "waiting_runs"

    def ready(self):
        from pti.runs import register

        register(KIND, waiting_handler())
