from django.core.management.base import BaseCommand

from evaluation.precomputed import figures_precompute, years_to_precompute


class Command(BaseCommand):
    help = (
        "Calcule les chiffres du tableau de bord (tous les indicateurs, pour le département et "
        "chaque territoire) de l'année en cours et des années récentes non arrêtées, pour que "
        "les pages les lisent sans les recalculer. À lancer chaque nuit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            help="une année à calculer (répétable ; défaut : l'année en cours et les années "
            "récentes sans instantané)",
        )

    def handle(self, *args, year, **options):
        for one_year in year or years_to_precompute():
            kept = figures_precompute(year=one_year)
            self.stdout.write(self.style.SUCCESS(f"{kept} : {len(kept.scopes)} périmètres."))
