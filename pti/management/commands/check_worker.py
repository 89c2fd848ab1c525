import time

from django.core.management.base import BaseCommand, CommandError

from pti.runs import check_worker
from pti.tasks_framework import TaskResultStatus


class Command(BaseCommand):
    help = (
        "Vérifie qu'un worker prend les tâches en arrière-plan : envoie une tâche qui ne fait "
        "rien et attend qu'un worker l'exécute. Échoue (code 1) si aucun ne l'a fait à temps."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=30,
            help="secondes d'attente au plus (défaut : 30)",
        )

    def handle(self, *args, timeout, **options):
        result = check_worker.enqueue()
        deadline = time.monotonic() + timeout
        while result.status not in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Aucun worker n'a pris la tâche en {timeout:g} s : lancez « manage.py "
                    "db_worker » (ou vérifiez son service) sur une machine qui voit cette base."
                )
            time.sleep(0.2)
            result.refresh()
        if result.status == TaskResultStatus.FAILED:
            raise CommandError("Le worker a pris la tâche mais elle a échoué : voyez son journal.")
        self.stdout.write(self.style.SUCCESS(f"Worker en service : {result.return_value}."))
