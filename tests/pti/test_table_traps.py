"""Traps of real files in the reading layer (pti/tabular.py), and the same files through the
real import: a quote that never closes (the rows after it must not vanish into one cell),
workbooks whose data are not where a program expects them (title rows above the header,
the data on another sheet), hidden or filtered rows, formulas never computed."""

import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from beneficiaries.models import Beneficiary
from beneficiaries.resources import people_import_spec
from pti.enums import RunStatus
from pti.tabular import TableError, parse_table
from tests.import_pages import confirm, page, run_of, run_page, send
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory
from tests.pti.spreadsheets import ods_cell, ods_row, ods_with_sheets

FILES = Path(__file__).resolve().parent.parent / "beneficiaries" / "files"
HEADER = "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Adresse;Rôle"
IMPORT_URL = reverse("beneficiaries:import")


def csv_table(*lines, name="liste.csv"):
    return parse_table(name, ("\r\n".join(lines) + "\r\n").encode("utf-8"))


# --- CSV: a quote that never closes -------------------------------------------------------


def test_the_case_file_line_3_is_refused_and_the_others_read_right():
    table = parse_table("liste.csv", (FILES / "unbalanced-quote-list.csv").read_bytes())

    assert table.line_numbers == [2, 4, 5]
    # Line 2: `;` inside properly quoted cells stays in its cell.
    assert table.rows[0][3] == "rose.tardieu@exemple.fr;r.tardieu@exemple.org"
    assert table.rows[0][8] == "Résidence Les Pins; bât. C"
    assert [row[2] for row in table.rows] == ["Tardieu", "Sabatier", "Gauthier"]
    assert table.rows[2][8] == '8 place "du Marché"'
    ((line, cells, message),) = table.refused
    assert line == 3
    assert cells[:3] == ["M.", "Hugo", "Pellegrin"]
    assert message.startswith("la cellule « Adresse » ouvre un guillemet (\") qui n'est jamais")
    # No cell holds a line break, nor the separators of later rows.
    for row in table.rows:
        assert not any("\n" in str(cell) or "\r" in str(cell) for cell in row)


def test_a_quoted_address_on_two_lines_stays_accepted():
    table = csv_table(
        HEADER,
        'Mme;Rose;Tardieu;02/02/1990;42000 Saint-Étienne;7100001;"12 rue Neuve\r\nBât. C";DEM',
        "M.;Paul;Gauthier;05/05/1979;42000 Saint-Étienne;7100004;8 place du Marché;DEM",
    )

    assert table.refused == []
    assert table.rows[0][6] == "12 rue Neuve\r\nBât. C"
    assert table.line_numbers == [2, 3]


def test_a_quote_never_closed_on_the_last_line_is_refused():
    table = csv_table(
        HEADER,
        "M.;Paul;Gauthier;05/05/1979;42000 Saint-Étienne;7100004;8 place du Marché;DEM",
        'Mme;Rose;Tardieu;02/02/1990;42000 Saint-Étienne;7100001;"Lieu-dit;DEM',
    )

    assert table.line_numbers == [2]
    assert [line for line, _, _ in table.refused] == [3]


def test_a_quote_never_closed_in_a_comma_separated_file_holds_only_its_line():
    lines = ["Civilité,Prénom,Nom,Date de naissance,CP Ville,N° CAF,Adresse,Rôle"]
    lines += [
        f"M.,Paul{n},Gauthier,05/05/1979,42000 Saint-Étienne,710000{n},8 rue du Pont,DEM"
        for n in range(5)
    ]
    lines[2] = lines[2].replace("8 rue", '"8 rue')

    table = csv_table(*lines)

    assert table.line_numbers == [2, 4, 5, 6]
    assert [line for line, _, _ in table.refused] == [3]
    assert "« Adresse »" in table.refused[0][2]


def test_two_unclosed_quotes_each_refuse_their_own_line():
    rows = [
        f"M.;Paul{n};Gauthier;05/05/1979;42000 Saint-Étienne;710000{n};rue {n};DEM"
        for n in range(6)
    ]
    rows[1] = rows[1].replace(";rue 1;", ';"rue 1;')
    rows[4] = rows[4].replace(";Paul4;", ';"Paul4;')

    table = csv_table(HEADER, *rows)

    assert table.line_numbers == [2, 4, 5, 7]
    assert [(line, text.split(" ouvre")[0]) for line, _, text in table.refused] == [
        (3, "la cellule « Adresse »"),
        (6, "la cellule « Prénom »"),
    ]


def test_a_quote_that_swallows_past_the_cell_limit_refuses_its_line_not_the_file():
    filler = ";".join(["x" * 60] * 8)
    rows = ['M.;Paul;Gauthier;05/05/1979;42000 Saint-Étienne;7100001;"rue;DEM']
    rows += [filler] * 3000  # more than the 131,072 characters a cell may hold
    rows += ["Mme;Rose;Tardieu;02/02/1990;42000 Saint-Étienne;7100002;rue;DEM"]

    table = csv_table(HEADER, *rows)

    assert [line for line, _, _ in table.refused] == [2]
    assert table.rows[-1][2] == "Tardieu"


def test_a_file_whose_only_row_is_refused_says_why():
    with pytest.raises(TableError) as refusal:
        csv_table(
            HEADER,
            'M.;Paul;Gauthier;05/05/1979;42000 Saint-Étienne;7100004;"8 place;DEM',
            'Mme;Rose;Tardieu;02/02/1990;42000 Saint-Étienne;"7100001;rue;DEM',
        )

    assert str(refusal.value).startswith("Ligne 2 : la cellule « Adresse » ouvre un guillemet")


# --- Through the real import ------------------------------------------------------------------


@pytest.fixture
def communes(db):
    territory = TerritoryFactory()
    for postal_code, name in [
        ("42000", "Saint-Étienne"),
        ("42300", "Roanne"),
        ("42700", "Firminy"),
        ("42600", "Montbrison"),
        ("42110", "Feurs"),
        ("42150", "La Ricamarie"),
    ]:
        CommuneFactory(name=name, postal_code=postal_code, territory=territory)


def run_command(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_beneficiaries", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_unbalanced_quote_case_through_the_command(communes, tmp_path):
    pilot = UserFactory(pilot=True)
    path = tmp_path / "liste.csv"
    shutil.copy(FILES / "unbalanced-quote-list.csv", path)
    held = tmp_path / "retenues.csv"

    out, err = run_command(path, "--user", pilot.username, "--lignes-refusees", str(held))

    assert out.splitlines()[-1] == (
        "Import terminé : 3 créations, 0 modification, 0 ligne inchangée, 1 ligne retenue."
    )
    assert "  Ligne 3 : la cellule « Adresse » ouvre un guillemet (\") qui n'est jamais" in err
    assert sorted(Beneficiary.objects.values_list("last_name", flat=True)) == [
        "Gauthier",
        "Sabatier",
        "Tardieu",
    ]
    rose = Beneficiary.objects.get(last_name="Tardieu")
    assert rose.household.address == "Résidence Les Pins; bât. C"
    assert rose.email == "rose.tardieu@exemple.fr"
    assert not Beneficiary.objects.filter(household__address__contains="\n").exists()
    # The refused line comes back to be corrected, with its reason.
    held_text = held.read_bytes().decode("utf-8-sig")
    assert "Pellegrin" in held_text
    assert "jamais refermé" in held_text


# --- Spreadsheets: where the data are, what is hidden, what was never computed --------------

PEOPLE = ["Civilité", "Prénom", "Nom", "Date de naissance", "CP Ville", "N° CAF", "Rôle"]


def people_table(name, data, **options):
    spec = people_import_spec(UserFactory.build(pilot=True))
    return spec.read(name, data, **options)


def xlsx_book(sheets, *, active=0, hidden=(), formulas=()):
    """An XLSX of `sheets` ({name: rows}); `hidden` rows (numbers) of the active sheet hidden,
    `formulas` ((cell, formula)) written without computed value, as a program writes them."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.active = active
    for number in hidden:
        workbook.active.row_dimensions[number].hidden = True
    for cell, formula in formulas:
        workbook.active[cell] = formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def person(number, *, last="Collomb"):
    return [
        "Mme",
        f"Agathe{number}",
        last,
        "10/01/1990",
        "42000 Saint-Étienne",
        f"78{number:05d}",
        "DEM",
    ]


def test_the_header_is_found_below_a_merged_title_and_a_blank_row():
    table = people_table("liste.xlsx", (FILES / "title-rows-above-header.xlsx").read_bytes())

    assert table.headers == PEOPLE
    assert table.line_numbers == [4, 5, 6, 7]
    assert table.rows[0][2] == "Collomb"


def test_the_sheet_that_holds_the_columns_is_read_and_said():
    table = people_table("liste.xlsx", (FILES / "data-on-second-sheet.xlsx").read_bytes())

    assert table.headers == PEOPLE
    assert [row[2] for row in table.rows] == ["Collomb", "Ferrier", "Rivoire", "Vial"]
    assert table.warnings == [
        (
            0,
            "Feuille « Liste » importée : c'est celle qui contient les colonnes attendues "
            "(feuilles du classeur : « Consignes », « Liste »).",
        )
    ]


def test_title_rows_in_a_csv_and_in_an_ods_are_skipped_too():
    text = "\r\n".join(["Liste de novembre;;;;;;", ";;;;;;", ";".join(PEOPLE), ";".join(person(1))])
    table = people_table("liste.csv", text.encode("utf-8"))
    assert (table.headers, table.line_numbers) == (PEOPLE, [4])

    data = ods_with_sheets(
        {
            "Consignes": ods_row(ods_cell("Une ligne par personne")),
            "Liste": ods_row(ods_cell("Liste de novembre"))
            + ods_row(*(ods_cell(h) for h in PEOPLE))
            + ods_row(*(ods_cell(c) for c in person(1))),
        },
        active="Consignes",
    )
    table = people_table("liste.ods", data)
    assert (table.headers, table.line_numbers) == (PEOPLE, [3])
    assert "Feuille « Liste » importée" in table.warnings[0][1]


def test_several_sheets_with_the_columns_the_active_one_is_read_otherwise_refused():
    sheets = {"Octobre": [PEOPLE, person(1)], "Novembre": [PEOPLE, person(2)], "Aide": [["?"]]}

    table = people_table("liste.xlsx", xlsx_book(sheets, active=1))
    assert table.rows[0][1] == "Agathe2"
    assert table.warnings == []

    with pytest.raises(TableError) as refusal:
        people_table("liste.xlsx", xlsx_book(sheets, active=2))
    assert str(refusal.value).startswith(
        "Plusieurs feuilles du classeur contiennent les colonnes attendues : « Octobre », "
        "« Novembre ». Ouvrez le classeur sur la feuille à importer"
    )


def test_no_sheet_with_the_columns_is_refused_naming_the_sheets():
    with pytest.raises(TableError) as refusal:
        people_table("liste.xlsx", xlsx_book({"Consignes": [["Lisez-moi"]], "Vide": [["Nom"]]}))

    assert "Feuilles du classeur : « Consignes », « Vide »." in str(refusal.value)
    assert str(refusal.value).startswith(
        "Aucune feuille du classeur ne contient les colonnes obligatoires"
    )


def test_one_sheet_without_the_columns_keeps_the_message_naming_what_is_missing():
    table = people_table("liste.xlsx", xlsx_book({"Liste": [["Nom", "Prénom"], ["A", "B"]]}))

    assert table.headers == ["Nom", "Prénom"]  # map_headers then names the missing columns


def test_hidden_xlsx_rows_are_counted_imported_by_default_or_left_out():
    data = xlsx_book({"Liste": [PEOPLE, *(person(n) for n in range(1, 6))]}, hidden=(3, 5))

    table = people_table("liste.xlsx", data)
    assert table.line_numbers == [2, 3, 4, 5, 6]
    assert table.warnings == [
        (
            0,
            "2 lignes masquées ou filtrées dans le tableur (lignes 3, 5) : elles sont importées "
            "comme les autres, sauf si vous choisissez de les laisser de côté avant de "
            "confirmer.",
        )
    ]

    table = people_table("liste.xlsx", data, include_hidden=False)
    assert table.line_numbers == [2, 4, 6]
    assert table.warnings == [
        (0, "2 lignes masquées ou filtrées dans le tableur (lignes 3, 5) : laissées de côté, "
         "comme demandé.")
    ]  # fmt: skip


def test_hidden_and_filtered_ods_rows_are_counted_too():
    rows = [ods_row(*(ods_cell(h) for h in PEOPLE))]
    for number, visibility in [(1, ""), (2, "collapse"), (3, "filter"), (4, "visible")]:
        cells = "".join(ods_cell(c) for c in person(number))
        attribute = f' table:visibility="{visibility}"' if visibility else ""
        rows.append(f"<table:table-row{attribute}>{cells}</table:table-row>")
    data = ods_with_sheets({"Liste": "".join(rows)})

    assert people_table("liste.ods", data).line_numbers == [2, 3, 4, 5]
    table = people_table("liste.ods", data, include_hidden=False)
    assert table.line_numbers == [2, 5]
    assert table.warnings[0][1].startswith(
        "2 lignes masquées ou filtrées dans le tableur (lignes 3, 4)"
    )


def test_a_formula_never_computed_is_said_instead_of_a_missing_value():
    data = xlsx_book(
        {"Liste": [[*PEOPLE, "Calcul"], *([*person(n), ""] for n in (1, 2, 3))]},
        formulas=[("C3", '=UPPER("collomb")'), ("H4", "=1+1")],
    )

    table = people_table("liste.xlsx", data)

    assert table.line_numbers == [2, 4]  # the formula of an unread column changes nothing
    assert table.refused == [
        (3, [*person(2)[:2], "", *person(2)[3:], ""],
         "Nom : formule non calculée : ouvrez et enregistrez le fichier dans le tableur.")
    ]  # fmt: skip


def test_an_ods_formula_never_computed_is_said_too():
    cells = [ods_cell(c) for c in person(1)]
    cells[2] = '<table:table-cell table:formula="of:=UPPER(&quot;x&quot;)"/>'
    data = ods_with_sheets({"Liste": ods_row(*(ods_cell(h) for h in PEOPLE)) + ods_row(*cells)})

    with pytest.raises(TableError) as refusal:
        people_table("liste.ods", data)
    assert str(refusal.value) == (
        "Ligne 2 : Nom : formule non calculée : ouvrez et enregistrez le fichier dans le tableur."
    )


@pytest.fixture
def gier(db):
    territory = TerritoryFactory()
    for postal_code, name in [
        ("42800", "Rive-de-Gier"),
        ("42400", "Saint-Chamond"),
        ("42300", "Roanne"),
        ("42000", "Saint-Étienne"),
    ]:
        CommuneFactory(name=name, postal_code=postal_code, territory=territory)


@pytest.mark.django_db
def test_the_title_rows_case_through_the_page(client_as, gier, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_as(UserFactory(pilot=True))
    upload = SimpleUploadedFile("liste.xlsx", (FILES / "title-rows-above-header.xlsx").read_bytes())

    run = run_of(send(client, IMPORT_URL, upload))
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    confirm(client, run)

    assert sorted(Beneficiary.objects.values_list("last_name", flat=True)) == [
        "Collomb",
        "Ferrier",
        "Rivoire",
        "Vial",
    ]


@pytest.mark.django_db
def test_the_second_sheet_case_through_the_command(gier, tmp_path):
    pilot = UserFactory(pilot=True)
    path = tmp_path / "liste.xlsx"
    shutil.copy(FILES / "data-on-second-sheet.xlsx", path)

    out, _ = run_command(path, "--user", pilot.username)

    assert "  Fichier : Feuille « Liste » importée" in out
    assert (
        out.splitlines()[-1] == "Import terminé : 4 créations, 0 modification, 0 ligne inchangée."
    )
    assert Beneficiary.objects.filter(household__caf_number__startswith="782").count() == 4


@pytest.mark.django_db
def test_the_page_lets_the_user_leave_hidden_rows_out(client_as, gier, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_as(UserFactory(pilot=True))
    data = xlsx_book(
        {"Liste": [PEOPLE, *(person(n, last=f"Nom{n}") for n in range(1, 4))]}, hidden=(3,)
    )

    response = client.get(IMPORT_URL)
    assert "Laisser de côté les lignes masquées ou filtrées du tableur" in page(response)

    run = run_of(send(client, IMPORT_URL, SimpleUploadedFile("l.xlsx", data), exclude_hidden="on"))
    assert "Fichier : 1 ligne masquée ou filtrée dans le tableur (ligne 3) : laissée de côté" in (
        page(run_page(client, run))
    )
    confirm(client, run)
    assert sorted(Beneficiary.objects.values_list("last_name", flat=True)) == ["Nom1", "Nom3"]

    run = run_of(send(client, IMPORT_URL, SimpleUploadedFile("l.xlsx", data)))
    assert "1 ligne masquée ou filtrée dans le tableur (ligne 3) : elle est importée" in (
        page(run_page(client, run))
    )
    confirm(client, run)
    assert Beneficiary.objects.filter(last_name="Nom2").exists()


@pytest.mark.django_db
def test_the_run_page_lets_the_user_choose_again_before_confirming(
    client_as, gier, settings, tmp_path
):
    """The hidden rows are seen on the analysis: the user leaves them out (or takes them
    back) from the run's page, the same file analysed again, without sending it again."""
    settings.MEDIA_ROOT = tmp_path
    client = client_as(UserFactory(pilot=True))
    data = xlsx_book(
        {"Liste": [PEOPLE, *(person(n, last=f"Nom{n}") for n in range(1, 4))]}, hidden=(3,)
    )
    run = run_of(send(client, IMPORT_URL, SimpleUploadedFile("l.xlsx", data)))
    content = page(run_page(client, run))
    assert "L'import ferait : 3 créations" in content
    assert "1 ligne masquée ou filtrée dans le tableur" in content
    assert "Analyser de nouveau sans ces lignes" in content

    choice = reverse("pti:run_hidden_rows", args=[run.pk])
    response = client.post(choice, {"inclure": "non"}, follow=True)
    content = page(response)
    assert "Le fichier est analysé de nouveau sans les lignes masquées ou filtrées" in content
    run.refresh_from_db()
    assert run.status == RunStatus.TO_CONFIRM
    content = page(run_page(client, run))
    assert "L'import ferait : 2 créations" in content
    assert "(ligne 3) : laissée de côté" in content
    assert "Analyser de nouveau avec ces lignes" in content

    client.post(choice, {"inclure": "oui"})
    run.refresh_from_db()
    assert "L'import ferait : 3 créations" in page(run_page(client, run))
    client.post(choice, {"inclure": "non"})
    confirm(client, run)
    assert sorted(Beneficiary.objects.values_list("last_name", flat=True)) == ["Nom1", "Nom3"]

    # Once confirmed, the choice is over: said, and nothing changes.
    response = client.post(choice, {"inclure": "oui"}, follow=True)
    assert "ne peut plus être analysé de nouveau" in page(response)
    assert Beneficiary.objects.count() == 2


@pytest.mark.django_db
def test_the_warnings_of_a_cancelled_run_never_say_its_rows_were_imported(
    client_as, gier, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_as(UserFactory(pilot=True))
    data = xlsx_book({"Liste": [PEOPLE, person(1), person(2)]}, hidden=(3,))
    run = run_of(send(client, IMPORT_URL, SimpleUploadedFile("l.xlsx", data)))
    assert "les lignes nommées seront importées" in page(run_page(client, run))

    client.post(reverse("pti:run_cancel", args=[run.pk]))
    run.refresh_from_db()
    content = page(run_page(client, run))

    assert run.status == RunStatus.CANCELLED
    assert "1 avertissement" in content
    assert "Ce que l'analyse avait relevé ; rien n'a été enregistré." in content
    assert "importées" not in content.split("1 avertissement")[1].split("</section>")[0]
    assert not Beneficiary.objects.exists()


@pytest.mark.django_db
def test_the_command_imports_hidden_rows_unless_told_and_says_how(gier, tmp_path):
    pilot = UserFactory(pilot=True)
    path = tmp_path / "liste.xlsx"
    path.write_bytes(
        xlsx_book({"Liste": [PEOPLE, *(person(n, last=f"Nom{n}") for n in (1, 2))]}, hidden=(3,))
    )

    out, _ = run_command(path, "--user", pilot.username, "--dry-run")
    assert "(ligne 3) : elle est importée comme les autres" in out
    assert "(--sans-lignes-masquees pour laisser de côté" in out
    assert "L'import ferait : 2 créations" in out

    out, _ = run_command(path, "--user", pilot.username, "--sans-lignes-masquees")
    assert "(ligne 3) : laissée de côté, comme demandé." in out
    assert "--sans-lignes-masquees pour" not in out
    assert list(Beneficiary.objects.values_list("last_name", flat=True)) == ["Nom1"]
