from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evaluation.services import snapshot_take


class Command(BaseCommand):
    help = (
        "Arrête les chiffres d'une année : calcule tous les indicateurs et les garde tels "
        "quels, même si les données changent ensuite."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            default=timezone.localdate().year,
            help="année (défaut : l'année en cours)",
        )
        parser.add_argument(
            "--note", default="", help="objet de l'instantané, par exemple « transmis à la DREES »"
        )

    def handle(self, *args, year, note, **options):
        try:
            snapshot = snapshot_take(year=year, note=note)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        count = snapshot.measurements.count()
        self.stdout.write(self.style.SUCCESS(f"{snapshot} : {count} mesures enregistrées."))
