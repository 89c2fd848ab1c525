"""The numbers and contacts of people, read the same way by every way in: allocataire numbers
(CAF on 7 digits, the CNAF's 15-digit form, the MSA's own 13 digits), phones and e-mails, and
the CAF contacts file with a NIR typed in the wrong column. Each handed case goes through the
real path (the command, or the page and its run)."""

import importlib
import io
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from beneficiaries import cells
from beneficiaries.allocataire import allocataire_number, stored_forms
from beneficiaries.cnaf import caf_number_from_matricule
from beneficiaries.contacts import email_address, looks_like_nir, phone_number
from beneficiaries.enums import HouseholdRole, Payer
from beneficiaries.forms import BeneficiaryForm
from beneficiaries.models import Beneficiary, Household
from beneficiaries.resources import REMOVED_CELL
from beneficiaries.traces import search_fingerprint
from pti.enums import RunStatus
from tests.beneficiaries.factories import BeneficiaryFactory, HouseholdFactory
from tests.import_pages import confirm, outcome_of, page, run_of, run_page, send
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
LIST_URL = reverse("beneficiaries:list")


@pytest.fixture
def pilot():
    return UserFactory(pilot=True, username="pilote")


@pytest.fixture
def pilot_client(client_as, pilot):
    return client_as(pilot)


@pytest.fixture
def loire():
    """The communes of the handed cases, in one territory."""
    territory = TerritoryFactory(code="loire", name="Loire")
    return {
        "se": CommuneFactory(
            insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
        ),
        "montbrison": CommuneFactory(
            insee_code="42147", name="Montbrison", postal_code="42600", territory=territory
        ),
    }


def import_list(path, *args):
    """Run import_beneficiaries on `path` as the pilot: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_beneficiaries", str(path), "--user", "pilote", *args, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def import_flux(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_cnaf", str(path), "--user", "pilote", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def list_file(tmp_path, rows, header="Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF"):
    path = tmp_path / "liste.csv"
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    return path


# --- Kind 4: allocataire numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "payer", "number"),
    [
        ("0012345", Payer.CAF, "0012345"),
        ("12345", Payer.CAF, "0012345"),  # Excel dropped the zeros
        (12345.0, Payer.CAF, "0012345"),  # a number cell of a spreadsheet
        (" 12 345 ", Payer.CAF, "0012345"),
        ("123.45.67", Payer.CAF, "1234567"),
        ("123456700000000", Payer.CAF, "1234567"),  # the CNAF's 15-digit form
        ("1234500000000", Payer.CAF, "0012345"),  # the same, its leading zeros dropped
        (900010100000000, Payer.CAF, "9000101"),
        ("1890442147123", Payer.MSA, "1890442147123"),  # the MSA's own matricule
        ("1 89 04 42 147 123", Payer.MSA, "1890442147123"),
        (1890442147123.0, Payer.MSA, "1890442147123"),
        ("4567890", Payer.MSA, "4567890"),
        ("456789000000000", Payer.MSA, "4567890"),
    ],
)
def test_an_allocataire_number_is_read_as_its_payer_writes_it(value, payer, number):
    assert allocataire_number(value, payer) == number
    assert cells.clean_caf_number(value, payer) == number


@pytest.mark.parametrize(
    ("value", "payer", "message"),
    [
        ("", Payer.CAF, "le numéro d'allocataire est obligatoire."),
        (None, Payer.MSA, "le numéro d'allocataire est obligatoire."),
        (
            "12345678",
            Payer.CAF,
            "« 12345678 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
        ),
        (
            "12A4567",
            Payer.CAF,
            "« 12A4567 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
        ),
        (
            "1890442147123",
            Payer.CAF,
            "« 1890442147123 » n'est pas un numéro d'allocataire CAF (7 chiffres au plus) : un "
            "matricule de 13 chiffres est celui de la MSA, indiquez alors l'organisme payeur MSA.",
        ),
        (
            "189044214712",
            Payer.MSA,
            "« 189044214712 » n'est pas un numéro d'allocataire MSA (13 chiffres, ou 7 chiffres "
            "au plus).",
        ),
        (
            "123456712345678",
            Payer.CAF,
            "« 123456712345678 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
        ),
    ],
)
def test_a_number_that_is_none_of_its_payer_is_refused_clearly(value, payer, message):
    with pytest.raises(ValueError, match=r"\.$") as refused:
        allocataire_number(value, payer)
    assert str(refused.value) == message


def test_the_flux_reads_numbers_with_the_same_function():
    assert caf_number_from_matricule("900010100000000") == "9000101"
    assert caf_number_from_matricule("1890442147123", Payer.MSA) == "1890442147123"
    assert caf_number_from_matricule("1890442147123", Payer.CAF) is None
    assert caf_number_from_matricule("12 345") is None  # the flux writes digits only


def test_the_database_keeps_13_digits_for_the_msa_only():
    HouseholdFactory(payer=Payer.MSA, caf_number="1890442147123")
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(payer=Payer.CAF, caf_number="1890442147124")
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(payer=Payer.MSA, caf_number="189044214712")


def test_the_msa_number_flux_imports_both_households(pilot, loire):
    """Case msa-number-flux.xml: refused whole before; now the MSA household keeps its own
    number and the CAF one written on 15 digits is read on 7."""
    flux = FILES / "case_msa_number_flux.xml"

    out, err = import_flux(flux, "--dry-run")
    assert "Simulation (--dry-run) : rien n'a été enregistré." in out, err
    assert not Household.objects.exists()

    out, err = import_flux(flux)

    assert "Flux importé." in out, err
    assert sorted(Household.objects.values_list("payer", "caf_number")) == [
        (Payer.CAF, "9000101"),
        (Payer.MSA, "1890442147123"),
    ]
    marcel = Beneficiary.objects.get(first_name="Marcel")
    assert (marcel.household.payer, marcel.household.caf_number) == (Payer.MSA, "1890442147123")
    # The same flux again is refused unless replayed on purpose, and then changes nothing:
    # the households are found by the same numbers.
    with pytest.raises(CommandError, match="relancez avec --rattrapage"):
        import_flux(flux)
    out, err = import_flux(flux, "--rattrapage")
    assert "Foyers : 0 créé(s)" in out, out
    assert Household.objects.count() == 2


def test_the_msa_number_list_is_imported(pilot, loire, tmp_path):
    """Case msa-number-list.csv: refused before; now imported in the MSA household."""
    out, err = import_list(FILES / "case_msa_number_list.csv", "--dry-run")
    assert "1 création" in out, err

    out, err = import_list(FILES / "case_msa_number_list.csv")

    assert out == "Import terminé : 1 création, 0 modification, 0 ligne inchangée.\n", err
    household = Household.objects.get()
    assert (household.payer, household.caf_number) == (Payer.MSA, "1890442147123")
    assert household.commune == loire["montbrison"]


def test_a_list_reads_the_15_digit_form_and_finds_the_household_of_the_flux(pilot, loire, tmp_path):
    """The household the flux created as 9000101 is the one a list writes 900010100000000 or
    9000101 or 9 000 101: the person is found, never created again."""
    import_flux(FILES / "case_msa_number_flux.xml")
    path = list_file(
        tmp_path,
        [
            "Mme;Nora;Vidal;15/06/1994;42000 Saint-Étienne;900010100000000",
            "M.;Paul;Vidal;01/02/1990;42000 Saint-Étienne;9 000 101",
        ],
    )

    out, err = import_list(path)

    # Paul has no role and the household has its demandeur: a warning, not a refusal.
    assert out.endswith("Import terminé : 1 création, 0 modification, 1 ligne inchangée.\n"), err
    assert "Ligne 3 : Rôle : non indiqué" in out
    assert Household.objects.count() == 2
    assert Household.objects.get(caf_number="9000101").members.count() == 2


def test_a_13_digit_number_without_the_msa_payer_is_refused_with_the_way_out(
    pilot, loire, tmp_path
):
    path = list_file(tmp_path, ["M.;Marcel;Berthier;02/04/1989;42600 Montbrison;1890442147123"])

    err = io.StringIO()
    with pytest.raises(CommandError, match="Fichier refusé"):
        call_command("import_beneficiaries", str(path), "--user", "pilote", stderr=err)
    assert (
        "Ligne 2 : N° CAF : « 1890442147123 » n'est pas un numéro d'allocataire CAF (7 chiffres "
        "au plus) : un matricule de 13 chiffres est celui de la MSA, indiquez alors "
        "l'organisme payeur MSA."
    ) in err.getvalue()
    assert not Beneficiary.objects.exists()


def form_data(loire, **values):
    return {
        "last_name": "Berthier",
        "first_name": "Marcel",
        "birth_date": "1989-04-02",
        "sex": "M",
        "household_role": HouseholdRole.APPLICANT,
        "rights_and_duties": "subject",
        "rsa_requested_on": "2026-10-05",
        "right_opened_on": "2026-10-05",
        "right_known_on": "2026-10-06",
        "payer": Payer.MSA,
        "caf_number": "1890442147123",
        "commune": loire["montbrison"].pk,
        "family_situation": "single",
        **values,
    }


@pytest.mark.parametrize(
    ("payer", "typed", "stored"),
    [
        (Payer.MSA, "1890442147123", "1890442147123"),
        (Payer.CAF, "12345", "0012345"),
        (Payer.CAF, "900010100000000", "9000101"),
    ],
)
def test_the_form_reads_the_number_against_its_payer(loire, pilot, payer, typed, stored):
    form = BeneficiaryForm(data=form_data(loire, payer=payer, caf_number=typed), user=pilot)

    assert form.is_valid(), form.errors
    assert form.household_values()["caf_number"] == stored


def test_the_form_refuses_a_13_digit_number_for_the_caf_beside_the_field(loire, pilot):
    form = BeneficiaryForm(data=form_data(loire, payer=Payer.CAF), user=pilot)

    assert not form.is_valid()
    assert form.errors["caf_number"] == [
        "« 1890442147123 » n'est pas un numéro d'allocataire CAF (7 chiffres au plus) : un "
        "matricule de 13 chiffres est celui de la MSA, indiquez alors l'organisme payeur MSA."
    ]


def test_the_creation_page_creates_an_msa_household(loire, pilot_client):
    response = pilot_client.post(reverse("beneficiaries:create"), form_data(loire))

    assert response.status_code == 302, response.content.decode()[:3000]
    household = Household.objects.get()
    assert (household.payer, household.caf_number) == (Payer.MSA, "1890442147123")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("0012345", ["caf"]),
        ("12345", ["caf"]),
        ("12 345", ["caf"]),
        ("1234500000000", ["caf"]),
        ("001234500000000", ["caf"]),
        ("1890442147123", ["msa"]),
        ("189 044 214 7123", ["msa"]),
        ("1234", []),
    ],
)
def test_a_search_by_number_finds_every_stored_form(pilot_client, text, found):
    BeneficiaryFactory(
        last_name="Payecaf", household=HouseholdFactory(payer=Payer.CAF, caf_number="0012345")
    )
    BeneficiaryFactory(
        last_name="Payemsa", household=HouseholdFactory(payer=Payer.MSA, caf_number="1890442147123")
    )

    response = pilot_client.post(LIST_URL, {"q": text}, follow=True)

    assert response.status_code == 200
    shown = [person.last_name for person in response.context["page"].object_list]
    assert shown == [f"Paye{payer}" for payer in found]


def test_the_stored_forms_of_a_search():
    assert stored_forms("12345") == {"0012345"}
    assert stored_forms("1890442147123") == {"1890442147123"}
    assert stored_forms("123456712345678") == set()


# --- Kind 9: phones and e-mails ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        # The forms of the handed case phone-forms-list.csv.
        ("+33 6 12 34 56 01", "06 12 34 56 01"),
        ("+33 (0)6 12 34 56 02", "06 12 34 56 02"),
        ("0033 6 12 34 56 03", "06 12 34 56 03"),
        ("06.12.34.56.04", "06 12 34 56 04"),
        ("06-12-34-56-05", "06 12 34 56 05"),
        ("+3306 12 34 56 07", "06 12 34 56 07"),
        ("0612345678", "06 12 34 56 78"),
        (612345678, "06 12 34 56 78"),  # a number cell lost its leading zero
        (612345678.0, "06 12 34 56 78"),
        ("04 77 00 00 00 / 06 12 00 00 00", "04 77 00 00 00"),  # the first of the cell
        ("  ", ""),
        (None, ""),
        # The overseas départements: French national numbers, with their own prefix.
        ("+262 692 12 34 06", "0692 12 34 06"),
        ("0692 12 34 06", "0692 12 34 06"),
        ("+590 690 12 34 56", "0690 12 34 56"),
        ("+596 696 12 34 56", "0696 12 34 56"),
        ("+594 694 12 34 56", "0694 12 34 56"),
        ("+262 639 01 23 45", "0639 01 23 45"),  # Mayotte
        ("+269 639 01 23 45", "0639 01 23 45"),  # Mayotte, under its former code
        # Abroad: the international form.
        ("+32 470 12 34 56", "+32 470 12 34 56"),
        ("0032 470 12 34 56", "+32 470 12 34 56"),
        ("+41 79 123 45 67", "+41 79 123 45 67"),
    ],
)
def test_a_phone_is_stored_in_one_form(typed, stored):
    assert phone_number(typed) == stored
    assert cells.clean_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "warning"),
    [
        ("06 12", "« 06 12 » n'est pas un numéro de téléphone valide : la case est ignorée."),
        ("07 00 00 00 00", "« 07 00 00 00 00 » n'est pas un numéro de téléphone valide : la "),
        ("pas de téléphone", "« pas de téléphone » n'est pas un numéro de téléphone valide"),
        ("+33 6 12 34 56 78 90", "« +33 6 12 34 56 78 90 » n'est pas un numéro de téléphone"),
        ("205112B012345", "cette case contient un numéro de sécurité sociale (NIR), qui n'est "),
    ],
)
def test_an_invalid_phone_is_a_cell_ignored_with_a_warning(typed, warning):
    with pytest.raises(cells.IgnoredCell) as ignored:
        cells.clean_phone(typed)
    assert str(ignored.value).startswith(warning)
    with pytest.raises(ValueError, match=r"\.$"):
        phone_number(typed)


def test_an_email_is_stored_in_one_form_and_an_invalid_one_ignored():
    assert email_address(" Julie.Aubert@EXEMPLE.FR ; autre@exemple.fr") == "Julie.Aubert@exemple.fr"
    assert cells.clean_email("") == ""
    with pytest.raises(cells.IgnoredCell) as ignored:
        cells.clean_email("julie.aubert@")
    assert str(ignored.value) == (
        "« julie.aubert@ » n'est pas une adresse électronique valide : la case est ignorée."
    )
    with pytest.raises(cells.IgnoredCell) as ignored:
        cells.clean_email("2 93 08 2a 011 234 56")
    assert "2 93 08" not in str(ignored.value)
    assert "(NIR)" in str(ignored.value)


def test_the_phone_forms_list_stores_every_french_number_the_same_way(pilot, loire):
    """Case phone-forms-list.csv: half of it was kept as typed; now every French number is
    « 06 12 34 56 0X » and the overseas one keeps its own prefix."""
    out, err = import_list(FILES / "case_phone_forms_list.csv")

    assert out == "Import terminé : 7 créations, 0 modification, 0 ligne inchangée.\n", err
    phones = dict(Beneficiary.objects.values_list("first_name", "phone"))
    assert phones == {
        "Iris": "06 12 34 56 01",
        "Jules": "06 12 34 56 02",
        "Kenza": "06 12 34 56 03",
        "Léo": "06 12 34 56 04",
        "Manon": "06 12 34 56 05",
        "Nathan": "0692 12 34 06",
        "Olivia": "06 12 34 56 07",
    }


def test_an_invalid_phone_or_email_leaves_the_person_imported_without_it(pilot, loire, tmp_path):
    path = list_file(
        tmp_path,
        [
            "Mme;Iris;Amblard;01/01/1991;42000 Saint-Étienne;7900001;06 12;iris@",
            "M.;Jules;Bernaud;02/02/1992;42000 Saint-Étienne;7900002;205112B012345;"
            "2 93 08 2a 011 234 56",
        ],
        header="Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Téléphone;Courriel",
    )

    out, err = import_list(path)

    assert "Import terminé : 2 créations, 0 modification, 0 ligne inchangée." in out, err
    assert sorted(Beneficiary.objects.values_list("first_name", "phone", "email")) == [
        ("Iris", "", ""),
        ("Jules", "", ""),
    ]
    # Each cell left out is said, with its line and its column; a NIR is never repeated.
    assert "Ligne 2 : Téléphone : « 06 12 » n'est pas un numéro de téléphone valide" in out
    assert "Ligne 2 : Courriel : « iris@ » n'est pas une adresse électronique valide" in out
    # Removed as the file is read (the people list's discarded values), then said.
    assert "Ligne 3 : Téléphone : " + REMOVED_CELL in out
    assert "Ligne 3 : Courriel : " + REMOVED_CELL in out
    assert "205112B012345" not in out + err
    assert "2 93 08" not in out + err


def test_a_known_person_gets_the_new_phone_in_its_stored_form(pilot, loire, tmp_path):
    household = HouseholdFactory(caf_number="7900001", commune=loire["se"])
    person = BeneficiaryFactory(
        household=household,
        last_name="Amblard",
        first_name="Iris",
        birth_date="1991-01-01",
        phone="06 12 34 56 01",
    )
    path = list_file(
        tmp_path,
        ["Mme;Iris;Amblard;01/01/1991;42000 Saint-Étienne;7900001;+33 (0)6 12 34 56 01"],
        header="Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Téléphone",
    )

    out, err = import_list(path)

    # The same number written another way is the same number: nothing changes.
    assert out == "Import terminé : 0 création, 0 modification, 1 ligne inchangée.\n", err
    person.refresh_from_db()
    assert person.phone == "06 12 34 56 01"


def test_the_form_stores_the_phone_and_email_in_one_form(loire, pilot_client):
    response = pilot_client.post(
        reverse("beneficiaries:create"),
        form_data(loire, phone="+33 (0)6 12 34 56 78", email="Marcel@Exemple.FR"),
    )

    assert response.status_code == 302
    person = Beneficiary.objects.get()
    assert (person.phone, person.email) == ("06 12 34 56 78", "Marcel@exemple.fr")


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("06 12", "« 06 12 » n'est pas un numéro de téléphone valide."),
        (
            "205112B012345",
            "Cette case contient un numéro de sécurité sociale (NIR), qui n'est jamais "
            "conservé : elle est ignorée.",
        ),
    ],
)
def test_the_form_says_an_invalid_phone_beside_the_field(loire, pilot, phone, message):
    form = BeneficiaryForm(data=form_data(loire, phone=phone), user=pilot)

    assert not form.is_valid()
    assert form.errors["phone"] == [message[:1].upper() + message[1:]]


def test_the_data_migration_writes_the_stored_phones_in_one_form():
    migration = importlib.import_module("beneficiaries.migrations.0011_phones_in_one_form")
    people = {
        typed: BeneficiaryFactory(phone=typed)
        for typed in [
            "+33 6 12 34 56 01",
            "0612345602",
            "06.12.34.56.03",
            "+262 692 12 34 06",
            "(valeur retirée)",
            "pas un numéro",
            "06 12 34 56 78",
        ]
    }

    migration.phones_in_one_form(django_apps, None)

    stored = {
        typed: Beneficiary.objects.get(pk=person.pk).phone for typed, person in people.items()
    }
    assert stored == {
        "+33 6 12 34 56 01": "06 12 34 56 01",
        "0612345602": "06 12 34 56 02",
        "06.12.34.56.03": "06 12 34 56 03",
        "+262 692 12 34 06": "0692 12 34 06",
        "(valeur retirée)": "",  # never a phone: a NIR removed by an older contacts import
        "pas un numéro": "pas un numéro",  # kept for a person to correct, never lost
        "06 12 34 56 78": "06 12 34 56 78",
    }


# --- Kind 11: the CAF contacts file ------------------------------------------------------------

CONTACTS_URL = reverse("beneficiaries:import_contacts")


@pytest.mark.parametrize(
    ("value", "is_nir"),
    [
        ("2860342218123", True),  # 13 characters, as the CAF writes it
        ("205112B012345", True),  # Corsica
        ("2 05 11 2B 012 345", True),
        ("2 93 08 2a 011 234 56", True),  # with a key, even a wrong one
        ("1.89.04.42.147.123", True),
        ("1890442147123" + "42", True),
        ("900010100000000", False),  # the CNAF's 15-digit allocataire number
        ("189044214712300", False),  # no key is 00
        ("0612345678", False),
        ("9000101", False),
        ("5890442147123", False),  # no NIR starts with 5
        ("julie.aubert@exemple.fr", False),
        ("", False),
    ],
)
def test_a_nir_is_recognised_wherever_it_is_typed(value, is_nir):
    assert looks_like_nir(value) is is_nir


@pytest.fixture
def case_households(loire):
    """The households of the handed contacts case (the demo's 9000004, 9000010, 9000013)."""
    people = {}
    for number, last, first in [
        ("9000004", "Aubert", "Julie"),
        ("9000010", "Le", "Sophie"),
        ("9000013", "Jean", "Léa"),
    ]:
        people[number] = BeneficiaryFactory(
            household=HouseholdFactory(caf_number=number, commune=loire["se"]),
            household_role=HouseholdRole.APPLICANT,
            last_name=last,
            first_name=first,
            phone="04 77 00 00 00",
            email="ancienne@exemple.fr",
        )
    return people


def send_contacts(client, path_or_text, name="coordonnees.csv"):
    data = path_or_text.read_bytes() if isinstance(path_or_text, Path) else path_or_text.encode()
    return run_of(send(client, CONTACTS_URL, SimpleUploadedFile(name, data)))


def test_the_nir_in_wrong_columns_case_imports_every_row_without_the_nir(
    pilot_client, case_households
):
    """Case nir-in-wrong-columns-contacts.csv: the file was refused over the e-mail cell, and
    a phone became « (valeur retirée) ». Now the NIR-looking cells are absent, each with a
    warning; TELEPHONE 2 is used when the first is no phone; every row is imported."""
    run = send_contacts(pilot_client, FILES / "case_nir_in_wrong_columns_contacts.csv")

    assert run.status == RunStatus.TO_CONFIRM, run.analysis
    response = run_page(pilot_client, run)
    content = page(response)
    assert run.analysis["errors"] == []
    assert run.analysis["warnings"] == [
        "Ligne 3 : NUMERO TELEPHONE DOSSIER : " + REMOVED_CELL,
        "Ligne 4 : ADRESSE ELECTRONIQUE DOSSIER : " + REMOVED_CELL,
    ]
    assert "2 avertissement" in content
    for nir in ("291112A00412345", "205112B012345", "2 93 08 2a 011 234 56", "293082A"):
        assert nir not in content
    # The kept upload holds no NIR either: the table read, without it.
    assert b"205112B" not in b"".join(run.file.open("rb").readlines())

    run = confirm(pilot_client, run)

    assert outcome_of(run).startswith("Import terminé : 0 création, 3 modifications")
    contacts = {
        number: Beneficiary.objects.values_list("phone", "email").get(pk=person.pk)
        for number, person in case_households.items()
    }
    assert contacts == {
        "9000004": ("06 71 00 00 04", "julie.aubert@exemple.fr"),
        "9000010": ("06 72 00 00 10", "ancienne@exemple.fr"),  # TELEPHONE 2
        "9000013": ("06 73 00 00 13", "ancienne@exemple.fr"),  # the e-mail cell ignored
    }
    assert not Beneficiary.objects.filter(phone__contains="retir").exists()
    assert not Beneficiary.objects.filter(email__contains="retir").exists()


HEADER = (
    "MATRICULE;ROLE PERSONNE;TYPE PERSONNE;NIR;NUMERO DEMANDE RSA;DATE DEMANDE RSA;"
    "DATE DEBUT DROITS - DEVOIRS;NOM/PRENOM RESPONSABLE DOSSIER;NUMERO TELEPHONE DOSSIER;"
    "NUMERO TELEPHONE 2 DOSSIER;ADRESSE ELECTRONIQUE DOSSIER"
)


def contacts(*rows):
    return "\r\n".join([HEADER, *rows, ""])


def test_an_invalid_first_phone_falls_back_on_the_second_and_an_invalid_email_is_ignored(
    pilot_client, case_households
):
    text = contacts(
        "9000004;DEM;P;;1;02/01/2026;02/01/2026;AUBERT JULIE;06 12;+33 6 71 00 00 44;julie@",
        "9000010;DEM;P;;2;02/01/2026;02/01/2026;LE SOPHIE;0033 6 72 00 00 11;;",
    )

    run = confirm(pilot_client, send_contacts(pilot_client, text))

    assert run.summary["warnings"] == [
        "Ligne 2 : ADRESSE ELECTRONIQUE DOSSIER : « julie@ » n'est pas une adresse "
        "électronique valide : la case est ignorée.",
        "Ligne 2 : NUMERO TELEPHONE DOSSIER : « 06 12 » n'est pas un numéro de téléphone "
        "valide : la case est ignorée.",
    ]
    julie = Beneficiary.objects.get(pk=case_households["9000004"].pk)
    assert (julie.phone, julie.email) == ("06 71 00 00 44", "ancienne@exemple.fr")
    sophie = Beneficiary.objects.get(pk=case_households["9000010"].pk)
    assert sophie.phone == "06 72 00 00 11"


def test_a_nir_in_the_email_column_of_an_xlsx_is_removed(pilot_client, case_households):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER.split(";"))
    workbook.active.append(
        [9000013, "DEM", "P", None, 3, None, None, "JEAN LEA", 673000013, None, 1890442147123]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    run = send_contacts_bytes(pilot_client, buffer.getvalue(), "coordonnees.xlsx")

    assert run.analysis["errors"] == []
    assert run.analysis["warnings"] == ["Ligne 2 : ADRESSE ELECTRONIQUE DOSSIER : " + REMOVED_CELL]
    run = confirm(pilot_client, run)
    lea = Beneficiary.objects.get(pk=case_households["9000013"].pk)
    assert (lea.phone, lea.email) == ("06 73 00 00 13", "ancienne@exemple.fr")


def send_contacts_bytes(client, data, name):
    return run_of(send(client, CONTACTS_URL, SimpleUploadedFile(name, data)))


def test_a_contacts_matricule_in_the_cnaf_15_digit_form_finds_the_household(
    pilot_client, case_households
):
    text = contacts("900000400000000;DEM;P;;1;02/01/2026;02/01/2026;AUBERT JULIE;0671000005;;")

    confirm(pilot_client, send_contacts(pilot_client, text))

    assert Beneficiary.objects.get(pk=case_households["9000004"].pk).phone == "06 71 00 00 05"


def test_a_search_by_number_is_traced_the_same_however_the_number_is_written():
    assert (
        search_fingerprint("12345")
        == search_fingerprint("0012345")
        == search_fingerprint("1234500000000")
        != search_fingerprint("1234567")
    )


def test_a_nir_in_a_list_of_people_is_never_shown_nor_kept(pilot_client, loire, settings, tmp_path):
    """A NIR typed in the phone or e-mail cell of a list, or sent in a NIR column, is removed
    as the file is read: the preview, the run's analysis and the kept file never hold it; the
    person is imported without it, each cell said in a warning."""
    settings.MEDIA_ROOT = tmp_path
    nir, spaced = "1850578006048", "2 86 03 42 218 123 07"
    data = (
        "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Téléphone;Courriel;NIR\r\n"
        f"Mme;Rose;Tardieu;14/03/1986;42000 Saint-Étienne;7700001;{spaced};{nir};{nir}\r\n"
    ).encode("cp1252")
    response = send(
        pilot_client, reverse("beneficiaries:import"), SimpleUploadedFile("liste.csv", data)
    )
    run = run_of(response)
    content = page(run_page(pilot_client, run))

    assert run.status == RunStatus.TO_CONFIRM
    assert run.analysis["warnings"] == [
        "Ligne 2 : Courriel : " + REMOVED_CELL,
        "Ligne 2 : Téléphone : " + REMOVED_CELL,
    ]
    with run.file.open("rb") as kept:
        stored = kept.read().decode()
    for shown in (content, str(run.analysis), stored):
        assert nir not in shown
        assert spaced not in shown
        assert spaced.replace(" ", "") not in shown
    confirm(pilot_client, run)
    rose = Beneficiary.objects.get(last_name="Tardieu")
    assert (rose.phone, rose.email) == ("", "")
