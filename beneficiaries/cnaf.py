"""The CNAF monthly "flux bénéficiaires" (VRSB0801, XML): reading it, and importing its
households and people.

A file is one `Racine` with an `IdentificationFlux`, one `InfosFoyerRSA` per household and a
`TransmissionFlux` that says how many households were sent. It is read as a stream: each
household is handed over as a plain dataclass, then its element is cleared, so that a
100,000-household file never sits in memory. Entities are never resolved, nothing is fetched
from the network, and a file that declares a DTD is refused: a real flux has none, and a DTD
is how XML bombs and external entities get in.

The import is in two steps. The analysis (`cnaf_flux_analyse`) reads and checks every
household, reports every error (the household's position, its line and its matricule, never a
name or a birth date) and decides what changes here, writing nothing in the database: its
decisions go to a plan (FluxPlan, a file). Once someone has confirmed, `cnaf_flux_write`
applies that plan in one transaction, in bulk, without reading the flux again; a household
changed here in between is set aside whole, never half-written. With errors (and without
`hold_faulty`) nothing is written; a household whose only fault is a commune unknown here
(its INSEE code, NUMCOM, is not in the référentiel: the file is right, the référentiel is
behind) is always held, not the month. The NIR is never read: the application does not store it.

Every person the flux lists in an open dossier gets the flux's date in their `FluxListing` (one
narrow row per person, two statements per thousand households): a person the flux still lists
is still in the RSA, which is news of them for the active base (`beneficiaries.retention`).
"""

import datetime
import json
import re
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from lxml import etree

from beneficiaries.allocataire import allocataire_number
from beneficiaries.closures import closure_exit
from beneficiaries.enums import (
    ExitCategory,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    Exit,
    FileAccess,
    FluxListing,
    HeldHousehold,
    Household,
)
from beneficiaries.search import name_key, search_key
from beneficiaries.services import exits_record_closures
from pti.bulk import among, insert_values, raise_to, update_values
from pti.enums import Role
from pti.models import Commune
from pti.plan_file import PlanFile

ROOT = "Racine"
HOUSEHOLD = "InfosFoyerRSA"
TRACE = "flux CNAF"

# Entity resolution off, no network, no DTD; huge_tree stays off: it lifts libxml2's limits
# on one text node's length and on nesting depth, which this format never comes near (a
# file's total size is not limited by it, since the file is read as a stream).
PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

# ETATDOSRSA: 0 request pending, 1 refused, 2 open and payable, 3 open and suspended, 4 open,
# payment suspended, 5 closed, 6 closed on an earlier month. When a file gives several, the
# first in this order wins (the order of the format's documentation).
STATE_DETECTION_ORDER = ("0", "1", "5", "3", "4", "2", "6")
OPEN_STATES = frozenset({"2", "3", "4"})
CLOSED_STATES = frozenset({"5", "6"})
# Where each closed state keeps its closure reason and date.
CLOSURE_BLOCKS = {"5": "FinDroit", "6": "FinDroitMoisAnterieur"}

# SITFAM: the legal family situation of the dossier's holder. The "avec enfants" half of our
# situations comes from the people whose RSA role is ENF.
SITFAM_COUPLE = frozenset({"MAR", "PAC", "RPA", "RVC", "RVM", "VIM"})
SITFAM_ALONE = frozenset({"ABA", "CEL", "DIV", "ISO", "SEF", "SEL", "VEU"})

ROLES = {
    "DEM": HouseholdRole.APPLICANT,
    "CJT": HouseholdRole.PARTNER,
    "ENF": HouseholdRole.CHILD,
    "AUT": HouseholdRole.OTHER,
    "RDO": HouseholdRole.OTHER,
}
# The people of a dossier in the RSA's rights and duties (DOMAIN.md: the applicant and the
# partner): a closure is an exit for them; a child or another person of the household leaves
# no parcours.
ADULT_ROLES = frozenset({HouseholdRole.APPLICANT, HouseholdRole.PARTNER})
SEXES = {"1": Sex.MALE, "2": Sex.FEMALE, "M": Sex.MALE, "F": Sex.FEMALE}
PAYERS = {"CAF": Payer.CAF, "MSA": Payer.MSA}
# When FONORG says neither: the application that wrote the file (Cristal and @RSA are the
# CNAF's, Agora the MSA's).
APPLICATION_PAYERS = {"CRI": Payer.CAF, "NRI": Payer.CAF, "NRA": Payer.CAF, "AGO": Payer.MSA}

DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?$")
BOOLEANS = {"1": True, "true": True, "0": False, "false": False}

# The longest values the models take (the schema allows less; a file that does not follow
# it is refused here rather than by the database).
MAX_NAME = Beneficiary._meta.get_field("last_name").max_length
MAX_FIRST_NAME = Beneficiary._meta.get_field("first_name").max_length
MAX_ADDRESS = Household._meta.get_field("address").max_length


class CnafFluxError(Exception):
    """The file cannot be read as a VRSB0801 flux at all (not XML, not this format, a DTD), or
    the database refused it. The message is French, for the person who imports, and holds no
    personal data."""


# --- What the file says ------------------------------------------------------------------


@dataclass
class FluxHeader:
    application: str
    kind: str  # TYPEFLUX: M monthly, I daily, R recovery
    created_on: datetime.date | None
    reference_on: datetime.date | None

    @property
    def known_on(self):
        """The day the département learns what the file says."""
        return self.created_on or self.reference_on


@dataclass
class FluxPerson:
    position: int  # 1 = the household's first Personne
    role: str  # HouseholdRole
    sex: str  # Sex
    subject_to_duties: bool | None  # None: the file does not say
    # Personal data stays out of repr(), and so out of tracebacks and logs.
    last_name: str = field(repr=False)
    birth_name: str = field(repr=False)
    first_name: str = field(repr=False)
    birth_date: datetime.date = field(repr=False)

    @cached_property
    def search_key(self):
        return search_key(self.last_name, self.birth_name, self.first_name)


@dataclass
class FluxHousehold:
    index: int  # 1 = the file's first InfosFoyerRSA
    line: int | None
    caf_number: str = ""
    payer: str = ""
    state: str = ""
    rsa_requested_on: datetime.date | None = None
    family_situation: str = ""
    homeless: bool = False
    insee_code: str = ""
    address: str = field(default="", repr=False)
    closed_on: datetime.date | None = None
    closure_reason: str = ""
    suspension_reasons: list = field(default_factory=list)
    people: list = field(default_factory=list)
    # What is wrong in this household, in French, without personal data.
    errors: list = field(default_factory=list)
    # What a person must decide before anything of this household is written (the same person
    # listed twice): the household is held whatever `hold_faulty` says, the file is not refused.
    doubts: list = field(default_factory=list)

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def is_closed(self):
        return self.state in CLOSED_STATES


# --- Reading -------------------------------------------------------------------------------


def _text(element, path):
    """The stripped text at `path`, a path of direct children: never `.//`, since a child's
    Rattachement repeats a parent's NOMNAI, PRENOM, DTNAI and NIR under the same names."""
    found = _first(element, path.split("/"))
    value = found.text if found is not None else None
    return " ".join(value.split()) if value else ""


def _first(element, steps):
    """The first descendant along `steps` (tags of direct children), in document order, as
    `element.find("/".join(steps))` finds it, or None; a plain walk over the children costs
    a third of lxml's path search, which the reader makes millions of times."""
    step, rest = steps[0], steps[1:]
    for child in element:
        if child.tag == step:
            if not rest:
                return child
            found = _first(child, rest)
            if found is not None:
                return found
    return None


def _date(text):
    match = DATE.match(text)
    if not match:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _capitalised(text):
    """'JEAN-PIERRE' -> 'Jean-Pierre' (the flux writes first names in capitals)."""
    return text.title() if text.isupper() else text


def caf_number_from_matricule(text, payer=Payer.CAF):
    """The household's number as stored (beneficiaries.allocataire), or None. The schema types
    MATRICULE as an integer, so zeros on the left may be lost: the number is padded back to 7
    digits. A 15-digit matricule is the 7-digit number followed by eight zeros; an MSA
    household keeps the MSA's own 13-digit matricule."""
    if not re.fullmatch(r"[0-9]{1,15}", text):
        return None
    try:
        return allocataire_number(text, payer)
    except ValueError:
        return None


class _Household:
    """Reads one InfosFoyerRSA into a FluxHousehold, noting what is wrong instead of stopping
    at the first problem."""

    def __init__(self, element, index, header):
        self.element = element
        self.header = header
        self.result = FluxHousehold(index=index, line=element.sourceline)

    def error(self, message):
        self.result.errors.append(message)

    def date(self, element, path, label, *, required=True):
        text = _text(element, path)
        if not text:
            if required:
                self.error(f"{label} absente")
            return None
        value = _date(text)
        if value is None:
            self.error(f"{label} invalide (date ISO attendue, AAAA-MM-JJ)")
        return value

    def boolean(self, element, path, label):
        text = _text(element, path)
        if not text:
            return None
        if text.lower() not in BOOLEANS:
            self.error(f"{label} invalide (1, 0, true ou false attendu)")
            return None
        return BOOLEANS[text.lower()]

    def read(self):
        household = self.result
        element = self.element
        organisme = element.find("IdentificationRSA/Organisme")
        if organisme is None:
            self.error("bloc IdentificationRSA/Organisme absent")
            return household
        matricule = _text(organisme, "MATRICULE")
        fonorg = _text(organisme, "FONORG").upper()
        household.payer = PAYERS.get(fonorg) or APPLICATION_PAYERS.get(
            self.header.application.upper(), ""
        )
        # Read as its payer writes it: the MSA's own matricule has 13 digits.
        household.caf_number = caf_number_from_matricule(matricule, household.payer) or ""
        if not matricule:
            self.error("matricule (MATRICULE) absent")
        elif not household.caf_number:
            # Named as written: a household set aside must be found again by a person.
            self.error(
                f"matricule (MATRICULE) « {matricule[:20]} » qui ne tient pas sur 7 chiffres"
                + (" ni sur les 13 d'un matricule MSA" if household.payer == Payer.MSA else "")
            )
        if not household.payer:
            self.error("organisme payeur (FONORG) ni CAF ni MSA")
        household.rsa_requested_on = self.date(
            element, "IdentificationRSA/DemandeRSA/DTDEMRSA", "date de demande (DTDEMRSA)"
        )
        self.read_state()
        self.read_address()
        household.homeless = bool(
            self.boolean(
                element,
                "PrestationRSA/DetailDroitRSA/TroncCommunDroitRSA/TOPSANSDOMFIXE",
                "indicateur sans domicile fixe (TOPSANSDOMFIXE)",
            )
        )
        for position, person in enumerate(element.findall("Personne"), start=1):
            flux_person = self.read_person(person, position)
            if flux_person is not None:
                household.people.append(flux_person)
        if not element.findall("Personne"):
            self.error("aucune personne (Personne) dans le foyer")
        self.check_duplicates()
        household.family_situation = self.family_situation(
            _text(element, "DonneesAdministratives/SituationFamille/SITFAM").upper()
        )
        return household

    def read_state(self):
        household = self.result
        situation = self.element.find("PrestationRSA/SituationDossierRSA")
        codes = set()
        if situation is not None:
            codes = {_text(state, "ETATDOSRSA") for state in situation.findall("EtatDossierRSA")}
        household.state = next((code for code in STATE_DETECTION_ORDER if code in codes), "")
        if not household.state:
            self.error("état du dossier (ETATDOSRSA) absent ou inconnu")
            return
        household.suspension_reasons = [
            _text(block, code)
            for block, code in [
                *((b, "MOTISUSDRORSA") for b in situation.findall("SuspensionDroit")),
                *((b, "MOTISUSVERSRSA") for b in situation.findall("SuspensionVersement")),
            ]
            if _text(block, code)
        ]
        if household.is_closed:
            own = CLOSURE_BLOCKS[household.state]
            other = CLOSURE_BLOCKS["6" if household.state == "5" else "5"]
            closure = situation.find(own)
            if closure is None:
                closure = situation.find(other)
            if closure is None:
                self.error(f"dossier clos sans date de clôture ({own}/DTCLORSA)")
                return
            household.closed_on = self.date(closure, "DTCLORSA", "date de clôture (DTCLORSA)")
            household.closure_reason = _text(closure, "MOTICLORSA")

    def read_address(self):
        """The current address (RGADR 1; the others are the previous ones) as one line, and
        its commune's INSEE code."""
        addresses = self.element.findall("DonneesAdministratives/Adresse")
        current = next(
            (a for a in addresses if _text(a, "TroncCommunAdresse/RGADR").lstrip("0") == "1"),
            addresses[0] if addresses else None,
        )
        if current is None:
            return
        detail = current.find("AdresseDetailleeFrance")
        if detail is None:
            return
        street = " ".join(
            part
            for part in (_text(detail, n) for n in ("NUMVOIE", "LIBTYPEVOIE", "NOMVOIE"))
            if part
        )
        parts = [_text(detail, "COMPLIDEADR"), _text(detail, "COMPLADR"), street]
        parts.append(_text(detail, "LIEUDIST"))
        self.result.address = ", ".join(part for part in parts if part)
        if len(self.result.address) > MAX_ADDRESS:
            self.error(f"adresse de plus de {MAX_ADDRESS} caractères")
        self.result.insee_code = _text(detail, "NUMCOM").upper()

    def read_person(self, person, position):
        """Only the person's own Identification is read, never a Rattachement's."""
        where = f"personne n°{position}"
        identification = person.find("Identification")
        if identification is None:
            self.error(f"{where} : bloc Identification absent")
            return None
        last_name = _text(identification, "NOM")
        birth_name = _text(identification, "NOMNAI")
        first_name = _capitalised(_text(identification, "PRENOM"))
        problems = len(self.result.errors)
        if not last_name or not first_name:
            self.error(f"{where} : nom (NOM) ou prénom (PRENOM) absent")
        if max(len(last_name), len(birth_name)) > MAX_NAME or len(first_name) > MAX_FIRST_NAME:
            self.error(f"{where} : nom ou prénom trop long")
        birth_date = self.date(identification, "DTNAI", f"{where} : date de naissance (DTNAI)")
        sex = SEXES.get(_text(identification, "SEXE").upper())
        if sex is None:
            self.error(f"{where} : sexe (SEXE) absent ou inconnu (1 ou 2 attendu)")
        # Two Prestations per person (PFA and RSA): the role is the RSA one's.
        rsa_roles = [
            _text(benefit, "ROLEPERS").upper()
            for benefit in person.findall("Prestations")
            if _text(benefit, "NATPREST").upper() == "RSA"
        ]
        if not rsa_roles:
            self.error(f"{where} : pas de prestation RSA (Prestations/NATPREST) pour son rôle")
        subject = self.boolean(
            person,
            "MontantCalculDroitRSAPersonne/TOPPERSDRODEVORSA",
            f"{where} : droits et devoirs (TOPPERSDRODEVORSA)",
        )
        if len(self.result.errors) > problems:
            return None
        if name_key(birth_name) == name_key(last_name):
            birth_name = ""
        return FluxPerson(
            position=position,
            role=ROLES.get(rsa_roles[0], HouseholdRole.OTHER),
            sex=sex,
            subject_to_duties=subject,
            last_name=last_name,
            birth_name=birth_name,
            first_name=first_name,
            birth_date=birth_date,
        )

    def check_duplicates(self):
        """The same person listed twice (a child entered twice, most often): which of the two
        is right is for a person to decide, never for the import to merge."""
        seen = {}
        for person in self.result.people:
            key = (person.birth_date, person.search_key)
            if key in seen:
                first = seen[key]
                who = (
                    "le même enfant inscrit deux fois"
                    if first.role == person.role == HouseholdRole.CHILD
                    else "la même personne inscrite deux fois"
                )
                self.result.doubts.append(
                    f"personnes n°{first.position} et n°{person.position} identiques (mêmes "
                    f"nom, prénom et date de naissance) : {who} ? Rien n'est écrit pour ce "
                    "foyer, à vérifier avec la CAF ou la MSA"
                )
            else:
                seen[key] = person

    def family_situation(self, sitfam):
        roles = {person.role for person in self.result.people}
        children = HouseholdRole.CHILD in roles
        if sitfam in SITFAM_COUPLE:
            couple = True
        elif sitfam in SITFAM_ALONE:
            couple = False
        else:  # no code list is enforced by the schema: the household's make-up decides
            couple = HouseholdRole.PARTNER in roles
        if couple:
            return FamilySituation.COUPLE_WITH_CHILDREN if children else FamilySituation.COUPLE
        return FamilySituation.SINGLE_PARENT if children else FamilySituation.SINGLE


def _read_header(element):
    header = FluxHeader(
        application=_text(element, "APPLIEME"),
        kind=_text(element, "TYPEFLUX"),
        created_on=_date(_text(element, "DTCREAFLUX")),
        reference_on=_date(_text(element, "DTREF")),
    )
    if header.known_on is None:
        raise CnafFluxError(
            "La date de création du flux (IdentificationFlux/DTCREAFLUX) et sa date de "
            "référence (DTREF) sont absentes ou illisibles."
        )
    return header


class FluxReader:
    """Iterate over the households of a VRSB0801 file (a path or a binary file object).

    `header` is known once the first household is handed over (or at the end of an empty
    file); `declared_count`, `count` and `file_errors` once the iteration is over.
    """

    def __init__(self, source):
        self.source = source
        self.header = None
        self.count = 0
        self.declared_count = None
        self.file_errors = []

    @contextmanager
    def _opened(self):
        if isinstance(self.source, str | Path):
            with open(self.source, "rb") as stream:
                yield stream
        else:
            self.source.seek(0)
            yield self.source

    def _check_start(self):
        """The root element and the prologue, from the first bytes only."""
        with self._opened() as stream:
            try:
                _event, root = next(etree.iterparse(stream, events=("start",), **PARSER_OPTIONS))
            except etree.XMLSyntaxError as exc:
                raise _syntax_error(exc) from None
            except StopIteration:
                raise CnafFluxError("Le fichier est vide.") from None
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise CnafFluxError(
                "Le fichier déclare une DTD (<!DOCTYPE …>) : un flux de la CNAF n'en a pas, "
                "et les entités qu'elle peut définir sont un risque. Fichier refusé."
            )
        if root.tag != ROOT:
            raise CnafFluxError(
                "Ce fichier XML n'est pas un flux bénéficiaires VRSB0801 de la CNAF : "
                f"son élément racine est « {str(root.tag)[:40]} » au lieu de « {ROOT} »."
            )

    def __iter__(self):
        self._check_start()
        with self._opened() as stream:
            yield from self._households(stream)
        if self.header is None:
            raise CnafFluxError(
                "Ce fichier n'est pas un flux VRSB0801 : le bloc IdentificationFlux est absent."
            )
        self._check_count()

    def _households(self, stream):
        events = etree.iterparse(
            stream,
            events=("end",),
            tag=("IdentificationFlux", HOUSEHOLD, "TransmissionFlux"),
            **PARSER_OPTIONS,
        )
        try:
            for _event, element in events:
                parent = element.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # only the children of Racine
                if element.tag == "IdentificationFlux":
                    self.header = _read_header(element)
                elif element.tag == HOUSEHOLD:
                    if self.header is None:
                        raise CnafFluxError(
                            "Ce fichier n'est pas un flux VRSB0801 : un foyer précède le bloc "
                            "IdentificationFlux."
                        )
                    self.count += 1
                    yield _Household(element, self.count, self.header).read()
                else:
                    self.declared_count = _text(element, "NBTOTDOSRSATRANSM")
                # What was read is dropped: memory stays flat whatever the file's size.
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc) from None

    def _check_count(self):
        if self.declared_count is None:
            self.file_errors.append(
                "bloc TransmissionFlux/NBTOTDOSRSATRANSM absent : le nombre de foyers transmis "
                "ne peut pas être vérifié"
            )
        elif not self.declared_count.isdigit():
            self.file_errors.append("nombre de foyers transmis (NBTOTDOSRSATRANSM) illisible")
        elif int(self.declared_count) != self.count:
            self.file_errors.append(
                f"le fichier annonce {int(self.declared_count)} foyer(s) "
                f"(NBTOTDOSRSATRANSM) mais en contient {self.count} : fichier incomplet ?"
            )


def _syntax_error(exc):
    """The position only: libxml2's message may quote bytes of the file."""
    line, column = exc.position if exc.position else (None, None)
    where = f" (ligne {line}, colonne {column})" if line else ""
    return CnafFluxError(
        f"Le fichier n'est pas un XML bien formé{where} : fichier tronqué, mal encodé ou "
        "qui n'est pas un flux XML."
    )


# --- Importing -----------------------------------------------------------------------------

# Households read, looked up and written together; rows per INSERT or UPDATE statement.
CHUNK = 1000
BATCH = 500


@dataclass
class CnafImportError:
    household: int | None  # position in the file; None for the file as a whole
    line: int | None
    caf_number: str
    message: str

    def __str__(self):
        if self.household is None:
            return f"Fichier : {self.message}"
        where = f"Foyer n°{self.household}"
        if self.line:
            where += f" (ligne {self.line})"
        if self.caf_number:
            where += f", matricule {self.caf_number}"
        return f"{where} : {self.message}"


@dataclass
class CnafHeld:
    """A household of the flux set aside for a person to deal with: where it is in the file,
    its payer and number, and every reason."""

    household: int
    line: int | None
    payer: str
    caf_number: str
    reasons: list

    def __str__(self):
        where = f"Foyer n°{self.household}"
        if self.line:
            where += f" (ligne {self.line})"
        if self.caf_number:
            where += f", matricule {self.caf_number}"
        return f"{where} : {' ; '.join(self.reasons)}"


@dataclass
class CnafImportReport:
    dry_run: bool = False
    header: FluxHeader | None = None
    households_read: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    # Closed (ETATDOSRSA 5 or 6) and known: their people leave the parcours.
    households_closed: int = 0
    # Not imported: no right open yet or refused (0, 1), or closed and never known here.
    households_ignored: int = 0
    # Among them, by ETATDOSRSA: requests waiting for a decision (0), refused (1).
    households_pending: int = 0
    households_refused: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    exits_recorded: int = 0
    # The same exits by category ({ExitCategory: count}), from each closure's reason
    # (beneficiaries.closures).
    exits_by_category: dict = field(default_factory=dict)
    # Closure reasons not in beneficiaries.closures (or missing, ""): {code as written:
    # [positions of the households]}; their exits are ends of right, for a person to check.
    closure_codes_unknown: dict = field(default_factory=dict)
    # People of the flux whose file here is anonymised: left as they are.
    anonymised_skipped: int = 0
    # People with an exit recorded, in a dossier the flux says is open again.
    people_back_after_exit: int = 0
    # People known here in another household of the same payer, found in a new one (a
    # couple that parts, a young adult who opens their own dossier): their file follows them.
    people_moved: int = 0
    # People created although someone of the same identity (names, birth date, sex) has a file
    # in another household of the same payer that still lists them: the CAF number says they
    # are another person, a probable homonym (a conventional 01/01 birth date), to check.
    people_homonyms: int = 0
    # The flux before this one (its date), and the households it listed in an open dossier
    # that this one does not list at all (neither open nor closed): for a person to check,
    # never closed silently. « CAF 0012345 (Saint-Étienne) ».
    previous_on: datetime.date | None = None
    households_absent: list = field(default_factory=list)
    # With `hold_faulty`: the households whose own data is wrong, set aside (CnafHeld), the
    # rest imported; without, they are errors and the whole file is refused.
    held: list = field(default_factory=list)
    # Households the analysis planned that changed here before the confirmation wrote them
    # (CnafHeld): not written, held too.
    changed_since: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.errors

    def counts(self):
        """The report's counts, {name: int}, to be kept as JSON (`from_counts`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.type is int}

    @classmethod
    def from_counts(cls, counts):
        return cls(**{name: value for name, value in counts.items() if name in cls.COUNTED})

    def lines(self):
        """What the import found or did, as French sentences (the command prints them, the
        run's page shows them)."""
        header = self.header
        lines = []
        if header is not None:
            dated = f"du {header.known_on:%d/%m/%Y}" if header.known_on else "non daté"
            if header.reference_on:
                dated += f", période au {header.reference_on:%d/%m/%Y}"
            lines.append(
                f"Flux {dated} (type {header.kind or '?'}) : {self.households_read} foyer(s) lu(s)."
            )
        lines += [
            f"Foyers : {self.households_created} créé(s), {self.households_updated} modifié(s), "
            f"{self.households_unchanged} inchangé(s), {self.households_closed} clos ; "
            f"{self.households_ignored} ignoré(s) : {self.households_pending} demande(s) en "
            f"attente de décision, {self.households_refused} droit(s) refusé(s), "
            f"{self.households_ignored - self.households_pending - self.households_refused} "
            "dossier(s) clos jamais connu(s) ici ou d'un autre état.",
            f"Personnes : {self.people_created} créée(s), {self.people_updated} modifiée(s), "
            f"{self.people_unchanged} inchangée(s) ; {self.anonymised_skipped} dossier(s) "
            "anonymisé(s) laissé(s) intact(s).",
            self.exits_line(),
            *self.unknown_codes_lines(),
        ]
        if self.people_moved:
            lines.append(
                f"{self.people_moved} personne(s) déjà connue(s) dans un autre foyer y ont été "
                "rattachée(s), avec leur dossier."
            )
        if self.people_homonyms:
            lines.append(
                f"{self.people_homonyms} personne(s) créée(s) alors qu'une personne de mêmes "
                "nom, prénom et date de naissance a un dossier dans un autre foyer : homonyme(s) "
                "probable(s), à vérifier."
            )
        if self.people_back_after_exit:
            lines.append(
                f"{self.people_back_after_exit} personne(s) déjà sortie(s) figurent dans un "
                "dossier de nouveau ouvert : leur sortie est à revoir."
            )
        if self.held:
            lines.append(
                f"{len(self.held)} foyer(s) en erreur mis de côté « à traiter », avec leur motif "
                "(liste jointe) : rien n'est écrit pour eux, le reste du fichier s'importe."
            )
        if self.changed_since:
            lines.append(
                f"{len(self.changed_since)} foyer(s) modifié(s) dans l'application entre "
                "l'analyse et la confirmation mis de côté « à traiter » : rien n'est écrit pour "
                "eux (ils restent comptés ci-dessus comme l'analyse les a trouvés)."
            )
        if self.households_absent:
            lines.append(
                f"{len(self.households_absent)} foyer(s) du flux précédent (du "
                f"{self.previous_on:%d/%m/%Y}) n'apparaissent pas dans celui-ci, ni ouverts ni "
                "clos : rien n'est changé pour eux, vérifiez leur situation (liste jointe)."
            )
        return lines

    def exits_line(self):
        """« Sorties enregistrées (dossiers clos) : 2, dont déménagement hors du département : 1,
        sanction : 1. »"""
        done = "à enregistrer" if self.dry_run else "enregistrées"
        line = f"Sorties {done} (dossiers clos) : {self.exits_recorded}"
        by_category = [
            f"{category.label} : {self.exits_by_category[category]}"
            for category in ExitCategory
            if self.exits_by_category.get(category)
        ]
        if by_category:
            line += f", dont {', '.join(by_category)}"
        return f"{line}."

    def unknown_codes_lines(self):
        """One line per closure reason this application does not know, naming it and its
        households (the first ten)."""
        lines = []
        for code, positions in sorted(self.closure_codes_unknown.items()):
            shown = ", ".join(f"n°{position}" for position in positions[:10])
            if len(positions) > 10:
                shown += ", …"
            what = (
                f"Motif de clôture (MOTICLORSA) « {code[:20]} » inconnu"
                if code
                else "Motif de clôture (MOTICLORSA) absent"
            )
            lines.append(
                f"{what} pour {len(positions)} foyer(s) ({shown}) : sorties "
                f"{'à enregistrer' if self.dry_run else 'enregistrées'} comme « fin de droit », "
                "à vérifier."
            )
        return lines


CnafImportReport.COUNTED = frozenset(CnafImportReport().counts())


class CnafImportRefused(Exception):
    """The file holds errors: nothing was written. `report.errors` lists them all."""

    def __init__(self, report):
        super().__init__(f"Flux CNAF refusé : {len(report.errors)} erreur(s), rien n'a été écrit.")
        self.report = report


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _names(last_name, birth_name):
    return {name_key(last_name), name_key(birth_name)} - {""}


def _match(flux_person, members, taken):
    """The member of the household who is this person of the flux: same birth date and same
    normalised name; failing that, same birth date, same first name and one name in common
    (a birth name entered by hand, or not at all)."""
    same_day = [m for m in members if m.birth_date == flux_person.birth_date and m.pk not in taken]
    key = flux_person.search_key
    for member in same_day:
        if member.search_key == key:
            return member
    names = _names(flux_person.last_name, flux_person.birth_name)
    first_name = name_key(flux_person.first_name)
    for member in same_day:
        if name_key(member.first_name) == first_name and names & _names(
            member.last_name, member.birth_name
        ):
            return member
    return None


class _Planner:
    """Decides, one chunk of households at a time, what the flux changes here, and writes it
    down as a plan (FluxPlan) for `cnaf_flux_write`; reads the database, writes nothing.

    Every decision is tagged with its household's position in the file, so that the writer can
    set a whole household aside (never half of one) when it changed here since the analysis;
    every existing row the plan updates or relies on carries its `lock_version` as read."""

    def __init__(self, *, report, hold_faulty=False):
        self.report = report
        self.hold_faulty = hold_faulty
        self.today = timezone.localdate()
        self.read_keys = set()  # (payer, caf_number) of every household of the file
        self.communes = {
            insee: (pk, territory_id)
            for insee, pk, territory_id in Commune.objects.values_list(
                "insee_code", "pk", "territory_id"
            )
        }
        self.seen = {}  # (payer, caf_number) -> position of the household in the file
        # Positions of the households held only for their unknown commune, without
        # `hold_faulty`: errors after all if the file is refused for another reason.
        self.commune_held = []
        self.moved = set()  # ids of the people moved to another household by this import
        self.matched = set()  # ids of the people found in their own household by this import
        self.present = set()  # ids of the households known here that this import has read
        # The first flux, in an empty base, finds nobody anywhere: no query for them.
        self.anyone_known = Beneficiary.objects.exists()

    def error(self, household, message):
        self.report.errors.append(
            CnafImportError(household.index, household.line, household.caf_number, message)
        )

    def plan_chunk(self, households, header):
        """The plan of these households (a dict of JSON values, FluxPlan's chunk)."""
        self.header = header
        self.chunk = {name: [] for name in PLAN_PARTS}
        wanted = [h for h in households if self.check(h)]
        existing = {
            (h.payer, h.caf_number): h
            for h in Household.objects.filter(caf_number__in={h.caf_number for h in wanted})
        }
        members = defaultdict(list)
        for person in (
            Beneficiary.objects.filter(household__in=existing.values())
            .only(*MATCHED_FIELDS)
            .annotate(has_exit=Exists(Exit.objects.filter(beneficiary=OuterRef("pk"))))
            .order_by()
        ):
            members[person.household_id].append(person)
        self.unmatched = []  # (household of the flux, flux person, household ref)
        for flux_household in wanted:
            household = existing.get((flux_household.payer, flux_household.caf_number))
            if (
                household is not None
                and not household.anonymised_on
                and self.strangers(flux_household, household, members)
            ):
                self.hold(
                    flux_household,
                    [
                        f"matricule {flux_household.caf_number} déjà connu ici pour un foyer dont "
                        "aucune personne ne figure dans ce dossier du flux (mêmes noms, prénoms "
                        "et dates de naissance) : autre famille sous le même numéro, ou numéro "
                        "mal saisi ? Rien n'est écrit pour ce foyer, à vérifier"
                    ],
                )
                continue
            if household is not None:
                self.present.add(household.pk)
            self.chunk["where"].append(
                [
                    flux_household.index,
                    flux_household.line,
                    flux_household.payer,
                    flux_household.caf_number,
                ]
            )
            if household is not None and household.anonymised_on:
                self.report.anonymised_skipped += len(flux_household.people)
            elif flux_household.is_closed:
                self.close(flux_household, household, members)
            else:
                self.merge(flux_household, household, members)
        self.place_unmatched()
        # Listed in a closed dossier, but open in their new one: no exit.
        self.chunk["closures"] = [c for c in self.chunk["closures"] if c[1] not in self.moved]
        self.report.exits_recorded += len(self.chunk["closures"])
        for closure in self.chunk["closures"]:
            category = closure[4]
            self.report.exits_by_category[category] = (
                self.report.exits_by_category.get(category, 0) + 1
            )
        return self.chunk

    def place_unmatched(self):
        """The people of the flux not found in their household: found in another household
        (moved there with their file), or new. One query for the whole chunk."""
        if not self.unmatched:
            return
        self.elsewhere = self.people_by_identity(self.unmatched)
        for flux_household, flux_person, household_ref in self.unmatched:
            person = self.moving(flux_household, flux_person, household_ref)
            if person is not None:
                self.move(flux_household, flux_person, person, household_ref)
            elif self.moved_already(flux_household, flux_person):
                self.report.people_unchanged += 1
            else:
                self.create_person(flux_household, flux_person, household_ref)
                if self.same_identity(flux_household, flux_person):
                    self.report.people_homonyms += 1

    def people_by_identity(self, unmatched):
        """{(payer, birth date, name key): [people]} of the people known here under the
        identities of these people of the flux, whatever their household."""
        identities = {
            (flux_household.payer, flux_person.birth_date, flux_person.search_key)
            for flux_household, flux_person, _ in unmatched
        }
        found = defaultdict(list)
        if not self.anyone_known:
            return found
        for person in (
            Beneficiary.objects.filter(
                search_key__in={key for _, _, key in identities},
                anonymised_on__isnull=True,
            )
            .only(*MATCHED_FIELDS)
            .annotate(
                payer=F("household__payer"),
                has_exit=Exists(Exit.objects.filter(beneficiary=OuterRef("pk"))),
            )
            .order_by()
        ):
            identity = (person.payer, person.birth_date, person.search_key)
            if identity in identities:
                found[identity].append(person)
        return found

    def same_identity(self, flux_household, flux_person):
        return [
            person
            for person in self.elsewhere.get(
                (flux_household.payer, flux_person.birth_date, flux_person.search_key), []
            )
            if person.sex == flux_person.sex
        ]

    def moving(self, flux_household, flux_person, household_ref):
        """The one person known in another household under this identity (same payer, birth
        date, names and sex) who has left it: that household came before in the flux (or in
        the same thousand) without them, or closed. Never a guess between two, never a
        namesake whose household the flux has not shown yet."""
        candidates = [
            person
            for person in self.same_identity(flux_household, flux_person)
            if person.household_id != household_ref
            and person.household_id in self.present
            and person.pk not in self.moved
            and person.pk not in self.matched
        ]
        return candidates[0] if len(candidates) == 1 else None

    def moved_already(self, flux_household, flux_person):
        """Whether this import has already moved this person to another household (a flux
        that lists them in two open dossiers): they are not created again here."""
        return any(
            person.pk in self.moved for person in self.same_identity(flux_household, flux_person)
        )

    def check(self, household):
        """Whether the household is to be imported; every problem goes to the report (a
        household with a wrong date is still checked for its commune), or, with
        `hold_faulty`, the household is set aside with all its reasons."""
        problems = list(household.errors)
        key = (household.payer, household.caf_number)
        self.read_keys.add(key)
        if household.state and not (household.is_open or household.is_closed):
            if not problems:
                self.report.households_ignored += 1
                self.report.households_pending += household.state == "0"
                self.report.households_refused += household.state == "1"
            return self._faulty(household, problems)
        if household.caf_number and key in self.seen:
            problems.append(f"matricule déjà présent au foyer n°{self.seen[key]}")
        self.seen.setdefault(key, household.index)
        # A closed household's address may already be the next one, in another département.
        if household.is_open and household.insee_code not in self.communes:
            if household.insee_code and not problems and not self.hold_faulty:
                # The file is right, the référentiel lacks the commune: the household waits
                # for it (held), the month is imported; listed only if the file is refused.
                self.commune_held.append(household.index)
                return self._faulty(household, [unknown_commune(household.insee_code)], hold=True)
            problems.append(
                unknown_commune(household.insee_code)
                if household.insee_code
                else "adresse sans code INSEE de commune (NUMCOM)"
            )
        if problems:
            self._faulty(household, problems + household.doubts)
            return False
        if household.doubts:
            self.hold(household, household.doubts)
            return False
        return True

    def hold(self, household, reasons):
        """Set a household aside for a person to decide (`report.held`), whatever
        `hold_faulty` says: nothing of it is wrong in the file, but the import cannot tell
        what is right. Returns False: the household is not imported."""
        self.report.held.append(
            CnafHeld(
                household.index, household.line, household.payer, household.caf_number, reasons
            )
        )
        return False

    def strangers(self, flux_household, household, members):
        """Whether the household known here under this number has people and none of them is
        in the flux's household: another family under a number reused or mistyped, or a
        household entered here by hand under a wrong number. Never merged."""
        comparable = [m for m in members.get(household.pk, []) if not m.anonymised_on]
        if not comparable:
            return False
        taken = set()
        return all(_match(person, comparable, taken) is None for person in flux_household.people)

    def _faulty(self, household, problems, *, hold=False):
        """Report a household's problems (as errors, or as a household held, with
        `hold_faulty` or `hold`). Returns False: the household is not imported."""
        if problems and (self.hold_faulty or hold):
            self.report.held.append(
                CnafHeld(
                    household.index,
                    household.line,
                    household.payer,
                    household.caf_number,
                    problems,
                )
            )
        else:
            for message in problems:
                self.error(household, message)
        return False

    def merge(self, flux_household, household, members):
        """An open household: created, or updated with what the flux owns."""
        commune_id, territory_id = self.communes[flux_household.insee_code]
        values = [
            flux_household.address,
            commune_id,
            territory_id,
            flux_household.family_situation,
            flux_household.homeless,
        ]
        position = flux_household.index
        household_changed = False
        if household is None:
            household_ref = [flux_household.payer, flux_household.caf_number]
            self.chunk["households_new"].append([position, *household_ref, *values])
            self.report.households_created += 1
        else:
            household_ref = household.pk
            household_changed = [getattr(household, name) for name in HOUSEHOLD_FIELDS] != values
            part = "households_changed" if household_changed else "households_relied"
            self.chunk[part].append([position, household.pk, household.lock_version, *values])
            if household_changed:
                self.report.households_updated += 1
            else:
                self.report.households_unchanged += 1
        known = members.get(household.pk, []) if household is not None else []
        known = [person for person in known if person.pk not in self.moved]
        taken = set()
        for flux_person in flux_household.people:
            person = _match(flux_person, known, taken)
            if person is None:
                self.unmatched.append((flux_household, flux_person, household_ref))
                continue
            taken.add(person.pk)
            self.matched.add(person.pk)
            if person.anonymised_on:
                self.report.anonymised_skipped += 1
                continue
            self.chunk["people_listed"].append([position, person.pk])
            if person.has_exit:
                self.report.people_back_after_exit += 1
            rights = _rights_and_duties(flux_person, default=person.rights_and_duties)
            if rights != person.rights_and_duties:
                self.chunk["people_changed"].append(
                    [
                        position,
                        person.pk,
                        person.lock_version,
                        person.household_id,
                        person.household_role,
                        rights,
                    ]
                )
                self.report.people_updated += 1
            else:
                self.report.people_unchanged += 1
        if household_changed:
            # The address is part of each member's file: each file changed.
            for person in known:
                if not person.anonymised_on:
                    self.chunk["people_traced"].append([position, person.pk, person.lock_version])

    def move(self, flux_household, flux_person, person, household_ref):
        """The person's file goes to their new household, with their parcours."""
        self.moved.add(person.pk)
        self.chunk["people_listed"].append([flux_household.index, person.pk])
        if person.has_exit:
            self.report.people_back_after_exit += 1
        self.chunk["people_changed"].append(
            [
                flux_household.index,
                person.pk,
                person.lock_version,
                household_ref,
                flux_person.role,
                _rights_and_duties(flux_person, default=person.rights_and_duties),
            ]
        )
        self.report.people_moved += 1

    def create_person(self, flux_household, flux_person, household_ref):
        # No date of opening of the right in the flux (DDNATDRO is the start of the benefit's
        # current nature, not of the right): the request date stands for it.
        self.chunk["people_new"].append(
            [
                flux_household.index,
                household_ref,
                flux_person.role,
                flux_person.last_name,
                flux_person.birth_name,
                flux_person.first_name,
                _iso(flux_person.birth_date),
                flux_person.sex,
                _rights_and_duties(flux_person, default=RightsAndDuties.NOT_SUBJECT),
                _iso(flux_household.rsa_requested_on),
                _iso(self.header.known_on),
                flux_person.search_key,
            ]
        )
        self.report.people_created += 1

    def close(self, flux_household, household, members):
        """A closed household known here: its applicant and partner who have not left yet
        leave, on the closure date, as the exit form would record it (not in the future, not
        before their right opened), in the category of the closure's reason
        (beneficiaries.closures), the code kept; a reason not known there is an end of right,
        named in the report. Children and other people of the household have no parcours to
        leave. A closed household never known here is not created."""
        if household is None:
            self.report.households_ignored += 1
            return
        self.report.households_closed += 1
        taken = set()
        known = [m for m in members.get(household.pk, []) if m.pk not in self.moved]
        closures, problems = [], []
        closed_on = flux_household.closed_on
        code = flux_household.closure_reason
        category, label, known_code = closure_exit(code)
        payer = Payer(flux_household.payer).label
        note = f"Clôture du dossier signalée par le flux {payer} : {label}"
        note += f" (motif {code[:10]})." if code else "."
        for flux_person in flux_household.people:
            person = _match(flux_person, known, taken)
            if person is None:
                continue
            taken.add(person.pk)
            if flux_person.role not in ADULT_ROLES:
                continue
            if person.anonymised_on:
                self.report.anonymised_skipped += 1
            elif not person.has_exit:
                if closed_on > self.today:
                    problem = "La date de sortie ne peut pas être dans le futur."
                elif person.right_opened_on and closed_on < person.right_opened_on:
                    problem = "La sortie ne peut pas précéder l'ouverture du droit."
                else:
                    closures.append(
                        [
                            flux_household.index,
                            person.pk,
                            person.lock_version,
                            _iso(closed_on),
                            category,
                            code[:10],
                            note,
                        ]
                    )
                    continue
                problems.append(
                    f"sortie de la personne n°{flux_person.position} impossible : {problem}"
                )
        if problems:
            self.report.households_closed -= 1
            self._faulty(flux_household, problems)
            return
        self.chunk["closures"].extend(closures)
        if closures and not known_code:
            self.report.closure_codes_unknown.setdefault(code, []).append(flux_household.index)


# What a chunk of the plan holds, each a list of rows (lists of JSON values), the first value
# of each the household's position in the file:
# - where: [position, line, payer, caf_number] of every household the chunk decides about;
# - households_new: [position, payer, caf_number, *HOUSEHOLD_FIELDS];
# - households_changed, households_relied (unchanged, but people are listed, moved into or
#   created in it): [position, id, lock_version, *HOUSEHOLD_FIELDS];
# - people_new: [position, household (an id, or [payer, caf_number] of a new one), role, last
#   name, birth name, first name, birth date, sex, rights and duties, RSA requested on,
#   right known on, search key];
# - people_changed: [position, id, lock_version, household (as above), role, rights];
# - people_traced (their household's address changed): [position, id, lock_version];
# - people_listed (in an open dossier: their FluxListing moves): [position, id];
# - closures: [position, id, lock_version, exit date, exit category, closure reason, note].
PLAN_PARTS = (
    "where",
    "households_new",
    "households_changed",
    "households_relied",
    "people_new",
    "people_changed",
    "people_traced",
    "people_listed",
    "closures",
)
# What the analysis reads of the people it finds.
MATCHED_FIELDS = (
    "household_id",
    "household_role",
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "search_key",
    "rights_and_duties",
    "right_opened_on",
    "anonymised_on",
    "lock_version",
)
HOUSEHOLD_FIELDS = ("address", "commune_id", "territory_id", "family_situation", "homeless")
CHANGED_SINCE = (
    "dossier modifié dans l'application depuis l'analyse du flux : rien n'est écrit pour ce "
    "foyer, à revoir (ou le flux du mois prochain le reprendra)"
)


def _iso(date):
    return date.isoformat() if date else None


def _date_from(text):
    return datetime.date.fromisoformat(text) if text else None


def _closure(row):
    """A plan's closure row as `exits_record_closures` takes it; a plan analysed before the
    closure reasons had their categories (five values) is an end of right, as it was then."""
    if len(row) == 5:
        _, pk, _, exit_on, note = row
        return pk, _date_from(exit_on), ExitCategory.END_OF_RIGHT, "", note
    _, pk, _, exit_on, category, code, note = row
    return pk, _date_from(exit_on), category, code, note


def _rights_and_duties(flux_person, *, default):
    if flux_person.subject_to_duties is None:
        return default
    if flux_person.subject_to_duties:
        return RightsAndDuties.SUBJECT
    return RightsAndDuties.NOT_SUBJECT


class FluxPlan(PlanFile):
    """What the analysis of a flux decided, kept in a file between the analysis and the
    confirmation (gzip of JSON lines: one line per chunk of households, then a last line with
    what the whole file says: its report's counts, the households held, the households read).
    It holds people's names and birth dates: it lives as long as the run's file does."""

    END = b'{"end":'

    def end(self):
        """The last line's dict. Raises CnafFluxError when the plan is incomplete."""
        try:
            for line in self._lines():
                if line.startswith(self.END):
                    return json.loads(line)["end"]
        except (OSError, EOFError, ValueError):
            pass
        raise CnafFluxError(
            "Le plan d'import préparé par l'analyse est illisible ou incomplet : rien n'a été "
            "enregistré. Envoyez de nouveau le fichier."
        )

    def chunks(self):
        """The chunks, read one at a time, as they are applied."""
        for line in self._lines():
            if not line.startswith(self.END):
                yield json.loads(line)["chunk"]


def _keep_held(held, read_keys, *, known_on, run, now):
    """Write the households set aside (CnafHeld), and settle those set aside before that
    this flux read without error."""
    HeldHousehold.objects.bulk_create(
        (
            HeldHousehold(
                run=run,
                flux_on=known_on,
                position=one.household,
                line=one.line,
                payer=one.payer or Payer.CAF,
                caf_number=one.caf_number or "",
                reasons="\n".join(one.reasons),
            )
            for one in held
        ),
        batch_size=BATCH,
    )
    still_faulty = {(one.payer, one.caf_number) for one in held}
    settled = {key for key in read_keys if key not in still_faulty}
    waiting = HeldHousehold.objects.filter(
        resolved_at__isnull=True, caf_number__in={number for _, number in settled}
    )
    if run is not None:
        # (The command has no run: `exclude(run=None)` would leave out all it ever held.)
        waiting = waiting.exclude(run=run)
    for one in waiting:
        if (one.payer, one.caf_number) in settled:
            one.resolved_at = now
            one.resolution = (
                f"lu sans erreur dans le flux du {known_on:%d/%m/%Y}"
                if known_on
                else "lu sans erreur"
            )
            one.save(update_fields=["resolved_at", "resolution"])


def _absent(previous_on, read_keys):
    """The households the flux of `previous_on` listed in an open dossier (a member's
    FluxListing of that day), minus those this flux holds in any state (`read_keys`, pairs of
    payer and number), as « CAF 0012345 (Saint-Étienne) », by payer and number."""
    if previous_on is None:
        return []
    listed = (
        Household.objects.filter(
            members__flux_listing__listed_on=previous_on, anonymised_on__isnull=True
        )
        .values_list("payer", "caf_number", "commune__name")
        .distinct()
        .order_by("payer", "caf_number")
    )
    return [
        f"{Payer(payer).label} {caf_number} ({commune or 'commune inconnue'})"
        for payer, caf_number, commune in listed
        if (payer, caf_number) not in read_keys
    ]


def _check_importer(user):
    if user.role != Role.PILOT or not user.is_active:
        raise ValidationError("Seul un pilote en activité peut importer le flux de la CNAF.")


def _last_flux_on():
    return FluxListing.objects.aggregate(last=Max("listed_on"))["last"]


def cnaf_flux_analyse(*, source, user, plan_file, hold_faulty=False):
    """Read and check a whole VRSB0801 file (a path or a binary file object) for `user`, a
    pilot, and decide what it changes here; writes nothing in the database. The decisions go
    to `plan_file` (a binary file open for writing), for `cnaf_flux_write` to apply once
    someone has confirmed. Returns the CnafImportReport of what would be done.

    Raises CnafFluxError if the file cannot be read as a flux, and CnafImportRefused (with
    every error found) if any household is wrong. A household whose only fault is an unknown
    commune is set aside (held) even without `hold_faulty`. With `hold_faulty`, a household
    whose own data is wrong is set aside instead (`report.held`, with its reasons) and the
    others are planned; the file as a whole (its count, its structure) must still be right.

    The database is read in a constant number of queries per thousand households."""
    _check_importer(user)
    report = CnafImportReport(dry_run=True)
    report.previous_on = _last_flux_on()
    reader = FluxReader(source)
    planner = _Planner(report=report, hold_faulty=hold_faulty)
    with FluxPlan(plan_file).writer() as out:
        for households in _chunks(reader, CHUNK):
            chunk = planner.plan_chunk(households, reader.header)
            out.write(json.dumps({"chunk": chunk}, separators=(",", ":")).encode() + b"\n")
        report.header = reader.header
        report.households_read = reader.count
        report.households_absent = _absent(report.previous_on, planner.read_keys)
        report.errors.extend(CnafImportError(None, None, "", e) for e in reader.file_errors)
        end = {
            "counts": report.counts(),
            "header": [
                reader.header.application,
                reader.header.kind,
                _iso(reader.header.created_on),
                _iso(reader.header.reference_on),
            ]
            if reader.header
            else None,
            "previous_on": _iso(report.previous_on),
            "absent": report.households_absent,
            "held": [asdict(one) for one in report.held],
            "read_keys": sorted(planner.read_keys),
            "closure_codes_unknown": report.closure_codes_unknown,
        }
        out.write(json.dumps({"end": end}, separators=(",", ":")).encode() + b"\n")
    if report.errors:
        _commune_holds_as_errors(report, planner.commune_held)
        raise CnafImportRefused(report)
    return report


def unknown_commune(insee_code):
    """The reason a household of a commune the référentiel does not know is held (French)."""
    return f"commune inconnue (code INSEE « {insee_code} »)"


def _commune_holds_as_errors(report, positions):
    """A refused file lists every error, the unknown communes of households that would have
    been held included, in the order of the file."""
    if not positions:
        return
    positions = set(positions)
    moved = [held for held in report.held if held.household in positions]
    report.held = [held for held in report.held if held.household not in positions]
    report.errors.extend(
        CnafImportError(held.household, held.line, held.caf_number, reason)
        for held in moved
        for reason in held.reasons
    )
    report.errors.sort(key=lambda error: (error.household is None, error.household or 0))


class _PlanWriter:
    """Applies a FluxPlan, chunk by chunk, in the caller's transaction: rows inserted and
    updated in bulk (pti.bulk), every file written traced, exits recorded as the exit form
    would (`exits_record_closures`)."""

    def __init__(self, *, user, report, known_on):
        self.user = user
        self.report = report
        self.known_on = known_on
        self.now = timezone.now()
        self.exits_recorded = 0
        self.exits_by_category = Counter()

    def write_chunk(self, chunk):
        stale = self.changed_since(chunk)
        if stale:
            where = {row[0]: row for row in chunk["where"]}
            for position in sorted(stale):
                _, line, payer, caf_number = where[position]
                self.report.changed_since.append(
                    CnafHeld(position, line, payer, caf_number, [CHANGED_SINCE])
                )
            chunk = {
                name: [row for row in rows if row[0] not in stale] for name, rows in chunk.items()
            }
        new_households = chunk["households_new"]
        new_household_ids = dict(
            zip(
                ((payer, caf_number) for _, payer, caf_number, *_ in new_households),
                insert_values(
                    Household,
                    ["payer", "caf_number", *HOUSEHOLD_FIELDS],
                    (row[1:] for row in new_households),
                ),
                strict=True,
            )
        )

        def household_id(ref):
            return new_household_ids[tuple(ref)] if isinstance(ref, list) else ref

        # A version moved on: a form opened before the import is refused.
        update_values(
            Household,
            [*HOUSEHOLD_FIELDS, "lock_version", "updated_at"],
            (
                (pk, *values, lock_version + 1, self.now)
                for _, pk, lock_version, *values in chunk["households_changed"]
            ),
        )
        new_people = insert_values(
            Beneficiary,
            [
                "household_id",
                "household_role",
                "last_name",
                "birth_name",
                "first_name",
                "birth_date",
                "sex",
                "rights_and_duties",
                "rsa_requested_on",
                "right_opened_on",
                "right_known_on",
                "search_key",
            ],
            (
                (household_id(ref), *person[:7], requested_on, requested_on, known_on, key)
                for _, ref, *person, requested_on, known_on, key in chunk["people_new"]
            ),
        )
        update_values(
            Beneficiary,
            ["household_id", "household_role", "rights_and_duties", "lock_version", "updated_at"],
            (
                (pk, household_id(ref), role, rights, lock_version + 1, self.now)
                for _, pk, lock_version, ref, role, rights in chunk["people_changed"]
            ),
        )
        # Being listed is not a change of the file: neither its version nor its trace move. A
        # flux replayed for an earlier month does not move the date back.
        listed = [pk for _, pk in chunk["people_listed"]] + new_people
        raise_to(FluxListing, "beneficiary_id", "listed_on", listed, self.known_on)
        updated = dict.fromkeys(
            [pk for _, pk, *_ in chunk["people_changed"]]
            + [pk for _, pk, _ in chunk["people_traced"]]
        )
        insert_values(
            FileAccess,
            ["beneficiary_id", "user_id", "operation", "what"],
            [
                *((pk, self.user.pk, FileOperation.CREATE, TRACE) for pk in new_people),
                *((pk, self.user.pk, FileOperation.UPDATE, TRACE) for pk in updated),
            ],
        )
        recorded = exits_record_closures(
            closures=[_closure(row) for row in chunk["closures"]],
            by=self.user,
            what="sortie",
        )
        self.exits_recorded += len(recorded)
        self.exits_by_category.update(recorded.values())

    def changed_since(self, chunk):
        """The positions of the households of this chunk that changed here since the analysis:
        a household or person the plan updates or relies on whose version moved (or that is
        gone, or anonymised), a new household's number taken meanwhile. Locks the rows the
        plan updates until the end of the import."""
        stale = set()
        households = {
            pk: (position, lock_version)
            for position, pk, lock_version, *_ in chunk["households_changed"]
            + chunk["households_relied"]
        }
        current = dict(
            Household.objects.select_for_update()
            .filter(pk__in=among(Household, households), anonymised_on__isnull=True)
            .values_list("pk", "lock_version")
        )
        stale.update(
            position
            for pk, (position, lock_version) in households.items()
            if current.get(pk) != lock_version
        )
        new = {
            (payer, caf_number): position
            for position, payer, caf_number, *_ in chunk["households_new"]
        }
        stale.update(
            new[key]
            for key in Household.objects.filter(
                caf_number__in={caf_number for _, caf_number in new}
            ).values_list("payer", "caf_number")
            if key in new
        )
        people = {}
        for name in ("people_changed", "people_traced", "closures"):
            for position, pk, lock_version, *_ in chunk[name]:
                people[pk] = (position, lock_version)
        listed = {pk: position for position, pk in chunk["people_listed"]}
        current = dict(
            Beneficiary.objects.select_for_update()
            .filter(
                pk__in=among(Beneficiary, people.keys() | listed.keys()), anonymised_on__isnull=True
            )
            .values_list("pk", "lock_version")
        )
        stale.update(
            position
            for pk, (position, lock_version) in people.items()
            if current.get(pk) != lock_version
        )
        stale.update(position for pk, position in listed.items() if pk not in current)
        return stale


@transaction.atomic
def cnaf_flux_write(*, plan_file, user, run=None, progress=None):
    """Apply the plan `cnaf_flux_analyse` wrote (`plan_file`, a seekable binary file), as
    `user`, a pilot, in one transaction. Returns the CnafImportReport of what was done.

    A household that changed here since the analysis (a form saved, a member anonymised, its
    number created by hand) is not written: it is set aside with the households held
    (`report.changed_since`), whole. The households held are kept (HeldHousehold, with the
    `run` that read them) for a pilot to deal with. `progress` (pti.runs.Progress), if given,
    counts the households written.

    Raises CnafFluxError (nothing written) when another flux was imported since the analysis,
    or when the database refuses the import."""
    _check_importer(user)
    plan = FluxPlan(plan_file)
    end = plan.end()
    report = CnafImportReport.from_counts(end["counts"])
    application, kind, created_on, reference_on = end["header"] or ["", "", None, None]
    report.header = FluxHeader(application, kind, _date_from(created_on), _date_from(reference_on))
    report.previous_on = _date_from(end["previous_on"])
    report.households_absent = end["absent"]
    report.held = [CnafHeld(**one) for one in end["held"]]
    report.closure_codes_unknown = end.get("closure_codes_unknown", {})
    last = _last_flux_on()
    if last != report.previous_on:
        raise CnafFluxError(
            f"Un autre flux (du {last:%d/%m/%Y}) a été importé depuis l'analyse de celui-ci : "
            "rien n'a été enregistré. Envoyez de nouveau ce fichier pour une nouvelle analyse."
        )
    writer = _PlanWriter(user=user, report=report, known_on=report.header.known_on)
    if progress is not None:
        progress.total(report.households_read)
    try:
        for chunk in plan.chunks():
            writer.write_chunk(chunk)
            if progress is not None:
                progress.advance(len(chunk["where"]))
    except DatabaseError as exc:
        # The database's message may quote the row ("Failing row contains …"): not repeated.
        raise CnafFluxError(
            f"La base de données a refusé l'import ({exc.__class__.__name__}) : rien n'a été "
            "enregistré."
        ) from None
    report.exits_recorded = writer.exits_recorded
    report.exits_by_category = dict(writer.exits_by_category)
    report.dry_run = False
    _keep_held(
        [*report.held, *report.changed_since],
        {tuple(key) for key in end["read_keys"]},
        known_on=report.header.known_on,
        run=run,
        now=timezone.now(),
    )
    return report


def cnaf_flux_import(*, source, user, dry_run=False, hold_faulty=False, run=None):
    """Analyse a VRSB0801 file (`cnaf_flux_analyse`), then, unless `dry_run`, write what it
    found (`cnaf_flux_write`): the command's path, in one go. Returns the CnafImportReport;
    raises as those two do (nothing is written on any error)."""
    with tempfile.TemporaryFile() as plan_file:
        report = cnaf_flux_analyse(
            source=source, user=user, plan_file=plan_file, hold_faulty=hold_faulty
        )
        if dry_run:
            return report
        return cnaf_flux_write(plan_file=plan_file, user=user, run=run)
