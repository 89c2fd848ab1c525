from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from beneficiaries.deadlines import active_base_start
from beneficiaries.retention import apply_retention, people_past_retention


class Command(BaseCommand):
    help = (
        "Applique les durées de conservation : clôt les dossiers sans sortie ni contact depuis "
        f"{settings.PTI_ACTIVE_RETENTION_DAYS} jours (PTI_ACTIVE_RETENTION_DAYS), anonymise "
        "ceux-ci et les dossiers clos sans contact depuis aussi longtemps, supprime les traces "
        "d'accès et de modification plus anciennes que "
        f"{settings.PTI_FILE_ACCESS_RETENTION_DAYS} jours (PTI_FILE_ACCESS_RETENTION_DAYS), "
        "ainsi que les fichiers d'import envoyés pour un aperçu et jamais confirmés. "
        "À planifier chaque nuit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="compte les dossiers à clore et à anonymiser sans rien modifier",
        )

    def handle(self, *args, dry_run, **options):
        today = timezone.localdate()
        if dry_run:
            past = people_past_retention(today)
            to_close = past.filter(exit__isnull=True).count()
            self.stdout.write(
                f"{to_close} dossier(s) sans sortie ni contact depuis le "
                f"{active_base_start(today):%d/%m/%Y} seraient clos faute de contact ; "
                f"{past.count()} dossier(s) seraient anonymisés (ceux-ci et les dossiers clos "
                "sans contact depuis cette date). Simulation (--dry-run) : rien n'a été modifié."
            )
            return
        report = apply_retention()
        self.stdout.write(self.style.SUCCESS(report.sentence()))
