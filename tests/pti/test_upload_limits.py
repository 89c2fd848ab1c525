"""What an uploaded spreadsheet may hold: a file is refused by its size and shape before it
can hold a worker, with a French message (pti/tabular.py). The hostile files are built here
as a forger builds them (tests/pti/spreadsheets.py); each test says what the user reads and
checks that the refusal came without reading the whole file: the reader stops at the row
past the limit (rows after it are damaged and never met) and the memory it took stays small
(tracemalloc), never the time, which depends on the machine."""

import datetime
import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from beneficiaries.models import Beneficiary, Household
from pti.enums import RunStatus
from pti.models import TaskRun
from pti.tabular import (
    NOT_ODS,
    NOT_XLSX,
    TOO_MANY_EMPTY_ROWS,
    TOO_WIDE,
    XML_DECLARATIONS,
    TableError,
    TooManyRows,
    parse_table,
    read_table,
)
from tests.import_pages import form_errors, page, run_of, run_page, send
from tests.pti.factories import UserFactory
from tests.pti.spreadsheets import (
    long_ods,
    long_xlsx,
    ods_cell,
    ods_row,
    ods_with_content,
    ods_with_sheets,
    rewrite_zip,
    row_xml,
    shared_strings_xml,
    sheet_xml,
    with_zeros_member,
    xlsx_bytes,
    xlsx_with_sheet,
)

MB = 1024 * 1024
# A refusal traces about 4 MB here (the zip's buffers, one chunk at a time); reading the whole
# 200,000-row XLSX traces 50 MB, and the bombs would take what they inflate to.
REFUSAL_MEMORY = 8 * MB


def refusal(name, data, **limits):
    """The TableError that parse_table raises on `data`, and the peak memory it traced."""
    tracemalloc.start()
    try:
        with pytest.raises(TableError) as error:
            parse_table(name, data, **limits)
        return error.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def too_many_rows(limit):
    number = f"{limit:,}".replace(",", "\u202f")
    return (
        f"Le fichier compte plus de {number} lignes : l'application en lit {number} au plus "
        "par fichier. Découpez-le en plusieurs fichiers."
    )


# --- Rows: counted while reading, the reading stops at the row past the limit ------------


def test_xlsx_of_200000_rows_in_170_kb_is_refused_at_the_row_past_the_limit():
    data = long_xlsx(200_000)
    assert len(data) < 200_000

    error, peak = refusal("liste.xlsx", data, max_rows=1_000)

    assert isinstance(error, TooManyRows)
    assert error.limit == 1_000
    assert str(error) == too_many_rows(1_000)
    assert peak < REFUSAL_MEMORY


def test_an_xlsx_that_declares_no_size_is_read_row_by_row_too():
    """Without a <dimension>, the sheet is not parsed whole to find its size before the first
    row is read (a 1.6 MB file of empty rows once took 142 s and 3.1 GB)."""
    data = long_xlsx(200_000, declared=False)

    error, peak = refusal("liste.xlsx", data, max_rows=1_000)

    assert isinstance(error, TooManyRows)
    assert peak < REFUSAL_MEMORY


def test_rows_of_an_undeclared_sheet_past_the_limit_are_never_read():
    body = "".join(row_xml(number, ["Essai", number]) for number in range(1, 1_003))
    sheet = sheet_xml(body + "<row><<< abîmé", dimension=None)

    error, _ = refusal("liste.xlsx", xlsx_with_sheet(sheet), max_rows=1_000)

    assert isinstance(error, TooManyRows)


def test_an_xlsx_of_formatted_empty_rows_is_refused_once_past_their_allowance():
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>Nom</t></is></c></row>'
    empty = "".join(f'<row r="{number}" s="1" customFormat="1"/>' for number in range(2, 60_002))
    data = xlsx_with_sheet(sheet_xml(header + empty, dimension=None))

    error, peak = refusal("liste.xlsx", data, max_rows=1_000)

    assert str(error) == TOO_MANY_EMPTY_ROWS
    # openpyxl keeps each formatted row's attributes while it reads: bounded by the allowance.
    assert peak < 4 * REFUSAL_MEMORY


def test_an_xlsx_of_rows_of_empty_cells_is_refused_as_empty_rows_not_as_too_wide():
    """Empty cells rather than formatted rows: the user reads what the file holds."""
    header = row_xml(1, ["Nom", "Ville"]) + row_xml(2, ["Essai", "Roanne"])
    empty = "".join(
        f'<row r="{number}"><c r="A{number}"/><c r="B{number}"/></row>'
        for number in range(3, 50_004)
    )
    data = xlsx_with_sheet(sheet_xml(header + empty + "<row><<< abîmé", dimension=None))

    error, _ = refusal("liste.xlsx", data, max_rows=5_000)

    assert str(error) == TOO_MANY_EMPTY_ROWS  # refused before the damaged end


def test_a_csv_of_separators_only_is_refused_as_empty_rows():
    text = "Nom;Ville\r\nEssai;Roanne\r\n" + ";\r\n" * 50_001

    error, _ = refusal("liste.csv", text.encode(), max_rows=5_000)

    assert str(error) == TOO_MANY_EMPTY_ROWS


def test_fewer_empty_rows_than_the_allowance_are_skipped():
    text = "Nom;Ville\r\n" + ";\r\n" * 49_000 + "Essai;Roanne\r\n"

    table = parse_table("liste.csv", text.encode(), max_rows=5_000)

    assert table.rows == [["Essai", "Roanne"]]
    assert table.line_numbers == [49_002]


def damaged_after(rows, extension):
    """A sheet of a header and `rows` data rows, then XML that no parser reads."""
    if extension == "xlsx":
        body = "".join(row_xml(number, ["Essai", number]) for number in range(1, rows + 2))
        sheet = sheet_xml(body + '<row r="999"><c r="A999"><v>1</v></c></row><<< abîmé')
        return xlsx_with_sheet(sheet)
    content = "".join(ods_row(ods_cell("Essai"), ods_cell(str(n))) for n in range(rows + 1))
    return ods_with_content(content + "<table:table-row><<< abîmé")


@pytest.mark.parametrize(("extension", "damage"), [("xlsx", NOT_XLSX), ("ods", NOT_ODS)])
def test_rows_past_the_limit_are_never_read(extension, damage):
    data = damaged_after(1_001, extension)

    # The 1,001st data row stops the reading: the damage after it is never met...
    with pytest.raises(TooManyRows) as error:
        parse_table(f"liste.{extension}", data, max_rows=1_000)
    assert str(error.value) == too_many_rows(1_000)

    # ...which a reader allowed one more row meets.
    with pytest.raises(TableError) as error:
        parse_table(f"liste.{extension}", data, max_rows=1_001)
    assert str(error.value) == damage


def test_csv_over_the_row_cap_is_refused_naming_it_and_not_read_past_it(settings):
    settings.PTI_IMPORT_MAX_ROWS = 1_000
    lines = ["Nom;Ville"] + [f"Essai {n};Feurs" for n in range(1_001)]
    # Past the limit, a cell longer than the csv module reads: met, it refuses the file.
    data = ("\r\n".join(lines) + '\r\n"' + "x" * 200_000 + '";Feurs\r\n').encode("cp1252")

    error, _ = refusal("liste.csv", data)

    assert str(error) == too_many_rows(1_000)
    settings.PTI_IMPORT_MAX_ROWS = 2_000
    with pytest.raises(TableError) as error:
        parse_table("liste.csv", data)
    assert str(error.value) == (
        "Ligne 1003 : une cellule est illisible ou dépasse 131\u202f072 caractères ; "
        "vérifiez que le fichier est bien un CSV."
    )


def test_a_page_limit_lower_than_the_settings_is_the_one_named():
    data = ("Nom\r\n" + "Essai\r\n" * 11).encode()

    with pytest.raises(TooManyRows) as error:
        parse_table("liste.csv", data, max_rows=10)

    assert error.value.limit == 10
    assert parse_table("liste.csv", data, max_rows=11).line_numbers[-1] == 12


def test_the_settings_cap_a_larger_page_limit(settings):
    settings.PTI_IMPORT_MAX_ROWS = 5
    data = ("Nom\r\n" + "Essai\r\n" * 6).encode()

    with pytest.raises(TooManyRows) as error:
        parse_table("liste.csv", data, max_rows=1_000)

    assert error.value.limit == 5
    assert str(error.value) == too_many_rows(5)


# --- ODS: repeated rows and cells counted, never unfolded --------------------------------


def test_ods_of_200000_rows_and_a_million_repeated_empty_rows_is_refused_at_the_limit():
    data = long_ods(200_000)
    assert len(data) < 400_000

    error, peak = refusal("liste.ods", data, max_rows=1_000)

    assert str(error) == too_many_rows(1_000)
    assert peak < REFUSAL_MEMORY


def test_ods_repeated_rows_and_cells_are_read_where_they_stand_without_unfolding_the_edges():
    data = ods_with_content(
        ods_row(ods_cell("Rôle"), ods_cell("Nom"), ods_cell("Ville"))
        + ods_row(ods_cell(repeated=1_024), repeated=3)  # three empty rows
        + ods_row(ods_cell("DEM", repeated=2), ods_cell("Feurs"))
        # An empty cell repeated a million times, then a value past the last column: ignored.
        + ods_row(ods_cell("CJT"), ods_cell(repeated=1_000_000), ods_cell("loin"))
        # The edges as LibreOffice writes them: empty to the 16,384th column, 1,048,576th row.
        + ods_row(ods_cell(repeated=16_384), repeated=1_048_570)
    )

    tracemalloc.start()
    try:
        table = parse_table("liste.ods", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert table.headers == ["Rôle", "Nom", "Ville"]
    assert table.rows == [["DEM", "DEM", "Feurs"], ["CJT", "", ""]]
    assert table.line_numbers == [5, 6]
    assert peak < REFUSAL_MEMORY


def test_ods_row_repeated_a_million_times_stops_at_the_row_past_the_limit(settings):
    settings.PTI_IMPORT_MAX_ROWS = 1_000
    data = ods_with_content(
        ods_row(ods_cell("Nom"), ods_cell("Ville"))
        + ods_row(ods_cell("Essai"), ods_cell("Feurs"), repeated=1_000_000)
    )

    error, peak = refusal("liste.ods", data)

    assert str(error) == too_many_rows(1_000)
    assert peak < REFUSAL_MEMORY


def test_ods_cell_repeated_to_the_last_column_on_a_million_rows_is_refused_as_too_wide():
    data = ods_with_content(
        ods_row(ods_cell("Nom"), ods_cell("Ville"))
        + ods_row(ods_cell("Essai"), ods_cell("Feurs", repeated=100_000), repeated=1_000_000)
    )

    error, peak = refusal("liste.ods", data)

    assert str(error) == (
        "Le fichier est trop large : plus de 64 cellules par ligne en moyenne, cases vides "
        "comprises. Supprimez les colonnes inutiles ou découpez-le en plusieurs fichiers."
    )
    assert peak < REFUSAL_MEMORY


def test_ods_cell_of_a_billion_spaces_is_refused_before_they_are_written():
    data = ods_with_content(
        ods_row(ods_cell("Nom")) + ods_row(ods_cell('a<text:s text:c="1000000000"/>b'))
    )

    error, peak = refusal("liste.ods", data)

    assert str(error) == (
        "Ligne 2 : une cellule dépasse 131\u202f072 caractères ; l'application ne lit pas de "
        "cellule aussi longue."
    )
    assert peak < REFUSAL_MEMORY


def test_ods_values_are_read_as_libreoffice_stores_them():
    def typed(kind, text, **values):
        attributes = f' office:value-type="{kind}"' + "".join(
            f' office:{name.replace("_", "-")}="{value}"' for name, value in values.items()
        )
        return ods_cell(text, attributes=attributes)

    data = ods_with_content(
        ods_row(*(ods_cell(header) for header in ["N° CAF", "Taux", "Montant", "Né le"]))
        + ods_row(
            typed("float", "3 000 001", value="3000001"),
            typed("percentage", "50 %", value="0.5"),
            typed("currency", "12,50 €", value="12.5"),
            typed("date", "02/01/1980", date_value="1980-01-02"),
        )
        + ods_row(
            # A formula's last value; a text with spaces kept by <text:s/>; a comment, unread.
            ods_cell(
                "8",
                attributes=' table:formula="of:=[.A2]+1" office:value-type="float" '
                'office:value="8"',
            ),
            ods_cell('CCAS<text:s text:c="2"/>de Roanne'),
            '<table:table-cell office:value-type="boolean" office:boolean-value="true">'
            "<text:p>VRAI</text:p></table:table-cell>",
            '<table:table-cell office:value-type="date" office:date-value="2026-01-02T10:30:00">'
            "<office:annotation><text:p>note privée</text:p></office:annotation>"
            "<text:p>02/01/2026 10:30</text:p></table:table-cell>",
        )
        + ods_row(
            '<table:table-cell office:value-type="time" office:time-value="PT09H15M00S">'
            "<text:p>09:15</text:p></table:table-cell>",
            "<table:table-cell><text:p>Ligne 1</text:p><text:p>Ligne 2</text:p></table:table-cell>",
        )
    )

    table = parse_table("liste.ods", data)

    assert table.rows == [
        [3000001, 0.5, 12.5, datetime.date(1980, 1, 2)],
        [8, "CCAS  de Roanne", True, datetime.datetime(2026, 1, 2, 10, 30)],
        [datetime.time(9, 15), "Ligne 1\nLigne 2", "", ""],
    ]


def test_ods_sheet_read_is_the_one_libreoffice_opens_on():
    sheets = {
        "Notes": ods_row(ods_cell("Brouillon")) + ods_row(ods_cell("à ne pas importer")),
        "Liste": ods_row(ods_cell("Nom")) + ods_row(ods_cell("Essai")),
    }

    assert parse_table("liste.ods", ods_with_sheets(sheets, active="Liste")).rows == [["Essai"]]
    assert parse_table("liste.ods", ods_with_sheets(sheets)).rows == [["à ne pas importer"]]
    assert parse_table("liste.ods", ods_with_sheets(sheets, active="Effacée")).headers == [
        "Brouillon"
    ]


# --- XLSX: what openpyxl would pad or load whole -----------------------------------------


def test_xlsx_declaring_a_sheet_of_16384_columns_reads_its_rows_as_written():
    # openpyxl would pad each row to the declared width: 16,384 cells for 2 written.
    body = row_xml(1, ["Nom", "Ville"]) + "".join(
        row_xml(number, ["Essai", number]) for number in range(2, 1_002)
    )
    data = xlsx_with_sheet(sheet_xml(body, dimension="A1:XFD1048576"))

    tracemalloc.start()
    try:
        table = parse_table("liste.xlsx", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert len(table.rows) == 1_000
    assert table.rows[-1] == ["Essai", 1_001]
    assert peak < REFUSAL_MEMORY


def test_xlsx_rows_reaching_the_last_column_are_refused_as_too_wide():
    body = row_xml(1, ["Nom", "Ville"]) + "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Essai</t></is></c>'
        f'<c r="XFD{n}"><v>1</v></c></row>'
        for n in range(2, 2_002)
    )
    data = xlsx_with_sheet(sheet_xml(body))

    error, peak = refusal("liste.xlsx", data, max_rows=1_000)

    assert str(error) == (
        "Le fichier est trop large : plus de 64 cellules par ligne en moyenne, cases vides "
        "comprises. Supprimez les colonnes inutiles ou découpez-le en plusieurs fichiers."
    )
    assert peak < REFUSAL_MEMORY


def test_xlsx_row_numbered_past_the_last_row_of_a_sheet_is_refused():
    body = (
        row_xml(1, ["Nom"])
        + row_xml(2, ["Essai"])
        + '<row r="2000000000"><c t="inlineStr"><is><t>loin</t></is></c></row>'
    )
    data = xlsx_with_sheet(sheet_xml(body))

    with pytest.raises(TableError) as error:
        parse_table("liste.xlsx", data)

    # The two billion rows before it are empty: refused long before them.
    assert str(error.value) == TOO_MANY_EMPTY_ROWS


def test_xlsx_with_more_shared_texts_than_cells_allowed_is_refused_before_loading_them():
    texts = [f"Texte {n}" for n in range(100_000)]
    body = row_xml(1, ["Nom"]) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    data = xlsx_with_sheet(sheet_xml(body), shared_strings=shared_strings_xml(texts))
    assert parse_table("liste.xlsx", data).rows == [["Texte 0"]]

    error, peak = refusal("liste.xlsx", data, max_rows=1_000)

    assert str(error) == TOO_WIDE
    assert peak < REFUSAL_MEMORY


# --- Zip: members counted, sizes added up, ratios judged, inflation watched ---------------


def a_workbook(extension):
    if extension == "xlsx":
        return xlsx_bytes([["Nom"], ["Essai"]])
    return ods_with_content(ods_row(ods_cell("Nom")) + ods_row(ods_cell("Essai")))


@pytest.mark.parametrize("extension", ["xlsx", "ods"])
def test_member_declaring_300_mb_is_refused_by_its_declared_size_without_inflating(extension):
    data = with_zeros_member(a_workbook(extension), "media/image1.png", 300 * MB)
    assert len(data) < 400_000

    error, peak = refusal(f"liste.{extension}", data)

    assert str(error) == (
        "Ce classeur occuperait 300 Mo une fois décompressé : l'application en lit 200 Mo au "
        "plus. Découpez-le en plusieurs fichiers."
    )
    assert peak < REFUSAL_MEMORY


def test_the_uncompressed_limit_is_a_setting(settings):
    settings.PTI_IMPORT_MAX_UNCOMPRESSED_BYTES = 1 * MB
    data = rewrite_zip(a_workbook("xlsx"), add=[("docProps/notes.xml", b"<n/>" * 300_000)])

    error, _ = refusal("liste.xlsx", data)

    assert str(error) == (
        "Ce classeur occuperait 1,2 Mo une fois décompressé : l'application en lit 1 Mo au "
        "plus. Découpez-le en plusieurs fichiers."
    )


def test_member_that_lies_about_its_size_is_refused_once_inflated_past_it():
    # 50 MB of zeros declaring 1 KB: neither the sum nor the ratio of the declared sizes
    # betrays it; the inflation stops at the declared size and the file is refused.
    data = with_zeros_member(a_workbook("xlsx"), "xl/media/image1.png", 50 * MB, declared_size=1024)

    error, peak = refusal("liste.xlsx", data)

    assert str(error) == NOT_XLSX
    assert peak < REFUSAL_MEMORY


def test_member_compressed_a_thousandfold_is_refused():
    data = with_zeros_member(a_workbook("xlsx"), "xl/media/image1.png", 50 * MB)

    error, peak = refusal("liste.xlsx", data)

    assert str(error) == (
        "Ce classeur est anormalement compressé (un de ses éléments grossit plus de 500 fois à "
        "la décompression) : l'application ne le lit pas. Enregistrez-le de nouveau depuis "
        "votre tableur, ou envoyez un CSV."
    )
    assert peak < REFUSAL_MEMORY


@pytest.mark.parametrize("extension", ["xlsx", "ods"])
def test_archive_of_too_many_members_is_refused(extension):
    data = rewrite_zip(
        a_workbook(extension), add=[(f"docProps/part{n}.xml", b"<p/>") for n in range(1_000)]
    )

    error, _ = refusal(f"liste.{extension}", data)

    assert str(error) == (
        "Ce classeur est une archive de plus de 1\u202f000 éléments : l'application ne le lit "
        "pas. Enregistrez-le de nouveau depuis votre tableur, ou envoyez un CSV."
    )


# --- XML entities: refused in French, never expanded nor fetched --------------------------

# Ten times ten times... the word "lol": a billion of them, 3 GB, from 1 KB of XML.
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>\n"
)


def laughing_xlsx(part):
    """An XLSX whose `part` declares the billion laughs and uses them: the sheet (read by
    openpyxl through defusedxml) or the workbook (read through lxml, whose own refusal of the
    expansion used to escape as an error 500)."""
    if part == "sheet":
        sheet = sheet_xml(
            row_xml(1, ["Nom"])
            + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
            prologue=BILLION_LAUGHS,
        )
        return xlsx_with_sheet(sheet)
    base = xlsx_bytes([["Nom"], ["Essai"]])
    workbook = zipfile.ZipFile(io.BytesIO(base)).read("xl/workbook.xml").decode()
    workbook = BILLION_LAUGHS + workbook.replace('name="Sheet"', 'name="&lol9;"')
    return rewrite_zip(base, replace={"xl/workbook.xml": workbook.encode()})


@pytest.mark.parametrize("part", ["sheet", "workbook"])
def test_xlsx_with_a_billion_laughs_is_refused_in_french(part):
    error, peak = refusal("liste.xlsx", laughing_xlsx(part))

    assert str(error) == (
        "Ce classeur contient des déclarations XML que l'application refuse (DTD ou entités) : "
        "ouvrez-le dans votre tableur, enregistrez-le sous un autre nom, puis envoyez ce "
        "nouveau fichier."
    )
    assert peak < REFUSAL_MEMORY


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16"])
def test_xlsx_with_an_external_entity_to_a_file_is_refused_without_reading_it(tmp_path, encoding):
    secret = tmp_path / "secret.txt"
    secret.write_text("contenu-confidentiel")
    prologue = f'<!DOCTYPE sst [<!ENTITY secret SYSTEM "file://{secret}">]>\n'
    shared = shared_strings_xml(["&secret;"], prologue=prologue)
    if encoding == "UTF-16":
        shared = shared.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    sheet = sheet_xml(row_xml(1, ["Nom"]) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>')

    error, _ = refusal("liste.xlsx", xlsx_with_sheet(sheet, shared_strings=shared))

    assert str(error) == XML_DECLARATIONS
    assert "confidentiel" not in str(error)


def test_ods_with_a_billion_laughs_is_refused_in_french():
    data = ods_with_content(
        ods_row(ods_cell("Nom")) + ods_row(ods_cell("&lol9;")), prologue=BILLION_LAUGHS
    )

    error, peak = refusal("liste.ods", data)

    assert str(error) == XML_DECLARATIONS
    assert peak < REFUSAL_MEMORY


def test_svg_picture_with_its_dtd_does_not_refuse_the_workbook():
    svg = (
        b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>'
    )
    data = rewrite_zip(a_workbook("xlsx"), add=[("xl/media/logo.svg", svg)])

    assert parse_table("liste.xlsx", data).rows == [["Essai"]]


# --- The upload's own size ---------------------------------------------------------------


def test_file_over_the_upload_limit_is_refused_before_it_is_read(settings):
    settings.PTI_IMPORT_MAX_BYTES = 1 * MB
    upload = SimpleUploadedFile("liste.csv", b"Nom\r\n" + b"Essai\r\n" * (MB // 7 + 1))

    with pytest.raises(TableError) as error:
        read_table(upload)

    assert str(error.value) == "Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers."
    assert upload.tell() == 0


# --- Through the real import page --------------------------------------------------------

IMPORT_URL = reverse("beneficiaries:import")
PEOPLE_HEADER = ("Civilité", "Prénom bénéficiaire", "Nom bénéficiaire", "Date de Naissance")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pilot_client(client_as):
    return client_as(UserFactory(pilot=True))


@pytest.mark.django_db
def test_people_page_refuses_a_200000_row_xlsx_past_the_settings_limit_in_the_worker(
    pilot_client, settings
):
    # The page takes any number of rows up to PTI_IMPORT_MAX_ROWS: lowered here, so that the
    # worker's refusal comes at the 1,001st row of the 200,000.
    settings.PTI_IMPORT_MAX_ROWS = 1_000
    upload = SimpleUploadedFile("liste.xlsx", long_xlsx(200_000, header=PEOPLE_HEADER))

    run = run_of(send(pilot_client, IMPORT_URL, upload))

    assert run.status == RunStatus.FAILED
    assert run.error == (
        "Le fichier compte plus de 1\u202f000 lignes : l'application en lit 1\u202f000 au plus "
        "par fichier. Découpez-le en plusieurs fichiers. Rien n'a été enregistré."
    )
    assert run.error in page(run_page(pilot_client, run))
    assert not Beneficiary.objects.exists()
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_people_page_refuses_a_file_over_the_upload_limit(pilot_client, media_root, settings):
    settings.PTI_IMPORT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("liste.csv", ";".join(PEOPLE_HEADER).encode() + b"\r\n" * 1024)

    response = send(pilot_client, IMPORT_URL, upload)

    assert response.status_code == 422
    assert form_errors(response) == [
        "Fichier à importer : Le fichier dépasse 1 ko : découpez-le en plusieurs fichiers."
    ]
    assert not TaskRun.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.csv"))
