"""Spreadsheet files as départements really send them, and as Excel opens them back.

Reading: CSV written by French Excel (`;` or `,`, UTF-8 with or without BOM, or
Windows-1252), XLSX and ODS; blank lines skipped, spaces trimmed, headers matched without
caring about case, accents or punctuation. Every problem is a `TableError` in French.

Writing: CSV in UTF-8 with BOM and `;`, or XLSX, with formula-looking cells neutralised so
that a value typed as `=HYPERLINK(...)` is shown as text and never run.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

import tablib

MAX_FILE_SIZE = 20 * 1024 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SUPPORTED = ".csv, .xlsx ou .ods"


class TableError(ValueError):
    """The file cannot be read as a table; the message says why, in French."""


@dataclass
class Table:
    headers: list
    rows: list  # lists of cell values, blank rows removed
    line_numbers: list = field(default_factory=list)  # the file line of each row

    def line_of(self, row_index):
        """File line of the 0-based data row `row_index` (line 1 is the header)."""
        return self.line_numbers[row_index]


def normalise_header(text):
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_table(uploaded_file):
    """The table of an uploaded file (anything with a `name` and a `read()`)."""
    return parse_table(getattr(uploaded_file, "name", ""), uploaded_file.read())


def parse_table(name, data):
    """The table of a file's bytes; its name gives the format (.csv, .xlsx, .ods)."""
    name = (name or "").lower()
    if len(data) > MAX_FILE_SIZE:
        raise TableError("Le fichier dépasse 20 Mo : découpez-le en plusieurs fichiers.")
    if not data.strip():
        raise TableError("Le fichier est vide.")
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension in ("csv", "txt"):
        rows = _read_csv(data)
    elif extension == "xlsx":
        rows = _read_xlsx(data)
    elif extension == "ods":
        rows = _read_ods(data)
    else:
        raise TableError(
            f"Format non pris en charge (« {name or 'sans nom'} ») : "
            f"envoyez un fichier {SUPPORTED}."
        )
    return _to_table(rows)


def _decode(data):
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise TableError(
                "Le fichier annonce l'encodage UTF-8 mais contient des caractères illisibles."
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:2000]:
        raise TableError(
            "Le fichier est encodé en UTF-16, que l'application ne lit pas : dans Excel, "
            "enregistrez-le en « CSV (séparateur : point-virgule) » ou en « CSV UTF-8 »."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise TableError(
            "L'encodage du fichier n'est ni UTF-8 ni Windows-1252 : enregistrez-le depuis "
            "Excel en « CSV UTF-8 »."
        ) from None


def _read_csv(data):
    text = _decode(data)
    sample = "\n".join(text.splitlines()[:20])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _read_xlsx(data):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise TableError("Ce fichier n'est pas un classeur Excel (.xlsx) lisible.") from None
    try:
        return [list(row) for row in workbook.active.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_ods(data):
    try:
        dataset = tablib.Dataset().load(data, format="ods")
    except Exception:
        raise TableError("Ce fichier n'est pas un classeur OpenDocument (.ods) lisible.") from None
    return [list(dataset.headers or []), *[list(row) for row in dataset]]


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
            # Undo `neutralise`, so that an exported file imported back changes nothing.
            value = value[1:].strip()
        return value
    return "" if value is None else value


def _to_table(raw_rows):
    numbered = [
        (number, [_clean(cell) for cell in row]) for number, row in enumerate(raw_rows, start=1)
    ]
    numbered = [(number, row) for number, row in numbered if any(cell != "" for cell in row)]
    if not numbered:
        raise TableError("Le fichier est vide.")
    _, headers = numbered[0]
    headers = [str(cell) for cell in headers]
    while headers and headers[-1] == "":
        headers.pop()
    if not any(headers):
        raise TableError("La première ligne du fichier doit contenir les noms des colonnes.")
    rows, lines = [], []
    for number, row in numbered[1:]:
        row = (row + [""] * len(headers))[: len(headers)]
        rows.append(row)
        lines.append(number)
    if not rows:
        raise TableError("Le fichier ne contient que la ligne des en-têtes, aucune donnée.")
    return Table(headers=headers, rows=rows, line_numbers=lines)


def map_headers(table, columns, *, required):
    """Rename the table's headers to `columns` (expected header -> aliases) and check them.

    Unknown columns are ignored; a missing required column is an error naming it.
    """
    lookup = {}
    for header, aliases in columns.items():
        for alias in (header, *aliases):
            lookup[normalise_header(alias)] = header
    renamed = [lookup.get(normalise_header(header)) for header in table.headers]
    missing = [header for header in required if header not in renamed]
    if missing:
        found = ", ".join(f"« {h} »" for h in table.headers if h) or "aucune"
        raise TableError(
            "Colonne"
            + ("s" if len(missing) > 1 else "")
            + " obligatoire"
            + ("s" if len(missing) > 1 else "")
            + " absente"
            + ("s" if len(missing) > 1 else "")
            + " : "
            + ", ".join(f"« {m} »" for m in missing)
            + f". Colonnes trouvées : {found}."
        )
    keep = [index for index, header in enumerate(renamed) if header is not None]
    dataset = tablib.Dataset(headers=[renamed[index] for index in keep])
    for row in table.rows:
        dataset.append([row[index] for index in keep])
    return dataset


# --- Writing -----------------------------------------------------------------------------


def neutralise(value):
    """A text that a spreadsheet would take for a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_dataset(dataset):
    safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        safe.append([neutralise("" if cell is None else cell) for cell in row])
    return safe


def write_csv(dataset):
    """UTF-8 with BOM, `;`, CRLF: what Excel opens correctly with accents and columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    safe = safe_dataset(dataset)
    writer.writerow(safe.headers)
    for row in safe:
        writer.writerow(row)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def write_xlsx(dataset):
    return safe_dataset(dataset).export("xlsx")


EXPORT_FORMATS = {
    "csv": (write_csv, "text/csv; charset=utf-8", "csv"),
    "xlsx": (
        write_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
}
