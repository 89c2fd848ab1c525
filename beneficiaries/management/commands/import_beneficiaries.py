import tempfile
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from beneficiaries.management.importing import (
    existing_file,
    importing_user,
    write_errors,
    write_warnings,
)
from beneficiaries.resources import people_import_spec
from pti.enums import Role
from pti.import_runs import TableRefused, analyse_table, write_table
from pti.runs import RunRefused
from pti.tabular import TableError, french_number, read_upload


class PrintedProgress:
    """The progress of the analysis or of the write, printed every PRINT_SECONDS at most."""

    PRINT_SECONDS = 2

    def __init__(self, stream, step):
        self.stream, self.step = stream, step
        self.count, self.done, self.printed_at = None, 0, time.monotonic()

    def total(self, count):
        self.count, self.done = count, 0

    def advance(self, count=1):
        self.done += count
        now = time.monotonic()
        if now - self.printed_at >= self.PRINT_SECONDS:
            self.printed_at = now
            shown = f" sur {french_number(self.count)}" if self.count else ""
            self.stream.write(f"{self.step} : {french_number(self.done)}{shown} lignes…")


class Command(BaseCommand):
    help = (
        "Importe une liste de bénéficiaires (CSV, XLSX ou ODS, les colonnes de l'écran "
        "« Importer une liste »). Mêmes règles que l'écran : chaque ligne est vérifiée, une "
        "ligne en erreur est retenue avec son foyer (même n° CAF) et n'est pas importée, le "
        "reste l'est en une fois ; chaque dossier créé ou modifié garde la trace de l'import au "
        "nom de l'utilisateur indiqué."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="le fichier de la liste")
        parser.add_argument(
            "--user",
            required=True,
            help="identifiant du pilote ou du responsable de structure au nom de qui importer",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="vérifie tout le fichier et dit ce que l'import ferait, sans rien enregistrer",
        )
        parser.add_argument(
            "--lignes-refusees",
            dest="held_file",
            metavar="FICHIER",
            help="écrit dans FICHIER (CSV pour Excel) les lignes retenues, avec leur erreur en "
            "première colonne, pour les corriger et les importer de nouveau",
        )
        parser.add_argument(
            "--sans-lignes-masquees",
            dest="exclude_hidden",
            action="store_true",
            help="laisse de côté les lignes masquées ou filtrées du tableur (XLSX, ODS) ; sans "
            "cette option, elles sont importées et comptées dans un avertissement",
        )

    def handle(self, *args, file, user, dry_run, held_file, exclude_hidden=False, **options):
        path = existing_file(file)
        importer = importing_user(
            user,
            (Role.PILOT, Role.MANAGER),
            "n'est ni un pilote ni un responsable de structure en activité.",
        )
        spec = people_import_spec(importer)
        try:
            with path.open("rb") as opened:
                opened.size = path.stat().st_size  # refused by its size before it is read
                data = read_upload(opened)
            table = spec.read(path.name, data, include_hidden=not exclude_hidden)
        except TableError as error:
            raise CommandError(f"{error} Rien n'a été enregistré.") from None
        with tempfile.TemporaryFile() as plan_file:
            try:
                with transaction.atomic():
                    # The analysis writes nothing, whatever the resource called.
                    outcome = analyse_table(
                        spec,
                        table,
                        user=importer,
                        plan_file=plan_file,
                        progress=PrintedProgress(self.stdout, "Analyse"),
                    )
                    transaction.set_rollback(True)
            except TableRefused as refused:
                self._held(refused.outcome, held_file)
                raise CommandError("Fichier refusé : rien n'a été enregistré.") from None
            except RunRefused as refused:
                raise CommandError(refused.message) from None
            self._held(outcome, held_file)
            write_warnings(self.stdout, outcome.found["warnings"])
            if table.hidden_lines and table.hidden_included:
                self.stdout.write(
                    "  (--sans-lignes-masquees pour laisser de côté les lignes masquées ou "
                    "filtrées du tableur)"
                )
            if dry_run:
                self.stdout.write(
                    f"Simulation (--dry-run) : {outcome.found['lines'][0]} Rien n'a été enregistré."
                )
                return
            plan_file.seek(0)
            try:
                with transaction.atomic():
                    done = write_table(
                        spec,
                        plan_file,
                        user=importer,
                        progress=PrintedProgress(self.stdout, "Import"),
                        analysis=outcome.found,
                    )
            except ValidationError as refusal:
                raise CommandError(" ".join(refusal.messages)) from None
        self.stdout.write(self.style.SUCCESS(done["lines"][0]))

    def _held(self, outcome, held_file):
        """Say which rows are held and why, and write them to `held_file` when given."""
        if outcome.held_csv is None:
            return
        write_errors(self.stderr, outcome.found["errors"])
        if held_file:
            Path(held_file).write_bytes(outcome.held_csv)
            self.stderr.write(
                f"Lignes retenues écrites dans {held_file} : corrigez-les, puis importez ce "
                "fichier."
            )
