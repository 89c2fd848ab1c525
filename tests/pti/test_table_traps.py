"""Traps of real files in the reading layer (pti/tabular.py), and the same files through the
real import: a quote that never closes (the rows after it must not vanish into one cell),
workbooks whose data are not where a program expects them (title rows above the header,
the data on another sheet), hidden or filtered rows, formulas never computed."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from beneficiaries.models import Beneficiary
from pti.tabular import TableError, parse_table
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

FILES = Path(__file__).resolve().parent.parent / "beneficiaries" / "files"
HEADER = "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Adresse;Rôle"


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
