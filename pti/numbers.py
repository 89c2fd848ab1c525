"""Numbers as French people type them and as French Excel writes them, read one way for every
form and every import (as pti.dates reads dates)."""

import re
from decimal import Decimal

# The spaces French writes between thousands: a space, a no-break space, a narrow no-break
# space (what the pages and Excel write), a thin space.
THOUSANDS_SPACES = " \u00a0\u202f\u2009"
_SPACED = rf"\d{{1,3}}(?:[{THOUSANDS_SPACES}]\d{{3}})+"
# « 1.234,56 »: dots between thousands are read only before a decimal comma, since « 1.500 »
# alone is the decimal 1,5 as number inputs and English software send it.
_DOTTED = r"\d{1,3}(?:\.\d{3})+,\d+"
_FRENCH_NUMBER = re.compile(rf"[+-]?(?:{_DOTTED}|(?:{_SPACED}|\d+)(?:[,.]\d+)?)")
# Longer than any amount or count of the application: refused before it is read.
MAX_NUMBER_CHARACTERS = 40
EURO = "€"


def parse_french_number(text, *, currency=False):
    """The Decimal of a number typed as French writes it: « 1 500 », « 12 000 » (a space, a
    no-break, narrow no-break or thin space between groups of three digits), « 12,5 » (a
    decimal comma), « 1.234,56 » (dots between thousands before a decimal comma), « -3 »,
    « −3 » (a minus sign); « 12.5 » too (a dot, as number inputs and copies from English
    software send it). With `currency` (an amount in euros), a euro sign before or after the
    number is allowed: « 1 500 € ». Raises ValueError for anything else (« 12.5.3 »,
    « 1 50 », « 12,5,3 », « 1e3 », « NaN », an empty text)."""
    value = str(text).strip().replace("\u2212", "-")
    if currency:
        value = value.removesuffix(EURO).removeprefix(EURO).strip(THOUSANDS_SPACES)
    if len(value) > MAX_NUMBER_CHARACTERS or not _FRENCH_NUMBER.fullmatch(value):
        raise ValueError(f"not a French number: {value[:MAX_NUMBER_CHARACTERS]!r}")
    if "," in value:
        value = value.replace(".", "")
    for space in THOUSANDS_SPACES:
        value = value.replace(space, "")
    return Decimal(value.replace(",", "."))
