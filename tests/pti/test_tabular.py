"""Reading spreadsheets as French Excel writes them, and writing them back safely."""

import io
import zipfile

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from pti.tabular import (
    Table,
    TableError,
    map_headers,
    neutralise,
    read_table,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db

COLUMNS = {
    "Nom": ["nom de l'organisation", "raison sociale"],
    "Code postal": ["cp"],
    "Ville": ["commune"],
    "Téléphone": ["tel"],
}


def upload(name, data):
    return SimpleUploadedFile(name, data)


def csv_file(text, *, encoding="utf-8", name="organisations.csv"):
    return upload(name, text.encode(encoding))


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_back_xlsx(data):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


# --- Reading CSV -------------------------------------------------------------------------


def test_windows_1252_csv_with_semicolons_keeps_accents_apostrophes_and_euros():
    text = "Nom;Ville;Budget\r\nCCAS d’Étréchy;Saint-Étienne;12 000 €\r\n"

    table = read_table(csv_file(text, encoding="cp1252"))

    assert table.headers == ["Nom", "Ville", "Budget"]
    assert table.rows == [["CCAS d’Étréchy", "Saint-Étienne", "12 000 €"]]


def test_utf8_csv_with_bom_does_not_leak_the_bom_into_the_first_header():
    data = "\ufeffNom;Ville\r\nMission locale du Forez;Montbrison\r\n".encode()

    table = read_table(upload("organisations.csv", data))

    assert table.headers == ["Nom", "Ville"]
    assert table.rows == [["Mission locale du Forez", "Montbrison"]]


def test_comma_separated_csv_is_read_too():
    text = 'Nom,Ville\r\n"Dupont; Durand et associés",Feurs\r\nCAF de la Loire,Saint-Étienne\r\n'

    table = read_table(csv_file(text))

    assert table.headers == ["Nom", "Ville"]
    assert table.rows == [
        ["Dupont; Durand et associés", "Feurs"],
        ["CAF de la Loire", "Saint-Étienne"],
    ]


def test_semicolon_csv_with_commas_inside_values_keeps_its_columns():
    text = (
        "Nom;Adresse;Ville\r\n"
        "CCAS de Roanne;12, rue Jean Jaurès, bât. A;Roanne\r\n"
        "Mission locale;3, place de la Mairie;Feurs\r\n"
    )

    table = read_table(csv_file(text))

    assert table.rows[0] == ["CCAS de Roanne", "12, rue Jean Jaurès, bât. A", "Roanne"]
    assert table.rows[1] == ["Mission locale", "3, place de la Mairie", "Feurs"]


def test_blank_lines_are_skipped_but_rows_keep_their_file_line_numbers():
    text = (
        "Nom;Ville\r\n\r\nCCAS de Roanne;Roanne\r\n;\r\n  ;  \r\nCAF de la Loire;Saint-Étienne\r\n"
    )

    table = read_table(csv_file(text))

    assert table.rows == [["CCAS de Roanne", "Roanne"], ["CAF de la Loire", "Saint-Étienne"]]
    assert table.line_of(0) == 3
    assert table.line_of(1) == 6


def test_leading_and_trailing_spaces_are_trimmed_in_headers_and_cells():
    text = " Nom ; Ville \r\n  CCAS de Roanne  ;Roanne   \r\n"

    table = read_table(csv_file(text))

    assert table.headers == ["Nom", "Ville"]
    assert table.rows == [["CCAS de Roanne", "Roanne"]]


def test_short_rows_are_padded_and_extra_cells_dropped():
    text = "Nom;Ville\r\nCCAS de Roanne\r\nCAF;Saint-Étienne;en trop\r\n"

    table = read_table(csv_file(text))

    assert table.rows == [["CCAS de Roanne", ""], ["CAF", "Saint-Étienne"]]


def test_utf16_file_is_refused_with_a_french_explanation():
    data = "Nom;Ville\r\nCCAS de Roanne;Roanne\r\n".encode("utf-16")

    with pytest.raises(TableError) as error:
        read_table(upload("organisations.csv", data))

    assert "encodé en UTF-16" in str(error.value)
    assert "CSV UTF-8" in str(error.value)


def test_utf16_without_bom_is_refused_too():
    data = "Nom;Ville\r\nCCAS de Roanne;Roanne\r\n".encode("utf-16-le")

    with pytest.raises(TableError, match="UTF-16"):
        read_table(upload("organisations.csv", data))


def test_bom_announcing_utf8_with_windows_1252_bytes_is_refused():
    data = b"\xef\xbb\xbf" + "Nom\r\nÉtréchy\r\n".encode("cp1252")

    with pytest.raises(TableError, match="annonce l'encodage UTF-8"):
        read_table(upload("organisations.csv", data))


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b";;;\r\n;;\r\n"])
def test_empty_file_says_so(data):
    with pytest.raises(TableError) as error:
        read_table(upload("organisations.csv", data))

    assert str(error.value) == "Le fichier est vide."


def test_header_only_file_says_there_is_no_data():
    with pytest.raises(TableError) as error:
        read_table(csv_file("Nom;Ville\r\n\r\n"))

    assert str(error.value) == "Le fichier ne contient que la ligne des en-têtes, aucune donnée."


def test_unsupported_extension_is_refused_naming_the_file_and_the_formats():
    with pytest.raises(TableError) as error:
        read_table(upload("Organisations.PDF", b"%PDF-1.4 quelque chose"))

    message = str(error.value)
    assert message.startswith("Format non pris en charge")
    assert "organisations.pdf" in message
    assert ".csv, .xlsx ou .ods" in message


def test_file_over_20_mb_is_refused():
    data = b"Nom\r\n" + b"x" * (20 * 1024 * 1024)

    with pytest.raises(TableError, match="dépasse 20 Mo"):
        read_table(upload("organisations.csv", data))


# --- Reading XLSX and ODS ----------------------------------------------------------------


def test_real_xlsx_is_read_with_numbers_blank_rows_and_line_numbers():
    data = xlsx_bytes(
        [
            ["Nom", "Code postal", "SIRET"],
            ["  CCAS de Roanne ", "42300", 21420187700011],
            [None, None, None],
            ["CAF de la Loire", None, None],
        ]
    )

    table = read_table(upload("organisations.xlsx", data))

    assert table.headers == ["Nom", "Code postal", "SIRET"]
    assert table.rows == [
        ["CCAS de Roanne", "42300", 21420187700011],
        ["CAF de la Loire", "", ""],
    ]
    assert table.line_numbers == [2, 4]


@pytest.mark.parametrize(
    "data",
    [b"ceci n'est pas un classeur", b"PK\x03\x04tronque", "zip-without-workbook"],
    ids=["text", "truncated-zip", "zip-without-workbook"],
)
def test_corrupt_xlsx_is_refused_in_french(data):
    if data == "zip-without-workbook":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("lisez-moi.txt", "rien")
        data = buffer.getvalue()

    with pytest.raises(TableError) as error:
        read_table(upload("organisations.xlsx", data))

    assert str(error.value) == "Ce fichier n'est pas un classeur Excel (.xlsx) lisible."


def test_ods_built_with_tablib_is_read():
    dataset = tablib.Dataset(
        ["CCAS de Roanne", "Roanne"],
        ["Mission locale du Forez", "Montbrison"],
        headers=["Nom", "Ville"],
    )

    table = read_table(upload("organisations.ods", dataset.export("ods")))

    assert table.headers == ["Nom", "Ville"]
    assert table.rows == [["CCAS de Roanne", "Roanne"], ["Mission locale du Forez", "Montbrison"]]
    assert table.line_numbers == [2, 3]


def test_corrupt_ods_is_refused_in_french():
    with pytest.raises(TableError) as error:
        read_table(upload("organisations.ods", b"pas un classeur"))

    assert str(error.value) == "Ce fichier n'est pas un classeur OpenDocument (.ods) lisible."


# --- Matching headers --------------------------------------------------------------------


def test_headers_match_whatever_case_accents_and_punctuation():
    table = Table(
        headers=["NOM", "CODE POSTAL", "ville", "telephone", "Inconnue"],
        rows=[["CCAS de Roanne", "42300", "Roanne", "04 77 00 00 00", "ignorée"]],
        line_numbers=[2],
    )

    dataset = map_headers(table, COLUMNS, required=["Nom"])

    assert dataset.headers == ["Nom", "Code postal", "Ville", "Téléphone"]
    assert list(dataset[0]) == ["CCAS de Roanne", "42300", "Roanne", "04 77 00 00 00"]


def test_headers_match_their_aliases():
    table = Table(
        headers=["Raison sociale", "CP", "Commune", "Tél."],
        rows=[["CAF de la Loire", "42000", "Saint-Étienne", "3230"]],
        line_numbers=[2],
    )

    dataset = map_headers(table, COLUMNS, required=["Nom", "Code postal"])

    assert dataset.headers == ["Nom", "Code postal", "Ville", "Téléphone"]
    assert dataset.dict == [
        {
            "Nom": "CAF de la Loire",
            "Code postal": "42000",
            "Ville": "Saint-Étienne",
            "Téléphone": "3230",
        }
    ]


def test_missing_required_column_is_named_with_the_columns_found():
    table = Table(headers=["Ville", "Adresse"], rows=[["Roanne", "1 rue X"]], line_numbers=[2])

    with pytest.raises(TableError) as error:
        map_headers(table, COLUMNS, required=["Nom"])

    assert str(error.value) == (
        "Colonne obligatoire absente : « Nom ». Colonnes trouvées : « Ville », « Adresse »."
    )


def test_several_missing_required_columns_are_all_named_in_the_plural():
    table = Table(headers=["Adresse"], rows=[["1 rue X"]], line_numbers=[2])

    with pytest.raises(TableError) as error:
        map_headers(table, COLUMNS, required=["Nom", "Code postal"])

    assert str(error.value).startswith("Colonnes obligatoires absentes : « Nom », « Code postal ».")


# --- Writing -----------------------------------------------------------------------------


def sample_dataset():
    return tablib.Dataset(
        ["CCAS d’Étréchy", "42300", 12],
        ['=HYPERLINK("http://x")', "+33 4 77 00 00 00", -5],
        ["-1+2", "@SUM(A1)", 3.5],
        headers=["Nom", "Téléphone", "Nombre"],
    )


def test_write_csv_starts_with_bom_uses_semicolons_and_crlf():
    data = write_csv(sample_dataset())

    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == "Nom;Téléphone;Nombre"
    assert lines[1] == "CCAS d’Étréchy;42300;12"
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_write_csv_neutralises_formulas_but_not_numbers():
    lines = write_csv(sample_dataset())[3:].decode("utf-8").split("\r\n")

    assert lines[2] == '"\'=HYPERLINK(""http://x"")";\'+33 4 77 00 00 00;-5'
    assert lines[3] == "'-1+2;'@SUM(A1);3,5"


def test_write_csv_round_trips_through_read_table():
    dataset = tablib.Dataset(
        ["CCAS d’Étréchy", "Saint-Étienne", "12 000 €"],
        ["Dupont; Durand", "", "3"],
        headers=["Nom", "Ville", "Budget"],
    )

    table = read_table(upload("export.csv", write_csv(dataset)))

    assert table.headers == ["Nom", "Ville", "Budget"]
    assert table.rows == [
        ["CCAS d’Étréchy", "Saint-Étienne", "12 000 €"],
        ["Dupont; Durand", "", "3"],
    ]


def test_write_xlsx_neutralises_formulas_and_keeps_numbers():
    rows = read_back_xlsx(write_xlsx(sample_dataset()))

    assert rows[0] == ["Nom", "Téléphone", "Nombre"]
    assert rows[1] == ["CCAS d’Étréchy", "42300", 12]
    assert rows[2] == ['\'=HYPERLINK("http://x")', "'+33 4 77 00 00 00", -5]
    assert rows[3] == ["'-1+2", "'@SUM(A1)", 3.5]


def test_write_xlsx_writes_no_formula_cell():
    workbook = openpyxl.load_workbook(io.BytesIO(write_xlsx(sample_dataset())))

    data_types = {cell.data_type for row in workbook.active.iter_rows() for cell in row}
    assert "f" not in data_types


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 4 77", "'+33 4 77"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("CCAS de Roanne", "CCAS de Roanne"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize(
    ("writer", "name"), [(write_csv, "export.csv"), (write_xlsx, "export.xlsx")]
)
def test_neutralised_cells_read_back_as_they_were_before_the_export(writer, name):
    table = read_table(upload(name, writer(sample_dataset())))

    assert table.rows[1][:2] == ['=HYPERLINK("http://x")', "+33 4 77 00 00 00"]
    assert table.rows[2][:2] == ["-1+2", "@SUM(A1)"]


def test_an_apostrophe_before_ordinary_text_is_kept():
    table = read_table(csv_file("Nom;Sigle\r\n'Les Amis';'t Hooft\r\n"))

    assert table.rows == [["'Les Amis'", "'t Hooft"]]


def test_write_xlsx_names_an_untitled_sheet_in_french():
    workbook = openpyxl.load_workbook(io.BytesIO(write_xlsx(tablib.Dataset(headers=["Nom"]))))

    assert workbook.sheetnames == ["Données"]
