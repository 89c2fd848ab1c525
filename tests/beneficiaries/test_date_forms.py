"""Dates as départements write them, through every way in: the list of people (page and
command), the CAF contacts file, the action import, the beneficiary form, and the reading of
one cell (pti.dates, beneficiaries.cells): separators, two-digit years, serial numbers in
both Excel date systems, impossible and month-first dates, implausible ages."""

import datetime
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from actions.resources import FrenchDateWidget
from beneficiaries import cells
from beneficiaries.enums import HouseholdRole
from beneficiaries.forms import BeneficiaryForm
from beneficiaries.models import Beneficiary
from pti import dates
from pti.enums import RunStatus
from pti.tabular import parse_table
from tests.import_pages import confirm, error_lines, page, run_of, run_page, send
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

FILES = Path(__file__).resolve().parent / "files"
IMPORT_URL = reverse("beneficiaries:import")
TODAY = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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


@pytest.fixture
def pilot(db):
    return UserFactory(pilot=True, username="pilote-dates")


def birth_dates():
    return dict(Beneficiary.objects.values_list("last_name", "birth_date"))


# --- The case files, by the real path -------------------------------------------------------


@pytest.mark.django_db
def test_the_date_forms_case_through_the_command(communes, pilot, tmp_path):
    path = tmp_path / "liste.csv"
    shutil.copy(FILES / "date-forms-list.csv", path)
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "import_beneficiaries", str(path), "--user", pilot.username, stdout=out, stderr=err
    )

    assert out.getvalue().splitlines()[-1] == (
        "Import terminé : 4 créations, 0 modification, 0 ligne inchangée, 2 lignes retenues."
    )
    assert birth_dates() == {
        "Vasseur": datetime.date(1956, 3, 14),  # 14/03/56: never « dans le futur »
        "Haddad": datetime.date(1986, 3, 14),  # 31485, a serial number
        "Perrin": datetime.date(1986, 3, 14),  # 14-03-1986
        "Lopez": datetime.date(1986, 3, 14),  # 14.03.1986
    }
    assert err.getvalue().splitlines()[1:] == [
        "  Ligne 6 : Date de naissance : « 03/14/1986 » : format mois/jour ? attendu jj/mm/aaaa "
        "(le 14/03 s'il s'agit du jour puis du mois).",
        "  Ligne 7 : Date de naissance : « 1/2/03 » : lue 01/02/1903, soit "
        f"{dates.age_on(datetime.date(1903, 2, 1), timezone.localdate())} ans : date de "
        "naissance invraisemblable (l'année 03 sur deux chiffres peut aussi être 2003) ; "
        "écrivez l'année en entier (jj/mm/aaaa).",
    ]


@pytest.mark.django_db
def test_the_1904_date_system_case_through_the_page(client_as, communes, pilot):
    client = client_as(pilot)
    upload = SimpleUploadedFile("liste.xlsx", (FILES / "date-system-1904.xlsx").read_bytes())

    run = run_of(send(client, IMPORT_URL, upload))
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    # The bare number is imported, with a warning that names both readings, to be checked.
    assert run.analysis["warnings"] == [
        "Ligne 4 : Date de naissance : « 31485 » lu comme le numéro d'une date du tableur : "
        "15/03/1990 (système de dates 1904 du classeur ; ce serait le 14/03/1986 dans le "
        "système 1900) ; vérifiez-la, ou donnez à la colonne le format date."
    ]
    assert "ce serait le 14/03/1986 dans le système 1900" in page(run_page(client, run))
    confirm(client, run)

    assert birth_dates() == {
        "Fabre": datetime.date(1986, 3, 14),  # date cells of the 1904 system
        "Gros": datetime.date(2001, 12, 31),
        # A number cell: the serial counted as the workbook counts it (Excel shows 15/03/1990
        # when it is given a date format), not from 1899.
        "Roche": datetime.date(1990, 3, 15),
    }


def workbook_bytes(rows, *, date1904=False):
    workbook = openpyxl.Workbook()
    if date1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ["Civilité", "Prénom", "Nom", "Date de naissance", "CP Ville", "N° CAF", "Rôle"]


@pytest.mark.django_db
def test_serial_numbers_in_a_1900_workbook_and_refusals_on_the_page(client_as, communes, pilot):
    data = workbook_bytes(
        [
            HEADER,
            ["Mme", "Ana", "Serial", 31485, "42000 Saint-Étienne", "7500001", "DEM"],
            ["Mme", "Eva", "Flottant", 31485.75, "42000 Saint-Étienne", "7500002", "DEM"],
            ["M.", "Léo", "Avril", "31/04/1990", "42000 Saint-Étienne", "7500003", "DEM"],
            ["M.", "Noé", "Bissextile", "29/02/2023", "42000 Saint-Étienne", "7500004", "DEM"],
            ["M.", "Gus", "Jeune", "01/06/2015", "42000 Saint-Étienne", "7500005", "DEM"],
            ["M.", "Max", "Enfant", "01/06/2015", "42000 Saint-Étienne", "7500001", "ENF"],
        ]
    )
    client = client_as(pilot)

    run = run_of(send(client, IMPORT_URL, SimpleUploadedFile("liste.xlsx", data)))

    errors = error_lines(run_page(client, run))
    assert (
        "Ligne 4 : Date de naissance : « 31/04/1990 » : date impossible : le 31/04 n'existe pas."
        in errors
    )
    assert (
        "Ligne 5 : Date de naissance : « 29/02/2023 » : date impossible : le 29/02 n'existe pas "
        "en 2023." in errors
    )
    assert any(
        line.startswith("Ligne 6 : Date de naissance : 01/06/2015 donne ")
        and "un demandeur ou un conjoint a 16 ans au moins" in line
        for line in errors
    )
    assert not any(line.startswith("Ligne 7") for line in errors)
    confirm(client, run)
    assert birth_dates() == {
        "Serial": datetime.date(1986, 3, 14),
        "Flottant": datetime.date(1986, 3, 14),
        "Enfant": datetime.date(2015, 6, 1),  # a child may be of any age
    }


def test_a_1904_workbook_says_its_date_system_to_the_table():
    table = parse_table(
        "liste.xlsx", workbook_bytes([HEADER, ["Mme", "A", "B", 30023]], date1904=True)
    )

    assert table.serial_epoch == dates.EXCEL_1904
    assert cells.clean_birth_date(table.rows[0][3], today=TODAY, epoch=table.serial_epoch) == (
        datetime.date(1986, 3, 14)
    )
    assert parse_table("l.xlsx", workbook_bytes([HEADER, ["Mme"]])).serial_epoch == dates.EXCEL_1900


# --- One cell -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["14/03/1986", "14/3/1986", "14-03-1986", "14.03.1986", "1986-03-14", "14 / 03 / 1986",
     "1986-03-14 00:00:00", "14/03/1986 00:00", "14/03/86", "31485", 31485, 31485.5,
     datetime.datetime(1986, 3, 14, 0, 0)],
)  # fmt: skip
def test_every_written_form_of_a_birth_date(text):
    assert cells.clean_birth_date(text, today=TODAY) == datetime.date(1986, 3, 14)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/04/1986", "« 31/04/1986 » : date impossible : le 31/04 n'existe pas."),
        ("31-06-1986", "« 31-06-1986 » : date impossible : le 31/06 n'existe pas."),
        ("30/02/86", "« 30/02/86 » : date impossible : le 30/02 n'existe pas."),
        ("29.02.1985", "« 29.02.1985 » : date impossible : le 29/02 n'existe pas en 1985."),
        ("14/13/1986", "« 14/13/1986 » : date impossible : il n'y a pas de mois 13."),
        ("00/03/1986", "« 00/03/1986 » : date impossible : il n'y a pas de jour 0."),
        (
            "03/14/1986",
            "« 03/14/1986 » : format mois/jour ? attendu jj/mm/aaaa (le 14/03 s'il s'agit du "
            "jour puis du mois).",
        ),
        (
            "12/31/1990",
            "« 12/31/1990 » : format mois/jour ? attendu jj/mm/aaaa (le 31/12 s'il s'agit du "
            "jour puis du mois).",
        ),
        ("14 mars 1986", "« 14 mars 1986 » n'est pas une date au format jj/mm/aaaa."),
        ("14031986", "« 14031986 » n'est pas une date au format jj/mm/aaaa."),
        ("14/03/1986/2", "« 14/03/1986/2 » n'est pas une date au format jj/mm/aaaa."),
        ("14/03.1986", "« 14/03.1986 » n'est pas une date au format jj/mm/aaaa."),
    ],
)
def test_a_date_that_cannot_be_read_says_why(text, message):
    with pytest.raises(ValueError, match=r"«") as refusal:
        cells.clean_birth_date(text, today=TODAY)
    assert str(refusal.value) == message


def test_a_two_digit_birth_year_is_of_the_previous_century_and_refused_when_implausible():
    assert cells.clean_birth_date("14/03/56", today=TODAY) == datetime.date(1956, 3, 14)
    assert cells.clean_birth_date("31/12/99", today=TODAY) == datetime.date(1999, 12, 31)
    assert cells.clean_birth_date("01/12/27", today=TODAY) == datetime.date(1927, 12, 1)  # 99
    with pytest.raises(ValueError, match="invraisemblable") as refusal:
        cells.clean_birth_date("1/2/03", today=TODAY)
    assert str(refusal.value) == (
        "« 1/2/03 » : lue 01/02/1903, soit 123 ans : date de naissance invraisemblable (l'année "
        "03 sur deux chiffres peut aussi être 2003) ; écrivez l'année en entier (jj/mm/aaaa)."
    )
    # A child born in 2007 or 2015 is never silently made 119 or 111 years old.
    for typed, year in (("1/1/07", 1907), ("14/03/15", 1915), ("30/11/26", 1926)):
        with pytest.raises(ValueError, match=f"lue .*{year}.* peut aussi être {year + 100}"):
            cells.clean_birth_date(typed, today=TODAY)
    with pytest.raises(ValueError, match="invraisemblable") as refusal:
        cells.clean_birth_date("01/01/1890", today=TODAY)
    assert str(refusal.value) == (
        "« 01/01/1890 » : 136 ans, date de naissance invraisemblable (plus de 120 ans) ; "
        "vérifiez l'année."
    )
    with pytest.raises(ValueError, match="est dans le futur"):
        cells.clean_birth_date("03/12/2026", today=TODAY)


def test_a_two_digit_year_of_the_right_takes_the_latest_past_century():
    assert cells.clean_past_date("02/01/26", today=TODAY) == datetime.date(2026, 1, 2)
    assert cells.clean_past_date("31/12/26", today=TODAY) == datetime.date(1926, 12, 31)
    assert cells.clean_past_date("14.03.2024", today=TODAY) == datetime.date(2024, 3, 14)
    with pytest.raises(ValueError, match="est dans le futur"):
        cells.clean_past_date("03/12/2026", today=TODAY)


def test_serial_numbers_in_both_date_systems():
    assert dates.date_of_serial(31485) == datetime.date(1986, 3, 14)
    assert dates.date_of_serial(30023, epoch=dates.EXCEL_1904) == datetime.date(1986, 3, 14)
    assert dates.date_of_serial(1) == datetime.date(1899, 12, 31)
    with pytest.raises(ValueError, match="n'est pas une date"):
        cells.clean_date(-5, today=TODAY)
    with pytest.raises(ValueError, match="n'est pas une date"):
        cells.clean_date(True, today=TODAY)


def test_a_demandeur_or_a_conjoint_is_16_at_least_a_child_may_be_younger():
    born = datetime.date(2012, 1, 1)
    cells.check_applicant_age(born, HouseholdRole.CHILD, today=TODAY)
    cells.check_applicant_age(datetime.date(2010, 12, 2), HouseholdRole.PARTNER, today=TODAY)
    for role in (HouseholdRole.APPLICANT, HouseholdRole.PARTNER):
        with pytest.raises(ValueError, match="16 ans au moins") as refusal:
            cells.check_applicant_age(born, role, today=TODAY)
        assert str(refusal.value) == (
            "01/01/2012 donne 14 ans : un demandeur ou un conjoint a 16 ans au moins ; vérifiez "
            "la date de naissance ou le rôle (enfant ?)."
        )


# --- The other ways in: the contacts file and the action import, the form ------------------


def test_the_widget_of_the_contacts_and_action_imports_reads_the_same_forms():
    widget = FrenchDateWidget()
    assert widget.clean("14.03.2024") == datetime.date(2024, 3, 14)
    assert widget.clean("14-03-2024") == datetime.date(2024, 3, 14)
    assert widget.clean(45365) == datetime.date(2024, 3, 14)
    with pytest.raises(ValueError, match="impossible") as refusal:
        widget.clean("31/04/2024")
    assert str(refusal.value) == "« 31/04/2024 » : date impossible : le 31/04 n'existe pas."
    with pytest.raises(ValueError, match="format mois/jour"):
        widget.clean("03/14/2024")


def form_data(**changes):
    return {
        "last_name": "Durand",
        "first_name": "Hélène",
        "birth_date": "14/03/1986",
        "sex": "F",
        "household_role": HouseholdRole.APPLICANT,
        "rights_and_duties": "subject",
        "rsa_requested_on": "2026-01-05",
        "right_opened_on": "2026-01-10",
        "right_known_on": "2026-01-12",
        "payer": "caf",
        "caf_number": "1234567",
        "family_situation": "single",
        **changes,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["14/03/1986", "14-03-1986", "14.03.1986", "1986-03-14", "14/3/86"]
)
def test_the_form_reads_the_same_forms_as_the_imports(typed):
    form = BeneficiaryForm(data=form_data(birth_date=typed))
    form.is_valid()
    assert "birth_date" not in form.errors
    assert form.cleaned_data["birth_date"] == datetime.date(1986, 3, 14)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "role", "message"),
    [
        ("31/04/1986", "applicant", "« 31/04/1986 » : date impossible : le 31/04 n'existe pas."),
        (
            "03/14/1986",
            "applicant",
            "« 03/14/1986 » : format mois/jour ? attendu jj/mm/aaaa (le 14/03 s'il s'agit du "
            "jour puis du mois).",
        ),
        ("1/2/03", "applicant", "« 1/2/03 » : lue 01/02/1903"),
        ("14/03/15", "child", "« 14/03/15 » : lue 14/03/1915"),
        ("01/06/2015", "applicant", "01/06/2015 donne "),
    ],
)
def test_the_form_gives_the_same_clear_messages(typed, role, message):
    form = BeneficiaryForm(data=form_data(birth_date=typed, household_role=role))
    assert not form.is_valid()
    assert form.errors["birth_date"][0].startswith(message), form.errors["birth_date"]


@pytest.mark.django_db
def test_the_form_takes_a_young_child():
    form = BeneficiaryForm(data=form_data(birth_date="01/06/2015", household_role="child"))
    form.is_valid()
    assert "birth_date" not in form.errors
