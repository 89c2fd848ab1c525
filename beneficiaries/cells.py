"""The cells of the files about people, read one at a time: pure functions, each returning the
value to keep or raising ValueError with what the user is told (in French, without the
column's name: the caller puts it before). The list of people (`people_import`) and the CAF
contacts file (`resources.CafContactResource`) share them."""

import datetime
import functools
import re

from beneficiaries.allocataire import allocataire_number
from beneficiaries.contacts import email_address, phone_number
from beneficiaries.enums import Payer, Sex
from beneficiaries.search import normalise

DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
CIVILITIES = {
    **dict.fromkeys(["m", "mr", "monsieur", "h", "homme", "masculin"], Sex.MALE),
    **dict.fromkeys(
        ["mme", "madame", "mlle", "melle", "mademoiselle", "f", "femme", "feminin"], Sex.FEMALE
    ),
}


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


@functools.lru_cache(maxsize=65_536)
def _date_of_text(text):
    """The date a text gives in one of DATE_FORMATS, or None. A list repeats the same dates
    (birth dates, dates of the right) many times: each text is read once."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def clean_date(value):
    """dd/mm/yyyy as typed, or a date cell of a spreadsheet; None for an empty cell."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    date = _date_of_text(text)
    if date is None:
        raise ValueError(f"« {text} » n'est pas une date au format jj/mm/aaaa.")
    return date


def clean_birth_date(value, *, today):
    date = clean_date(value)
    if date is None:
        raise ValueError("la date de naissance est obligatoire (jj/mm/aaaa).")
    if date > today:
        raise ValueError(f"« {value} » est dans le futur.")
    if date.year < 1900:
        raise ValueError(f"« {value} » n'est pas une date de naissance vraisemblable.")
    return date


def clean_past_date(value, *, today):
    """A date that may be empty (None) but not in the future."""
    date = clean_date(value)
    if date and date > today:
        raise ValueError(f"« {value} » est dans le futur.")
    return date
