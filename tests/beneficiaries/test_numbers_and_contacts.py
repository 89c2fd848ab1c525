"""The numbers and contacts of people, read the same way by every way in: allocataire numbers
(CAF on 7 digits, the CNAF's 15-digit form, the MSA's own 13 digits), phones and e-mails, and
the CAF contacts file with a NIR typed in the wrong column. Each handed case goes through the
real path (the command, or the page and its run)."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from beneficiaries import cells
from beneficiaries.allocataire import allocataire_number, stored_forms
from beneficiaries.cnaf import caf_number_from_matricule
from beneficiaries.enums import HouseholdRole, Payer
from beneficiaries.forms import BeneficiaryForm
from beneficiaries.models import Beneficiary, Household
from tests.beneficiaries.factories import BeneficiaryFactory, HouseholdFactory
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
    # The same flux again changes nothing: the households are found by the same numbers.
    out, err = import_flux(flux)
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

    assert out == "Import terminé : 1 création, 0 modification, 1 ligne inchangée.\n", err
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
