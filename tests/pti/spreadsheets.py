"""Spreadsheets as a forger builds them, for the tests of what an upload may hold: an XLSX
or ODS written by the real libraries, then with members replaced or added by hand (a sheet
of 200,000 rows, a member that inflates a thousandfold, an XML entity declaration)."""

import io
import random
import zipfile

import openpyxl
import tablib

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
CONFIG_NS = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'office:version="1.2"'
)

# A column letter and the text of an inline cell, as Excel writes them.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def rewrite_zip(data, *, replace=None, add=()):
    """The zip `data` with some members replaced ({name: bytes}) and others added
    ((name, bytes) pairs), all deflated."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in add:
            archive.writestr(name, content)
    return buffer.getvalue()


# --- XLSX --------------------------------------------------------------------------------


def xlsx_bytes(rows):
    """A workbook as openpyxl writes it, with `rows` on its only sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cell_xml(column, row, value):
    reference = f"{LETTERS[column]}{row}"
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def row_xml(number, values):
    cells = "".join(cell_xml(column, number, value) for column, value in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(body, *, prologue="", dimension="A1"):
    """A worksheet part around `body` (rows), with an optional `prologue` before the root and
    the declared `dimension` (None: no <dimension> element, which the format allows)."""
    declared = f'<dimension ref="{dimension}"/>' if dimension is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prologue}'
        f'<worksheet xmlns="{SPREADSHEET_NS}">{declared}'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def xlsx_with_sheet(sheet, *, shared_strings=None, add=()):
    """An XLSX written by openpyxl whose first sheet is replaced by `sheet` (bytes), with a
    shared strings part when given, and other members added."""
    base = xlsx_bytes([["Nom"]])
    replace = {"xl/worksheets/sheet1.xml": sheet}
    members = list(add)
    if shared_strings is not None:
        source = zipfile.ZipFile(io.BytesIO(base))
        types = source.read("[Content_Types].xml").replace(
            b"</Types>",
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{SHARED_STRINGS_TYPE}"/></Types>'.encode(),
        )
        replace["[Content_Types].xml"] = types
        members.append(("xl/sharedStrings.xml", shared_strings))
    return rewrite_zip(base, replace=replace, add=members)


def shared_strings_xml(texts, *, prologue=""):
    items = "".join(f"<si><t>{text}</t></si>" for text in texts)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prologue}'
        f'<sst xmlns="{SPREADSHEET_NS}" count="{len(texts)}" uniqueCount="{len(texts)}">'
        f"{items}</sst>"
    ).encode()


def long_xlsx(rows, header=("Nom", "Ville"), *, declared=True):
    """An XLSX of `rows` data rows as a forger writes them: rows without their optional
    numbers, each a text and a digit drawn at random (seeded), so that deflate shrinks them
    about 80 times: 200,000 rows weigh about 170 KB. `declared=False` leaves out the sheet's
    <dimension>."""
    draw = random.Random(0)
    body = [row_xml(1, header)]
    body.extend(
        f'<row><c t="inlineStr"><is><t>Essai</t></is></c><c><v>{draw.randrange(3)}</v></c></row>'
        for _ in range(rows)
    )
    dimension = f"A1:B{rows + 1}" if declared else None
    return xlsx_with_sheet(sheet_xml("".join(body), dimension=dimension))


# --- ODS ---------------------------------------------------------------------------------


def ods_bytes(rows):
    """A workbook as tablib (odfpy) writes it: the first row gives the headers."""
    return tablib.Dataset(*rows[1:], headers=rows[0]).export("ods")


def ods_with_sheets(sheets, *, prologue="", active=None):
    """An ODS written by odfpy whose `content.xml` holds `sheets` ({name: rows}), and whose
    `settings.xml` says which sheet LibreOffice opens on when `active` is given."""
    tables = "".join(
        f'<table:table table:name="{name}">{body}</table:table>' for name, body in sheets.items()
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prologue}'
        f"<office:document-content {ODS_NAMESPACES}><office:body><office:spreadsheet>"
        f"{tables}</office:spreadsheet></office:body></office:document-content>"
    ).encode()
    add = []
    if active is not None:
        add.append(
            (
                "settings.xml",
                f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-settings '
                f'{ODS_NAMESPACES} xmlns:config="{CONFIG_NS}"><office:settings>'
                '<config:config-item-set config:name="ooo:view-settings">'
                '<config:config-item-map-indexed config:name="Views">'
                "<config:config-item-map-entry>"
                '<config:config-item config:name="ActiveTable" config:type="string">'
                f"{active}</config:config-item></config:config-item-map-entry>"
                "</config:config-item-map-indexed></config:config-item-set>"
                "</office:settings></office:document-settings>",
            )
        )
    return rewrite_zip(ods_bytes([["Nom"], ["x"]]), replace={"content.xml": content}, add=add)


def ods_with_content(body, *, prologue=""):
    """An ODS written by odfpy whose `content.xml` holds one sheet of `body` (rows)."""
    return ods_with_sheets({"Feuille1": body}, prologue=prologue)


def ods_cell(text="", *, repeated=1, attributes=""):
    repeat = f' table:number-columns-repeated="{repeated}"' if repeated != 1 else ""
    paragraph = f"<text:p>{text}</text:p>" if text else ""
    return f"<table:table-cell{repeat}{attributes}>{paragraph}</table:table-cell>"


def ods_row(*cells, repeated=1):
    repeat = f' table:number-rows-repeated="{repeated}"' if repeated != 1 else ""
    return f"<table:table-row{repeat}>{''.join(cells)}</table:table-row>"


def long_ods(rows, header=("Nom", "Ville")):
    """An ODS of `rows` data rows, each a text and a digit drawn at random (seeded), then the
    empty rows and columns that a spreadsheet repeats to its edges: 200,000 rows weigh about
    200 KB."""
    draw = random.Random(0)
    body = [ods_row(*(ods_cell(text) for text in header))]
    for _ in range(rows):
        digit = draw.randrange(3)
        number = f' office:value-type="float" office:value="{digit}"'
        body.append(ods_row(ods_cell("Essai"), ods_cell(str(digit), attributes=number)))
    body.append(ods_row(ods_cell(repeated=16_384), repeated=1_048_576 - rows - 1))
    return ods_with_content("".join(body))


# --- A member that inflates far past its size --------------------------------------------


def with_zeros_member(data, name, size, *, declared_size=None):
    """The zip `data` with a member `name` of `size` zero bytes (deflated as they are
    streamed, never held whole), whose central directory declares `declared_size` instead
    when given: a lie."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        chunk = bytes(1024 * 1024)
        with archive.open(name, "w") as member:
            for start in range(0, size, len(chunk)):
                member.write(chunk[: min(len(chunk), size - start)])
    forged = buffer.getvalue()
    if declared_size is None:
        return forged
    # The last entry of the central directory is `name`; its uncompressed size is at 24.
    entry = forged.rindex(b"PK\x01\x02")
    return forged[: entry + 24] + declared_size.to_bytes(4, "little") + forged[entry + 28 :]
