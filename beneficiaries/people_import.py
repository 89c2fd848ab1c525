"""Import of a list of people as a département keeps it (formats/README.md, section 3):
`Civilité;Prénom bénéficiaire;Nom bénéficiaire;Adresses Mails;N° Téléphones;Date de
Naissance;CP Ville;N° CAF;ID interne;Référent;Role`, with the names varying from one
département to the next. `PeopleImportEngine` is its pti.imports.ImportEngine: read → check
everything → write in one transaction, as the CNAF flux does (beneficiaries/cnaf.py).

A row is one person. A person already in the base (same name key and birth date,
`search.identity_keys`, in the same household: same « N° CAF » and payer) is never created
twice: only their e-mail and phone may change, and they get the file's référent if they have
none. The same identity in another household (or on another row of the file, for another
household) is a probable homonym: the row is imported, a new file, with a warning. A
« Référent » cell is matched among the référents the user may assign (`ReferentIndex`); one
that names none of them, or several, leaves the person without a référent, imported all the
same with a warning naming the cell. A new person joins the household of their « N° CAF »
and payer, created by the first of its rows when the base has none; the roles of its members
(one demandeur, at most one conjoint) and its family situation are decided for the whole
household, from the file's rows and the members the base holds (`_Analysis.compose`). A
manager brings people only into their own structure: each new person needs a référent of the
structure (a référent the manager may not assign refuses the row, naming it: unassigned, the
person would be out of any scope, the manager's own included), and no row may reach a
household or a person the manager does not see.

The analysis (`PeopleImportEngine.analyse`) reads the communes, the référents, the people
born on the file's dates and the file's households once, then reads each row once
(`read_row`, pure) and decides what it does (`_Analysis.decide`). A faulty row is HELD, and
with it every other row of its household (same « N° CAF » and payer): none of them is
planned, so that a household is never half written; their file lines are the analysis's
`held_lines`. The plan goes to a gzip of JSON lines (`PeoplePlan`); the database is not
written.

The write (`PeopleImportEngine.write`) applies the plan in bulk (pti.bulk: COPY on
PostgreSQL) in the caller's transaction, within a savepoint: when the base changed since the
analysis so that a planned row no longer applies (a person with the same identity created, a
household created with the same number, a file changed, a référent gone), it raises
ValidationError and writes nothing. Each file created or changed gets its access trace
(FileAccess) as the services would write it: « import », « référent désigné », and
« foyer : nouveau membre » on the files of the household a new person joins.
"""

import contextlib
import datetime
import itertools
import json
import tempfile
from collections import Counter
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from beneficiaries import cells, services
from beneficiaries.enums import (
    AssignmentReason,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    RefusedTarget,
    RightsAndDuties,
)
from beneficiaries.households import APPLICANT, SINGLE_ROLES, household_situation
from beneficiaries.models import (
    Beneficiary,
    FileAccess,
    Household,
    ReferentAssignment,
)
from beneficiaries.search import identity_keys, name_key, normalise, search_key
from pti.bulk import insert_values, update_values
from pti.communes import commune_key, has_cedex
from pti.dates import EXCEL_1900
from pti.enums import Role
from pti.imports import DISCARDED_VALUE, PREVIEW_ROWS, Analysis, Report, held_reason
from pti.models import Commune, PostalCode, User
from pti.plan_file import PlanFile, dump_line
from pti.resources import ChoiceWidget
from pti.tabular import Table, map_headers

# Expected header -> other names met in real files (matched without case, accents or
# punctuation: "N° Téléphones" and "n telephones" are the same).
PERSON_COLUMNS = {
    "Civilité": ["Civ", "Titre", "Sexe", "Genre"],
    "Nom": ["Nom bénéficiaire", "Nom du bénéficiaire", "Nom de famille", "Nom d'usage"],
    "Prénom": ["Prénom bénéficiaire", "Prénom du bénéficiaire"],
    "Nom de naissance": ["Nom de jeune fille", "Nom naissance"],
    "Date de naissance": ["Date naissance", "Né le", "Née le", "Né(e) le", "DTNAI"],
    "Courriel": ["Adresses mails", "Adresse mail", "Mail", "E-mail", "Adresse électronique"],
    "Téléphone": ["N° Téléphones", "N° Téléphone", "Téléphones", "Tél", "Portable"],
    "CP Ville": ["Code postal et ville", "CP et ville", "Commune", "Ville", "Localité"],
    "Code postal": ["CP", "CODEPOS"],
    "Adresse": ["Adresse postale"],
    "N° CAF": [
        "N° allocataire",
        "Numéro CAF",
        "Numéro d'allocataire",
        "Matricule",
        "Matricule CAF",
        "N° dossier CAF",
    ],
    "Organisme payeur": ["Payeur", "CAF ou MSA"],
    "Situation familiale": ["Situation de famille"],
    "Rôle": ["Rôle dans le foyer", "Rôle personne"],
    "Droits et devoirs": ["Soumis aux droits et devoirs", "SDD"],
    "Demande de RSA": ["Date de demande RSA", "Date demande RSA", "DTDEMRSA"],
    "Ouverture du droit": ["Date d'ouverture du droit", "Date ouverture droit", "Droit ouvert le"],
    "Droit connu le": ["Date de connaissance du droit", "Connu du Département le"],
    "Référent": ["Référent unique", "Nom du référent", "Référent RSA"],
}
REQUIRED_COLUMNS = ["Civilité", "Nom", "Prénom", "Date de naissance", "CP Ville", "N° CAF"]

EXAMPLES = {
    "Civilité": "Mme",
    "Nom": "Durand",
    "Prénom": "Hélène",
    "Nom de naissance": "Martin",
    "Date de naissance": "14/03/1986",
    "Courriel": "helene.durand@exemple.fr",
    "Téléphone": "06 12 34 56 78",
    "CP Ville": "42000 Saint-Étienne",
    "Code postal": "42000",
    "Adresse": "12 rue de la Paix",
    "N° CAF": "0123456",
    "Organisme payeur": "CAF",
    "Situation familiale": "parent isolé",
    "Rôle": "demandeur",
    "Droits et devoirs": "oui",
    "Demande de RSA": "02/01/2026",
    "Ouverture du droit": "01/02/2026",
    "Droit connu le": "05/02/2026",
    "Référent": "Camille Martin",
}

# The column each value comes from, named before its errors: field -> column.
FIELD_LABELS = {
    "sex": "Civilité",
    "last_name": "Nom",
    "first_name": "Prénom",
    "birth_name": "Nom de naissance",
    "birth_date": "Date de naissance",
    "email": "Courriel",
    "phone": "Téléphone",
    "commune": "CP Ville",
    "address": "Adresse",
    "caf_number": "N° CAF",
    "payer": "Organisme payeur",
    "family_situation": "Situation familiale",
    "household_role": "Rôle",
    "rights_and_duties": "Droits et devoirs",
    "rsa_requested_on": "Demande de RSA",
    "right_opened_on": "Ouverture du droit",
    "right_known_on": "Droit connu le",
    "referent": "Référent",
}

NAME_MAX_LENGTH = Beneficiary._meta.get_field("last_name").max_length
ADDRESS_MAX_LENGTH = Household._meta.get_field("address").max_length
PRELOAD_CHUNK = 500  # values per IN (...) when reading what the file refers to
PLAN_CHUNK = 1000  # rows per line of the plan, and per round of writes
IMPORT_TRACE = "import"
NEW_MEMBER_TRACE = "foyer : nouveau membre"
ASSIGNMENT_TRACE = "référent désigné"

# The choice columns: their labels and codes, and the words real files use.
PAYERS = ChoiceWidget(Payer, column="Organisme payeur")
PAYERS.lookup.update({"cnaf": Payer.CAF})
ROLES = ChoiceWidget(HouseholdRole, column="Rôle")
ROLES.lookup.update(
    {
        "dem": HouseholdRole.APPLICANT,
        "allocataire": HouseholdRole.APPLICANT,
        "cjt": HouseholdRole.PARTNER,
        "concubin": HouseholdRole.PARTNER,
        "concubine": HouseholdRole.PARTNER,
        "enf": HouseholdRole.CHILD,
    }
)
RIGHTS = ChoiceWidget(RightsAndDuties, column="Droits et devoirs")
RIGHTS.lookup.update(
    {
        **dict.fromkeys(["oui", "o", "1", "x", "sdd", "soumis"], RightsAndDuties.SUBJECT),
        **dict.fromkeys(["non", "n", "0", "non soumis"], RightsAndDuties.NOT_SUBJECT),
    }
)
SITUATIONS = ChoiceWidget(FamilySituation, column="Situation familiale")
SITUATIONS.lookup.update(
    {
        "seul": FamilySituation.SINGLE,
        "seule": FamilySituation.SINGLE,
        "isole": FamilySituation.SINGLE,
        "isolee": FamilySituation.SINGLE,
        "couple": FamilySituation.COUPLE,
    }
)

# The words of the analysis's decisions (pti.imports.ACTION_LABELS's keys).
NEW, UPDATE, SKIP, ERROR = "new", "update", "skip", "error"
OPERATION_LABELS = {NEW: "création", UPDATE: "modification", SKIP: "inchangé", ERROR: "erreur"}


# --- The references a file names: read once ----------------------------------------------


class CommuneIndex:
    """The communes of the département, by every postal code they have (a commune may have
    several, a code may serve several communes) and by name, read once (`load`):
    '42100 Saint-Étienne', or the town in « CP Ville » and its code in « Code postal ». A
    name compares by pti.communes.commune_key (case, accents, St/Ste, hyphens, CEDEX…) with
    the commune's name and La Poste's libellés d'acheminement ('42100 ST ETIENNE'), and
    failing them with the places of a code's « ligne 5 » ('42230 Saint-Victor-sur-Loire')."""

    EXAMPLE = "par exemple « 42000 Saint-Étienne »"

    def load(self):
        self.by_code, self.by_name, self.found = {}, {}, {}
        self.by_place = {}  # (postal code or "", place's key) -> [commune ids]
        self.communes = {}  # pk -> (territory id, name, {names' keys}, [postal codes])
        for pk, name, postal_code, territory_id in Commune.objects.values_list(
            "pk", "name", "postal_code", "territory_id"
        ):
            self.communes[pk] = (territory_id, name, {commune_key(name)}, set())
            self._add_code(pk, postal_code)
        for pk, code, label, places in PostalCode.objects.values_list(
            "commune_id", "code", "delivery_label", "localities"
        ):
            self._add_code(pk, code)
            if label:
                self.communes[pk][2].add(commune_key(label))
            for place in {commune_key(line) for line in places.splitlines()} - {""}:
                for key in ((code, place), ("", place)):
                    if pk not in self.by_place.setdefault(key, []):
                        self.by_place[key].append(pk)
        for pk, (_, _, keys, _) in self.communes.items():
            for key in keys:
                self.by_name.setdefault(key, []).append(pk)

    def _add_code(self, pk, code):
        if code not in self.communes[pk][3]:
            self.communes[pk][3].add(code)
            self.by_code.setdefault(code, []).append(pk)

    def find(self, value, postal_code=None):
        """(commune id, territory id) of a cell, or ValueError. A list names the same few
        hundred communes again and again: each (cell, code) is looked up once."""
        key = (value, postal_code)
        if key not in self.found:
            try:
                self.found[key] = self._find(value, postal_code)
            except ValueError as error:
                self.found[key] = error
        found = self.found[key]
        if isinstance(found, ValueError):
            raise found
        return found

    def _find(self, value, postal_code):
        text = str(value or "").strip()
        match = cells.re.search(r"\b(\d{5})\b", text)
        code = match.group(1) if match else ""
        name = commune_key(text.replace(code, " ", 1) if code else text)
        if not code and postal_code not in (None, ""):
            raw = postal_code
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            code = "".join(str(raw).split()).zfill(5)
        if not name and not code:
            raise ValueError(f"indiquez le code postal et la commune ({self.EXAMPLE}).")
        shown = text if code in text else f"{code} {text}"
        named = self.by_name.get(name, []) if name else []
        if code:
            candidates = self.by_code.get(code, [])
            found = (
                [pk for pk in candidates if name in self.communes[pk][2]] if name else candidates
            )
            if not found and named and has_cedex(text):
                # A CEDEX code is a distribution office's, not a commune's: the name decides.
                found = named
        else:
            found = named
        if not found and name and not named:
            found = self.by_place.get((code, name), [])
        if len(found) == 1:
            return found[0], self.communes[found[0]][0]
        if not found:
            if code and len(named) == 1:
                commune = self.communes[named[0]]
                raise ValueError(
                    f"le code postal {code} n'est pas celui de {commune[1]} "
                    f"({', '.join(sorted(commune[3]))}) : vérifiez le code postal et le nom."
                )
            raise ValueError(
                f"commune « {shown} » introuvable parmi celles du département : vérifiez le "
                f"code postal et le nom ({self.EXAMPLE})."
            )
        names = ", ".join(sorted(self.communes[pk][1] for pk in found))
        if code:
            raise ValueError(
                f"plusieurs communes ont le code postal {code} ({names}) : ajoutez le nom "
                f"({self.EXAMPLE})."
            )
        raise ValueError(
            f"plusieurs communes s'appellent « {text} » : ajoutez le code postal ({self.EXAMPLE})."
        )


WITHOUT_REFERENT = " La personne est importée sans référent : désignez-le depuis son dossier."


class ReferentIndex:
    """The référents the importing user may assign (a pilot: every active référent; a
    manager: those of the manager's structure), read once (`load`), found by username, by
    « Prénom Nom » or by « Nom Prénom », whatever the case, accents, hyphens and spaces."""

    def __init__(self, user):
        self.user = user

    def load(self):
        self.by_username, self.by_name, self.by_pk = {}, {}, {}
        referents = User.objects.assignable_referents()
        if self.user.role != Role.PILOT:
            # A référent of another structure is not named: the same words as for no one.
            referents = referents.filter(organisation_id=self.user.organisation_id)
        for referent in referents:
            self.by_pk[referent.pk] = referent
            self.by_username[normalise(referent.username)] = referent
            for name in (
                f"{referent.first_name} {referent.last_name}",
                f"{referent.last_name} {referent.first_name}",
            ):
                self.by_name.setdefault(name_key(name), []).append(referent)

    def unknown(self, value):
        """What the user is told of a cell naming no référent they may assign."""
        where = " de votre structure" if self.user.role != Role.PILOT else ""
        return (
            f"« {str(value).strip()} » n'est pas un référent en activité{where} (indiquez "
            "« Prénom Nom » ou son identifiant)."
        )

    def find(self, value):
        """The référent a cell names, or None for an empty cell. A name that is no référent
        the user may assign, or that several share, raises cells.IgnoredCell: the person is
        imported without a référent, with a warning naming the cell."""
        text = str(value or "").strip()
        if not text:
            return None
        found = self.by_username.get(normalise(text))
        candidates = [found] if found else self.by_name.get(name_key(text), [])
        candidates = list({referent.pk: referent for referent in candidates}.values())
        if not candidates:
            raise cells.IgnoredCell(self.unknown(text) + WITHOUT_REFERENT)
        if len(candidates) > 1:
            raise cells.IgnoredCell(
                f"plusieurs référents s'appellent « {text} » : indiquez l'identifiant."
                + WITHOUT_REFERENT
            )
        return candidates[0]


# --- One row ------------------------------------------------------------------------------


class PersonRow(NamedTuple):
    """What a row says, read and checked; None where the cell is wrong."""

    sex: str | None
    last_name: str | None
    first_name: str | None
    birth_name: str | None
    birth_date: datetime.date | None
    email: str | None
    phone: str | None
    household_role: str | None
    rights_and_duties: str | None
    rsa_requested_on: datetime.date | None
    right_opened_on: datetime.date | None
    right_known_on: datetime.date | None
    caf_number: str | None
    payer: str | None
    commune_id: int | None
    territory_id: int | None
    address: str | None
    family_situation: str | None
    referent_id: int | None

    @property
    def household_key(self):
        """(payer, CAF number), or None when the number cannot be read."""
        return (self.payer, self.caf_number) if self.caf_number else None


def right_dates(requested, opened, known, *, today):
    """The three dates of the right with what a list without them means: the département
    learns of the right by this import at the latest (the 6 weeks of the orientation deadline
    start then, never earlier than the file says); the opening defaults to the request, the
    request to the opening. Returns (requested, opened, known, errors {field: message})."""
    known = known or today
    opened = opened or requested or known
    requested = requested or opened
    errors = {}
    if opened < requested:
        errors["right_opened_on"] = "le droit ne peut pas s'ouvrir avant la demande."
    elif known < opened:
        errors["right_known_on"] = (
            "le Département ne peut pas l'apprendre avant l'ouverture du droit."
        )
    return requested, opened, known, errors


def read_row(cell, *, communes, referents, today, epoch=EXCEL_1900):
    """Read and check every cell of a row: `cell(column)` gives the cell of a column (None
    when the file has no such column); `epoch` is the date system of the workbook's serial
    numbers (pti.dates). Returns (PersonRow, errors {field: message},
    warnings {field: message}): every error of the row at once, and the cells left out of an
    imported row (cells.IgnoredCell). Writes nothing, reads nothing but `communes` and
    `referents`."""
    values, errors, warnings = {}, {}, {}

    def take(name, clean, *args, **kwargs):
        if args and isinstance(args[0], str) and args[0].strip() == DISCARDED_VALUE:
            # A NIR removed as the file was read: an empty cell, and the user is told.
            warnings[name] = cells.REMOVED_CELL
            args = (None, *args[1:])
        try:
            values[name] = clean(*args, **kwargs)
        except cells.IgnoredCell as ignored:
            values[name] = ""
            warnings[name] = str(ignored)
        except ValueError as error:
            values[name] = None
            errors[name] = str(error)

    take("sex", cells.clean_civility, cell("Civilité"))
    take("last_name", cells.clean_name, cell("Nom"), required=True, max_length=NAME_MAX_LENGTH)
    take("first_name", cells.clean_name, cell("Prénom"), required=True, max_length=NAME_MAX_LENGTH)
    take(
        "birth_name",
        cells.clean_name,
        cell("Nom de naissance"),
        required=False,
        max_length=NAME_MAX_LENGTH,
    )
    take("birth_date", cells.clean_birth_date, cell("Date de naissance"), today=today, epoch=epoch)
    take("email", cells.clean_email, cell("Courriel"))
    take("phone", cells.clean_phone, cell("Téléphone"))
    take("household_role", ROLES.clean, cell("Rôle"))
    take("rights_and_duties", RIGHTS.clean, cell("Droits et devoirs"))
    for name in ("rsa_requested_on", "right_opened_on", "right_known_on"):
        take(name, cells.clean_past_date, cell(FIELD_LABELS[name]), today=today, epoch=epoch)
    take("payer", PAYERS.clean, cell("Organisme payeur"))
    # The number is read as its payer writes it (an MSA matricule has 13 digits).
    take("caf_number", cells.clean_caf_number, cell("N° CAF"), values["payer"] or Payer.CAF)
    take("commune", communes.find, cell("CP Ville"), cell("Code postal"))
    take(
        "address", cells.clean_name, cell("Adresse"), required=False, max_length=ADDRESS_MAX_LENGTH
    )
    take("family_situation", SITUATIONS.clean, cell("Situation familiale"))
    take("referent", referents.find, cell("Référent"))
    # What a list without these columns means (the page says the same).
    if "payer" not in errors:
        values["payer"] = values["payer"] or Payer.CAF
    role_given = bool(values["household_role"])
    values["household_role"] = values["household_role"] or HouseholdRole.APPLICANT
    # The age of a demandeur or conjoint the file names; a row without a role gets its role
    # from its household (_Analysis.compose: « autre » beside a demandeur).
    if role_given and "birth_date" not in errors and "household_role" not in errors:
        try:
            cells.check_applicant_age(values["birth_date"], values["household_role"], today=today)
        except ValueError as error:
            errors["birth_date"] = str(error)
    for name in ("birth_date", "rsa_requested_on", "right_opened_on", "right_known_on"):
        if name not in errors and values.get(name):
            note = cells.serial_number_note(cell(FIELD_LABELS[name]), values[name], epoch=epoch)
            if note:
                warnings[name] = note
    values["rights_and_duties"] = values["rights_and_duties"] or RightsAndDuties.SUBJECT
    values["family_situation"] = values["family_situation"] or FamilySituation.SINGLE
    dates = ("rsa_requested_on", "right_opened_on", "right_known_on")
    if not any(name in errors for name in dates):
        *found, order_errors = right_dates(*(values[name] for name in dates), today=today)
        values.update(zip(dates, found, strict=True))
        errors.update(order_errors)
    commune = values.pop("commune")
    referent = values.pop("referent")
    row = PersonRow(
        commune_id=commune[0] if commune else None,
        territory_id=commune[1] if commune else None,
        referent_id=referent.pk if referent else None,
        **values,
    )
    return row, errors, warnings


HOMONYM = (
    "Homonyme probable : une personne de mêmes nom, prénom et date de naissance a un dossier "
    "dans un autre foyer{where} ; un dossier distinct est créé : vérifiez qu'il s'agit bien "
    "d'une autre personne."
)


def _homonym_files(people):
    """How a row's warning names the files of its probable homonyms (people as
    `_Analysis._known_people` holds them): « n° 7600001 » for a file the user may see, nothing
    for another one."""
    return sorted({f"n° {number}" for _, number, *_, visible, _, _ in people if visible})


def _homonym_warning(homonyms):
    """The warning of a row whose identity (names, birth date) is another household's:
    `homonyms` names their lines and files."""
    return HOMONYM.format(where=f" ({', '.join(homonyms)})" if homonyms else "")


def _labelled(errors):
    """Messages of `errors` {field or None: message}, each after its column's name."""
    return [f"{FIELD_LABELS[name]} : {text}" if name else text for name, text in errors]


def _held_message(lines):
    """A row held for its household: the same words as every import (pti.imports)."""
    return held_reason(lines, ["N° CAF"])


# --- The plan -------------------------------------------------------------------------------


class PeoplePlan(PlanFile):
    """What the analysis decided, kept between the analysis and the write: a gzip of JSON
    lines, a first line {"head": …} (who analysed, when, the report), then lines
    {"rows": [...]} of at most PLAN_CHUNK rows each, in the file's order:

    - a new person: ["new", line, household id (or null: the household of [payer, number] is
      created by its first row), [payer, caf_number, address, commune_id, territory_id,
      family_situation], household_role, last_name, birth_name, first_name, birth_date, sex,
      email, phone, rights_and_duties, rsa_requested_on, right_opened_on, right_known_on,
      referent id or null];
    - a person known: ["known", line, id, lock_version, email, phone, whether these two
      change, referent id or null (to designate)];
    - a household of the base whose family situation changes, before every person:
      ["household", line of its first new member, id, lock_version, family_situation].

    It holds people's names and birth dates: it lives as long as the upload does."""

    def head(self):
        try:
            return json.loads(next(iter(self._lines())))["head"]
        except (OSError, EOFError, ValueError, KeyError, StopIteration):
            raise ValidationError(
                "Le plan d'import préparé par l'analyse est illisible : rien n'a été "
                "enregistré. Envoyez de nouveau le fichier."
            ) from None

    def chunks(self):
        lines = iter(self._lines())
        next(lines)
        for line in lines:
            yield json.loads(line)["rows"]


def _iso(date):
    return date.isoformat() if date else None


def _date(text):
    return datetime.date.fromisoformat(text) if text else None


# --- The analysis ---------------------------------------------------------------------------


class _Analysis:
    """The analysis of one table for one user (see the module docstring)."""

    def __init__(self, spec, table, *, user, progress):
        self.user = user
        self.table = table
        self.progress = progress
        self.today = timezone.localdate()
        self.is_pilot = user.role == Role.PILOT
        # The table's columns read by the import: a table of one row holding the column
        # indexes goes through map_headers, which checks the headers as every import does.
        columns = map_headers(
            Table(headers=table.headers, rows=[list(range(len(table.headers)))]),
            spec.columns,
            required=spec.required,
        )
        self.headers = list(columns.headers)
        self.indexes = list(columns[0])
        self.column_index = dict(zip(self.headers, self.indexes, strict=True))
        count = len(table.rows)
        self.operations = [SKIP] * count
        self.errors = {}  # row index -> [message]
        self.held = set()  # indexes of the rows held: faulty, or of a faulty row's household
        self.held_errors = []  # (line, message) of the rows held for another one
        self.warnings = {}  # row index -> [message]: written all the same, to check
        self.household_of = [None] * count  # row index -> (payer, number) or None
        self.refused = []
        self.new_in = {}  # (payer, number) -> indexes of the rows of new people, in order
        self.patches = {}  # row index -> {"role"/"situation": value} the household decided
        self.household_updates = []  # (row index, plan row) of the base's households

    def cells_of(self, row):
        index = self.column_index

        def cell(column):
            position = index.get(column)
            return None if position is None else row[position]

        return cell

    # What the file refers to, read once.

    def load(self):
        self.communes = CommuneIndex()
        self.communes.load()
        self.referents = ReferentIndex(self.user)
        self.referents.load()
        birth_dates, numbers = set(), set()
        for row in self.table.rows:
            cell = self.cells_of(row)
            with contextlib.suppress(ValueError):
                birth_dates.add(
                    cells.clean_birth_date(
                        cell("Date de naissance"), today=self.today, epoch=self.table.serial_epoch
                    )
                )
            with contextlib.suppress(ValueError):
                payer = PAYERS.clean(cell("Organisme payeur")) or Payer.CAF
                numbers.add(cells.clean_caf_number(cell("N° CAF"), payer))
        self.known = self._known_people(sorted(birth_dates))
        self.households, self.households_out_of_scope = self._households(sorted(numbers))
        self.compositions = self._compositions(sorted(self.households.values()))

    def _known_people(self, birth_dates):
        """{(identity key, birth date): [(id, household's number, e-mail, phone, version,
        visible, open référent id, household's payer)]} for the people of the base born on
        those dates, oldest first: one person per household, probable homonyms in others."""
        known = {}
        visible = Beneficiary.objects.visible_to(self.user)
        for start in range(0, len(birth_dates), PRELOAD_CHUNK):
            chunk = birth_dates[start : start + PRELOAD_CHUNK]
            people = Beneficiary.objects.filter(
                birth_date__in=chunk, anonymised_on__isnull=True
            ).order_by("pk")
            followed = dict(
                ReferentAssignment.objects.open()
                .filter(beneficiary__in=people)
                .values_list("beneficiary_id", "referent_id")
            )
            seen = (
                None
                if self.is_pilot
                else set(visible.filter(birth_date__in=chunk).values_list("pk", flat=True))
            )
            for (
                pk,
                last,
                birth,
                first,
                born,
                payer,
                number,
                email,
                phone,
                version,
            ) in people.values_list(
                "pk",
                "last_name",
                "birth_name",
                "first_name",
                "birth_date",
                "household__payer",
                "household__caf_number",
                "email",
                "phone",
                "lock_version",
            ):
                person = (
                    pk,
                    number,
                    email,
                    phone,
                    version,
                    seen is None or pk in seen,
                    followed.get(pk),
                    payer,
                )
                for key in identity_keys(last, birth, first):
                    known.setdefault((key, born), []).append(person)
        return known

    def _households(self, numbers):
        """({(payer, number): household id} of the base's households with the file's numbers,
        and the ids of those the user may not attach a person to)."""
        found, out_of_scope = {}, set()
        visible = Household.objects.visible_to(self.user)
        for start in range(0, len(numbers), PRELOAD_CHUNK):
            chunk = numbers[start : start + PRELOAD_CHUNK]
            existing = Household.objects.filter(caf_number__in=chunk)
            found.update(
                ((payer, number), pk)
                for pk, payer, number in existing.values_list("pk", "payer", "caf_number")
            )
            if not self.is_pilot:
                seen = set(visible.filter(caf_number__in=chunk).values_list("pk", flat=True))
                out_of_scope.update(
                    pk for pk in existing.values_list("pk", flat=True) if pk not in seen
                )
        return found, out_of_scope

    def _compositions(self, household_ids):
        """{household id: (family situation, lock version, Counter of its members' roles)}
        of the base's households the file names; anonymised members do not count."""
        compositions = {}
        for start in range(0, len(household_ids), PRELOAD_CHUNK):
            chunk = household_ids[start : start + PRELOAD_CHUNK]
            for pk, situation, version in Household.objects.filter(pk__in=chunk).values_list(
                "pk", "family_situation", "lock_version"
            ):
                compositions[pk] = (situation, version, Counter())
            members = (
                Beneficiary.objects.filter(household_id__in=chunk, anonymised_on__isnull=True)
                .values("household_id", "household_role")
                .annotate(count=Count("pk"))
                .order_by()
            )
            for member in members:
                roles = compositions[member["household_id"]][2]
                roles[member["household_role"]] += member["count"]
        return compositions

    # Row by row.

    def run(self, spool):
        """Read and decide every row; the rows to write go to `spool`, one line each, as
        "index<TAB>plan row"."""
        first_of = {}  # (identity key, birth date) -> {household key: index of its first row}
        lines = self.table.line_numbers
        for index, raw in enumerate(self.table.rows):
            row, errors, warnings = read_row(
                self.cells_of(raw),
                communes=self.communes,
                referents=self.referents,
                today=self.today,
                epoch=self.table.serial_epoch,
            )
            found = list(errors.items())
            if warnings:
                self.warnings.setdefault(index, []).extend(_labelled(warnings.items()))
            self.household_of[index] = row.household_key
            keys = ()
            if row.birth_date and row.last_name is not None and row.first_name is not None:
                keys = sorted(identity_keys(row.last_name, row.birth_name or "", row.first_name))
            # The same person twice in the file (same identity, same household): the second
            # line is refused, naming the first. In another household: a probable homonym.
            homonyms, in_file = [], []
            if row.last_name and row.first_name and row.birth_date:
                identities = [(key, row.birth_date) for key in keys]
                earlier = {}
                for one in identities:
                    for household, first in first_of.get(one, {}).items():
                        if household is not None:
                            earlier[household] = min(first, earlier.get(household, first))
                same = earlier.pop(row.household_key, None) if row.household_key else None
                if same is not None:
                    found.append(
                        (
                            None,
                            f"Les lignes {lines[same]} et {lines[index]} décrivent la "
                            "même personne (mêmes nom, prénom et date de naissance) : gardez-en "
                            "une seule.",
                        )
                    )
                in_file = sorted(earlier.values())
                homonyms.extend(f"ligne {lines[first]} du fichier" for first in in_file)
                for one in identities:
                    first_of.setdefault(one, {}).setdefault(row.household_key, index)
            candidates = {}
            for key in keys:
                for candidate in self.known.get((key, row.birth_date), ()):
                    candidates.setdefault(candidate[0], candidate)
            person = next(
                (
                    candidate
                    for candidate in candidates.values()
                    if row.household_key and (candidate[7], candidate[1]) == row.household_key
                ),
                None,
            )
            if person is None:
                plan = self.plan_new(row, errors, found, lines[index], warnings=warnings)
                homonyms.extend(_homonym_files(candidates.values()))
                homonym = bool(candidates or in_file)
            else:
                # The person of the file, updated: their homonyms are told of the file.
                plan = self.plan_known(row, person, errors, found, lines[index])
                homonyms, in_file, homonym = [], [], False
            if homonym and not found:
                self.warnings.setdefault(index, []).append(_homonym_warning(homonyms))
                # The earlier line is told of this one too: each homonym has its warning.
                for first in in_file:
                    self.warnings.setdefault(first, []).append(
                        _homonym_warning([f"ligne {lines[index]} du fichier"])
                    )
            if found:
                self.errors[index] = _labelled(found)
                self.operations[index] = ERROR
            elif plan is not None:
                self.operations[index] = UPDATE if plan[0] == "known" else NEW
                spool.write(f"{index}\t".encode() + dump_line(plan))
                if plan[0] == "new":
                    self.new_in.setdefault(row.household_key, []).append(index)
            if index % PLAN_CHUNK == PLAN_CHUNK - 1:
                self.progress.advance(PLAN_CHUNK)
        self.progress.advance(len(self.table.rows) % PLAN_CHUNK)

    def plan_new(self, row, errors, found, line, *, warnings):
        key = row.household_key
        household_id = self.households.get(key) if key else None
        if household_id is not None and household_id in self.households_out_of_scope:
            found.append((None, services.OUT_OF_SCOPE))
            self.refused.append((RefusedTarget.HOUSEHOLD, household_id))
        if self.user.role == Role.MANAGER and "referent" in warnings:
            # Without its référent, a manager's new person would be out of any scope, even
            # the manager's own: the row is refused, naming the référent, and held.
            found.append(("referent", warnings["referent"].removesuffix(WITHOUT_REFERENT)))
        elif self.user.role == Role.MANAGER and row.referent_id is None:
            found.append(
                (
                    "referent",
                    "indiquez un référent de votre structure : sans lui, la personne ne serait "
                    "pas suivie par votre structure.",
                )
            )
        if found:
            return None
        return [
            "new",
            line,
            household_id,
            [
                row.payer,
                row.caf_number,
                row.address,
                row.commune_id,
                row.territory_id,
                row.family_situation,
            ],
            row.household_role,
            row.last_name,
            row.birth_name,
            row.first_name,
            _iso(row.birth_date),
            row.sex,
            row.email,
            row.phone,
            row.rights_and_duties,
            _iso(row.rsa_requested_on),
            _iso(row.right_opened_on),
            _iso(row.right_known_on),
            row.referent_id,
        ]

    def plan_known(self, row, person, errors, found, line):
        pk, _, email, phone, version, visible, followed_by, _ = person
        if not visible:
            found.append((None, services.OUT_OF_SCOPE))
            self.refused.append((RefusedTarget.FILE, pk))
            return None
        if row.referent_id and followed_by and followed_by != row.referent_id:
            found.append(
                (
                    "referent",
                    f"cette personne est déjà suivie par {self.referent_name(followed_by)} : "
                    "changez de référent depuis son dossier, avec le motif.",
                )
            )
        if found:
            return None
        # A blank cell erases nothing; a different value replaces the one of the file.
        new_email = row.email or email
        new_phone = row.phone or phone
        changed = (new_email, new_phone) != (email, phone)
        referent_id = row.referent_id if followed_by is None else None
        if not changed and referent_id is None:
            return None
        return ["known", line, pk, version, new_email, new_phone, changed, referent_id]

    def referent_name(self, pk):
        referent = self.referents.by_pk.get(pk)
        if referent is None:
            # A référent the importer may not assign (another structure, departed): read once.
            referent = self.referents.by_pk[pk] = User.objects.get(pk=pk)
        return str(referent)

    # Households: the roles of their members, their family situation.

    def compose(self):
        """Decide the roles and the family situation of each household a new person joins,
        from the roles the file gives its rows and those of the members the base holds
        (anonymised ones left out). A household has one demandeur and at most one conjoint:
        a second one is an error of its row, which holds the household (`hold`). A row
        without a role is the demandeur of a household that has none, « autre » otherwise,
        with a warning. The household is a couple when it has a conjoint (or when the file
        or the base says it is one), with children when it has a child (or when they say
        so), as the CNAF flux decides it (cnaf.py, `family_situation`); a « Situation
        familiale » cell that says otherwise gets a warning. What differs from the rows
        already planned is kept in `patches` (applied as the plan is written); a household
        of the base whose situation changes gets its own plan row (`household_updates`)."""
        lines = self.table.line_numbers
        for key, indexes in self.new_in.items():
            household_id = self.households.get(key)
            stored, version, roles = self.compositions.get(household_id, ("", None, Counter()))
            roles = Counter(roles)
            number = key[1]
            # Where the demandeur and the conjoint already are, for the messages.
            first = {role: "déjà enregistré" for role in SINGLE_ROLES if roles[role]}
            given, said, faulty = {}, {}, False
            for index in indexes:
                cell = self.cells_of(self.table.rows[index])
                with contextlib.suppress(ValueError):
                    given[index] = ROLES.clean(cell("Rôle"))
                with contextlib.suppress(ValueError):
                    said[index] = SITUATIONS.clean(cell("Situation familiale"))
            for index in indexes:
                role = given.get(index)
                if role in first and role in SINGLE_ROLES:
                    label = HouseholdRole(role).label
                    self.errors[index] = [
                        f"Rôle : le foyer n° {number} a déjà un {label} ({first[role]}) : un "
                        "foyer n'en compte qu'un ; corrigez le rôle de l'une des deux personnes."
                    ]
                    self.operations[index] = ERROR
                    faulty = True
                elif role:
                    first.setdefault(role, f"ligne {lines[index]}")
                    roles[role] += 1
            if faulty:
                continue  # held whole: nothing of it is written
            for index in indexes:
                if given.get(index):
                    continue
                if APPLICANT not in first:
                    first[APPLICANT] = f"ligne {lines[index]}"
                    roles[APPLICANT] += 1
                    continue
                self.patches.setdefault(index, {})["role"] = HouseholdRole.OTHER
                roles[HouseholdRole.OTHER] += 1
                self.warnings.setdefault(index, []).append(
                    f"Rôle : non indiqué, et le foyer n° {number} a déjà un demandeur "
                    f"({first[APPLICANT]}) : la personne est enregistrée « autre » ; indiquez "
                    "« conjoint » ou « enfant » s'il le faut."
                )
            claims = {situation for situation in [stored, *said.values()] if situation}
            situation = household_situation(roles, claims)
            for index in indexes:
                if said.get(index) and said[index] != situation:
                    self.warnings.setdefault(index, []).append(
                        f"Situation familiale : « {FamilySituation(said[index]).label} » ne "
                        f"correspond pas aux membres du foyer n° {number} : il est enregistré "
                        f"« {FamilySituation(situation).label} »."
                    )
            if household_id is None:
                # Created by its first row: every row carries the same situation.
                for index in indexes:
                    if (said.get(index) or FamilySituation.SINGLE) != situation:
                        self.patches.setdefault(index, {})["situation"] = situation
            elif situation != stored:
                row = ["household", lines[indexes[0]], household_id, version, situation]
                self.household_updates.append((indexes[0], row))

    # Households held whole.

    def hold(self):
        """Hold every row of a household that has a faulty row (its « N° CAF » and payer; by
        the number alone when the payer cannot be read), with a message naming the faulty
        lines."""
        lines = self.table.line_numbers
        faulty_lines = {}  # household key -> [line]
        faulty_numbers = {}  # number -> [line], the payer unreadable
        for index in sorted(self.errors):
            key = self.household_of[index]
            if key is None:
                continue
            payer, number = key
            if payer is None:
                faulty_numbers.setdefault(number, []).append(lines[index])
            else:
                faulty_lines.setdefault(key, []).append(lines[index])
        self.held = set(self.errors)
        if not faulty_lines and not faulty_numbers:
            return
        for index, key in enumerate(self.household_of):
            if key is None or index in self.errors:
                continue
            reasons = faulty_lines.get(key, []) + faulty_numbers.get(key[1], [])
            if reasons:
                self.held.add(index)
                self.held_errors.append((lines[index], _held_message(sorted(reasons))))

    def report(self):
        """The preview's Report: the rows held (each faulty row and its household) are
        « erreur », counted nowhere else, each with its reason."""
        table, operations, held = self.table, self.operations, self.held
        counts = {"new": 0, "update": 0, "skip": 0, "ignored": 0}
        for index, operation in enumerate(operations):
            if index not in held:
                counts[operation] += 1
        errors = [
            (table.line_numbers[index], message)
            for index, messages in self.errors.items()
            for message in messages
        ]
        errors.extend(self.held_errors)
        warnings = [
            (table.line_numbers[index], message)
            for index, messages in self.warnings.items()
            if index not in held
            for message in messages
        ]
        # The rows the write would apply; the held ones are listed with their reason.
        written = (index for index in range(len(table.rows)) if index not in held)
        rows = []
        for index in itertools.islice(written, PREVIEW_ROWS):
            values = [table.rows[index][position] for position in self.indexes]
            rows.append((table.line_numbers[index], OPERATION_LABELS[operations[index]], values))
        return Report(
            headers=self.headers,
            rows=rows,
            errors=sorted(errors),
            counts=counts,
            hidden_rows=max(0, len(table.rows) - len(held) - PREVIEW_ROWS),
            refused=list(self.refused),
            warnings=sorted(warnings),
        )

    def write_plan(self, spool, plan_file, report):
        """The plan: its head, then the rows of the spool that are not held, PLAN_CHUNK a
        line."""
        updates = [row for index, row in self.household_updates if index not in self.held]
        head = {
            "user": self.user.pk,
            "today": self.today.isoformat(),
            "planned": len(updates)
            + sum(
                1
                for index, operation in enumerate(self.operations)
                if operation in (NEW, UPDATE) and index not in self.held
            ),
            "report": _report_to_json(report),
        }
        spool.seek(0)
        with PeoplePlan(plan_file).writer() as out:
            out.write(dump_line({"head": head}))
            for start in range(0, len(updates), PLAN_CHUNK):
                out.write(dump_line({"rows": updates[start : start + PLAN_CHUNK]}))
            chunk = []
            for line in spool:
                index, _, row = line.partition(b"\t")
                if int(index) in self.held:
                    continue
                row = row.rstrip(b"\n")
                patch = self.patches.get(int(index))
                if patch:
                    row = _patched(row, patch)
                chunk.append(row)
                if len(chunk) == PLAN_CHUNK:
                    out.write(b'{"rows":[' + b",".join(chunk) + b"]}\n")
                    chunk = []
            if chunk:
                out.write(b'{"rows":[' + b",".join(chunk) + b"]}\n")


def _patched(row, patch):
    """A plan's row of a new person (JSON bytes) with the role and the household's situation
    that `_Analysis.compose` decided."""
    plan = json.loads(row)
    if "role" in patch:
        plan[4] = patch["role"]
    if "situation" in patch:
        plan[3][5] = patch["situation"]
    return dump_line(plan).rstrip(b"\n")


def _report_to_json(report):
    return {
        "headers": report.headers,
        "rows": [
            [line, label, [cells.clean_text(value) for value in values]]
            for line, label, values in report.rows
        ],
        "errors": report.errors,
        "counts": report.counts,
        "hidden_rows": report.hidden_rows,
        "refused": report.refused,
        "warnings": report.warnings,
    }


def _report_from_json(data):
    return Report(
        headers=data["headers"],
        rows=[tuple(row) for row in data["rows"]],
        errors=[tuple(error) for error in data["errors"]],
        counts=data["counts"],
        hidden_rows=data["hidden_rows"],
        refused=[tuple(refusal) for refusal in data["refused"]],
        warnings=[tuple(warning) for warning in data.get("warnings", [])],
    )


# --- The write ------------------------------------------------------------------------------

NEW_PERSON_FIELDS = ["household_id", *services.PERSON_FIELDS, "search_key"]


def _new_person(household_id, row):
    """The values of NEW_PERSON_FIELDS for a plan's row of a new person."""
    _, _, _, _, role, last, birth, first, born, sex, email, phone, rights, *dates, _ = row
    requested, opened, known = (_date(text) for text in dates)
    return (
        household_id,
        role,
        last,
        birth,
        first,
        _date(born),
        sex,
        email,
        phone,
        rights,
        requested,
        opened,
        known,
        search_key(last, birth, first),
    )


CHANGED_FILE = "dossier modifié, anonymisé ou hors de votre périmètre"
STALE = (
    "La base a changé depuis l'analyse du fichier ({reasons}) : rien n'a été enregistré. "
    "Envoyez de nouveau le fichier pour une nouvelle analyse."
)


class _Writer:
    """Applies a PeoplePlan, PLAN_CHUNK rows at a time, after checking that each row still
    applies (see the module docstring)."""

    def __init__(self, *, user, progress):
        self.user = user
        self.progress = progress
        self.is_pilot = user.role == Role.PILOT
        self.created = {}  # (payer, number) -> id of a household this write created
        self.members = {}  # household id -> ids of its members, as they grow
        self.referents = {}  # id -> User, checked
        self.stale = []  # (line, reason)

    def fail_if_stale(self):
        if self.stale:
            self.stale.sort()
            reasons = "; ".join(f"ligne {line} : {reason}" for line, reason in self.stale[:5])
            if len(self.stale) > 5:
                reasons += f" ; et {len(self.stale) - 5} autre(s) ligne(s)"
            raise ValidationError(STALE.format(reasons=reasons))

    def check(self, rows):
        """Whether the rows still apply as the analysis decided: stale ones in `self.stale`.
        Locks the people the chunk updates until the end of the transaction."""
        new = [row for row in rows if row[0] == "new"]
        known = [row for row in rows if row[0] == "known"]
        self.check_referents(new + known)
        # A household whose situation the plan changes must be as the analysis read it.
        updates = {row[2]: row for row in rows if row[0] == "household"}
        if updates:
            versions = dict(
                Household.objects.select_for_update(of=("self",))
                .filter(pk__in=updates)
                .values_list("pk", "lock_version")
            )
            self.stale.extend(
                (row[1], "foyer modifié depuis l'analyse")
                for pk, row in updates.items()
                if versions.get(pk) != row[3]
            )
        # A new household's number must still be free; an existing one still reachable.
        wanted = {
            tuple(row[3][:2]): row[1]
            for row in new
            if row[2] is None and tuple(row[3][:2]) not in self.created
        }
        taken = Household.objects.filter(
            caf_number__in={number for _, number in wanted}
        ).values_list("payer", "caf_number")
        for key in taken:
            if key in wanted:
                self.stale.append((wanted[key], "un foyer porte désormais ce n° CAF"))
        relied = {row[2]: row[1] for row in new if row[2] is not None}
        # Locked: a form or another import adding the same person to one of these households
        # waits for this write, and then finds them.
        list(
            Household.objects.select_for_update(of=("self",))
            .filter(pk__in=relied)
            .values_list("pk", flat=True)
        )
        households = Household.objects.filter(pk__in=relied)
        if not self.is_pilot:
            households = households.filter(pk__in=Household.objects.visible_to(self.user))
        present = set(households.values_list("pk", flat=True))
        self.stale.extend(
            (line, "foyer supprimé ou hors de votre périmètre")
            for pk, line in relied.items()
            if pk not in present
        )
        # A new person must still be unknown in their household.
        births = {}
        for row in new:
            births.setdefault(row[8], []).append(row)
        if births:
            base = set()
            for last, birth, first, born, payer, number in Beneficiary.objects.filter(
                birth_date__in=births, anonymised_on__isnull=True
            ).values_list(
                "last_name",
                "birth_name",
                "first_name",
                "birth_date",
                "household__payer",
                "household__caf_number",
            ):
                base.update(
                    (key, born.isoformat(), payer, number)
                    for key in identity_keys(last, birth, first)
                )
            for row in new:
                payer, number = row[3][:2]
                if any(
                    (key, row[8], payer, number) in base
                    for key in identity_keys(row[5], row[6], row[7])
                ):
                    self.stale.append(
                        (row[1], "une personne de même identité a été enregistrée dans ce foyer")
                    )
        # A person known must be as the analysis read them.
        if known:
            versions = {row[2]: row for row in known}
            people = Beneficiary.objects.select_for_update(of=("self",)).filter(
                pk__in=versions, anonymised_on__isnull=True
            )
            if not self.is_pilot:
                people = people.filter(pk__in=Beneficiary.objects.visible_to(self.user))
            current = dict(people.values_list("pk", "lock_version"))
            followed = set(
                ReferentAssignment.objects.open()
                .filter(beneficiary_id__in=[row[2] for row in known if row[-1]])
                .values_list("beneficiary_id", flat=True)
            )
            for pk, row in versions.items():
                if current.get(pk) != row[3]:
                    self.stale.append((row[1], CHANGED_FILE))
                elif pk in followed:
                    self.stale.append((row[1], "un référent a été désigné entre-temps"))

    def check_referents(self, rows):
        wanted = {row[-1] for row in rows if row[-1] is not None} - self.referents.keys()
        if wanted:
            self.referents.update(
                (referent.pk, referent)
                for referent in User.objects.assignable_referents().filter(pk__in=wanted)
                if self.is_pilot or referent.organisation_id == self.user.organisation_id
            )
        self.stale.extend(
            (row[1], "le référent n'est plus en activité")
            for row in rows
            if row[-1] is not None and row[-1] not in self.referents
        )

    def write(self, rows):
        now = timezone.now()
        today = timezone.localdate()
        user_id = self.user.pk
        new = [row for row in rows if row[0] == "new"]
        known = [row for row in rows if row[0] == "known"]
        # The family situation of households of the base that new members change.
        update_values(
            Household,
            ["family_situation", "lock_version", "updated_at"],
            (
                (pk, situation, version + 1, now)
                for _, _, pk, version, situation in (row for row in rows if row[0] == "household")
            ),
        )
        # The households: those of the base, with their members for the traces; those to
        # create, from their first row.
        relied = {row[2] for row in new if row[2] is not None} - self.members.keys()
        for household_id in relied:
            self.members[household_id] = []
        for household_id, pk in Beneficiary.objects.filter(household_id__in=relied).values_list(
            "household_id", "pk"
        ):
            self.members[household_id].append(pk)
        creating = {}
        for row in new:
            key = tuple(row[3][:2])
            if row[2] is None and key not in self.created and key not in creating:
                creating[key] = row[3]
        ids = insert_values(
            Household,
            ["payer", "caf_number", "address", "commune_id", "territory_id", "family_situation"],
            creating.values(),
        )
        for key, pk in zip(creating, ids, strict=True):
            self.created[key] = pk
            self.members[pk] = []
        household_ids = [
            row[2] if row[2] is not None else self.created[tuple(row[3][:2])] for row in new
        ]
        people = insert_values(
            Beneficiary,
            NEW_PERSON_FIELDS,
            (
                _new_person(household_id, row)
                for household_id, row in zip(household_ids, new, strict=True)
            ),
        )
        traces = []
        for pk, household_id in zip(people, household_ids, strict=True):
            traces.append((pk, user_id, FileOperation.CREATE, IMPORT_TRACE))
            members = self.members[household_id]
            traces.extend(
                (other, user_id, FileOperation.UPDATE, NEW_MEMBER_TRACE) for other in members
            )
            members.append(pk)
        # The people known: their contact details, a new version (a form opened before the
        # import is refused), a trace.
        update_values(
            Beneficiary,
            ["email", "phone", "lock_version", "updated_at"],
            (
                (pk, email, phone, version + 1, now)
                for _, _, pk, version, email, phone, changed, _ in known
                if changed
            ),
        )
        traces.extend((row[2], user_id, FileOperation.UPDATE, IMPORT_TRACE) for row in known)
        # The référents designated, as `services.referent_assign` does for a first one.
        designated = [(pk, row[-1]) for pk, row in zip(people, new, strict=True) if row[-1]]
        designated += [(row[2], row[-1]) for row in known if row[-1]]
        insert_values(
            ReferentAssignment,
            [
                "beneficiary_id",
                "referent_id",
                "structure_id",
                "start_date",
                "reason",
                "note",
                "assigned_by_id",
            ],
            (
                (
                    pk,
                    referent_id,
                    self.referents[referent_id].organisation_id,
                    today,
                    AssignmentReason.FIRST,
                    "",
                    user_id,
                )
                for pk, referent_id in designated
            ),
        )
        traces.extend((pk, user_id, FileOperation.UPDATE, ASSIGNMENT_TRACE) for pk, _ in designated)
        insert_values(FileAccess, ["beneficiary_id", "user_id", "operation", "what"], traces)


# --- The engine -----------------------------------------------------------------------------


class PeopleImportEngine:
    """The import of a list of people, as a pti.imports.ImportEngine (see the module
    docstring)."""

    def analyse(self, spec, table, *, user, plan_file, progress):
        """Check every row of `table` as `user` would import it and write the plan to
        `plan_file`; nothing is written in the database. Raises TableError when a required
        column is missing. Returns an Analysis: the report (faulty and held rows among its
        errors) and the file lines held."""
        with tempfile.TemporaryFile() as spool:
            analysis = self._analysis(spec, table, user=user, progress=progress, spool=spool)
            report = analysis.report()
            analysis.write_plan(spool, plan_file, report)
        held_lines = sorted(table.line_numbers[index] for index in analysis.held)
        return Analysis(report=report, held_lines=held_lines)

    def write(self, spec, plan_file, *, user, progress):
        """Apply the plan of `analyse` (`plan_file`, a seekable binary file) as `user`, in
        the caller's transaction. Returns the Report of what was written; raises
        ValidationError, having written nothing, when the plan no longer applies."""
        plan = PeoplePlan(plan_file)
        head = plan.head()
        if head["user"] != user.pk:
            raise ValidationError(
                "Ce plan d'import a été préparé pour un autre utilisateur : rien n'a été "
                "enregistré."
            )
        progress.total(head["planned"])
        writer = _Writer(user=user, progress=progress)
        with transaction.atomic():
            for rows in plan.chunks():
                writer.check(rows)
                writer.fail_if_stale()
                writer.write(rows)
                progress.advance(len(rows))
        return _report_from_json(head["report"])

    def _analysis(self, spec, table, *, user, progress, spool):
        """The _Analysis of `table`, its rows decided (those to write in `spool`) and held."""
        analysis = _Analysis(spec, table, user=user, progress=progress)
        progress.total(len(table.rows))
        analysis.load()
        analysis.run(spool)
        analysis.compose()
        analysis.hold()
        return analysis
