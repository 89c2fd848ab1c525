"""The département's communes and their postal codes: one way of comparing the name of a
commune however it is written (`commune_key`), and the loading of the official bases a
département downloads (`communes_load`):

- INSEE's Code officiel géographique, communes file (« v_commune_2024.csv »: TYPECOM, COM,
  REG, DEP, CTCD, ARR, TNCC, NCC, NCCENR, LIBELLE, CAN, COMPARENT; comma-separated in
  recent years, semicolons in some copies, UTF-8): the communes (TYPECOM « COM », not the
  communes déléguées or associées nor the arrondissements of Paris, Lyon and Marseille);
- La Poste's base officielle des codes postaux (datanova « 019HexaSmal.csv »:
  #Code_commune_INSEE;Nom_de_la_commune;Code_postal;Libellé_d_acheminement;Ligne_5,
  semicolons, often Latin-1; the newer « base-officielle-codes-postaux.csv » has the same
  columns in lower case, comma-separated): every postal code of every commune, one line per
  (commune, code, ligne 5).
"""

import csv
import io
import re
from dataclasses import dataclass, field

from anyascii import anyascii
from django.db import transaction

from pti.models import Commune, PostalCode
from pti.tabular import normalise_header

# --- Comparing names ---------------------------------------------------------------------

ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
ARTICLES = ("le", "la", "les", "l")


def commune_key(name):
    """The form under which two spellings of one commune compare equal: case, accents and
    ligatures (œ, æ), hyphens, apostrophes (’ ' ʼ) and spaces, « St »/« Ste » for « Saint »/
    « Sainte », an article put after the name (« Talaudière (La) ») and « CEDEX » with its
    number are ignored.

    'ST ETIENNE CEDEX 2' -> 'saint etienne'; 'Talaudière (La)' -> 'la talaudiere';
    'L’Hôpital-sous-Rochefort' -> 'l hopital sous rochefort'."""
    text = anyascii(str(name or "")).lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    if "cedex" in words:
        # « CEDEX », « CEDEX 2 »: the rest is the distribution office, not the commune.
        words = words[: words.index("cedex")]
    while words and words[-1].isdigit():
        words.pop()
    words = [ABBREVIATIONS.get(word, word) for word in words]
    if len(words) > 1 and words[-1] in ARTICLES:
        words = [words[-1], *words[:-1]]
    return " ".join(words)


def has_cedex(text):
    """Whether an address line names a CEDEX (a distribution code, not a commune's)."""
    return "cedex" in re.sub(r"[^a-z0-9]+", " ", anyascii(str(text or "")).lower()).split()


# --- Reading the official files ------------------------------------------------------------


class CommuneFileError(ValueError):
    """An official file that cannot be read; the message says which and why, in French."""


def _decoded(data):
    """Text of a downloaded CSV: UTF-8 (with or without BOM), else Latin-1 (Windows-1252),
    as La Poste's older files are."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(data, what, wanted):
    """The rows of a CSV file as dicts keyed by `wanted`'s names: `wanted` maps a name to
    the normalised headers it may have. The separator is found from the header line."""
    text = _decoded(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = [normalise_header(h) for h in next(reader, [])]
    columns = {}
    for name, forms in wanted.items():
        found = next((headers.index(f) for f in forms if f in headers), None)
        if found is None:
            raise CommuneFileError(
                f"{what} : colonne « {forms[0]} » absente de la première ligne ; est-ce bien "
                "le bon fichier ?"
            )
        columns[name] = found
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        yield line, {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items()}


def _insee(code):
    code = code.strip().upper()
    return code.zfill(5) if code.isdigit() else code


def read_insee_communes(data, departement):
    """{INSEE code: name} of the communes of `departement` (« 42 », « 2A », « 974 ») in the
    COG communes file `data` (bytes). Raises CommuneFileError."""
    what = "Fichier des communes de l'INSEE"
    wanted = {
        "kind": ["typecom"],
        "insee": ["com"],
        "departement": ["dep"],
        "name": ["libelle", "nccenr"],
    }
    return {
        _insee(row["insee"]): row["name"]
        for _, row in _rows(data, what, wanted)
        if row["kind"].upper() == "COM" and row["departement"].upper() == departement
    }


@dataclass
class OfficialCode:
    """One postal code of a commune in La Poste's base: its libellé d'acheminement and the
    places of its lines' « ligne 5 » (communes déléguées, hamlets), in the file's order."""

    label: str
    localities: list = field(default_factory=list)


def read_postal_codes(data, departement):
    """{INSEE code: {postal code: OfficialCode}} of the communes of `departement` in La
    Poste's base officielle des codes postaux `data` (bytes): one entry per (commune, code),
    however many « ligne 5 » lines it has. Raises CommuneFileError, naming the line of a
    postal code that is not five digits."""
    what = "Base officielle des codes postaux"
    wanted = {
        "insee": ["code commune insee"],
        "postal_code": ["code postal"],
        "label": ["libelle d acheminement", "libelle acheminement"],
        "locality": ["ligne 5"],
    }
    codes = {}
    for line, row in _rows(data, what, wanted):
        insee = _insee(row["insee"])
        if not insee.startswith(departement):
            continue
        code = row["postal_code"].zfill(5)
        if not re.fullmatch(r"[0-9]{5}", code):
            raise CommuneFileError(
                f"{what}, ligne {line} : code postal « {row['postal_code']} » invalide "
                "(cinq chiffres attendus)."
            )
        official = codes.setdefault(insee, {}).setdefault(code, OfficialCode(row["label"]))
        if row["locality"] and row["locality"] not in official.localities:
            official.localities.append(row["locality"])
    return codes


# --- Loading them ------------------------------------------------------------------------


class CommuneLoadRefused(ValueError):
    """Nothing was written; the message says why, in French."""


@dataclass
class CommuneLoadReport:
    """What `communes_load` did (or, with dry_run, would do)."""

    dry_run: bool
    created: list = field(default_factory=list)  # names
    renamed: list = field(default_factory=list)  # (old name, new name)
    codes_added: int = 0
    labels_set: int = 0  # postal codes given their libellé or more places (ligne 5)
    unchanged: int = 0  # communes already as the files say
    kept_codes: list = field(default_factory=list)  # (commune, code) here, not in La Poste's
    not_in_cog: list = field(default_factory=list)  # communes here the COG does not list
    without_codes: list = field(default_factory=list)  # COG communes La Poste does not list

    def lines(self):
        """The report in French, one sentence a line."""
        verb = "seraient" if self.dry_run else "ont été"
        lines = [
            f"{len(self.created)} commune(s) {verb} créée(s), {len(self.renamed)} renommée(s), "
            f"{self.codes_added} code(s) postal(aux) {verb} ajouté(s), {self.labels_set} "
            f"code(s) complété(s) (libellé d'acheminement, lieux-dits) ; {self.unchanged} "
            "commune(s) déjà à jour.",
        ]
        lines += [f"  renommée : {old} → {new}" for old, new in self.renamed]
        lines += [
            f"  {name} : code postal {code} conservé, absent de la base de La Poste"
            for name, code in self.kept_codes
        ]
        lines += [
            f"  {name} ({insee}) : absente du fichier de l'INSEE, conservée"
            for insee, name in self.not_in_cog
        ]
        lines += [
            f"  {name} ({insee}) : sans code postal dans la base de La Poste, non créée"
            for insee, name in self.without_codes
        ]
        if self.dry_run:
            lines.append("Simulation : rien n'a été enregistré.")
        return lines


@transaction.atomic
def communes_load(*, departement, insee_communes, postal_codes, territory=None, dry_run=False):
    """Bring the communes and their postal codes up to the official files, read by
    `read_insee_communes` and `read_postal_codes` for `departement` (« 42 »).

    A commune of the COG that is not here is created in `territory` (required if there is
    one) with all its postal codes, the lowest as its main one; a commune already here keeps
    its territory and its main postal code, takes the COG's name and gains the postal codes,
    libellés d'acheminement and places (ligne 5) it lacks. Nothing is deleted: a postal code
    or a commune here that the files do not list is kept and reported (a household may live
    there).
    Running it twice changes nothing the second time. Returns a CommuneLoadReport; with
    `dry_run`, writes nothing. Raises CommuneLoadRefused."""
    report = CommuneLoadReport(dry_run=dry_run)
    existing = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=insee_communes)}
    known = {
        (row.code, row.commune_id): row
        for row in PostalCode.objects.filter(commune__insee_code__in=insee_communes).only(
            "code", "commune_id", "delivery_label", "localities"
        )
    }
    report.not_in_cog = list(
        Commune.objects.filter(insee_code__startswith=departement)
        .exclude(insee_code__in=insee_communes)
        .order_by("insee_code")
        .values_list("insee_code", "name")
    )
    new_codes, new_labels = [], []
    for insee, name in sorted(insee_communes.items()):
        codes = postal_codes.get(insee, {})
        commune = existing.get(insee)
        if commune is None:
            if not codes:
                report.without_codes.append((insee, name))
                continue
            if territory is None and not dry_run:
                raise CommuneLoadRefused(
                    f"La commune {name} ({insee}) n'existe pas encore ici : indiquez le "
                    "territoire où placer les nouvelles communes (--territoire) ; vous les "
                    "répartirez ensuite dans l'administration."
                )
            report.created.append(name)
            if dry_run:
                report.codes_added += len(codes)
                continue
            commune = Commune(insee_code=insee, name=name, postal_code=min(codes))
            commune.territory = territory
            commune.full_clean()
            commune.save()
        else:
            changed = False
            if commune.name != name:
                report.renamed.append((commune.name, name))
                commune.name = name
                changed = True
                if not dry_run:
                    commune.full_clean()
                    commune.save(update_fields=["name"])
            here = {code for code, commune_id in known if commune_id == commune.pk}
            for code, official in codes.items():
                row = known.get((code, commune.pk))
                if row is None:
                    new_codes.append(_postal_code(commune, code, official))
                    changed = True
                elif _complete(row, official):
                    new_labels.append(row)
                    changed = True
            if commune.postal_code not in here and commune.postal_code not in codes:
                # The main postal code is always one of the commune's postal codes.
                new_codes.append(PostalCode(commune=commune, code=commune.postal_code))
                here.add(commune.postal_code)
                changed = True
            report.kept_codes += [(commune.name, code) for code in sorted(here - set(codes))]
            report.unchanged += not changed
            continue
        new_codes += [_postal_code(commune, code, official) for code, official in codes.items()]
    report.codes_added += len(new_codes)
    report.labels_set = len(new_labels)
    if not dry_run:
        for postal_code in new_codes:
            postal_code.full_clean(exclude=["commune"])
        PostalCode.objects.bulk_create(new_codes)
        PostalCode.objects.bulk_update(new_labels, ["delivery_label", "localities"])
    return report


def _postal_code(commune, code, official):
    return PostalCode(
        commune=commune,
        code=code,
        delivery_label=official.label,
        localities="\n".join(official.localities),
    )


def _complete(row, official):
    """Give a postal code here the libellé and the places La Poste lists that it lacks;
    whether it changed. What was typed here is kept."""
    changed = False
    if official.label and not row.delivery_label:
        row.delivery_label = official.label
        changed = True
    places = row.locality_list()
    missing = [place for place in official.localities if place not in places]
    if missing:
        row.localities = "\n".join([*places, *missing])
        changed = True
    return changed


def commune_postal_code_keep(*, commune):
    """Add the commune's main postal code to its postal codes if it is not one of them yet
    (a commune created or changed by hand in the administration)."""
    PostalCode.objects.get_or_create(commune=commune, code=commune.postal_code)
