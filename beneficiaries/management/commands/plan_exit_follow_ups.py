from django.core.management.base import BaseCommand
from django.utils import timezone

from beneficiaries.services import exit_follow_ups_plan, exit_follow_ups_to_plan


def _sentence(counts):
    return ", ".join(f"{count} à {milestone.months} mois" for milestone, count in counts.items())


class Command(BaseCommand):
    help = (
        "Planifie les suivis après sortie arrivés à échéance : 3, 6 et 12 mois après une fin "
        "de droit ou une sortie des droits et devoirs, un suivi à renseigner par le référent "
        "(ou par un pilote si le référent est parti). Sans effet s'il est relancé le même jour. "
        "À planifier chaque nuit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="compte les suivis à planifier sans rien écrire",
        )

    def handle(self, *args, dry_run, **options):
        today = timezone.localdate()
        if dry_run:
            found = exit_follow_ups_to_plan(today)
            counts = {milestone: len(exits) for milestone, exits in found.items()}
            self.stdout.write(
                f"Suivis après sortie à planifier : {_sentence(counts)}. "
                "Simulation (--dry-run) : rien n'a été écrit."
            )
            return
        written = exit_follow_ups_plan(today=today)
        self.stdout.write(
            self.style.SUCCESS(f"Suivis après sortie planifiés : {_sentence(written)}.")
        )
