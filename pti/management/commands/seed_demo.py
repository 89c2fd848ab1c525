"""Build a plausible département to try the application: `python manage.py seed_demo`.

Each app adds its own part through an optional `<app>/demo.py` module that defines
`seed(*, options, report)` and, if it takes options, `add_arguments(parser)`. The parts run
in the order of INSTALLED_APPS, which is the order of the apps' dependencies. Every part
is idempotent: running the command again updates the demo data instead of duplicating it.
"""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule

DEFAULT_PASSWORD = "demo-pti-2026"  # noqa: S105 -- printed on purpose: demo accounts only


def demo_modules():
    for label in settings.PTI_APPS:
        config = apps.get_app_config(label)
        if module_has_submodule(config.module, "demo"):
            yield import_module(f"{config.name}.demo")


class Report:
    """What the parts did, printed at the end for the person who ran the command."""

    def __init__(self):
        self.lines = []
        self.accounts = []

    def add(self, line):
        self.lines.append(line)

    def add_account(self, username, role_label, organisation):
        self.accounts.append((username, role_label, organisation))


class Command(BaseCommand):
    help = (
        "Crée ou met à jour les données de démonstration : territoires, organisations, "
        "pacte, comptes de chaque rôle (et ce que les autres applications y ajoutent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"mot de passe commun des comptes de démonstration (défaut : {DEFAULT_PASSWORD})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="montre ce qui serait créé sans rien enregistrer",
        )
        for module in demo_modules():
            if hasattr(module, "add_arguments"):
                module.add_arguments(parser)

    def handle(self, *args, **options):
        if not settings.PTI_DEMO_ALLOWED:
            raise CommandError(
                "Les données de démonstration créent des comptes au mot de passe connu : "
                "elles sont refusées sur un serveur de production. "
                "Définissez PTI_DEMO_ALLOWED=true pour un serveur de démonstration."
            )
        report = Report()
        with transaction.atomic():
            for module in demo_modules():
                module.seed(options=options, report=report)
            if options["dry_run"]:
                transaction.set_rollback(True)

        for line in report.lines:
            self.stdout.write(f"  {line}")
        if options["dry_run"]:
            self.stdout.write(
                self.style.WARNING("Simulation (--dry-run) : rien n'a été enregistré.")
            )
            return
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write("")
        self.stdout.write("Comptes de démonstration (même mot de passe pour tous) :")
        for username, role_label, organisation in report.accounts:
            self.stdout.write(f"  {username:<12} {role_label:<28} {organisation}")
        self.stdout.write(f"Mot de passe : {options['password']}")
