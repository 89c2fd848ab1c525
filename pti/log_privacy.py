"""No personal data in any log line.

The application logs who did what by ids, never names, birth dates, CAF numbers, phones or
e-mails. What it does not write itself can still carry them: a request line with a query
string (runserver's access log), a database error (« Key (payer, caf_number)=(CAF, 0123456)
already exists »), an exception message quoting a value. `RedactPersonalData` is set on every
handler (pti/settings.py, LOGGING) and rewrites each record before it is written:

- the query string of a request line or URL is dropped (`/beneficiaires/?…`);
- the values of a PostgreSQL DETAIL (« Key (…)=(…) », « Failing row contains (…) ») are
  replaced;
- e-mail addresses, French phone numbers, dates (dd/mm/yyyy, yyyy-mm-dd) and runs of 7 or
  more digits (CAF/MSA numbers, NIR) are replaced.

Names cannot be recognised in free text: they are kept out of URLs (searches are posted,
pti.searches) and out of the application's own messages; the filter is the net below.
"""

import logging
import re

MASK = "•••"

_PATTERNS = [
    # A query string, in a request line ("GET /path?x=1 HTTP/1.1") or a URL.
    (re.compile(r"(/[^\s?\"']*)\?[^\s\"']*"), r"\1?" + MASK),
    # PostgreSQL's DETAIL of a constraint violation, with the offending values.
    (re.compile(r"(Key \([^)]*\))=\((?:[^()]|\([^()]*\))*\)"), r"\1=(" + MASK + ")"),
    (re.compile(r"(Failing row contains )\((?:[^()]|\([^()]*\))*\)"), r"\1(" + MASK + ")"),
    # E-mail addresses.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), MASK),
    # French phone numbers: 0X XX XX XX XX, with spaces, dots or dashes, or +33.
    (re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"), MASK),
    # Dates: 14/03/1986, 14-03-1986, 1986-03-14.
    (re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?!\d)"), MASK),
    (re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)"), MASK),
    # CAF/MSA numbers (7 digits), NIR (13 to 15), any longer run of digits.
    (re.compile(r"(?<![\w.])\d{7,}(?![\w.])"), MASK),
]


def redact(text):
    """`text` (a str) with what may be personal data replaced by MASK."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    """Rewrites a record's message and its exception text (see the module docstring).
    Always lets the record through."""

    def filter(self, record):
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
