from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from beneficiaries.retention import (
    active_base_limit,
    apply_retention,
    people_past_retention,
)


class Command(BaseCommand):
    help = (
        "Applique les durées de conservation : anonymise les dossiers clos sans contact depuis "
        f"{settings.PTI_ACTIVE_RETENTION_DAYS} jours (PTI_ACTIVE_RETENTION_DAYS) et supprime "
        "les traces d'accès et de modification plus anciennes que "
        f"{settings.PTI_FILE_ACCESS_RETENTION_DAYS} jours (PTI_FILE_ACCESS_RETENTION_DAYS), "
        "ainsi que les fichiers d'import envoyés pour un aperçu et jamais confirmés. "
        "À planifier chaque jour ou chaque mois."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="compte les dossiers à anonymiser sans rien modifier",
        )

    def handle(self, *args, dry_run, **options):
        today = timezone.localdate()
        if dry_run:
            count = people_past_retention(today).count()
            self.stdout.write(
                f"{count} dossier(s) clos sans contact depuis le "
                f"{active_base_limit(today):%d/%m/%Y} seraient anonymisés. "
                "Simulation (--dry-run) : rien n'a été modifié."
            )
            return
        report = apply_retention()
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.people} personne(s) et {report.households} foyer(s) anonymisés ; "
                f"{report.file_accesses} trace(s) d'accès et {report.change_entries} trace(s) "
                f"de modification supprimées ; {report.import_files} fichier(s) d'import "
                "abandonné(s) supprimé(s)."
            )
        )
