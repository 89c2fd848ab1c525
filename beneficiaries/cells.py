"""The cells of the files about people, read one at a time: pure functions, each returning the
value to keep or raising ValueError with what the user is told (in French, without the
column's name: the caller puts it before). The list of people (`people_import`) and the CAF
contacts file (`resources.CafContactResource`) share them."""

import datetime
import re

from django.utils import timezone

from beneficiaries.allocataire import allocataire_number
from beneficiaries.contacts import email_address, phone_number
from beneficiaries.enums import HouseholdRole, Payer, Sex
from beneficiaries.search import normalise
from pti import dates

# A birth date giving more years than this is a typing error (the oldest living people are
# under 120); a demandeur or a conjoint is at least MIN_APPLICANT_AGE (check_applicant_age).
MAX_AGE = 120
# A two-digit birth year read in the previous century that gives this age or more could as
# well be of this century (14/03/15: 1915 or 2015?): the year must be written in full.
MAX_AGE_OF_TWO_DIGIT_YEAR = 100
MIN_APPLICANT_AGE = 16
CIVILITIES = {
    **dict.fromkeys(["m", "mr", "monsieur", "h", "homme", "masculin"], Sex.MALE),
    **dict.fromkeys(
        ["mme", "madame", "mlle", "melle", "mademoiselle", "f", "femme", "feminin"], Sex.FEMALE
    ),
}


# A cell whose value was removed as the file was read (a NIR where none belongs:
# pti.imports.ImportSpec.discarded_values): absent, never written anywhere; the row is imported
# without it, with this warning.
REMOVED_CELL = (
    "cette case contenait un numéro de sécurité sociale (NIR), retiré à la lecture du fichier "
    "et jamais conservé : elle est ignorée."
)


class IgnoredCell(Exception):
    """Raised by a clean_* function when a cell's value is left out but the row is imported
    all the same (an invalid phone, a NIR where none belongs): the message, in French and
    without the column's name, becomes a warning of the import (Report.warnings)."""


def clean_text(value):
    """Text as typed, spaces trimmed; an empty cell is an empty text; a number cell that holds
    a whole number is written without « .0 »."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def clean_name(value, *, required, max_length=None):
    """A name with its inner spaces reduced to one."""
    text = re.sub(r"\s+", " ", clean_text(value))
    if required and not text:
        raise ValueError("cette case est obligatoire.")
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"cette case compte {len(text)} caractères : {max_length} au plus.")
    return text


def clean_civility(value):
    """« M. », « Mme », « Monsieur », « Madame »... -> the person's sex."""
    text = normalise(value)
    if not text:
        raise ValueError("indiquez M. ou Mme.")
    if text not in CIVILITIES:
        raise ValueError(f"« {value} » n'est pas une civilité (M., Mme, Monsieur ou Madame).")
    return CIVILITIES[text]


def clean_caf_number(value, payer=Payer.CAF):
    """The allocataire number of a household paid by `payer`, as stored
    (beneficiaries.allocataire: 7 digits with the zeros Excel drops put back, the CNAF's
    15-digit form read, the MSA's own 13 digits kept)."""
    return allocataire_number(value, payer)


def clean_email(value):
    """The first address of the cell (« Adresses Mails » may hold several), or "" (see
    contacts.email_address). An invalid address, or a NIR typed there, is left out of the row
    with a warning (IgnoredCell): the person is imported without it."""
    try:
        return email_address(value)
    except ValueError as error:
        raise IgnoredCell(_ignored(error)) from None


def clean_phone(value):
    """The first number of the cell in its stored form, « 06 12 34 56 78 » for a French one,
    or "" (see contacts.phone_number). An invalid number, or a NIR typed there, is left out of
    the row with a warning (IgnoredCell): the person is imported without it."""
    try:
        return phone_number(value)
    except ValueError as error:
        raise IgnoredCell(_ignored(error)) from None


def _ignored(error):
    """The warning of a cell left out: its reason, then what becomes of it."""
    message = str(error)
    if message.endswith("elle est ignorée."):
        return message
    return f"{message.removesuffix('.')} : la case est ignorée."


def clean_date(value, *, today=None, century="near", epoch=dates.EXCEL_1900):
    """A date as typed (jj/mm/aaaa, j/m/aaaa, jj-mm-aaaa, jj.mm.aaaa, aaaa-mm-jj), a date cell,
    or a date cell's serial number counted from `epoch` (the workbook's date system:
    pti.dates); None for an empty cell. `today` (by default the local date) and `century`
    give a two-digit year its century. ValueError: not a date, an impossible date (31/04),
    a date written month first (03/14/1986)."""
    return dates.parse_date(
        value, today=today or timezone.localdate(), century=century, epoch=epoch
    )


def _shown(value):
    """A cell as the messages quote it: a date cell as 14/03/1986."""
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return str(value).strip()


def clean_birth_date(value, *, today, epoch=dates.EXCEL_1900):
    """A birth date: not in the future, an age of MAX_AGE years at most; a two-digit year is
    of the century before today's (14/03/56 is 1956), and refused when that gives
    MAX_AGE_OF_TWO_DIGIT_YEAR years or more (1/2/03 is 1903, 123 years; 14/03/15 could be 1915
    or 2015): the year must then be written in full. ValueError in French."""
    date = clean_date(value, today=today, century="previous", epoch=epoch)
    if date is None:
        raise ValueError("la date de naissance est obligatoire (jj/mm/aaaa).")
    if date > today:
        raise ValueError(f"« {_shown(value)} » est dans le futur.")
    age = dates.age_on(date, today)
    if dates.has_two_digit_year(value) and age >= MAX_AGE_OF_TWO_DIGIT_YEAR:
        raise ValueError(
            f"« {_shown(value)} » : lue {date:%d/%m/%Y}, soit {age} ans : date de naissance "
            f"invraisemblable (l'année {date.year % 100:02d} sur deux chiffres peut aussi être "
            f"{date.year + 100}) ; écrivez l'année en entier (jj/mm/aaaa)."
        )
    if age > MAX_AGE:
        raise ValueError(
            f"« {_shown(value)} » : {age} ans, date de naissance invraisemblable (plus de "
            f"{MAX_AGE} ans) ; vérifiez l'année."
        )
    return date


def serial_number_note(value, date, *, epoch=dates.EXCEL_1900):
    """What the user is told of a date read from a bare number (a date cell whose format was
    lost, `value` an int or float, or five digits as text), `date` being what it was read as:
    a warning to check it, which names the other reading in a workbook of the 1904 system
    (the same number is four years and a day later there). None for any other cell."""
    if isinstance(value, bool) or not (
        isinstance(value, int | float) or dates.is_serial_text(value)
    ):
        return None
    note = (
        f"« {_shown(value).replace('.', ',')} » lu comme le numéro d'une date du tableur : "
        f"{date:%d/%m/%Y}"
    )
    if epoch == dates.EXCEL_1904:
        other = dates.date_of_serial(float(value), epoch=dates.EXCEL_1900)
        note += (
            f" (système de dates 1904 du classeur ; ce serait le {other:%d/%m/%Y} dans le "
            "système 1900)"
        )
    return note + " ; vérifiez-la, ou donnez à la colonne le format date."


def check_applicant_age(birth_date, role, *, today):
    """ValueError when a demandeur or a conjoint (`role`, a HouseholdRole) is younger than
    MIN_APPLICANT_AGE on `today`: the RSA is open from 25, or from 18 for a young parent or a
    young worker (CASF L262-4); under 16, the date or the role is wrong. Children may be of
    any age."""
    if birth_date is None or role not in (HouseholdRole.APPLICANT, HouseholdRole.PARTNER):
        return
    age = dates.age_on(birth_date, today)
    if age < MIN_APPLICANT_AGE:
        raise ValueError(
            f"{birth_date:%d/%m/%Y} donne {age} an{'s' if age > 1 else ''} : un demandeur ou un "
            f"conjoint a {MIN_APPLICANT_AGE} ans au moins ; vérifiez la date de naissance ou le "
            "rôle (enfant ?)."
        )


def clean_past_date(value, *, today, epoch=dates.EXCEL_1900):
    """A date that may be empty (None) but not in the future; a two-digit year takes the
    latest century that puts it on or before today."""
    date = clean_date(value, today=today, century="past", epoch=epoch)
    if date and date > today:
        raise ValueError(f"« {_shown(value)} » est dans le futur.")
    return date
