"""Spreadsheet files as départements really send them, and as Excel opens them back.

Reading: CSV written by French Excel (`;` or `,`, UTF-8 with or without BOM, or
Windows-1252), XLSX and ODS; blank lines skipped, spaces trimmed, headers matched without
caring about case, accents or punctuation. Every problem is a `TableError` in French.
Files as people make them: the header row found below title rows and the sheet that holds
the expected columns chosen (`parse_table`); a CSV line whose quote never closes refused
alone, never swallowing the next ones (`_read_csv`); rows hidden or filtered in the
spreadsheet counted in a warning; a formula never computed said as such.

A file is refused by its size and shape before it can hold a worker (a 117 KB XLSX may hold
200,000 rows, a 207 KB ODS may unfold into 674 MB):
- the upload weighs at most settings.PTI_IMPORT_MAX_BYTES;
- an XLSX or ODS is a zip: before any XML parser sees it, its members are counted, their
  declared sizes added up against settings.PTI_IMPORT_MAX_UNCOMPRESSED_BYTES and their
  compression ratios judged; then each member is inflated once, chunk by chunk, stopping as
  soon as more comes out than it declared or than the limit, and an XML member that declares
  a DTD or an entity (billion laughs, external entities) refuses the file;
- rows are read one at a time (openpyxl's read-only mode; the ODS `content.xml` through a
  defused SAX parser, its repeated rows and cells counted, never unfolded) and reading stops
  at the first data row past settings.PTI_IMPORT_MAX_ROWS, or past a smaller limit that the
  caller gives (a page's own);
- the cells read, empty ones included, are at most CELLS_PER_ROW per allowed row, and so are
  an XLSX's shared texts.

Writing: CSV in UTF-8 with BOM and `;`, or XLSX, with formula-looking cells neutralised so
that a value typed as `=HYPERLINK(...)` is shown as text and never run.
"""

import csv
import dataclasses
import datetime
import io
import lzma
import re
import unicodedata
import zipfile
import zlib
from contextlib import closing, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax import SAXException
from xml.sax.handler import ContentHandler, feature_namespaces

import tablib
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from django.conf import settings
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.reader import excel as openpyxl_reader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from pti.dates import EXCEL_1900, EXCEL_1904


def french_number(value):
    """1 000, as French writes it (a narrow no-break space between thousands)."""
    return f"{value:,}".replace(",", "\u202f")


def french_size(size):
    """A size in bytes as the messages write it: 20 Mo, 1,5 Mo, 512 ko, 1 024 Mo."""
    unit, value = ("Mo", size / 1024**2) if size >= 1024**2 else ("ko", size / 1024)
    text = f"{value:,.1f}".removesuffix(".0").replace(",", "\u202f").replace(".", ",")
    return f"{text} {unit}"


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SUPPORTED = ".csv, .xlsx ou .ods"

# A workbook has a few dozen members. Deflate shrinks real data 5 to 100 times and nears its
# ceiling (about 1,000) only on runs of identical bytes: a member that declares more than
# MAX_COMPRESSION_RATIO times its compressed size is refused, unless it is small enough to be
# harmless (RATIO_GRACE_BYTES).
MAX_ZIP_MEMBERS = 1_000
MAX_COMPRESSION_RATIO = 500
RATIO_GRACE_BYTES = 1024 * 1024
INFLATE_CHUNK = 1024 * 1024
XML_CHUNK = 64 * 1024
# Cells read per allowed row, empty ones included (an XLSX row reaches its last written cell,
# an ODS row its last non-empty one): 64 columns on average, many more than any import reads.
CELLS_PER_ROW = 64
# An ODS row is read up to this column (Excel's and LibreOffice's last one); cells past it
# are ignored, whatever their repetition.
MAX_COLUMNS = 16_384
# The last row of a sheet in Excel and LibreOffice: an XLSX numbering a row past it is damaged.
MAX_SHEET_ROWS = 1_048_576
# Blank rows are read too, whether a sheet writes them without a cell (often a format given to
# whole rows), skips them, or fills them with empty cells (or a CSV with separators only): past
# this many of either kind (a few seconds, some 20 MB), the file is refused rather than read on.
MAX_EMPTY_SHEET_ROWS = 50_000
TOO_MANY_EMPTY_ROWS = (
    "Le fichier contient plus de 50 000 lignes vides (souvent des lignes mises en forme sans "
    "contenu, ou des cases vides) : l'application ne le lit pas. Supprimez ces lignes dans "
    "votre tableur, puis envoyez le fichier de nouveau."
)
# The longest text of one cell, as the csv module takes in one field.
MAX_CELL_CHARACTERS = 131_072
# Enough of a CSV's beginning for its first 20 lines, to guess the separator.
SNIFF_CHARACTERS = 100_000

NOT_XLSX = "Ce fichier n'est pas un classeur Excel (.xlsx) lisible."
NOT_ODS = "Ce fichier n'est pas un classeur OpenDocument (.ods) lisible."
XML_DECLARATIONS = (
    "Ce classeur contient des déclarations XML que l'application refuse (DTD ou entités) : "
    "ouvrez-le dans votre tableur, enregistrez-le sous un autre nom, puis envoyez ce nouveau "
    "fichier."
)
TOO_MANY_MEMBERS = (
    f"Ce classeur est une archive de plus de {french_number(MAX_ZIP_MEMBERS)} éléments : "
    "l'application ne le lit pas. Enregistrez-le de nouveau depuis votre tableur, ou envoyez "
    "un CSV."
)
TOO_COMPRESSED = (
    f"Ce classeur est anormalement compressé (un de ses éléments grossit plus de "
    f"{MAX_COMPRESSION_RATIO} fois à la décompression) : l'application ne le lit pas. "
    "Enregistrez-le de nouveau depuis votre tableur, ou envoyez un CSV."
)
TOO_WIDE = (
    f"Le fichier est trop large : plus de {CELLS_PER_ROW} cellules par ligne en moyenne, cases "
    "vides comprises. Supprimez les colonnes inutiles ou découpez-le en plusieurs fichiers."
)

# Whatever openpyxl may raise on a damaged or forged workbook.
_UNREADABLE_XLSX = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    ArithmeticError,
    AttributeError,
    EOFError,
    IndexError,
    KeyError,
    OSError,
    RuntimeError,
    SyntaxError,
    TypeError,
    ValueError,
)
# Whatever zipfile may raise while inflating a damaged or forged member.
_UNREADABLE_MEMBER = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
)


class TableError(ValueError):
    """The file cannot be read as a table; the message says why, in French."""


class TooManyRows(TableError):
    """The file has more data rows than `limit`: reading stopped at the first one past it."""

    def __init__(self, message, *, limit):
        super().__init__(message)
        self.limit = limit


@dataclass
class Table:
    headers: list
    rows: list  # lists of cell values, blank rows removed
    line_numbers: list = field(default_factory=list)  # the file line of each row
    # Rows the reader refused (a quote never closed, a formula never computed): (file line,
    # cells as read, French message), never among `rows`; each is an error of the import.
    refused: list = field(default_factory=list)
    # (file line or 0 for the whole file, French message): what the reader noticed and the
    # import shows as a warning (rows hidden or filtered in the spreadsheet).
    warnings: list = field(default_factory=list)
    # The origin of the serial numbers of dates in number cells: the workbook's date system
    # (pti.dates.EXCEL_1900, or EXCEL_1904 for a workbook that says `date1904`).
    serial_epoch: datetime.date = EXCEL_1900
    # The file lines of the rows hidden or filtered in the spreadsheet, and whether they are
    # among `rows` (the user chooses: `without_hidden_rows`).
    hidden_lines: list = field(default_factory=list)
    hidden_included: bool = True

    def line_of(self, row_index):
        """File line of the 0-based data row `row_index` (line 1 is the header)."""
        return self.line_numbers[row_index]


def normalise_header(text):
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def check_upload_size(size):
    limit = settings.PTI_IMPORT_MAX_BYTES
    if size > limit:
        raise TableError(
            f"Le fichier dépasse {french_size(limit)} : découpez-le en plusieurs fichiers."
        )


def read_upload(uploaded_file):
    """The bytes of an uploaded file (anything with a `read()`, and a `size` when known),
    refused before they are read when they exceed settings.PTI_IMPORT_MAX_BYTES."""
    size = getattr(uploaded_file, "size", None)
    if size is not None:
        check_upload_size(size)
    data = uploaded_file.read(settings.PTI_IMPORT_MAX_BYTES + 1)
    check_upload_size(len(data))
    return data


def read_table(uploaded_file, *, max_rows=None):
    """The table of an uploaded file (anything with a `name` and a `read()`)."""
    return parse_table(
        getattr(uploaded_file, "name", ""), read_upload(uploaded_file), max_rows=max_rows
    )


# The header row is looked for among the first rows that are not blank (a title, a date, a
# blank row may come first), and a workbook's sheets among its named ones.
HEADER_SEARCH_ROWS = 20


class _Uncomputed:
    """A formula cell that holds no computed value (a file written by a program, never opened
    in a spreadsheet): not a blank, which would be read as a missing value."""

    def __repr__(self):
        return "UNCOMPUTED"


UNCOMPUTED = _Uncomputed()
UNCOMPUTED_MESSAGE = "formule non calculée : ouvrez et enregistrez le fichier dans le tableur."


class _HiddenCells(list):
    """The cells of a row hidden or filtered out in the spreadsheet."""


class _Columns:
    """The columns an import expects (header -> aliases) and those it requires: which row is
    the header, which columns are read."""

    def __init__(self, columns, required):
        self.lookup = {}
        for header, aliases in (columns or {}).items():
            for alias in (header, *aliases):
                self.lookup[normalise_header(alias)] = header
        self.required = set(required or ())

    def is_header(self, cells):
        found = {self.lookup.get(normalise_header(cell)) for cell in cells if isinstance(cell, str)}
        return self.required <= found

    def read(self, headers):
        """Indexes of the headers the import reads."""
        return {i for i, header in enumerate(headers) if normalise_header(header) in self.lookup}


def parse_table(name, data, *, max_rows=None, columns=None, required=None, include_hidden=True):
    """The table of a file's bytes; its name gives the format (.csv, .xlsx, .ods).

    With the `columns` an import expects (header -> aliases) and the `required` ones, the
    header is the first row, among the first HEADER_SEARCH_ROWS that are not blank, that
    holds every required column (title rows above it are skipped), and a workbook's sheet is
    the one that holds such a row (the active one when several do); without them, or when no
    row does, the first row that is not blank. A row hidden or filtered out in the
    spreadsheet is read when `include_hidden`, left out otherwise; either way a warning counts
    them (`Table.warnings`). A row with a formula never computed in a column the import reads
    is refused (`Table.refused`).

    Reading stops at the first data row past `max_rows` (a page's own limit) or past
    settings.PTI_IMPORT_MAX_ROWS, whichever is smaller, and raises `TooManyRows` naming that
    limit. Any other refusal (size, shape, XML declarations, damage, no sheet or several
    sheets holding the columns) is a `TableError`; see the module docstring for the limits.
    """
    name = (name or "").lower()
    check_upload_size(len(data))
    if not data.strip():
        raise TableError("Le fichier est vide.")
    row_limit = settings.PTI_IMPORT_MAX_ROWS
    if max_rows is not None:
        row_limit = min(row_limit, max_rows)
    cell_limit = (row_limit + 1) * CELLS_PER_ROW
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    workbook = {}  # what a workbook's reader says of it: "epoch", its date system
    if extension in ("csv", "txt"):
        book = _CsvBook(data)
    elif extension == "xlsx":
        book = _XlsxBook(data, shared_texts=cell_limit, workbook=workbook)
    elif extension == "ods":
        book = _OdsBook(data, workbook=workbook)
    else:
        raise TableError(
            f"Format non pris en charge (« {name or 'sans nom'} ») : "
            f"envoyez un fichier {SUPPORTED}."
        )
    expected = _Columns(columns, required) if required else None
    with closing(book):
        index, warnings = _pick_sheet(book, expected)
        with closing(book.lines(index)) as lines:
            table = _to_table(
                lines,
                row_limit=row_limit,
                cell_limit=cell_limit,
                expected=expected,
                include_hidden=include_hidden,
            )
    table.warnings = [*warnings, *table.warnings]
    table.serial_epoch = workbook.get("epoch", EXCEL_1900)
    return table


def _quoted(names):
    return ", ".join(f"« {name} »" for name in names)


def _pick_sheet(book, expected):
    """(index of the sheet to read, warnings): see parse_table. Raises TableError naming the
    sheets when none holds the expected columns or when several do and the active one does
    not."""
    if expected is None or len(book.names) < 2:
        return book.active, []
    found = []
    for index in range(len(book.names)):
        with closing(book.lines(index)) as lines:
            if _holds_header(lines, expected):
                found.append(index)
    if len(found) == 1:
        chosen = found[0]
    elif book.active in found:
        chosen = book.active
    elif found:
        raise TableError(
            "Plusieurs feuilles du classeur contiennent les colonnes attendues : "
            f"{_quoted(book.names[i] for i in found)}. Ouvrez le classeur sur la feuille à "
            "importer (la feuille affichée à l'enregistrement est celle qui est lue), "
            "enregistrez-le, puis envoyez-le de nouveau."
        )
    else:
        raise TableError(
            "Aucune feuille du classeur ne contient les colonnes obligatoires "
            f"({_quoted(sorted(expected.required))}) dans ses {HEADER_SEARCH_ROWS} premières "
            f"lignes. Feuilles du classeur : {_quoted(book.names)}. Vérifiez le nom des "
            "colonnes, ou enregistrez la feuille à importer seule."
        )
    if chosen == book.active:
        return chosen, []
    return chosen, [
        (
            0,
            f"Feuille « {book.names[chosen]} » importée : c'est celle qui contient les colonnes "
            f"attendues (feuilles du classeur : {_quoted(book.names)}).",
        )
    ]


def _holds_header(lines, expected):
    """Whether one of the first HEADER_SEARCH_ROWS non-blank rows of `lines` is a header."""
    seen = blank = 0
    for _, raw in lines:
        if isinstance(raw, RefusedRow):
            continue
        if all(_clean(cell) == "" for cell in raw):
            blank += 1
            if blank > MAX_EMPTY_SHEET_ROWS:
                raise TableError(TOO_MANY_EMPTY_ROWS)
            continue
        if expected.is_header([_clean(cell) for cell in raw]):
            return True
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            return False
    return False


def _lines_of(numbers):
    shown = ", ".join(str(number) for number in numbers[:10])
    return shown + ("…" if len(numbers) > 10 else "")


def _hidden_warning(hidden, *, included):
    count = len(hidden)
    rows = "ligne masquée ou filtrée" if count == 1 else "lignes masquées ou filtrées"
    where = f"{french_number(count)} {rows} dans le tableur (ligne{'s' if count > 1 else ''} "
    where += f"{_lines_of(hidden)})"
    if included:
        return (
            f"{where} : {'elle est importée' if count == 1 else 'elles sont importées'} comme "
            "les autres, sauf si vous choisissez de les laisser de côté avant de confirmer."
        )
    return f"{where} : laissée{'s' if count > 1 else ''} de côté, comme demandé."


def _to_table(lines, *, row_limit, cell_limit, expected=None, include_hidden=True):
    """The table of `lines`, (file line, cells) in the file's order: the header row (see
    parse_table), then the data rows, cut or padded to it; blank ones are skipped. Stops at
    the first data row past `row_limit`, once more than `cell_limit` cells are read, or past
    MAX_EMPTY_SHEET_ROWS blank rows."""
    headers, width, rows, line_numbers, cells_read, blank_rows = None, 0, [], [], 0, 0
    refused, hidden, waiting, read = [], [], [], None

    def start(raw):
        nonlocal headers, width, read
        cleaned = [_clean(cell) for cell in raw]
        headers = ["" if cell is UNCOMPUTED else str(cell) for cell in cleaned]
        while headers and headers[-1] == "":
            headers.pop()
        if not any(headers):
            raise TableError("La première ligne du fichier doit contenir les noms des colonnes.")
        width = len(headers)
        read = expected.read(headers) if expected is not None else None

    def add(number, raw):
        row = [_clean(cell) for cell in raw[:width]]
        row += [""] * (width - len(row))
        if isinstance(raw, _HiddenCells):
            hidden.append(number)
            if not include_hidden:
                return
        uncomputed = [index for index, cell in enumerate(row) if cell is UNCOMPUTED]
        if uncomputed:
            for index in uncomputed:
                row[index] = ""
            faulty = [index for index in uncomputed if read is None or index in read]
            if faulty:
                refused.append((number, row, f"{headers[faulty[0]]} : {UNCOMPUTED_MESSAGE}"))
                return
        if len(rows) == row_limit:
            raise TooManyRows(
                f"Le fichier compte plus de {french_number(row_limit)} lignes : l'application "
                f"en lit {french_number(row_limit)} au plus par fichier. Découpez-le en "
                "plusieurs fichiers.",
                limit=row_limit,
            )
        rows.append(row)
        line_numbers.append(number)

    for number, raw in lines:
        if isinstance(raw, RefusedRow):
            refused.append((number, raw.cells, raw))
            continue
        cells_read += len(raw)
        if cells_read > cell_limit:
            raise TableError(TOO_WIDE)
        if all(_clean(cell) == "" for cell in raw):
            blank_rows += 1
            if blank_rows > MAX_EMPTY_SHEET_ROWS:
                raise TableError(TOO_MANY_EMPTY_ROWS)
            continue
        if headers is None:
            if expected is None or expected.is_header([_clean(cell) for cell in raw]):
                start(raw)
                waiting = []
            elif len(waiting) < HEADER_SEARCH_ROWS:
                waiting.append((number, raw))
            else:
                # No row holds the expected columns: the first one is the header, and the
                # import says which columns are missing.
                start(waiting[0][1])
                for pending in [*waiting[1:], (number, raw)]:
                    add(*pending)
                waiting = []
            continue
        add(number, raw)
    if headers is None and waiting:
        start(waiting[0][1])
        for pending in waiting[1:]:
            add(*pending)
    if headers is None:
        raise TableError("Le fichier est vide.")
    refused = sorted(
        (
            number,
            cells[:width] + [""] * (width - len(cells)),
            why.message(headers) if isinstance(why, RefusedRow) else why,
        )
        for number, cells, why in refused
    )
    if not rows and refused:
        raise TableError(" ".join(f"Ligne {number} : {text}" for number, _, text in refused))
    if not rows:
        raise TableError("Le fichier ne contient que la ligne des en-têtes, aucune donnée.")
    warnings = [(0, _hidden_warning(hidden, included=include_hidden))] if hidden else []
    return Table(
        headers=headers,
        rows=rows,
        line_numbers=line_numbers,
        refused=refused,
        warnings=warnings,
        hidden_lines=hidden,
        hidden_included=include_hidden,
    )


def without_hidden_rows(table):
    """`table` without the rows hidden or filtered in the spreadsheet (`table.hidden_lines`),
    its warning saying they are left out; `table` itself when none is hidden or they are
    already left out."""
    if not table.hidden_lines or not table.hidden_included:
        return table
    hidden = set(table.hidden_lines)
    kept = [index for index, line in enumerate(table.line_numbers) if line not in hidden]
    warning = _hidden_warning(table.hidden_lines, included=True)
    return dataclasses.replace(
        table,
        rows=[table.rows[index] for index in kept],
        line_numbers=[table.line_numbers[index] for index in kept],
        warnings=[
            (line, _hidden_warning(table.hidden_lines, included=False) if text == warning else text)
            for line, text in table.warnings
        ],
        hidden_included=False,
    )


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
            # Undo `neutralise`, so that an exported file imported back changes nothing.
            value = value[1:].strip()
        return value
    return "" if value is None else value


# --- CSV ---------------------------------------------------------------------------------


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


# A record is one line of the file, or several when a quoted cell holds line breaks (an
# address on two lines). A quote that never closes makes the csv module swallow the lines
# after it into one cell: such a record is refused, and reading starts again at the line
# after its first one.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass
class RefusedRow:
    """A record the reader refuses (a quote never closed): its cells as the line reads without
    quotes, for the held rows' file, and the 0-based column of the faulty cell."""

    cells: list
    column: int

    def message(self, headers):
        """Why, in French, naming the cell's column when the headers give it."""
        name = headers[self.column] if 0 <= self.column < len(headers) else ""
        where = f"la cellule « {name} »" if name else f"la cellule n° {self.column + 1}"
        return (
            f"{where} ouvre un guillemet (\") qui n'est jamais refermé : le tableur y lirait "
            "les lignes suivantes. Cette ligne est refusée, les suivantes sont lues "
            'normalement ; corrigez le guillemet (ou doublez-le : "") et importez-la de '
            "nouveau."
        )


def _physical_lines(text):
    """The lines of `text` with their ends (\\r\\n, \\r or \\n, as the csv module splits
    them)."""
    lines = _LINE.findall(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _swallows_rows(cells, delimiter, width):
    """Whether a record's cells hold line breaks followed by what looks like rows: a line
    inside a cell holding at least half the separators of a row."""
    threshold = max(1, (width - 1) // 2)
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            inner = _physical_lines(cell)[1:]
            if any(line.count(delimiter) >= threshold for line in inner):
                return True
    return False


def _broken_column(cells):
    """The column of the cell holding line breaks (where the quote opened)."""
    return next(
        (index for index, cell in enumerate(cells) if "\n" in cell or "\r" in cell),
        len(cells) - 1,
    )


def _read_csv(data):
    """(line, cells) of each record of a CSV, read one at a time; a record swallowed by a
    quote that never closes comes as (line, RefusedRow) and the next line is read as a new
    record. The line is the record's number, as a spreadsheet numbers its rows."""
    text = _decode(data)
    sample = "\n".join(text[:SNIFF_CHARACTERS].splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";"
    lines = _physical_lines(text)
    del text
    position = 0  # the index of the next physical line to read

    def feed():
        nonlocal position
        while position < len(lines):
            position += 1
            yield lines[position - 1]

    number, width = 0, None
    reader = csv.reader(feed(), delimiter=delimiter)
    while position < len(lines):
        first = position
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            if position - first <= 1:
                raise TableError(
                    f"Ligne {number} : une cellule est illisible ou dépasse "
                    f"{french_number(MAX_CELL_CHARACTERS)} caractères ; vérifiez que le "
                    "fichier est bien un CSV."
                ) from None
            row = None  # a cell grew past the limit across lines: a quote never closed
        if (
            row is None
            or (
                any("\n" in cell or "\r" in cell for cell in row)
                and (
                    _swallows_rows(row, delimiter, width or len(row))
                    # The end of the file reached inside quotes.
                    or (
                        position == len(lines)
                        and sum(line.count('"') for line in lines[first:position]) % 2
                    )
                )
            )
        ):
            raw = next(csv.reader([lines[first]], delimiter=delimiter, quoting=csv.QUOTE_NONE))
            column = (
                _broken_column(row)
                if row is not None
                else next(
                    (i for i, c in enumerate(raw) if c.startswith('"') and not c.endswith('"')),
                    0,
                )
            )
            yield number, RefusedRow(cells=raw, column=column)
            position = first + 1
            reader = csv.reader(feed(), delimiter=delimiter)
            continue
        if width is None and any(cell.strip() for cell in row):
            width = len(row)
        yield number, row


class _CsvBook:
    """A CSV as a workbook of one unnamed sheet."""

    names = [""]
    active = 0

    def __init__(self, data):
        self.data = data

    def lines(self, index):
        return _read_csv(self.data)

    def close(self):
        pass


# --- Zip-based workbooks: what is checked before any XML parser sees them ------------------

# What declares a DTD or an entity, in UTF-8 or UTF-16.
_DECLARATIONS = tuple(
    text.encode(encoding)
    for text in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
# The start tag of an XLSX shared text, as Excel writes it (<si>, <si/>, <si ...>) or with a
# namespace prefix (<x:si>, rarer: searched only where ":si" appears). One `<` each, and 20
# bytes at most.
_SHARED_TEXT_TAGS = (b"<si>", b"<si/", b"<si ", b"<si\t", b"<si\n", b"<si\r")
_PREFIXED_SHARED_TEXT = re.compile(rb"<[A-Za-z_][\w.-]{0,15}:si[\s/>]")
_SCAN_TAIL = 64


class _XmlScan:
    """Reads the members' bytes as they are inflated: refuses a DTD or an entity declared in
    UTF-8 or UTF-16, and more than `shared_texts` shared texts (None: any number)."""

    def __init__(self, *, shared_texts=None):
        self.shared_texts = 0
        self._allowed = shared_texts
        self._tail = b""  # the end of the previous chunk
        self._counted = 0  # how much of the tail was searched for shared texts

    def begin(self):
        """A new member starts."""
        self._tail, self._counted = b"", 0

    def feed(self, chunk, *, last=False):
        buffer = self._tail + chunk
        if any(declaration in buffer for declaration in _DECLARATIONS):
            raise TableError(XML_DECLARATIONS)
        # A shared-text tag holds one `<`: every tag that starts before the last `<` near the
        # end of the buffer ends before it, and is counted now; the rest waits for the next
        # chunk.
        cut = -1 if last else buffer.rfind(b"<", max(0, len(buffer) - _SCAN_TAIL))
        if cut < 0:
            cut = len(buffer)
        start = self._counted
        self.shared_texts += sum(buffer.count(tag, start, cut) for tag in _SHARED_TEXT_TAGS)
        if b":si" in buffer:
            self.shared_texts += len(_PREFIXED_SHARED_TEXT.findall(buffer, start, cut))
        if self._allowed is not None and self.shared_texts > self._allowed:
            raise TableError(TOO_WIDE)
        keep = min(cut, max(0, len(buffer) - _SCAN_TAIL))
        self._tail, self._counted = buffer[keep:], cut - keep


def _check_zip_directory(data):
    """The zip's end record, read before zipfile builds its list of members: too many
    members, or too long a directory, refuse the file without listing them."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 22:
        return  # zipfile says that it is not a zip
    entries = int.from_bytes(data[end + 10 : end + 12], "little")
    directory_size = int.from_bytes(data[end + 12 : end + 16], "little")
    if entries > MAX_ZIP_MEMBERS or directory_size > MAX_ZIP_MEMBERS * 1024:
        raise TableError(TOO_MANY_MEMBERS)


def _check_zip(data, unreadable, *, shared_texts=None):
    """Refuse a zip-based workbook that could hold a worker, before any XML parser reads it:
    too many members, too much declared once inflated, an absurd compression ratio, a member
    that inflates past what it declared or past the limit, an XML declaration, or (for an
    XLSX) more than `shared_texts` shared texts. `unreadable` is the refusal of a file that is
    not a zip or is damaged."""
    limit = settings.PTI_IMPORT_MAX_UNCOMPRESSED_BYTES
    _check_zip_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise TableError(unreadable) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise TableError(TOO_MANY_MEMBERS)
        declared = sum(member.file_size for member in members)
        if declared > limit:
            raise TableError(
                f"Ce classeur occuperait {french_size(declared)} une fois décompressé : "
                f"l'application en lit {french_size(limit)} au plus. Découpez-le en plusieurs "
                "fichiers."
            )
        for member in members:
            if (
                member.file_size > RATIO_GRACE_BYTES
                and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
            ):
                raise TableError(TOO_COMPRESSED)
        scan, inflated = _XmlScan(shared_texts=shared_texts), 0
        for member in members:
            # An SVG picture may declare its DTD; no reader here parses it.
            xml = not member.filename.lower().endswith(".svg")
            inflated += _inflate(
                archive,
                member,
                room=limit - inflated,
                scan=scan if xml else None,
                unreadable=unreadable,
            )


def _inflate(archive, member, *, room, scan, unreadable):
    """Inflate `member` chunk by chunk through `scan`, and return its size; refused as
    `unreadable` as soon as more comes out than it declared or than `room` (what the limit
    leaves). zipfile itself stops at the declared size and then fails on the CRC: the count
    here does not rest on it."""
    size = 0
    if scan:
        scan.begin()
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(INFLATE_CHUNK):
                size += len(chunk)
                if size > member.file_size or size > room:
                    raise TableError(unreadable)
                if scan:
                    scan.feed(chunk)
    except _UNREADABLE_MEMBER:
        raise TableError(unreadable) from None
    if scan:
        scan.feed(b"", last=True)
    return size


# --- XLSX --------------------------------------------------------------------------------


class _MarkingParser(WorkSheetParser):
    """openpyxl's sheet parser that also notes the rows hidden (or filtered out) and gives a
    formula cell without computed value as UNCOMPUTED, for the workbooks read here
    (`_marks`); any other reader gets openpyxl's own values."""

    def __init__(self, *args, marks=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.marks = marks
        self.hidden = set()

    def parse_row(self, row):
        number, cells = super().parse_row(row)
        if self.marks and row.get("hidden") in ("1", "true"):
            self.hidden.add(number)
        return number, cells

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if (
            self.marks
            and cell["value"] is None
            and element.find(FORMULA_TAG) is not None
            # No value, or an empty one that is not a text (openpyxl writes <v></v>).
            and (element.findtext(VALUE_TAG) or "") == ""
            and (element.find(VALUE_TAG) is None or element.get("t", "n") not in ("str", "s"))
        ):
            cell["value"] = UNCOMPUTED
        return cell


class _SheetReadAsWritten(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its search for the sheet's declared size: when the
    sheet declares none (<dimension> is optional), openpyxl parses the whole sheet, keeping
    it in memory, before the first row is read (a 1.6 MB file of empty rows: 142 s, 3.1 GB).
    The rows are read as written anyway (`reset_dimensions` below). Its rows come from
    _MarkingParser: `hidden_rows` are the numbers of the rows hidden so far."""

    hidden_rows = frozenset()

    def _get_size(self):
        return None

    def _cells_by_row(self, min_col, min_row, max_col, max_row, values_only=False):
        # openpyxl's own (3.1), with _MarkingParser; the dimensions are reset (no max_row).
        filler = None if values_only else EMPTY_CELL
        max_col = max_col or self.max_column
        max_row = max_row or self.max_row
        empty_row = (filler,) * (max_col + 1 - min_col) if max_col is not None else []
        counter = min_row
        with self._get_source() as src:
            parser = _MarkingParser(
                src,
                self._shared_strings,
                data_only=self.parent.data_only,
                epoch=self.parent.epoch,
                date_formats=self.parent._date_formats,
                timedelta_formats=self.parent._timedelta_formats,
                marks=getattr(self.parent, "_pti_marks", False),
            )
            self.hidden_rows = parser.hidden
            for idx, row in parser.parse():
                if max_row is not None and idx > max_row:
                    break
                for _ in range(counter, idx):  # rows missing from the file
                    counter += 1
                    yield empty_row
                if counter <= idx:
                    counter += 1
                    yield self._get_row(row, min_col, max_col, values_only)


# Every workbook opened read-only gets such sheets (openpyxl builds them in its reader).
openpyxl_reader.ReadOnlyWorksheet = _SheetReadAsWritten


class _XlsxBook:
    """An XLSX opened once by openpyxl's read-only mode (after `_check_zip`): its sheets'
    names, the active one, and the rows of each, read one at a time; formulas give their
    last computed value (UNCOMPUTED when there is none), dates come as datetimes, a hidden
    row's cells as _HiddenCells. Its date system goes to `workbook["epoch"]`."""

    def __init__(self, data, *, shared_texts, workbook):
        import openpyxl

        _check_zip(data, NOT_XLSX, shared_texts=shared_texts)
        try:
            self.book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except DefusedXmlException:
            raise TableError(XML_DECLARATIONS) from None
        except _UNREADABLE_XLSX:
            raise TableError(NOT_XLSX) from None
        try:
            self.book._pti_marks = True
            workbook["epoch"] = EXCEL_1904 if self.book.epoch.year == 1904 else EXCEL_1900
            self.sheets = [
                sheet for sheet in self.book.worksheets if isinstance(sheet, ReadOnlyWorksheet)
            ]
            if not self.sheets:
                raise TableError(NOT_XLSX)
            self.names = [sheet.title for sheet in self.sheets]
            active = self.book.active
            self.active = self.sheets.index(active) if active in self.sheets else 0
        except TableError:
            self.close()
            raise
        except _UNREADABLE_XLSX:
            self.close()
            raise TableError(NOT_XLSX) from None

    def lines(self, index):
        """(line, cells) of each row of the sheet `index`."""
        sheet = self.sheets[index]
        try:
            # The declared dimension would pad every row to its width (A1:XFD1048576 makes
            # each row 16,384 cells): rows are read as written, up to their last cell.
            sheet.reset_dimensions()
            empty = 0
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_SHEET_ROWS:
                    raise TableError(NOT_XLSX)
                if row:
                    yield number, _HiddenCells(row) if number in sheet.hidden_rows else row
                else:  # a row written without cells (a format), or missing: nothing to read
                    empty += 1
                    if empty > MAX_EMPTY_SHEET_ROWS:
                        raise TableError(TOO_MANY_EMPTY_ROWS)
        except TableError:
            raise
        except DefusedXmlException:
            raise TableError(XML_DECLARATIONS) from None
        except _UNREADABLE_XLSX:
            raise TableError(NOT_XLSX) from None

    def close(self):
        self.book.close()


# --- ODS ---------------------------------------------------------------------------------

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
_CELLS = {(_TABLE, "table-cell"), (_TABLE, "covered-table-cell")}
_PARAGRAPHS = {(_TEXT, "p"), (_TEXT, "h")}
_INTEGER = re.compile(r"[+-]?\d+")
_DURATION = re.compile(r"PT(\d+)H(\d+)M(\d+)(?:\.(\d{1,6})\d*)?S")


class _OdsBook:
    """An ODS (after `_check_zip`): its sheets' names (`content.xml`), the active one
    (`settings.xml`, else the first), and the rows of each, read one at a time from
    `content.xml`; a hidden or filtered row's cells as _HiddenCells, a formula without
    computed value as UNCOMPUTED. Its date origin (`table:null-date`) goes to
    `workbook["epoch"]`."""

    def __init__(self, data, *, workbook):
        _check_zip(data, NOT_ODS)
        self.workbook = workbook
        self.archive = zipfile.ZipFile(io.BytesIO(data))
        try:
            names = _OdsSheetNames()
            try:
                with closing(_sax(self.archive, "content.xml", names, NOT_ODS)) as chunks:
                    for _ in chunks:
                        pass
            except TableError:
                # A damage past the first sheet's start: its rows read before it come first,
                # and a limit reached among them wins (_ods_sheet_rows).
                if not names.names:
                    raise
            if not names.names:
                raise TableError(NOT_ODS)
            self.names = names.names
            wanted = _ods_active_sheet(self.archive)
            self.active = self.names.index(wanted) if wanted in self.names else 0
        except BaseException:
            self.archive.close()
            raise

    def lines(self, index):
        found = yield from _ods_sheet_rows(self.archive, self.names[index], self.workbook)
        if not found:
            raise TableError(NOT_ODS)

    def close(self):
        self.archive.close()


class _OdsSheetNames(ContentHandler):
    """The names of the sheets of an ODS `content.xml`, in order."""

    def __init__(self):
        super().__init__()
        self.names = []
        self._tables = 0

    def startElementNS(self, name, qname, attributes):
        if name == (_TABLE, "table"):
            self._tables += 1
            if self._tables == 1:
                self.names.append(attributes.get((_TABLE, "name")) or "")

    def endElementNS(self, name, qname):
        if name == (_TABLE, "table"):
            self._tables -= 1


def _ods_sheet_rows(archive, wanted, workbook):
    """Rows of the sheet named `wanted` (None: the first); returns whether it was found. The
    rows read before a damage in the file come before its refusal: a limit reached among
    them wins."""
    sheet = _OdsSheet(wanted)
    chunks = _sax(archive, "content.xml", sheet, NOT_ODS)
    try:
        while not sheet.done:
            try:
                fed = next(chunks, False)
            except TableError:
                yield from _ods_unfold(sheet.take())
                raise
            yield from _ods_unfold(sheet.take())
            if not fed:
                break
    finally:
        chunks.close()
    if sheet.null_date is not None:
        workbook["epoch"] = sheet.null_date
    return sheet.found


def _ods_unfold(taken):
    """(line, cells) of rows kept as (first line, runs, repetition, hidden)."""
    for number, runs, repetition, hidden in taken:
        cells = _ods_cells(runs)
        if hidden:
            cells = _HiddenCells(cells)
        for offset in range(repetition):
            yield number + offset, cells


def _ods_cells(runs):
    """The cells of a row from its runs (first column, value, repetition) of non-empty
    cells: the empty cells between them are filled, those after the last are not."""
    cells = []
    for column, value, repetition in runs:
        if column >= MAX_COLUMNS:
            break
        cells.extend([None] * (column - len(cells)))
        cells.extend([value] * min(repetition, MAX_COLUMNS - column))
    return cells


def _ods_active_sheet(archive):
    """The name of the sheet that LibreOffice opens on (`settings.xml`), or None."""
    if "settings.xml" not in archive.namelist():
        return None
    active = _OdsActiveSheet()
    with closing(_sax(archive, "settings.xml", active, NOT_ODS)) as chunks:
        for _ in chunks:
            if active.name is not None:
                break
    return active.name


def _sax(archive, member, handler, unreadable):
    """Feed `member` to `handler` through a defused SAX parser that refuses any DTD, one
    chunk at a time; yields True after each chunk so that the caller may take what was read."""
    parser = DefusedExpatParser(forbid_dtd=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(XML_CHUNK):
                parser.feed(chunk)
                yield True
        parser.close()
    except TableError:
        raise
    except DefusedXmlException:
        raise TableError(XML_DECLARATIONS) from None
    except (SAXException, KeyError, ValueError, *_UNREADABLE_MEMBER):
        raise TableError(unreadable) from None
    yield True


def _repetition(attributes, name, namespace=_TABLE):
    """A `number-…-repeated` (or `text:c`) attribute: a positive count, 1 when absent."""
    raw = attributes.get((namespace, name))
    return 1 if raw is None else max(1, int(raw))


class _OdsActiveSheet(ContentHandler):
    """Finds `ActiveTable` among the view settings of `settings.xml`."""

    def __init__(self):
        super().__init__()
        self.name = None
        self._text = None
        self._characters = 0

    def startElementNS(self, name, qname, attributes):
        if name == (_CONFIG, "config-item") and attributes.get((_CONFIG, "name")) == "ActiveTable":
            self._text = []

    def characters(self, content):
        if self._text is not None and self._characters < MAX_CELL_CHARACTERS:
            self._characters += len(content)
            self._text.append(content)

    def endElementNS(self, name, qname):
        if self._text is not None and name == (_CONFIG, "config-item"):
            self.name = "".join(self._text)
            self._text = None


class _OdsSheet(ContentHandler):
    """The rows of one sheet of an ODS `content.xml`, as the SAX events come. A row is kept
    as the runs of its non-empty cells (first column, value, repetition) with its own
    repetition: the millions of empty cells and rows that a spreadsheet repeats to its edges
    are counted, never unfolded. Annotations (comments) are not read."""

    def __init__(self, wanted):
        super().__init__()
        self.wanted = wanted
        self.found = False  # the sheet was met
        self.done = False  # and read to its end
        self._tables = 0  # table:table elements open (a cell may hold a table)
        self._reading = False
        self._line = 1
        self._taken = []
        self._runs = None  # of the row being read
        self._row_repetition = 1
        self._row_hidden = False
        self._column = 0
        self._cell = None  # attributes of the cell being read
        self._cell_depth = 0
        self._depth = 0
        self._paragraphs = []
        self._text = None  # pieces of the paragraph being read
        self._characters = 0
        self._annotations = 0
        self.null_date = None  # the origin of serial numbers, when the file gives it

    def take(self):
        """The rows read since the last call: (first line, runs, repetition)."""
        taken, self._taken = self._taken, []
        return taken

    def startElementNS(self, name, qname, attributes):
        self._depth += 1
        if name == (_TABLE, "null-date"):
            with suppress(ValueError):
                raw = attributes.get((_TABLE, "date-value")) or ""
                self.null_date = datetime.date.fromisoformat(raw[:10])
            return
        if name == (_TABLE, "table"):
            self._tables += 1
            if self._tables == 1 and not self.found:
                sheet = attributes.get((_TABLE, "name"))
                self._reading = self.wanted is None or sheet == self.wanted
                self.found = self._reading
            return
        if not self._reading or self._tables != 1:
            return
        if self._cell is None:
            if name == (_TABLE, "table-row"):
                self._runs, self._column = [], 0
                self._row_repetition = _repetition(attributes, "number-rows-repeated")
                self._row_hidden = attributes.get((_TABLE, "visibility")) in ("collapse", "filter")
            elif name in _CELLS and self._runs is not None:
                self._cell = dict(attributes)
                self._cell_depth = self._depth
                self._paragraphs, self._characters = [], 0
            return
        if name == (_OFFICE, "annotation"):
            self._annotations += 1
        elif self._annotations:
            return
        elif name in _PARAGRAPHS and self._depth == self._cell_depth + 1:
            self._text = []
        elif self._text is not None:
            if name == (_TEXT, "s"):
                count = _repetition(attributes, "c", _TEXT)
                self._add(" " * min(count, MAX_CELL_CHARACTERS + 1))
            elif name == (_TEXT, "tab"):
                self._add("\t")
            elif name == (_TEXT, "line-break"):
                self._add("\n")

    def characters(self, content):
        if self._text is not None and not self._annotations and self._tables == 1:
            self._add(content)

    def _add(self, text):
        self._characters += len(text)
        if self._characters > MAX_CELL_CHARACTERS:
            raise TableError(
                f"Ligne {self._line} : une cellule dépasse "
                f"{french_number(MAX_CELL_CHARACTERS)} caractères ; l'application ne lit pas "
                "de cellule aussi longue."
            )
        self._text.append(text)

    def endElementNS(self, name, qname):
        depth, self._depth = self._depth, self._depth - 1
        if name == (_TABLE, "table"):
            self._tables -= 1
            if self._tables == 0 and self._reading:
                self._reading, self.done = False, True
            return
        if not self._reading or self._tables != 1:
            return
        if self._cell is not None:
            if depth == self._cell_depth:
                self._end_cell()
            elif name == (_OFFICE, "annotation"):
                self._annotations -= 1
            elif self._text is not None and name in _PARAGRAPHS and depth == self._cell_depth + 1:
                self._paragraphs.append("".join(self._text))
                self._text = None
        elif name == (_TABLE, "table-row") and self._runs is not None:
            if self._runs:
                self._taken.append((self._line, self._runs, self._row_repetition, self._row_hidden))
            self._line += self._row_repetition
            self._runs = None

    def _end_cell(self):
        repetition = _repetition(self._cell, "number-columns-repeated")
        value = _ods_value(self._cell, "\n".join(self._paragraphs))
        if value in (None, "") and (_TABLE, "formula") in self._cell:
            value = UNCOMPUTED
        if value is not None and value != "":
            self._runs.append((self._column, value, repetition))
        self._column += repetition
        self._cell, self._text, self._annotations = None, None, 0


def _ods_value(attributes, text):
    """A cell's value: its number, date, time or boolean as the file stores it, else its
    text (what a formula last computed, for a formula cell)."""
    kind = attributes.get((_OFFICE, "value-type"))
    try:
        if kind in ("float", "percentage", "currency"):
            raw = attributes.get((_OFFICE, "value"))
            if raw is not None:
                return int(raw) if _INTEGER.fullmatch(raw) else float(raw)
        elif kind == "date":
            raw = attributes.get((_OFFICE, "date-value"))
            if raw is not None:
                if "T" in raw:
                    return datetime.datetime.fromisoformat(raw)
                return datetime.date.fromisoformat(raw)
        elif kind == "time":
            match = _DURATION.fullmatch(attributes.get((_OFFICE, "time-value")) or "")
            if match and int(match[1]) < 24:
                hours, minutes, seconds, fraction = match.groups()
                return datetime.time(
                    int(hours), int(minutes), int(seconds), int((fraction or "0").ljust(6, "0"))
                )
        elif kind == "boolean":
            return attributes.get((_OFFICE, "boolean-value")) in ("true", "1")
        elif kind == "string" and (_OFFICE, "string-value") in attributes:
            return attributes[(_OFFICE, "string-value")]
    except ValueError:
        pass
    return text


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
    """A copy of `dataset` with formula-looking texts neutralised; a sheet without a title is
    named « Données » (tablib would write « Tablib Dataset »), a title cut to Excel's 31
    characters, without the characters a sheet name cannot hold (`[]:*?/\\`)."""
    title = re.sub(r"[\[\]:*?/\\]", " ", dataset.title or "").strip()[:31].strip()
    safe = tablib.Dataset(headers=dataset.headers, title=title or "Données")
    for row in dataset:
        safe.append([neutralise("" if cell is None else cell) for cell in row])
    return safe


def csv_cell(value):
    """A cell as French Excel reads it back from a CSV: a float or a Decimal with a decimal
    comma and no thousands separator (12.5 -> « 12,5 », so that Excel takes it for a number),
    an integer plain, a date as 14/03/1986 and a date and time as 14/03/1986 09:30; anything
    else (texts already neutralised by `safe_dataset`) as it is."""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float | Decimal):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = f"{value:f}" if isinstance(value, Decimal) else repr(value)
        return text.replace(".", ",")
    if isinstance(value, datetime.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return f"{value:%d/%m/%Y}"
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return value


def csv_stream(headers, rows, *, chunk_rows=2_000):
    """The bytes of a CSV as French Excel opens them by a double click (UTF-8 with a BOM,
    `;` between columns, CRLF between rows, cells by `csv_cell`), as a generator of chunks of
    `chunk_rows` rows, so that a list of any length is sent without being held in memory.
    `rows` is an iterable of lists of cells whose texts are already neutralised (`neutralise`
    or `safe_dataset`); None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, cells in enumerate(rows, start=1):
        writer.writerow(["" if cell is None else csv_cell(cell) for cell in cells])
        if count % chunk_rows == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_csv(dataset):
    """The bytes of `dataset` as French Excel opens them by a double click (`csv_stream`):
    numbers with a decimal comma and dates as dd/mm/yyyy (`csv_cell`). Formula-looking texts
    are neutralised (`safe_dataset`); a negative number stays a number."""
    safe = safe_dataset(dataset)
    return b"".join(csv_stream(safe.headers, iter(safe)))


def write_xlsx(dataset):
    """The bytes of `dataset` as an XLSX workbook of one sheet, named by the dataset's title
    (« Données » without one): numbers, Decimals included, written as numbers, dates as dates,
    formula-looking texts neutralised."""
    return safe_dataset(dataset).export("xlsx")


EXPORT_FORMATS = {
    "csv": (write_csv, "text/csv; charset=utf-8", "csv"),
    "xlsx": (
        write_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
}
