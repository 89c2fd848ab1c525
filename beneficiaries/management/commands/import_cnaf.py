import tempfile

from django.core.management.base import BaseCommand, CommandError

from beneficiaries.cnaf import (
    CnafFluxError,
    CnafImportRefused,
    cnaf_flux_analyse,
    cnaf_flux_write,
)
from beneficiaries.management.importing import (
    ERRORS_SHOWN,
    existing_file,
    importing_user,
    write_errors,
)
from beneficiaries.runs import last_flux_date, replay_of
from pti.enums import Role
from pti.runs import ReportingReader


class Command(BaseCommand):
    help = (
        "Importe le flux mensuel « bénéficiaires » de la CNAF ou de la MSA (VRSB0801, XML) : "
        "crée ou met à jour les foyers et leurs membres (adresse, commune, situation "
        "familiale, sans domicile fixe, droits et devoirs) et enregistre la sortie du "
        "demandeur et du conjoint des dossiers clos, selon le motif de clôture (fin de droit, "
        "déménagement, décision du président du conseil départemental…). Un foyer dont "
        "le numéro est connu ici pour d'autres personnes, ou qui inscrit deux fois la même "
        "personne, est mis de côté « à traiter ». Un fichier qui contient une erreur est "
        "refusé en entier, avec la liste de ses erreurs ; avec --retenir, comme depuis "
        "l'écran, les foyers en erreur sont mis de côté « à traiter » et les autres importés. "
        "Un foyer dont la commune est inconnue du référentiel (load_communes) est toujours "
        "mis de côté, sans arrêter le mois."
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

        parser.add_argument(
            "--rattrapage",
            action="store_true",
            help="importe un flux qui n'est pas plus récent que le dernier importé (un "
            "rattrapage voulu) ; sans cette option, un tel flux est refusé, comme l'écran "
            "demande de le confirmer",
        )
        parser.add_argument(
            "--retenir",
            action="store_true",
            help="met de côté les foyers en erreur (liste « Foyers du flux à traiter », chacun "
            "avec sa raison) et importe tous les autres, au lieu de refuser le fichier",
        )

    def handle(self, *args, file, user, dry_run, retenir=False, rattrapage=False, **options):
        path = existing_file(file)
        importer = importing_user(
            user,
            (Role.PILOT,),
            "n'est pas un pilote en activité : seul un pilote importe le flux CNAF.",
        )
        try:
            report = self.analyse_then_write(
                path, importer, dry_run=dry_run, hold=retenir, replay=rattrapage
            )
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

    def analyse_then_write(self, path, importer, *, dry_run, hold, replay=False):
        """The same two steps as from the browser (beneficiaries.runs), one after the other,
        with their progress printed every tenth; `hold`: the faulty households set aside, as
        the browser does, instead of the file refused; `replay`: a flux not newer than the
        last one imported is written all the same (the page's confirmation on purpose)."""
        last = last_flux_date()
        with path.open("rb") as stream, tempfile.TemporaryFile() as plan_file:
            size = path.stat().st_size
            self.stdout.write(f"Analyse du fichier ({size // 1_000_000} Mo)…")
            report = cnaf_flux_analyse(
                source=ReportingReader(stream, _PrintedProgress(self.stdout, "octets lus", size)),
                user=importer,
                plan_file=plan_file,
                hold_faulty=hold,
            )
            replayed = replay_of(report, last=last)
            if replayed and dry_run:
                self.stdout.write(
                    self.style.WARNING(f"{replayed} Pour l'importer quand même : --rattrapage.")
                )
            if dry_run:
                return report
            if replayed and not replay:
                raise CommandError(
                    f"{replayed} Rien n'a été enregistré. S'il s'agit d'un rattrapage voulu, "
                    "relancez avec --rattrapage."
                )
            self.stdout.write(f"Écriture de {report.households_read} foyer(s)…")
            return cnaf_flux_write(
                plan_file=plan_file,
                user=importer,
                progress=_PrintedProgress(self.stdout, "foyers écrits"),
            )

    def print_report(self, report):
        first, *others = report.lines()
        self.stdout.write(first)
        for line in others:
            self.stdout.write(f"  {line}")
        # The households set aside, by position and matricule, as the page lists them.
        for held in [*report.held, *report.changed_since][:ERRORS_SHOWN]:
            self.stdout.write(f"  à traiter : {held}")
        if report.dry_run:
            self.stdout.write(
                self.style.WARNING("Simulation (--dry-run) : rien n'a été enregistré.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("Flux importé."))


class _PrintedProgress:
    """A progress (as pti.runs.Progress takes `total` and `advance`) printed at each tenth."""

    def __init__(self, out, unit, count=None):
        self.out, self.unit = out, unit
        self.done, self.count, self.shown = 0, count, 0

    def total(self, count):
        self.count = count

    def advance(self, count=1):
        self.done += count
        if self.count and self.done * 10 // self.count > self.shown:
            self.shown = self.done * 10 // self.count
            self.out.write(f"  {self.shown * 10} % ({self.done} {self.unit})")
