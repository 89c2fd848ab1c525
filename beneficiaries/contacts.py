"""How a person is reached, stored and shown in one form whatever the way in (the lists of
people, the CAF contacts file, the form): phone numbers and e-mail addresses; and what must
never be taken for one, a NIR typed in the wrong column.

Phones are read with libphonenumber's metadata (the `phonenumbers` package, region FR):
- a number of metropolitan France or of an overseas département (Guadeloupe, Martinique,
  Guyane, La Réunion, Mayotte: +590, +596, +594, +262, and Mayotte's former +269) is a French
  national number, stored in its national form: « 06 12 34 56 78 », « 0692 12 34 06 »;
- any other country's number in its international form: « +32 470 12 34 56 ».
"""

import datetime
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from stdnum.fr import nir

PHONE_MAX_LENGTH = 20  # Beneficiary.phone
EMAIL_MAX_LENGTH = 254  # Beneficiary.email, an EmailField
# Metropolitan France, then the overseas départements (and the collectivities that share
# their country codes): a number of these regions is written in its French national form.
FRENCH_REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF", "BL", "MF")
# Mayotte's numbers moved from +269 (the Comoros' code) to +262 in 2007; they are still
# written the old way: +269 269… (fixed) or +269 639… (mobile).
MAYOTTE_OLD_CODE = 269
MAYOTTE_PREFIXES = ("269", "639")
# What separates several numbers or addresses in one cell (« 04 77 00 00 00 / 06 12… »).
PHONE_SEPARATORS = re.compile(r"[;,/|]")
EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
# The first character of a NIR: the sex (1, 2), or a temporary number (3, 4, 7, 8).
NIR_FIRST = "123478"


def looks_like_nir(value):
    """Whether a cell's value is a NIR (numéro d'inscription au répertoire, the social security
    number), with or without its key, spaces and dots allowed: its form is checked with
    python-stdnum (`stdnum.fr.nir`: département 2A or 2B allowed). A key that is wrong does not
    make it anything else: the value is taken for a NIR all the same (a typo must not let it
    through), but a key of 00 or above 97 cannot be one (the CNAF's 15-digit allocataire
    numbers end with zeros)."""
    if value is None or isinstance(value, bool | datetime.date):
        return False
    raw = str(value)
    # Most cells are names, places and dates: too few digits to be one (a cheap test first).
    if len(raw) < 13 or sum(raw.count(digit) for digit in "0123456789") < 11:
        return False
    text = nir.compact(raw)
    if len(text) == 15:
        body, key = text[:13], text[13:]
        if not key.isdigit() or not 1 <= int(key) <= 97:
            return False
    elif len(text) == 13:
        body = text
    else:
        return False
    if body[0] not in NIR_FIRST or not body[:5].isdigit() or not body[7:].isdigit():
        return False
    return nir.is_valid(body + nir.calc_check_digits(body))


class NirInCell(ValueError):
    """A cell holds a NIR where none belongs: its value must not be repeated anywhere."""

    def __init__(self):
        super().__init__(
            "cette case contient un numéro de sécurité sociale (NIR), qui n'est jamais "
            "conservé : elle est ignorée."
        )


def _parse(text):
    """The phonenumbers.PhoneNumber that `text` is, read as a French one first, then as one of
    an overseas département; None when it is no valid number."""
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == MAYOTTE_OLD_CODE and str(number.national_number).startswith(
        MAYOTTE_PREFIXES
    ):
        number = phonenumbers.parse(f"+262{number.national_number}")
    if phonenumbers.is_valid_number(number):
        return number
    if text.lstrip().startswith(("+", "00")):
        return None
    # « 0692 12 34 06 » is no number of metropolitan France: of La Réunion.
    for region in FRENCH_REGIONS[1:]:
        overseas = phonenumbers.parse(text, region)
        if phonenumbers.is_valid_number(overseas):
            return overseas
    return None


def phone_number(value):
    """The first phone number of a cell or a field, in its stored form (see the module
    docstring), or "" when there is none. `value`: a str as typed (« +33 (0)6 12 34 56 78 »,
    « 0033 6… », « 06.12… », « 06-12… », « +3306… »), or an int or whole float of a spreadsheet
    cell (its leading zero lost: 612345678). Raises ValueError with the French message shown
    to the user (without the field's name): NirInCell for a NIR."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        value = f"0{value}" if len(str(value)) == 9 else str(value)
    text = str(value if value is not None else "").strip()
    first = next((part.strip() for part in PHONE_SEPARATORS.split(text) if part.strip()), "")
    if not first:
        return ""
    if looks_like_nir(first):
        raise NirInCell
    number = _parse(first)
    if number is None:
        raise ValueError(f"« {first} » n'est pas un numéro de téléphone valide.")
    if phonenumbers.region_code_for_number(number) in FRENCH_REGIONS:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if len(shown) > PHONE_MAX_LENGTH:
        raise ValueError(
            f"« {first} » est trop long pour un numéro ({PHONE_MAX_LENGTH} caractères au plus)."
        )
    return shown


def email_address(value):
    """The first e-mail address of a cell or a field (« Adresses Mails » may hold several),
    its domain in lower case, or "" when there is none. Raises ValueError with the French
    message shown to the user (without the field's name): NirInCell for a NIR."""
    text = str(value if value is not None else "").strip()
    if looks_like_nir(text):
        raise NirInCell
    first = next(iter(EMAIL_SEPARATORS.split(text)), "")
    if not first:
        return ""
    try:
        if len(first) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(first)
    except ValidationError:
        raise ValueError(f"« {first} » n'est pas une adresse électronique valide.") from None
    local, _, domain = first.rpartition("@")
    return f"{local}@{domain.lower()}"
