import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pti.communes import (
    CommuneFileError,
    CommuneLoadRefused,
    communes_load,
    read_insee_communes,
    read_postal_codes,
)
from pti.models import Territory


class Command(BaseCommand):
    help = (
        "Charge les communes d'un département et tous leurs codes postaux depuis les fichiers "
        "officiels : le fichier des communes du Code officiel géographique de l'INSEE "
        "(v_commune_AAAA.csv) et la base officielle des codes postaux de La Poste "
        "(019HexaSmal.csv ou base-officielle-codes-postaux.csv). Les communes déjà connues "
        "gardent leur territoire et leur code postal principal ; rien n'est supprimé. "
        "Relancé, il ne change rien de plus."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--departement",
            required=True,
            help="code du département : 42, 2A, 974…",
        )
        parser.add_argument(
            "--communes",
            required=True,
            help="le fichier des communes de l'INSEE (CSV)",
        )
        parser.add_argument(
            "--codes-postaux",
            required=True,
            help="la base officielle des codes postaux de La Poste (CSV)",
        )
        parser.add_argument(
            "--territoire",
            help="code du territoire où placer les communes nouvelles (à répartir ensuite "
            "dans l'administration) ; requis s'il y en a",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="dit ce qui serait créé ou complété, sans rien enregistrer",
        )

    def handle(self, *args, departement, communes, codes_postaux, territoire, dry_run, **options):
        departement = departement.strip().upper()
        if not re.fullmatch(r"[0-9]{2}|2A|2B|97[1-6]", departement):
            raise CommandError(
                f"Département « {departement} » inconnu : deux chiffres (42), 2A, 2B ou 971 à 976."
            )
        territory = None
        if territoire:
            territory = Territory.objects.filter(code=territoire).first()
            if territory is None:
                codes = ", ".join(Territory.objects.values_list("code", flat=True)) or "aucun"
                raise CommandError(f"Territoire « {territoire} » inconnu (codes : {codes}).")
        try:
            insee_communes = read_insee_communes(_read(communes), departement)
            postal_codes = read_postal_codes(_read(codes_postaux), departement)
        except CommuneFileError as error:
            raise CommandError(str(error)) from None
        if not insee_communes:
            raise CommandError(
                f"Aucune commune du département {departement} dans {communes} : vérifiez le "
                "fichier et le code du département. Rien n'a été enregistré."
            )
        try:
            report = communes_load(
                departement=departement,
                insee_communes=insee_communes,
                postal_codes=postal_codes,
                territory=territory,
                dry_run=dry_run,
            )
        except CommuneLoadRefused as refused:
            raise CommandError(f"{refused} Rien n'a été enregistré.") from None
        for line in report.lines():
            self.stdout.write(line)
        if dry_run and report.created and territory is None:
            self.stdout.write(
                "Les communes nouvelles demanderont un territoire (--territoire) pour être créées."
            )


def _read(name):
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"Fichier introuvable : {name}")
    return path.read_bytes()
