from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from beneficiaries.management.importing import existing_file, importing_user, write_errors
from beneficiaries.resources import people_import_spec
from pti.enums import Role
from pti.imports import analyse, summary
from pti.tabular import TableError, read_upload


class Command(BaseCommand):
    help = (
        "Importe une liste de bénéficiaires (CSV, XLSX ou ODS, les colonnes de l'écran "
        "« Importer une liste ») sans la limite de lignes de l'écran. Mêmes règles que "
        "l'écran : tout ou rien, chaque dossier créé ou modifié garde la trace de l'import au "
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

    def handle(self, *args, file, user, dry_run, **options):
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
            table = spec.read(path.name, data)
            with transaction.atomic():
                report = analyse(spec, table, dry_run=dry_run)
                if dry_run or not report.is_valid:
                    transaction.set_rollback(True)
        except TableError as error:
            raise CommandError(f"{error} Rien n'a été enregistré.") from None
        if not report.is_valid:
            write_errors(
                self.stderr,
                [
                    f"{f'Ligne {line}' if line else 'Fichier'} : {text}"
                    for line, text in report.errors
                ],
            )
            raise CommandError("Fichier refusé : rien n'a été enregistré.")
        if dry_run:
            done = summary(report, lead="l'import ferait")
            self.stdout.write(f"Simulation (--dry-run) : {done} Rien n'a été enregistré.")
        else:
            self.stdout.write(self.style.SUCCESS(summary(report)))
