"""Dates as people type them and as spreadsheets store them, read one way for every import and
form: jj/mm/aaaa (and j/m/aaaa, jj-mm-aaaa, jj.mm.aaaa, a two-digit year), ISO (aaaa-mm-jj,
with or without a time), a date cell, or the serial number of a date cell whose format was
lost (the days since the workbook's origin: 30/12/1899 in Excel's 1900 system, 01/01/1904 in
its 1904 system, `workbookPr date1904`; ECMA-376 part 1, 18.17.4).

A date that cannot exist (31/04) is said to be impossible; a date written month first
(03/14/1986, the American order) is refused as such: it is never read silently either way.
Every refusal is a ValueError whose French message names the text as typed."""

import calendar
import datetime
import functools
import re

EXCEL_1900 = datetime.date(1899, 12, 30)  # serial 1 is 31/12/1899 (Excel counts 29/02/1900)
EXCEL_1904 = datetime.date(1904, 1, 1)
# The largest serial Excel stores (31/12/9999).
MAX_SERIAL = 2_958_465

_DAY_FIRST = re.compile(
    r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})"
    r"(?:[ T]+\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SERIAL_TEXT = re.compile(r"\d{5}")


def format_error(text):
    return f"« {text} » n'est pas une date au format jj/mm/aaaa."


@functools.lru_cache(maxsize=65_536)
def _parts_of_text(text):
    """(day, month, year, whether the year has two digits) of a text, or the French message of
    its refusal (a str). A list repeats the same dates many times: each text is read once."""
    match = _DAY_FIRST.fullmatch(text)
    if match:
        day, month, year = int(match[1]), int(match[3]), int(match[4])
        two_digits = len(match[4]) == 2
    else:
        match = _ISO.fullmatch(text)
        if not match:
            return format_error(text)
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        two_digits = False
    if month > 12 and 1 <= day <= 12 and match.re is _DAY_FIRST:
        return (
            f"« {text} » : format mois/jour ? attendu jj/mm/aaaa (le {month:02d}/{day:02d} "
            "s'il s'agit du jour puis du mois)."
        )
    if not 1 <= month <= 12:
        return f"« {text} » : date impossible : il n'y a pas de mois {month}."
    if day < 1:
        return f"« {text} » : date impossible : il n'y a pas de jour {day}."
    if not two_digits and day > calendar.monthrange(year, month)[1]:
        if month == 2 and day == 29:
            return f"« {text} » : date impossible : le 29/02 n'existe pas en {year}."
        return f"« {text} » : date impossible : le {day:02d}/{month:02d} n'existe pas."
    if two_digits and day > calendar.monthrange(2000, month)[1]:  # 2000: a leap year
        return f"« {text} » : date impossible : le {day:02d}/{month:02d} n'existe pas."
    return day, month, year, two_digits


def _with_century(text, day, month, short_year, *, today, century):
    """The date of a two-digit year. `century`: "past", the latest century that puts it on
    or before `today` (a date of the right: 02/01/26 is 2026, 14/03/56 is 1956); "previous",
    the century before today's (a birth date: 14/03/56 is 1956 and 1/2/03 is 1903, which
    the birth date's checks then refuse as implausible rather than guess 2003); otherwise
    the century that puts it within 50 years of `today`."""
    year = today.year - (today.year - short_year) % 100  # the latest such year, not after today
    if century == "previous":
        year = (today.year // 100 - 1) * 100 + short_year
    elif century != "past" and today.year - year > 50:
        year += 100
    try:
        date = datetime.date(year, month, day)
        if century == "past" and date > today:
            date = datetime.date(year - 100, month, day)
    except ValueError:
        raise ValueError(
            f"« {text} » : date impossible : le {day:02d}/{month:02d} n'existe pas en {year}."
        ) from None
    return date


def has_two_digit_year(value):
    """Whether `value` is a text date whose year has two digits (14/03/56)."""
    if not isinstance(value, str):
        return False
    parts = _parts_of_text(re.sub(r"\s+", " ", value).strip())
    return not isinstance(parts, str) and parts[3]


def is_serial_text(value):
    """Whether `value` is the serial number of a date written as text (five digits)."""
    return isinstance(value, str) and bool(_SERIAL_TEXT.fullmatch(value.strip()))


def date_of_serial(value, *, epoch=EXCEL_1900):
    """The date of a date cell's serial number (int or float, the fraction being the time)
    counted from `epoch` (EXCEL_1900 or EXCEL_1904); ValueError out of Excel's range."""
    days = int(value)
    if not 1 <= days <= MAX_SERIAL:
        raise ValueError(format_error(_number_text(value)))
    return epoch + datetime.timedelta(days=days)


def _number_text(value):
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def parse_date(value, *, today, century="near", epoch=EXCEL_1900):
    """The date of a cell or a typed text; None for an empty one.

    `value`: a date or datetime (a date cell), an int or float (the serial number of a date
    cell whose format was lost, counted from `epoch`, the workbook's date system), or a text:
    jj/mm/aaaa, j/m/aaaa, jj-mm-aaaa, jj.mm.aaaa, with a two- or four-digit year, optionally
    followed by a time; aaaa-mm-jj (ISO); or five digits (a serial number written as text, in
    Excel's default 1900 system). `today` and `century` ("past", "previous" or "near") give a
    two-digit year its century (see _with_century). Raises ValueError (French, naming the
    text) for anything else, for an impossible date (31/04, 29/02 of a common year) and for a
    date written month first."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise ValueError(format_error(value))
    if isinstance(value, int | float):
        return date_of_serial(value, epoch=epoch)
    text = re.sub(r"\s+", " ", str(value)).strip()
    if not text:
        return None
    if _SERIAL_TEXT.fullmatch(text):
        return date_of_serial(int(text))
    parts = _parts_of_text(text)
    if isinstance(parts, str):
        raise ValueError(parts)
    day, month, year, two_digits = parts
    if two_digits:
        return _with_century(text, day, month, year, today=today, century=century)
    return datetime.date(year, month, day)


def age_on(birth_date, today):
    """Age in whole years on `today`."""
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
