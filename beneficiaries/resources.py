"""Import of a list of people as a département keeps it (formats/README.md, section 3):
`Civilité;Prénom bénéficiaire;Nom bénéficiaire;Adresses Mails;N° Téléphones;Date de
Naissance;CP Ville;N° CAF;ID interne;Référent;Role`, with the names varying from one
département to the next.

A row is one person. A person already in the base (same name and birth date) is never
created twice: only their e-mail and phone may change, and they get a référent if they have
none. Every write goes through `beneficiaries.services`, so that each created or changed file
gets its access trace ("import"). The communes, the référents and the people already known
are read once before the rows, so that the import costs the same few queries per row.

The CNAF contacts file (section 2) only updates the phone and e-mail of people already
followed, found by the CAF number and the role in the household (`CafContactResource`); its
NIR column is never read (`NIR_COLUMNS`, `pti.imports.ImportSpec.discarded_columns`).
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.utils import timezone
from import_export import fields, resources, widgets

from actions.resources import FrenchDateWidget
from beneficiaries import services, traces
from beneficiaries.enums import (
    AssignmentReason,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    PeopleView,
    RefusedTarget,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import Beneficiary, Household, ReferentAssignment
from beneficiaries.search import identity_keys, normalise
from pti.enums import Role, RunKind
from pti.imports import ExplainedRowResult, ImportSpec
from pti.models import Commune, User
from pti.resources import ChoiceWidget, TextWidget

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

# Names of the values that the rows give, for the errors: field -> column.
FIELD_LABELS = {
    "sex": "Civilité",
    "last_name": "Nom",
    "first_name": "Prénom",
    "birth_name": "Nom de naissance",
    "birth_date": "Date de naissance",
    "email": "Courriel",
    "phone": "Téléphone",
    "commune": "CP Ville",
    "territory": "CP Ville",
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

# What the services write; no column of a list says whether the household has a home.
HOUSEHOLD_FIELDS = [name for name in services.HOUSEHOLD_FIELDS if name != "homeless"]
PERSON_FIELDS = services.PERSON_FIELDS
CONTACT_FIELDS = ["email", "phone"]
PRELOAD_CHUNK = 500  # values per IN (...) when reading what the file refers to


def _synonyms(widget, extra):
    """A ChoiceWidget that also reads the codes and words real files use."""
    widget.lookup.update({normalise(word): value for word, value in extra.items()})
    return widget


class CivilityWidget(widgets.Widget):
    """ "M.", "Mme", "Monsieur", "Madame"... -> the person's sex."""

    WORDS = {
        **dict.fromkeys(["m", "mr", "monsieur", "h", "homme", "masculin"], Sex.MALE),
        **dict.fromkeys(
            ["mme", "madame", "mlle", "melle", "mademoiselle", "f", "femme", "feminin"], Sex.FEMALE
        ),
    }

    def clean(self, value, row=None, **kwargs):
        text = normalise(value)
        if not text:
            raise ValueError("indiquez M. ou Mme.")
        if text not in self.WORDS:
            raise ValueError(f"« {value} » n'est pas une civilité (M., Mme, Monsieur ou Madame).")
        return self.WORDS[text]


class BirthDateWidget(FrenchDateWidget):
    def clean(self, value, row=None, **kwargs):
        date = super().clean(value, row, **kwargs)
        if date is None:
            raise ValueError("la date de naissance est obligatoire (jj/mm/aaaa).")
        if date > timezone.localdate():
            raise ValueError(f"« {value} » est dans le futur.")
        if date.year < 1900:
            raise ValueError(f"« {value} » n'est pas une date de naissance vraisemblable.")
        return date


class RightDateWidget(FrenchDateWidget):
    def clean(self, value, row=None, **kwargs):
        date = super().clean(value, row, **kwargs)
        if date and date > timezone.localdate():
            raise ValueError(f"« {value} » est dans le futur.")
        return date


class NameWidget(TextWidget):
    def __init__(self, *, required):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = re.sub(r"\s+", " ", super().clean(value, row, **kwargs))
        if self.required and not text:
            raise ValueError("cette case est obligatoire.")
        return text


class CafNumberWidget(widgets.Widget):
    """The allocataire number on 7 digits; Excel drops the leading zeros, they are put back."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = re.sub(r"[\s.\u00a0\u202f]", "", str(value or ""))
        if not text:
            raise ValueError("le numéro d'allocataire est obligatoire.")
        if not text.isdigit() or len(text) > 7:
            raise ValueError(f"« {value} » n'est pas un numéro d'allocataire (7 chiffres au plus).")
        return text.zfill(7)


class EmailWidget(widgets.Widget):
    """The first address of the cell ("Adresses Mails" may hold several)."""

    def clean(self, value, row=None, **kwargs):
        first = next(iter(re.split(r"[;,\s]+", str(value or "").strip())), "")
        if not first:
            return ""
        try:
            validate_email(first)
        except ValidationError:
            raise ValueError(f"« {first} » n'est pas une adresse électronique valide.") from None
        return first


class PhoneWidget(widgets.Widget):
    """The first number of the cell, written "06 12 34 56 78" when it is a French one."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        first = next((p.strip() for p in re.split(r"[;,/|]", str(value or "")) if p.strip()), "")
        digits = re.sub(r"[\s.\-()\u00a0]", "", first)
        if digits.startswith("+33") and digits[3:].isdigit() and len(digits) == 12:
            digits = "0" + digits[3:]
        if digits.isdigit() and len(digits) == 9 and digits[0] != "0":
            digits = "0" + digits  # a number cell lost its leading zero
        if digits.isdigit() and len(digits) == 10:
            return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        if len(first) > 20:
            raise ValueError(f"« {first} » est trop long pour un numéro (20 caractères au plus).")
        return first


def _commune_key(name):
    """'St-Étienne CEDEX 2' -> 'saint etienne'; 'Talaudière (La)' -> 'la talaudiere'."""
    words = normalise(name).split()
    while words and (words[-1].isdigit() or words[-1] == "cedex"):
        words.pop()
    words = [{"st": "saint", "ste": "sainte"}.get(word, word) for word in words]
    if len(words) > 1 and words[-1] in ("le", "la", "les", "l"):
        words = [words[-1], *words[:-1]]
    return " ".join(words)


class CommuneWidget(widgets.Widget):
    """'42000 Saint-Étienne' (or the town in this column and its code in 'Code postal'), among
    the communes of the département."""

    EXAMPLE = "par exemple « 42000 Saint-Étienne »"

    def load(self):
        self.by_code, self.by_name = {}, {}
        for commune in Commune.objects.select_related("territory"):
            self.by_code.setdefault(commune.postal_code, []).append(commune)
            self.by_name.setdefault(_commune_key(commune.name), []).append(commune)

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        match = re.search(r"\b(\d{5})\b", text)
        code = match.group(1) if match else ""
        name = _commune_key(text.replace(code, " ", 1) if code else text)
        if not code:
            raw = (row or {}).get("Code postal")
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            code = re.sub(r"\s", "", str(raw or "")).zfill(5) if raw not in (None, "") else ""
        if not name and not code:
            raise ValueError(f"indiquez le code postal et la commune ({self.EXAMPLE}).")
        shown = text if code in text else f"{code} {text}"
        if code:
            candidates = self.by_code.get(code, [])
            found = [c for c in candidates if _commune_key(c.name) == name] if name else candidates
        else:
            found = self.by_name.get(name, [])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValueError(
                f"commune « {shown} » introuvable parmi celles du département : vérifiez le "
                f"code postal et le nom ({self.EXAMPLE})."
            )
        if code:
            raise ValueError(
                f"plusieurs communes ont le code postal {code} : ajoutez le nom ({self.EXAMPLE})."
            )
        raise ValueError(
            f"plusieurs communes s'appellent « {text} » : ajoutez le code postal ({self.EXAMPLE})."
        )


class ReferentWidget(widgets.Widget):
    """An active référent by 'Prénom Nom' (or 'Nom Prénom') or by username, whatever the case
    and accents. A manager's file may name only the référents of the manager's structure."""

    def __init__(self, user):
        super().__init__()
        self.user = user

    def load(self):
        self.by_username, self.by_name = {}, {}
        for referent in User.objects.filter(role=Role.REFERENT, is_active=True):
            self.by_username[referent.username.lower()] = referent
            for name in (
                f"{referent.first_name} {referent.last_name}",
                f"{referent.last_name} {referent.first_name}",
            ):
                self.by_name.setdefault(normalise(name), []).append(referent)

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        found = self.by_username.get(text.lower())
        candidates = [found] if found else self.by_name.get(normalise(text), [])
        candidates = list({referent.pk: referent for referent in candidates}.values())
        where = ""
        if self.user.role == Role.MANAGER:
            # A référent of another structure is not named: the same words as for no one.
            candidates = [r for r in candidates if r.organisation_id == self.user.organisation_id]
            where = " de votre structure"
        if not candidates:
            raise ValueError(
                f"« {text} » n'est pas un référent en activité{where} (indiquez « Prénom Nom » "
                "ou son identifiant)."
            )
        if len(candidates) > 1:
            raise ValueError(
                f"plusieurs référents s'appellent « {text} » : indiquez l'identifiant."
            )
        return candidates[0]


class BeneficiaryResource(resources.ModelResource):
    """One row, one person (see the module docstring). `user` is who imports: a pilot, or a
    manager who may only bring people into their own structure."""

    sex = fields.Field(attribute="sex", column_name="Civilité", widget=CivilityWidget())
    last_name = fields.Field(
        attribute="last_name", column_name="Nom", widget=NameWidget(required=True)
    )
    first_name = fields.Field(
        attribute="first_name", column_name="Prénom", widget=NameWidget(required=True)
    )
    birth_name = fields.Field(
        attribute="birth_name", column_name="Nom de naissance", widget=NameWidget(required=False)
    )
    birth_date = fields.Field(
        attribute="birth_date", column_name="Date de naissance", widget=BirthDateWidget()
    )
    email = fields.Field(attribute="email", column_name="Courriel", widget=EmailWidget())
    phone = fields.Field(attribute="phone", column_name="Téléphone", widget=PhoneWidget())
    household_role = fields.Field(
        attribute="household_role",
        column_name="Rôle",
        widget=_synonyms(
            ChoiceWidget(HouseholdRole, column="Rôle"),
            {
                "DEM": HouseholdRole.APPLICANT,
                "allocataire": HouseholdRole.APPLICANT,
                "CJT": HouseholdRole.PARTNER,
                "concubin": HouseholdRole.PARTNER,
                "concubine": HouseholdRole.PARTNER,
                "ENF": HouseholdRole.CHILD,
            },
        ),
    )
    rights_and_duties = fields.Field(
        attribute="rights_and_duties",
        column_name="Droits et devoirs",
        widget=_synonyms(
            ChoiceWidget(RightsAndDuties, column="Droits et devoirs"),
            {
                **dict.fromkeys(["oui", "o", "1", "x", "sdd", "soumis"], RightsAndDuties.SUBJECT),
                **dict.fromkeys(["non", "n", "0", "non soumis"], RightsAndDuties.NOT_SUBJECT),
            },
        ),
    )
    rsa_requested_on = fields.Field(
        attribute="rsa_requested_on", column_name="Demande de RSA", widget=RightDateWidget()
    )
    right_opened_on = fields.Field(
        attribute="right_opened_on", column_name="Ouverture du droit", widget=RightDateWidget()
    )
    right_known_on = fields.Field(
        attribute="right_known_on", column_name="Droit connu le", widget=RightDateWidget()
    )
    # The household's columns.
    caf_number = fields.Field(column_name="N° CAF", widget=CafNumberWidget())
    payer = fields.Field(
        column_name="Organisme payeur",
        widget=_synonyms(ChoiceWidget(Payer, column="Organisme payeur"), {"CNAF": Payer.CAF}),
    )
    commune = fields.Field(column_name="CP Ville", widget=CommuneWidget())
    address = fields.Field(column_name="Adresse", widget=TextWidget())
    family_situation = fields.Field(
        column_name="Situation familiale",
        widget=_synonyms(
            ChoiceWidget(FamilySituation, column="Situation familiale"),
            {
                "seul": FamilySituation.SINGLE,
                "seule": FamilySituation.SINGLE,
                "isole": FamilySituation.SINGLE,
                "isolee": FamilySituation.SINGLE,
                "couple": FamilySituation.COUPLE,
            },
        ),
    )

    class Meta:
        model = Beneficiary
        fields = [*PERSON_FIELDS, *HOUSEHOLD_FIELDS]
        skip_diff = True  # the preview shows the file's rows, not a diff
        report_skipped = True

    def __init__(self, *, user):
        super().__init__()
        self.user = user
        self.today = timezone.localdate()
        self.fields["referent"] = fields.Field(column_name="Référent", widget=ReferentWidget(user))
        # (RefusedTarget, id) of the files outside the user's scope that rows led to: traced
        # once the preview is answered (pti.imports.Report.refused, `_trace_preview`).
        self.refused = []

    # --- Before the rows: what the file refers to, read once ---------------------------

    def before_import(self, dataset, **kwargs):
        self.file_lines = kwargs.get("file_lines") or [n + 2 for n in range(len(dataset))]
        self.fields["commune"].widget.load()
        self.fields["referent"].widget.load()
        names = []
        for row in dataset.dict:
            try:
                birth_date = self.fields["birth_date"].widget.clean(row.get("Date de naissance"))
            except ValueError:
                birth_date = None
            last = NameWidget(required=False).clean(row.get("Nom"))
            first = NameWidget(required=False).clean(row.get("Prénom"))
            names.append((normalise(f"{last} {first}"), birth_date) if last and first else None)
        # The same person twice in the file: the second line is refused, naming the first.
        first_index = {}
        self.duplicate_of = {}
        for index, key in enumerate(names):
            if key and key[1]:
                if key in first_index:
                    self.duplicate_of[index] = first_index[key]
                else:
                    first_index[key] = index
        self.known = self._known_people(sorted({key[1] for key in names if key and key[1]}))
        self.households_out_of_scope = self._households_out_of_scope(dataset)

    def _known_people(self, birth_dates):
        """{(name key, birth date): person} for the people of the base born on those dates,
        with their open assignment and whether the importing user sees them."""
        known = {}
        visible = Beneficiary.objects.visible_to(self.user)
        for start in range(0, len(birth_dates), PRELOAD_CHUNK):
            chunk = birth_dates[start : start + PRELOAD_CHUNK]
            people = list(
                Beneficiary.objects.filter(birth_date__in=chunk, anonymised_on__isnull=True)
                .select_related("household")
                .order_by("pk")
            )
            ids = [person.pk for person in people]
            open_assignments = {
                a.beneficiary_id: a
                for a in ReferentAssignment.objects.open().filter(beneficiary_id__in=ids)
            }
            seen = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
            for person in people:
                person.open_assignment = open_assignments.get(person.pk)
                person.is_visible = person.pk in seen
                for key in identity_keys(person.last_name, person.birth_name, person.first_name):
                    known.setdefault((key, person.birth_date), person)
        return known

    def _households_out_of_scope(self, dataset):
        """{(payer, CAF number): household id} of the file's households that exist and that
        the importing user may not see: a new person is never attached to one of them."""
        keys = set()
        for row in dataset.dict:
            try:
                number = self.fields["caf_number"].widget.clean(row.get("N° CAF"))
                payer = self.fields["payer"].widget.clean(row.get("Organisme payeur"))
            except ValueError:
                continue
            keys.add((payer or Payer.CAF, number))
        numbers = sorted({number for _, number in keys})
        out = {}
        visible = Household.objects.visible_to(self.user)
        for start in range(0, len(numbers), PRELOAD_CHUNK):
            chunk = numbers[start : start + PRELOAD_CHUNK]
            existing = Household.objects.filter(caf_number__in=chunk)
            seen = set(visible.filter(pk__in=existing.values("pk")).values_list("pk", flat=True))
            out.update(
                ((household.payer, household.caf_number), household.pk)
                for household in existing.only("pk", "payer", "caf_number")
                if household.pk not in seen and (household.payer, household.caf_number) in keys
            )
        return out

    # --- Row by row ----------------------------------------------------------------------

    def before_import_row(self, row, **kwargs):
        self.index = kwargs["row_number"] - 1
        self.plan = {}

    def get_instance(self, instance_loader, row):
        """The person of the base this row names, if any (same name, same birth date)."""
        try:
            birth_date = self.fields["birth_date"].widget.clean(row.get("Date de naissance"))
        except ValueError:
            return None
        keys = identity_keys(
            NameWidget(required=False).clean(row.get("Nom")),
            NameWidget(required=False).clean(row.get("Nom de naissance")),
            NameWidget(required=False).clean(row.get("Prénom")),
        )
        return next(
            (self.known[(key, birth_date)] for key in keys if (key, birth_date) in self.known),
            None,
        )

    def import_instance(self, instance, row, **kwargs):
        """Read every cell of the row (all its errors at once), then decide what to write:
        a new person, or the contact details and référent of a known one."""
        values, errors = {}, {}
        for name, field in self.fields.items():
            try:
                values[name] = field.widget.clean(row.get(field.column_name), row=row)
            except ValueError as error:
                errors[name] = [str(error)]
        if self.index in self.duplicate_of:
            first, this = (
                self.file_lines[self.duplicate_of[self.index]],
                self.file_lines[self.index],
            )
            errors.setdefault("__all__", []).append(
                f"Les lignes {first} et {this} décrivent la même personne (mêmes nom, prénom "
                "et date de naissance) : gardez-en une seule."
            )
        self._apply_defaults(values, errors)
        if instance.pk:
            self._plan_known(instance, values, errors)
        else:
            self._plan_new(instance, values, errors)
        if errors:
            raise ValidationError(errors)

    def _apply_defaults(self, values, errors):
        """What a list without these columns means (the page says the same)."""
        values["payer"] = values.get("payer") or Payer.CAF
        values["family_situation"] = values.get("family_situation") or FamilySituation.SINGLE
        values["household_role"] = values.get("household_role") or HouseholdRole.APPLICANT
        values["rights_and_duties"] = values.get("rights_and_duties") or RightsAndDuties.SUBJECT
        dates = ("rsa_requested_on", "right_opened_on", "right_known_on")
        if any(name in errors for name in dates):
            return
        requested, opened, known = (values.get(name) for name in dates)
        # The département learns of the right by this import at the latest: the 6 weeks of
        # the orientation deadline start then, never earlier than the file says.
        known = known or self.today
        opened = opened or requested or known
        requested = requested or opened
        if opened < requested:
            errors["right_opened_on"] = ["le droit ne peut pas s'ouvrir avant la demande."]
        elif known < opened:
            errors["right_known_on"] = [
                "le Département ne peut pas l'apprendre avant l'ouverture du droit."
            ]
        values.update(rsa_requested_on=requested, right_opened_on=opened, right_known_on=known)

    def _plan_new(self, instance, values, errors):
        household_id = self.households_out_of_scope.get(
            (values.get("payer"), values.get("caf_number"))
        )
        if household_id is not None:
            errors.setdefault("__all__", []).append(services.OUT_OF_SCOPE)
            self.refused.append((RefusedTarget.HOUSEHOLD, household_id))
        referent = values.get("referent")
        if self.user.role == Role.MANAGER and referent is None and "referent" not in errors:
            errors["referent"] = [
                "indiquez un référent de votre structure : sans lui, la personne ne serait pas "
                "suivie par votre structure."
            ]
        for name in PERSON_FIELDS:
            if name in values:
                setattr(instance, name, values[name])
        self.plan = {"values": values, "referent": referent, "contact": {}}

    def _plan_known(self, person, values, errors):
        if not person.is_visible:
            errors.setdefault("__all__", []).append(services.OUT_OF_SCOPE)
            self.refused.append((RefusedTarget.FILE, person.pk))
            return
        caf_number = values.get("caf_number")
        if caf_number and caf_number != person.household.caf_number:
            errors["caf_number"] = [
                f"cette personne a déjà un dossier au n° {person.household.caf_number} : "
                "vérifiez le numéro (l'import ne change pas le foyer d'un dossier)."
            ]
        referent = values.get("referent")
        current = person.open_assignment
        if referent and current and current.referent_id != referent.pk:
            errors["referent"] = [
                f"cette personne est déjà suivie par {current.referent} : changez de référent "
                "depuis son dossier, avec le motif."
            ]
        # A blank cell erases nothing; a different value replaces the one of the file.
        contact = {
            name: values[name]
            for name in CONTACT_FIELDS
            if values.get(name) and values[name] != getattr(person, name)
        }
        self.plan = {
            "values": values,
            "referent": referent if referent and current is None else None,
            "contact": contact,
        }

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or not instance.pk:
            return False
        return not self.plan["contact"] and self.plan["referent"] is None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The services validate what they write (full_clean); the row's own errors are raised
        # here, all together.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def do_instance_save(self, instance, is_create):
        values = self.plan["values"]
        if is_create:
            household_values = {name: values[name] for name in HOUSEHOLD_FIELDS}
            person = services.beneficiary_create(
                household_values=household_values,
                person_values={name: values[name] for name in PERSON_FIELDS},
                territory=values["commune"].territory,
                user=self.user,
                referent=self.plan["referent"],
                what="import",
            )
            instance.pk, instance.household_id = person.pk, person.household_id
            self.plan["referent"] = None  # designated with the creation
        elif self.plan["contact"]:
            services.beneficiary_update(
                beneficiary=instance,
                expected_version=instance.lock_version,
                values=self.plan["contact"],
                household_values={},
                user=self.user,
                what="import",
            )
        else:  # only a référent to name: the file is changed by this import too
            services.record_access(
                user=self.user, beneficiary=instance, operation=FileOperation.UPDATE, what="import"
            )

    def after_save_instance(self, instance, row, **kwargs):
        referent = self.plan["referent"]
        if referent is not None:
            services.referent_assign(
                beneficiary=instance,
                referent=referent,
                start_date=self.today,
                reason=AssignmentReason.FIRST,
                by=self.user,
            )


def people_import_notes(user):
    """What the import page says about the rules and the defaults (kept beside the code)."""
    notes = [
        "Une ligne par personne ; les personnes d'un même foyer ont le même n° CAF. Les lignes "
        "vides sont ignorées, comme les colonnes que l'import ne connaît pas (par exemple "
        "« ID interne »).",
        "N° CAF : 7 chiffres ; un numéro plus court est complété par des zéros à gauche "
        "(« 123456 » devient « 0123456 »).",
        "CP Ville : le code postal et le nom de la commune (« 42000 Saint-Étienne »), ou le nom "
        "seul avec une colonne « Code postal » ; la commune donne le territoire du foyer. Une "
        "commune inconnue du département est une erreur.",
        "Dates au format jj/mm/aaaa. Droit connu le : à défaut, la date de l'import, car le "
        "Département l'apprend au plus tard par cet import ; le délai d'orientation de 6 "
        "semaines court à partir de cette date. Ouverture du droit : à défaut, la date de "
        "demande, sinon celle de l'import ; demande de RSA : à défaut, l'ouverture du droit. "
        "Renseignez ces dates si vous les avez : les délais des indicateurs en dépendent.",
        "Sans colonne ou case vide : organisme payeur CAF, situation familiale « personne "
        "seule », rôle « demandeur », soumis aux droits et devoirs. Ils se corrigent ensuite "
        "dans le dossier.",
        "Une personne déjà connue (mêmes nom, prénom et date de naissance) n'est jamais créée "
        "deux fois : seuls son courriel et son téléphone sont mis à jour si le fichier en donne "
        "d'autres (une case vide n'efface rien) ; son foyer et ses dates ne changent pas. La "
        "même personne deux fois dans le fichier est une erreur.",
        "Référent : « Prénom Nom » ou identifiant d'un référent en activité ; la personne lui "
        "est confiée à la date de l'import (première désignation). Un changement de référent "
        "se fait depuis le dossier.",
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
            "un référent de votre structure (colonne « Référent »).",
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
# the file is read, and so is, in any other column, a value that looks like one: 13
# characters (15 with the key), the département may be 2A or 2B, spaces allowed.
NIR_COLUMNS = ["NIR", "N° NIR", "Numéro NIR", "N° de sécurité sociale", "N° INSEE"]
NIR_PATTERN = re.compile(
    r"[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?", re.IGNORECASE
)
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
    last name (or birth name), whatever the case and accents."""
    words = f" {normalise(text)} "
    first = normalise(person.first_name)
    lasts = [normalise(name) for name in (person.last_name, person.birth_name) if name]
    return bool(first) and f" {first} " in words and any(f" {last} " in words for last in lasts)


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
        for name in names:
            try:
                values[name] = self._clean(name, row)
            except ValueError as error:
                errors[name] = [str(error)]
        if self.index in self.duplicate_of:
            first = self.file_lines[self.duplicate_of[self.index]]
            this = self.file_lines[self.index]
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
    "le NIR). Une case d'une autre colonne qui ressemble à un NIR (ligne décalée) est "
    "remplacée par « (valeur retirée) ».",
    "Chaque ligne désigne une personne d'un dossier : le foyer payé par la CAF qui porte ce "
    "MATRICULE (complété par des zéros à gauche : « 123456 » devient « 0123456 »), puis, dans "
    "ce foyer, le demandeur (ROLE PERSONNE DEM) ou le conjoint (CJT).",
    "Seuls le téléphone (le premier des deux numéros renseignés) et le courriel changent, "
    "quand le fichier en donne d'autres ; une case vide n'efface rien. Les dates du droit ne "
    "changent pas : le flux mensuel de la CAF fait foi.",
    "Le fichier couvre toute la CAF : sans être des erreurs, sont ignorées et comptées les "
    "lignes d'un matricule inconnu, d'un dossier sans personne de ce rôle, d'une personne "
    "anonymisée, et les lignes ENF (enfant) et AUT (autre membre du foyer). Leurs autres "
    "cases ne sont ni vérifiées ni affichées.",
    "Par sécurité, sur la ligne d'un demandeur, NOM/PRENOM RESPONSABLE DOSSIER doit contenir "
    "le nom et le prénom du demandeur du dossier, dans n'importe quel ordre : sinon le "
    "matricule est sans doute faux, et la ligne est en erreur.",
    "Une ligne en erreur (matricule ou rôle illisible, courriel invalide, nom qui ne "
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
    page's, and the command's (`import_beneficiaries`)."""
    return ImportSpec(
        kind=RunKind.PEOPLE_IMPORT,
        title="Importer des bénéficiaires",
        columns=PERSON_COLUMNS,
        # A manager's people are those of the structure's référents: the column is needed.
        required=[*REQUIRED_COLUMNS, "Référent"] if user.role == Role.MANAGER else REQUIRED_COLUMNS,
        make_resource=lambda: BeneficiaryResource(user=user),
        field_labels=FIELD_LABELS,
        examples=EXAMPLES,
        notes=people_import_notes(user),
        show_aliases=True,
        # The people of a household are written together or held together.
        group_columns=["N° CAF"],
        on_preview=_trace_preview("liste de bénéficiaires"),
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
        discarded_values=NIR_PATTERN,
        on_preview=_trace_preview("coordonnées CAF"),
    )
