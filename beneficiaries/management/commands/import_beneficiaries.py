from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from beneficiaries.resources import people_import_spec
from pti.enums import Role
from pti.imports import analyse, summary
from pti.tabular import TableError

# Past this many, the errors are counted rather than listed.
ERRORS_SHOWN = 500


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
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        importer = get_user_model().objects.filter(username=user).first()
        if importer is None:
            raise CommandError(f"Utilisateur inconnu : {user}")
        if importer.role not in (Role.PILOT, Role.MANAGER) or not importer.is_active:
            raise CommandError(
                f"{user} n'est ni un pilote ni un responsable de structure en activité."
            )
        spec = people_import_spec(importer)
        try:
            table = spec.read(path.name, path.read_bytes())
            with transaction.atomic():
                report = analyse(spec, table, dry_run=dry_run)
                if dry_run or not report.is_valid:
                    transaction.set_rollback(True)
        except TableError as error:
            raise CommandError(f"{error} Rien n'a été enregistré.") from None
        if not report.is_valid:
            self.stderr.write(f"{len(report.errors)} erreur(s) dans le fichier :")
            for line, message in report.errors[:ERRORS_SHOWN]:
                self.stderr.write(f"  {f'Ligne {line}' if line else 'Fichier'} : {message}")
            if len(report.errors) > ERRORS_SHOWN:
                self.stderr.write(f"  … et {len(report.errors) - ERRORS_SHOWN} autre(s).")
            raise CommandError("Fichier refusé : rien n'a été enregistré.")
        if dry_run:
            done = summary(report, lead="l'import ferait")
            self.stdout.write(f"Simulation (--dry-run) : {done} Rien n'a été enregistré.")
        else:
            self.stdout.write(self.style.SUCCESS(summary(report)))
