from django.core.management.base import BaseCommand, CommandError

from beneficiaries.cnaf import CnafFluxError, CnafImportRefused, cnaf_flux_import
from beneficiaries.management.importing import existing_file, importing_user, write_errors
from pti.enums import Role


class Command(BaseCommand):
    help = (
        "Importe le flux mensuel « bénéficiaires » de la CNAF ou de la MSA (VRSB0801, XML) : "
        "crée ou met à jour les foyers et leurs membres (adresse, commune, situation "
        "familiale, sans domicile fixe, droits et devoirs) et enregistre une sortie « fin de "
        "droit » pour les personnes des dossiers clos. Tout ou rien : un fichier qui contient "
        "une erreur est refusé en entier, avec la liste de ses erreurs."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="le fichier XML du flux")
        parser.add_argument(
            "--user",
            required=True,
            help="identifiant du pilote qui importe (il est inscrit dans l'historique des "
            "accès à chaque dossier créé ou modifié)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="lit et vérifie tout le fichier et compte ce qui changerait, sans rien "
            "enregistrer",
        )

    def handle(self, *args, file, user, dry_run, **options):
        path = existing_file(file)
        importer = importing_user(
            user,
            (Role.PILOT,),
            "n'est pas un pilote en activité : seul un pilote importe le flux CNAF.",
        )
        try:
            report = cnaf_flux_import(source=path, user=importer, dry_run=dry_run)
        except CnafFluxError as exc:
            raise CommandError(f"{exc} Rien n'a été enregistré.") from None
        except CnafImportRefused as refused:
            errors = refused.report.errors
            write_errors(self.stderr, [str(error) for error in errors])
            raise CommandError(
                f"Fichier refusé : {len(errors)} erreur(s). Rien n'a été enregistré ; "
                "corrigez le fichier ou demandez-en un nouveau à la CAF, puis relancez."
            ) from None
        self.print_report(report)

    def print_report(self, report):
        first, *others = report.lines()
        self.stdout.write(first)
        for line in others:
            self.stdout.write(f"  {line}")
        if report.dry_run:
            self.stdout.write(
                self.style.WARNING("Simulation (--dry-run) : rien n'a été enregistré.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("Flux importé."))
