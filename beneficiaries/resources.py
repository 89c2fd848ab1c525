"""The imports of files about people as the pages and the command run them: the list of
people a département keeps (formats/README.md, section 3; its checks and writes are
`beneficiaries.people_import`), and the CNAF contacts file (section 2).

The CNAF contacts file only updates the phone and e-mail of people already followed, found by
the CAF number and the role in the household (`CafContactResource`); its NIR column is never
read (`NIR_COLUMNS`, `pti.imports.ImportSpec.discarded_columns`).
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from import_export import fields, resources, widgets

from actions.resources import FrenchDateWidget
from beneficiaries import cells, services, traces
from beneficiaries.contacts import looks_like_nir
from beneficiaries.enums import HouseholdRole, Payer, PeopleView
from beneficiaries.models import Beneficiary, Household
from beneficiaries.people_import import (
    EXAMPLES,
    FIELD_LABELS,
    PERSON_COLUMNS,
    REQUIRED_COLUMNS,
    PeopleImportEngine,
)
from beneficiaries.search import holds_name
from pti.enums import Role, RunKind
from pti.imports import DISCARDED_VALUE, ExplainedRowResult, ImportSpec
from pti.resources import TextWidget

PRELOAD_CHUNK = 500  # values per IN (...) when reading what the file refers to


class NameWidget(TextWidget):
    def __init__(self, *, required):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        return cells.clean_name(value, required=self.required)


class CafNumberWidget(widgets.Widget):
    """The allocataire number of a CAF household on 7 digits (cells.clean_caf_number)."""

    def clean(self, value, row=None, **kwargs):
        return cells.clean_caf_number(value)


REMOVED_CELL = cells.REMOVED_CELL


def _not_removed(value):
    """`value`, unless it is the mark of a removed value (pti.imports.DISCARDED_VALUE):
    then cells.IgnoredCell."""
    if isinstance(value, str) and value.strip() == DISCARDED_VALUE:
        raise cells.IgnoredCell(REMOVED_CELL)
    return value


class EmailWidget(widgets.Widget):
    """The first address of the cell (cells.clean_email); an invalid one, or a removed value,
    is ignored with a warning (cells.IgnoredCell)."""

    def clean(self, value, row=None, **kwargs):
        return cells.clean_email(_not_removed(value))


class PhoneWidget(widgets.Widget):
    """The first number of the cell (cells.clean_phone); an invalid one, or a removed value,
    is ignored with a warning (cells.IgnoredCell)."""

    def clean(self, value, row=None, **kwargs):
        return cells.clean_phone(_not_removed(value))


def people_import_notes(user):
    """What the import page says about the rules and the defaults (kept beside the code)."""
    notes = [
        "Une ligne par personne ; les personnes d'un même foyer ont le même n° CAF. Les lignes "
        "vides sont ignorées, comme les colonnes que l'import ne connaît pas (par exemple "
        "« ID interne »).",
        "N° CAF : 7 chiffres ; un numéro plus court est complété par des zéros à gauche "
        "(« 123456 » devient « 0123456 »), la forme sur 15 chiffres des fichiers de la CNAF "
        "est lue (« 012345600000000 » est « 0123456 »). Un foyer payé par la MSA garde le "
        "matricule de la MSA (13 chiffres) : indiquez alors l'organisme payeur MSA.",
        "CP Ville : le code postal et le nom de la commune (« 42000 Saint-Étienne »), ou le nom "
        "seul avec une colonne « Code postal » ; la commune donne le territoire du foyer. Tous "
        "les codes postaux d'une commune conviennent (« 42100 Saint-Étienne »), son nom comme "
        "La Poste l'écrit aussi (« ST ETIENNE CEDEX 2 »). Une commune inconnue du département "
        "est une erreur.",
        "Dates au format jj/mm/aaaa. Droit connu le : à défaut, la date de l'import, car le "
        "Département l'apprend au plus tard par cet import ; le délai d'orientation de 6 "
        "semaines court à partir de cette date. Ouverture du droit : à défaut, la date de "
        "demande, sinon celle de l'import ; demande de RSA : à défaut, l'ouverture du droit. "
        "Renseignez ces dates si vous les avez : les délais des indicateurs en dépendent.",
        "Sans colonne ou case vide : organisme payeur CAF, situation familiale « personne "
        "seule », rôle « demandeur », soumis aux droits et devoirs. Ils se corrigent ensuite "
        "dans le dossier.",
        "Foyer : les lignes d'un même n° CAF forment un foyer, avec un seul demandeur et au "
        "plus un conjoint (colonne « Rôle ») ; un second demandeur ou conjoint est une erreur "
        "qui retient tout le foyer. Une personne sans rôle est le demandeur d'un foyer qui "
        "n'en a pas, « autre » sinon (avec un avertissement). La situation familiale suit les "
        "rôles du fichier et ceux des membres déjà enregistrés : un conjoint fait un couple, "
        "un enfant un foyer avec enfants, même arrivés dans un fichier suivant.",
        "Une personne déjà connue (mêmes nom, prénom et date de naissance) n'est jamais créée "
        "deux fois : seuls son courriel et son téléphone sont mis à jour si le fichier en donne "
        "d'autres (une case vide n'efface rien) ; son foyer et ses dates ne changent pas. La "
        "même personne deux fois dans le fichier est une erreur.",
        "Référent : « Prénom Nom », « Nom Prénom » ou identifiant d'un référent en activité "
        "(accents, majuscules et tirets indifférents) ; la personne lui est confiée à la date "
        "de l'import (première désignation). Un référent introuvable laisse la personne sans "
        "référent, avec un avertissement. Un changement de référent se fait depuis le "
        "dossier.",
        "Une case de CSV qui commence par « = » est enregistrée telle quelle, comme du texte : "
        "elle n'est jamais calculée ; d'un classeur Excel, seule la valeur qu'affichait une "
        "formule est lue.",
        "Une ligne en erreur est retenue avec les autres personnes de son foyer (même n° CAF), "
        "pour qu'un foyer ne soit jamais importé à moitié : elles ne sont pas importées, les "
        "autres lignes le sont. Toutes les erreurs sont listées avec leur numéro de ligne, et "
        "les lignes retenues se téléchargent en CSV pour les corriger et les importer de "
        "nouveau.",
    ]
    if user.role == Role.MANAGER:
        notes.insert(
            0,
            "Vous importez pour votre structure : chaque nouvelle personne doit être confiée à "
            "un référent de votre structure (colonne « Référent ») ; sans lui, la ligne est "
            "une erreur.",
        )
    return notes


# --- The CNAF contacts file (formats/README.md, section 2) -----------------------------------

# Expected header -> other names. The file's other columns (TYPE PERSONNE, NUMERO DEMANDE RSA,
# DATE DEBUT DROITS - DEVOIRS) are not read, hence not shown in the preview.
CONTACT_FILE_COLUMNS = {
    "MATRICULE": ["Matricule CAF", "N° CAF", "N° allocataire"],
    "ROLE PERSONNE": ["Rôle", "ROLEPERS"],
    "DATE DEMANDE RSA": ["Date de demande RSA", "DTDEMRSA"],
    "NOM/PRENOM RESPONSABLE DOSSIER": ["Nom du responsable du dossier"],
    "NUMERO TELEPHONE DOSSIER": ["Téléphone"],
    "NUMERO TELEPHONE 2 DOSSIER": ["Téléphone 2"],
    "ADRESSE ELECTRONIQUE DOSSIER": ["Courriel", "Adresse électronique"],
}
CONTACT_FILE_REQUIRED = [
    "MATRICULE",
    "ROLE PERSONNE",
    "NOM/PRENOM RESPONSABLE DOSSIER",
    "NUMERO TELEPHONE DOSSIER",
    "ADRESSE ELECTRONIQUE DOSSIER",
]
CONTACT_FILE_EXAMPLES = {
    "MATRICULE": "0123456",
    "ROLE PERSONNE": "DEM",
    "DATE DEMANDE RSA": "02/01/2026",
    "NOM/PRENOM RESPONSABLE DOSSIER": "DURAND HELENE",
    "NUMERO TELEPHONE DOSSIER": "0612345678",
    "NUMERO TELEPHONE 2 DOSSIER": "0477000000",
    "ADRESSE ELECTRONIQUE DOSSIER": "helene.durand@exemple.fr",
}
CONTACT_FILE_LABELS = {
    "caf_number": "MATRICULE",
    "role": "ROLE PERSONNE",
    "rsa_requested_on": "DATE DEMANDE RSA",
    "responsible": "NOM/PRENOM RESPONSABLE DOSSIER",
    "phone": "NUMERO TELEPHONE DOSSIER",
    "phone_2": "NUMERO TELEPHONE 2 DOSSIER",
    "email": "ADRESSE ELECTRONIQUE DOSSIER",
}
# The NIR: never read, never kept (DOMAIN.md, models.Beneficiary). Its column is dropped as
# the file is read, and so is, in any other column, a value that is one (contacts.looks_like_nir:
# 13 characters, 15 with the key, the département may be 2A or 2B, spaces allowed): the cell
# is then absent, and the row imported without it with a warning (REMOVED_CELL).
NIR_COLUMNS = ["NIR", "N° NIR", "Numéro NIR", "N° de sécurité sociale", "N° INSEE"]
CONTACTS_TRACE = "import coordonnées CAF"
# ROLE PERSONNE as the CNAF writes it (the flux's ROLEPERS). The file gives the contact of
# the applicant and the partner; children and the household's other members have none.
CNAF_ROLES = {
    "DEM": HouseholdRole.APPLICANT,
    "CJT": HouseholdRole.PARTNER,
    "ENF": HouseholdRole.CHILD,
    "AUT": HouseholdRole.OTHER,
    "RDO": HouseholdRole.OTHER,
}
ROLES_WITH_CONTACT = (HouseholdRole.APPLICANT, HouseholdRole.PARTNER)
# Why a row is left aside: shown in the preview ("ignorée : ...") and counted. No personal
# data here, ever.
UNKNOWN_FILE = "dossier inconnu"
NO_CONTACT_ROLE = "enfant ou autre membre du foyer"
ANONYMISED_PERSON = "personne anonymisée"
ROLE_ABSENT = {
    HouseholdRole.APPLICANT: "pas de demandeur dans ce dossier",
    HouseholdRole.PARTNER: "pas de conjoint dans ce dossier",
}
ROLE_TWICE = {
    HouseholdRole.APPLICANT: "plusieurs demandeurs dans ce dossier",
    HouseholdRole.PARTNER: "plusieurs conjoints dans ce dossier",
}


class CnafRoleWidget(widgets.Widget):
    """ROLE PERSONNE: DEM, CJT, ENF, AUT or RDO -> the role in the household."""

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip().upper()
        if not code:
            raise ValueError("indiquez le rôle de la personne (DEM ou CJT).")
        if code not in CNAF_ROLES:
            raise ValueError(
                f"« {value} » n'est pas un rôle de la CAF (DEM demandeur, CJT conjoint, ENF "
                "enfant ou AUT autre)."
            )
        return CNAF_ROLES[code]


def _names_match(text, person):
    """Whether `text` ("NOM PRENOM", in any order) holds the person's first name and their
    last name (or birth name), whatever the case, accents and separators."""
    return holds_name(text, person.first_name) and any(
        holds_name(text, name) for name in (person.last_name, person.birth_name) if name
    )


class CafContactResource(resources.ModelResource):
    """One row of the CNAF contacts file, one person whose phone and e-mail may change.

    The person is found by the matricule (a CAF household's number) and the role; nothing
    else of the file is written, and nothing is ever created. Rows that are not for the
    application (a household the département does not follow, a child...) are left aside,
    with the reason, without reading their other cells: the file covers the whole CAF. The
    households of the file and their people are read once before the rows."""

    caf_number = fields.Field(column_name="MATRICULE", widget=CafNumberWidget())
    role = fields.Field(column_name="ROLE PERSONNE", widget=CnafRoleWidget())
    rsa_requested_on = fields.Field(column_name="DATE DEMANDE RSA", widget=FrenchDateWidget())
    responsible = fields.Field(
        column_name="NOM/PRENOM RESPONSABLE DOSSIER", widget=NameWidget(required=False)
    )
    phone = fields.Field(column_name="NUMERO TELEPHONE DOSSIER", widget=PhoneWidget())
    phone_2 = fields.Field(column_name="NUMERO TELEPHONE 2 DOSSIER", widget=PhoneWidget())
    email = fields.Field(column_name="ADRESSE ELECTRONIQUE DOSSIER", widget=EmailWidget())

    class Meta:
        model = Beneficiary
        fields = list(CONTACT_FILE_LABELS)
        skip_diff = True  # the preview shows the file's rows, not a diff
        report_skipped = True

    def __init__(self, *, user):
        super().__init__()
        self.user = user
        # (file line, French message) of the cells left out of the rows read (an invalid
        # phone, a NIR removed): the rows are imported without them (Report.warnings).
        self.warnings = []

    @classmethod
    def get_row_result_class(cls):
        return ExplainedRowResult

    def _clean(self, name, row):
        field = self.fields[name]
        return field.widget.clean(row.get(field.column_name), row=row)

    def _key(self, row):
        """(CAF number, role) of a row, or None if either cannot be read."""
        try:
            return self._clean("caf_number", row), self._clean("role", row)
        except ValueError:
            return None

    # --- Before the rows: the households of the file, read once --------------------------

    def before_import(self, dataset, **kwargs):
        self.file_lines = kwargs.get("file_lines") or [n + 2 for n in range(len(dataset))]
        keys = [self._key(row) for row in dataset.dict]
        # The same person twice: the second line is refused, naming the first.
        first_index, self.duplicate_of = {}, {}
        for index, key in enumerate(keys):
            if key and key[1] in ROLES_WITH_CONTACT:
                if key in first_index:
                    self.duplicate_of[index] = first_index[key]
                else:
                    first_index[key] = index
        self.households = self._households(sorted({key[0] for key in keys if key}))

    def _households(self, numbers):
        """{CAF number: household, its people prefetched} for the CAF households among
        `numbers` that have someone the importing user may see; only those people are
        prefetched (`Beneficiary.objects.visible_to`): a row about anyone else is a « dossier
        inconnu », whatever the base holds."""
        found = {}
        people = Beneficiary.objects.visible_to(self.user).order_by("pk")
        for start in range(0, len(numbers), PRELOAD_CHUNK):
            households = (
                Household.objects.visible_to(self.user)
                .filter(payer=Payer.CAF, caf_number__in=numbers[start : start + PRELOAD_CHUNK])
                .prefetch_related(Prefetch("members", queryset=people))
            )
            found.update((household.caf_number, household) for household in households)
        return found

    # --- Row by row ----------------------------------------------------------------------

    def before_import_row(self, row, **kwargs):
        self.index = kwargs["row_number"] - 1
        self.plan = {"ignored": "", "contact": {}}

    def get_instance(self, instance_loader, row):
        """The person this row is about, or None with the reason why the row is left aside
        (nothing is said when the matricule or the role cannot be read: that is an error,
        which import_instance reports)."""
        key = self._key(row)
        if key is None:
            return None
        caf_number, role = key
        if role not in ROLES_WITH_CONTACT:
            self.plan["ignored"] = NO_CONTACT_ROLE
            return None
        household = self.households.get(caf_number)
        if household is None:
            self.plan["ignored"] = UNKNOWN_FILE
            return None
        people = [person for person in household.members.all() if person.household_role == role]
        living = [person for person in people if person.anonymised_on is None]
        if len(living) == 1:
            return living[0]
        if len(living) > 1:
            self.plan["ignored"] = ROLE_TWICE[role]
        elif people:
            self.plan["ignored"] = ANONYMISED_PERSON
        else:
            self.plan["ignored"] = ROLE_ABSENT[role]
        return None

    def import_instance(self, instance, row, **kwargs):
        """Read the cells (all the row's errors at once), then decide what changes: the phone
        and the e-mail, when the file gives others than the person's."""
        errors = {}
        names = ["caf_number", "role"]
        if not self.plan["ignored"]:
            names += ["rsa_requested_on", "responsible", "phone", "phone_2", "email"]
        values = {}
        line = self.file_lines[self.index]
        for name in names:
            try:
                values[name] = self._clean(name, row)
            except cells.IgnoredCell as ignored:
                values[name] = ""
                self.warnings.append((line, f"{CONTACT_FILE_LABELS[name]} : {ignored}"))
            except ValueError as error:
                errors[name] = [str(error)]
        if self.index in self.duplicate_of:
            first = self.file_lines[self.duplicate_of[self.index]]
            this = line
            errors.setdefault("__all__", []).append(
                f"Les lignes {first} et {this} concernent la même personne (même matricule, "
                "même rôle) : gardez-en une seule."
            )
        if instance.pk and not errors:
            self._plan_contact(instance, values, errors)
        if errors:
            raise ValidationError(errors)

    def _plan_contact(self, person, values, errors):
        responsible = values["responsible"]
        if (
            person.household_role == HouseholdRole.APPLICANT
            and responsible
            and not _names_match(responsible, person)
        ):
            # The matricule is probably wrong: the name of the file is not the applicant's.
            # The message names neither of them.
            errors["__all__"] = [
                "Le nom du responsable ne correspond pas au dossier n° "
                f"{person.household.caf_number} : vérifiez le matricule."
            ]
            return
        # A blank cell erases nothing; a different value replaces the person's. The dates of
        # the right are the monthly flux's: DATE DEMANDE RSA changes nothing.
        given = {"phone": values["phone"] or values["phone_2"], "email": values["email"]}
        self.plan["contact"] = {
            name: value for name, value in given.items() if value and value != getattr(person, name)
        }

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return not instance.pk or not self.plan["contact"]  # never creates anyone

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The service validates what it writes (full_clean); the row's own errors are raised
        # here, all together.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def do_instance_save(self, instance, is_create):
        services.beneficiary_update(
            beneficiary=instance,
            expected_version=instance.lock_version,  # as read before the rows
            values=self.plan["contact"],
            household_values={},
            user=self.user,
            what=CONTACTS_TRACE,
        )

    def after_import_row(self, row, row_result, **kwargs):
        row_result.ignored_because = self.plan["ignored"]


CAF_CONTACT_NOTES = [
    "Le fichier des coordonnées que la CAF transmet au Département : une ligne par personne "
    "du foyer. Les colonnes TYPE PERSONNE, NUMERO DEMANDE RSA et DATE DEBUT DROITS - DEVOIRS "
    "ne sont pas lues.",
    "La colonne NIR n'est lue par personne : elle est retirée dès la lecture du fichier, "
    "n'apparaît pas dans l'aperçu et n'est jamais conservée (l'application n'enregistre pas "
    "le NIR). Une case d'une autre colonne qui contient un NIR (ligne décalée, saisie dans "
    "la mauvaise case) est retirée de même : elle est absente de l'aperçu (« (valeur "
    "retirée) ») et n'est jamais enregistrée ; la ligne est importée sans elle, avec un "
    "avertissement.",
    "Chaque ligne désigne une personne d'un dossier : le foyer payé par la CAF qui porte ce "
    "MATRICULE (complété par des zéros à gauche : « 123456 » devient « 0123456 » ; la forme "
    "sur 15 chiffres de la CNAF, « 012345600000000 », est lue de même), puis, dans ce foyer, "
    "le demandeur (ROLE PERSONNE DEM) ou le conjoint (CJT).",
    "Seuls le téléphone (le premier des deux numéros renseignés qui soit un numéro valide, "
    "écrit « 06 12 34 56 78 ») et le courriel changent, quand le fichier en donne d'autres ; "
    "une case vide n'efface rien. Un numéro ou un courriel invalide est ignoré avec un "
    "avertissement, le reste de la ligne est importé. Les dates du droit ne "
    "changent pas : le flux mensuel de la CAF fait foi.",
    "Le fichier couvre toute la CAF : sans être des erreurs, sont ignorées et comptées les "
    "lignes d'un matricule inconnu, d'un dossier sans personne de ce rôle, d'une personne "
    "anonymisée, et les lignes ENF (enfant) et AUT (autre membre du foyer). Leurs autres "
    "cases ne sont ni vérifiées ni affichées.",
    "Par sécurité, sur la ligne d'un demandeur, NOM/PRENOM RESPONSABLE DOSSIER doit contenir "
    "le nom et le prénom du demandeur du dossier, dans n'importe quel ordre : sinon le "
    "matricule est sans doute faux, et la ligne est en erreur.",
    "Une ligne en erreur (matricule ou rôle illisible, nom qui ne "
    "correspond pas, même personne deux fois) est retenue : elle n'est pas importée, les "
    "autres le sont. Toutes les erreurs sont listées avec leur numéro de ligne, et les lignes "
    "retenues se téléchargent en CSV pour les corriger.",
    f"Chaque dossier modifié garde la trace de l'import (« {CONTACTS_TRACE} ») dans son "
    "journal des accès.",
]


# --- The two imports as the pages and the command run them ------------------------------


def _trace_preview(title):
    """What the preview of an import of people is traced as: a look at the people it lists
    (those found in the base are shown as « modification » or « inchangé »)."""

    def trace(user, report):
        for target, object_id in report.refused:
            services.record_refusal(
                user=user,
                refusal=services.OutOfScope(target=target, object_id=object_id),
                page="beneficiaries:import",
            )
        counts = report.counts
        traces.record_list_access(
            user=user,
            view=PeopleView.IMPORT_PREVIEW,
            criteria={"import": title},
            shown=len(report.rows),
            total=counts["new"] + counts["update"] + counts["skip"] + len(report.errors),
        )

    return trace


def people_import_spec(user):
    """The import of a département's list of people, by `user` (a pilot or a manager): the
    page's, and the command's (`import_beneficiaries`), checked and written by
    PeopleImportEngine."""
    return ImportSpec(
        kind=RunKind.PEOPLE_IMPORT,
        title="Importer des bénéficiaires",
        columns=PERSON_COLUMNS,
        # A manager's people are those of the structure's référents: the column is needed.
        required=[*REQUIRED_COLUMNS, "Référent"] if user.role == Role.MANAGER else REQUIRED_COLUMNS,
        make_resource=None,
        field_labels=FIELD_LABELS,
        examples=EXAMPLES,
        notes=people_import_notes(user),
        show_aliases=True,
        # The people of a household are written together or held together.
        group_columns=["N° CAF"],
        # A NIR typed in any cell (a phone, an e-mail, a note) is removed as the file is read,
        # before it is kept: never shown in the preview, never stored (contacts.looks_like_nir).
        discarded_values=looks_like_nir,
        discarded_values_spare=["N° CAF"],
        discarded_columns=NIR_COLUMNS,
        discard_on_upload=False,
        on_preview=_trace_preview("liste de bénéficiaires"),
        engine=PeopleImportEngine(),
    )


def caf_contacts_import_spec(user):
    """The import of the contacts file the CAF sends, by a pilot."""
    return ImportSpec(
        kind=RunKind.CAF_CONTACTS_IMPORT,
        title="Importer les coordonnées transmises par la CAF",
        columns=CONTACT_FILE_COLUMNS,
        required=CONTACT_FILE_REQUIRED,
        make_resource=lambda: CafContactResource(user=user),
        field_labels=CONTACT_FILE_LABELS,
        examples=CONTACT_FILE_EXAMPLES,
        notes=CAF_CONTACT_NOTES,
        discarded_columns=NIR_COLUMNS,
        discarded_values=looks_like_nir,
        on_preview=_trace_preview("coordonnées CAF"),
    )
