"""Importing the CNAF contacts file (formats/README.md, section 2) through the real page: the
file sent, analysed in the background (at once here), the preview on the run's page, then
the confirmation; a faulty row is held, the others written. Only the phone and e-mail of
people already followed change; the NIR column is read by nobody and kept nowhere."""

import datetime
import io
import logging
import re
from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beneficiaries.enums import FileOperation, HouseholdRole, Payer
from beneficiaries.models import Beneficiary, FileAccess, Household
from pti.enums import RunStatus
from pti.models import TaskRun
from tests.beneficiaries.factories import BeneficiaryFactory, HouseholdFactory
from tests.import_pages import (
    confirm,
    error_lines,
    held_rows,
    outcome_of,
    page,
    rows_of,
    run_of,
    run_page,
    send,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("beneficiaries:import_contacts")
LIST_URL = reverse("beneficiaries:list")

# The header of formats/README.md, section 2, as the CAF sends it.
HEADER = (
    "MATRICULE;ROLE PERSONNE;TYPE PERSONNE;NIR;NUMERO DEMANDE RSA;DATE DEMANDE RSA;"
    "DATE DEBUT DROITS - DEVOIRS;NOM/PRENOM RESPONSABLE DOSSIER;NUMERO TELEPHONE DOSSIER;"
    "NUMERO TELEPHONE 2 DOSSIER;ADRESSE ELECTRONIQUE DOSSIER"
)
# NIRs of the test files (13 characters, no key, as the CAF writes them): none of them may be
# seen anywhere once the file is read.
NIRS = ["2860342218123", "1841142218045", "2990142187007", "1750699123456", "2920742218111"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pilot():
    return UserFactory(pilot=True)


@pytest.fixture
def pilot_client(client_as, pilot):
    return client_as(pilot)


@pytest.fixture
def durand():
    """A couple followed by the département: Hélène applies, Éric is her partner."""
    household = HouseholdFactory(caf_number="0123456")
    helene = BeneficiaryFactory(
        household=household,
        household_role=HouseholdRole.APPLICANT,
        last_name="Durand",
        birth_name="Martin",
        first_name="Hélène",
        email="ancienne@exemple.fr",
        phone="04 77 11 11 11",
        rsa_requested_on=datetime.date(2024, 1, 10),
    )
    eric = BeneficiaryFactory(
        household=household,
        household_role=HouseholdRole.PARTNER,
        last_name="Durand",
        first_name="Éric",
        email="",
        phone="",
    )
    return {"household": household, "helene": helene, "eric": eric}


@pytest.fixture
def lefevre():
    """Zoé applies alone; her former partner's file was anonymised."""
    household = HouseholdFactory(caf_number="7654321")
    zoe = BeneficiaryFactory(
        household=household,
        household_role=HouseholdRole.APPLICANT,
        last_name="Lefèvre",
        first_name="Zoé",
        email="zoe@exemple.fr",
        phone="06 99 99 99 99",
    )
    BeneficiaryFactory(
        household=household,
        household_role=HouseholdRole.PARTNER,
        last_name="Anonyme",
        first_name="Anonyme",
        anonymised_on=datetime.date(2025, 1, 1),
    )
    return zoe


def contacts_file(*rows, header=HEADER):
    return "\r\n".join([header, *rows, ""])


def row(matricule, role, nir, name, phone="", phone_2="", email="", requested="10/01/2024"):
    return (
        f"{matricule};{role};P;{nir};00012345;{requested};01/02/2024;{name};{phone};{phone_2};"
        f"{email}"
    )


def csv_upload(text, *, encoding="cp1252", name="coordonnees.csv"):
    data = text.encode(encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    return SimpleUploadedFile(name, data, content_type="text/csv")


def preview(client, upload):
    """Send the file: the run's page once analysed (or the form, refused before any run)."""
    response = send(client, IMPORT_URL, upload)
    if response.status_code != 302:
        return response
    return run_page(client, run_of(response))


def analysed(client, upload):
    """Send the file; returns its run, analysed."""
    return run_of(send(client, IMPORT_URL, upload))


def import_file(client, upload):
    """Send, read the preview, confirm, as the pilot does; returns the run, written."""
    run = analysed(client, upload)
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    return confirm(client, run)


def state():
    """Everything the import could change."""
    return (
        sorted(
            Beneficiary.objects.values_list(
                "pk", "phone", "email", "rsa_requested_on", "lock_version"
            )
        ),
        Household.objects.count(),
        FileAccess.objects.count(),
    )


def assert_no_nir(text):
    for nir in NIRS:
        assert nir not in text
        assert " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:]]) not in text


# --- The page and who may use it ------------------------------------------------------------


def test_the_page_lists_the_columns_and_the_rules(pilot_client):
    response = pilot_client.get(IMPORT_URL)

    content = page(response)
    assert response.status_code == 200
    assert '<h1 class="h2 mb-3">Importer les coordonnées transmises par la CAF</h1>' in content
    for column in ("MATRICULE", "ROLE PERSONNE", "NOM/PRENOM RESPONSABLE DOSSIER"):
        assert f'<th scope="row">{column}</th><td>oui</td>' in content
    assert '<th scope="row">NUMERO TELEPHONE 2 DOSSIER</th><td>non</td>' in content
    assert '<th scope="row">NIR</th>' not in content
    assert "La colonne NIR n'est lue par personne" in content
    assert "n'est jamais conservée" in content
    assert "une case vide n'efface rien" in content
    assert "« 123456 » devient « 0123456 »" in content
    assert "Une ligne en erreur (matricule ou rôle illisible" in content


def test_the_example_file_has_the_columns_read_and_no_nir(pilot_client):
    response = pilot_client.get(IMPORT_URL, {"modele": "csv"})

    assert response.status_code == 200
    header = response.content[3:].decode("utf-8").split("\r\n")[0]
    assert header == (
        "MATRICULE;ROLE PERSONNE;DATE DEMANDE RSA;NOM/PRENOM RESPONSABLE DOSSIER;"
        "NUMERO TELEPHONE DOSSIER;NUMERO TELEPHONE 2 DOSSIER;ADRESSE ELECTRONIQUE DOSSIER"
    )


def test_the_people_list_links_to_the_contacts_import_for_the_pilot_only(client_as, pilot):
    manager = UserFactory(manager=True, organisation=OrganisationFactory())
    referent = UserFactory(referent=True)

    assert f'href="{IMPORT_URL}"' in client_as(pilot).get(LIST_URL).content.decode()
    for user in (manager, referent):
        assert f'href="{IMPORT_URL}"' not in client_as(user).get(LIST_URL).content.decode()


def test_other_roles_are_refused_even_with_a_file(client_as, durand):
    before = state()
    text = contacts_file(row("0123456", "DEM", NIRS[0], "DURAND HELENE", "0612345678"))
    for user in (
        UserFactory(manager=True, organisation=OrganisationFactory()),
        UserFactory(referent=True),
        UserFactory(operator=True),
        UserFactory(partner=True),
    ):
        client = client_as(user)
        assert client.get(IMPORT_URL).status_code == 403
        assert preview(client, csv_upload(text)).status_code == 403
    assert state() == before


# --- Updates -----------------------------------------------------------------------------------


def test_the_phone_and_email_of_the_applicant_and_the_partner_change(pilot_client, pilot, durand):
    text = contacts_file(
        # Another request date than the file's: the monthly flux decides, nothing changes.
        row(
            "0123456",
            "DEM",
            NIRS[0],
            "DURAND HELENE",
            "06 12 34 56 78",
            "0477000000",
            "helene.durand@exemple.fr",
            requested="02/01/2026",
        ),
        "",
        # No first number: the second one is taken.
        row("0123456", "CJT", NIRS[1], "DURAND HELENE", "", "+33 6 11 22 33 44", "eric@exemple.fr"),
    )

    run = analysed(pilot_client, csv_upload(text))

    response = run_page(pilot_client, run)
    assert error_lines(response) == []
    assert rows_of(response) == [("2", "modification"), ("4", "modification")]
    assert "L'import ferait : 0 création, 2 modifications, 0 ligne inchangée." in page(response)
    assert Beneficiary.objects.get(pk=durand["helene"].pk).phone == "04 77 11 11 11"

    run = confirm(pilot_client, run)

    assert run.status == RunStatus.DONE
    assert outcome_of(run) == "Import terminé : 0 création, 2 modifications, 0 ligne inchangée."
    helene, eric = durand["helene"], durand["eric"]
    helene.refresh_from_db()
    eric.refresh_from_db()
    assert (helene.phone, helene.email) == ("06 12 34 56 78", "helene.durand@exemple.fr")
    assert helene.rsa_requested_on == datetime.date(2024, 1, 10)
    assert helene.lock_version == 2  # a form opened before the import sees the change
    assert (eric.phone, eric.email) == ("06 11 22 33 44", "eric@exemple.fr")
    assert sorted(
        (t.beneficiary_id, t.operation, t.what, t.user_id) for t in FileAccess.objects.all()
    ) == sorted(
        [
            (helene.pk, FileOperation.UPDATE, "import coordonnées CAF", pilot.pk),
            (eric.pk, FileOperation.UPDATE, "import coordonnées CAF", pilot.pk),
        ]
    )
    assert Household.objects.count() == 1
    assert Beneficiary.objects.count() == 2


def test_a_utf8_file_with_bom_and_names_in_any_order(pilot_client, durand, lefevre):
    text = contacts_file(
        # First name first, accents: the applicant's name still matches.
        row("7654321", "DEM", NIRS[2], "Zoé LEFÈVRE", "", "", "zoe.lefevre@exemple.fr"),
        # The birth name, as the CAF may know it.
        row("123456", "DEM", NIRS[0], "MARTIN Hélène", "0611111111"),
    )

    run = import_file(pilot_client, csv_upload(text, encoding="utf-8-sig"))

    assert outcome_of(run) == "Import terminé : 0 création, 2 modifications, 0 ligne inchangée."
    lefevre.refresh_from_db()
    assert (lefevre.phone, lefevre.email) == ("06 99 99 99 99", "zoe.lefevre@exemple.fr")
    assert Beneficiary.objects.get(pk=durand["helene"].pk).phone == "06 11 11 11 11"


def test_blank_cells_erase_nothing_and_only_changed_files_are_traced(pilot_client, pilot, durand):
    helene, eric = durand["helene"], durand["eric"]
    eric.phone, eric.email = "06 00 00 00 00", "eric@exemple.fr"
    eric.save()
    text = contacts_file(
        # A new e-mail; no phone (which erases nothing).
        row("0123456", "DEM", NIRS[0], "DURAND HELENE", "", "", "nouvelle@exemple.fr"),
        # Blank cells, and the same phone written otherwise: nothing changes.
        row("0123456", "CJT", NIRS[1], "DURAND HELENE", " ", "06.00.00.00.00", ""),
    )

    run = analysed(pilot_client, csv_upload(text))
    assert rows_of(run_page(pilot_client, run)) == [("2", "modification"), ("3", "inchangé")]
    run = confirm(pilot_client, run)

    assert outcome_of(run) == "Import terminé : 0 création, 1 modification, 1 ligne inchangée."
    helene.refresh_from_db()
    eric.refresh_from_db()
    assert (helene.phone, helene.email) == ("04 77 11 11 11", "nouvelle@exemple.fr")
    assert (eric.phone, eric.email, eric.lock_version) == (
        "06 00 00 00 00",
        "eric@exemple.fr",
        1,
    )
    assert [(t.beneficiary, t.what, t.user) for t in FileAccess.objects.all()] == [
        (helene, "import coordonnées CAF", pilot)
    ]


def test_the_same_person_twice_is_refused_naming_both_lines(pilot_client, durand):
    before = state()
    text = contacts_file(
        row("0123456", "DEM", NIRS[0], "DURAND HELENE", "0611111111"),
        row("0123456", "CJT", NIRS[1], "DURAND HELENE", "0622222222"),
        "",
        # The same matricule written without its zero, the same role in lower case.
        row("123456", "dem", NIRS[0], "DURAND HELENE", "0633333333"),
        # Two children of one household are not the same person.
        row("0123456", "ENF", NIRS[2], "DURAND HELENE"),
        row("0123456", "ENF", NIRS[3], "DURAND HELENE"),
    )

    run = analysed(pilot_client, csv_upload(text))

    assert error_lines(run_page(pilot_client, run)) == [
        "Ligne 5 : Les lignes 2 et 5 concernent la même personne (même matricule, même "
        "rôle) : gardez-en une seule."
    ]
    assert state() == before
    # The other rows do not depend on it: they are written.
    run = confirm(pilot_client, run)
    assert outcome_of(run).startswith(
        "Import terminé : 0 création, 2 modifications, 0 ligne inchangée, 2 lignes ignorées "
        "(enfant ou autre membre du foyer : 2), 1 ligne retenue."
    )


def test_a_matricule_that_lost_its_leading_zero_finds_the_household(pilot_client, durand):
    text = contacts_file(row("123456", "DEM", NIRS[0], "DURAND HELENE", "0781000000"))

    run = analysed(pilot_client, csv_upload(text))

    assert rows_of(run_page(pilot_client, run)) == [("2", "modification")]
    confirm(pilot_client, run)
    assert Beneficiary.objects.get(pk=durand["helene"].pk).phone == "07 81 00 00 00"


def test_an_xlsx_with_number_and_date_cells(pilot_client, durand):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER.split(";"))
    workbook.active.append(
        [
            123456,
            "DEM",
            "P",
            int(NIRS[0]),
            12345,
            datetime.datetime(2024, 1, 10),
            datetime.datetime(2024, 2, 1),
            "DURAND HELENE",
            612345678,
            None,
            "helene@exemple.fr",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    run = import_file(pilot_client, SimpleUploadedFile("coordonnees.xlsx", buffer.getvalue()))

    assert outcome_of(run) == "Import terminé : 0 création, 1 modification, 0 ligne inchangée."
    helene = Beneficiary.objects.get(pk=durand["helene"].pk)
    assert (helene.phone, helene.email) == ("06 12 34 56 78", "helene@exemple.fr")


# --- Rows left aside ------------------------------------------------------------------------------


def test_rows_that_are_not_for_the_application_are_ignored_and_counted(
    pilot_client, durand, lefevre
):
    HouseholdFactory(caf_number="5555555")  # a household with nobody in it
    msa = HouseholdFactory(payer=Payer.MSA, caf_number="2222222")
    BeneficiaryFactory(household=msa, first_name="Paul", last_name="Msa")
    muddled = HouseholdFactory(caf_number="3333333")  # two partners: which one?
    BeneficiaryFactory.create_batch(2, household=muddled, household_role=HouseholdRole.PARTNER)
    before = state()
    text = contacts_file(
        row("9999999", "DEM", NIRS[3], "INCONNU JEAN", "0611111111", "", "x@"),
        row("0123456", "ENF", NIRS[4], "DURAND HELENE", "0611111111"),
        row("0123456", "AUT", NIRS[4], "DURAND HELENE", "0611111111"),
        row("7654321", "CJT", NIRS[1], "LEFEVRE ZOE", "0622222222"),
        row("5555555", "DEM", NIRS[3], "PERSONNE", "0633333333"),
        row("2222222", "DEM", NIRS[3], "MSA PAUL", "0644444444"),
        row("0123456", "ENF", NIRS[2], "DURAND HELENE", "0611111111"),
        row("3333333", "CJT", NIRS[2], "NOM PRENOM", "0655555555"),
    )

    run = analysed(pilot_client, csv_upload(text))

    response = run_page(pilot_client, run)
    content = page(response)
    assert error_lines(response) == []
    # Counted by reason (an MSA household is not the CAF's: "dossier inconnu"), never shown:
    # the cells may be about people the département does not follow.
    assert rows_of(response) == []
    assert "INCONNU" not in content
    assert "0644444444" not in content
    assert "0 ligne inchangée, 8 lignes ignorées (" in content
    assert "<li>enfant ou autre membre du foyer : 3 lignes</li>" in content
    assert "<li>dossier inconnu : 2 lignes</li>" in content
    assert "<li>personne anonymisée : 1 ligne</li>" in content
    assert "<li>pas de demandeur dans ce dossier : 1 ligne</li>" in content
    assert "<li>plusieurs conjoints dans ce dossier : 1 ligne</li>" in content

    run = confirm(pilot_client, run)

    assert outcome_of(run) == (
        "Import terminé : 0 création, 0 modification, 0 ligne inchangée, 8 lignes ignorées "
        "(enfant ou autre membre du foyer : 3, dossier inconnu : 2, pas de demandeur dans ce "
        "dossier : 1, personne anonymisée : 1, plusieurs conjoints dans ce dossier : 1)."
    )
    assert state() == before


def test_a_person_anonymised_between_preview_and_confirmation_is_left_aside(pilot_client, durand):
    text = contacts_file(row("0123456", "CJT", NIRS[1], "DURAND HELENE", "0611111111"))
    run = analysed(pilot_client, csv_upload(text))
    Beneficiary.objects.filter(pk=durand["eric"].pk).update(anonymised_on=datetime.date(2026, 1, 1))

    run = confirm(pilot_client, run)

    assert outcome_of(run).endswith("1 ligne ignorée (personne anonymisée : 1).")
    assert Beneficiary.objects.get(pk=durand["eric"].pk).phone == ""


# --- Faulty rows: every error, with its line; held, and the others written ---------------------


def test_bad_rows_are_all_listed_with_their_line_held_and_the_good_one_is_written(
    pilot_client, durand, lefevre
):
    before = state()
    text = contacts_file(
        # A good row: written once confirmed.
        row("0123456", "CJT", NIRS[1], "DURAND HELENE", "0611111111", "", "eric@exemple.fr"),
        row("12345678", "DEM", NIRS[3], "TROP LONG", "0611111111"),
        row("12A4567", "DEM", NIRS[3], "PAS UN NUMERO", "0611111111"),
        row("7654321", "XYZ", NIRS[2], "LEFEVRE ZOE", "0611111111"),
        row("7654321", "", NIRS[2], "LEFEVRE ZOE", "0611111111"),
        row("7654321", "DEM", NIRS[2], "LEFEVRE ZOE", "", "", "zoe@@exemple"),
        # The matricule of someone else's household: the applicant's name does not match.
        row("0123456", "DEM", NIRS[2], "LEFEVRE ZOE", "0633333333"),
        row("7654321", "DEM", NIRS[2], "LEFEVRE ZOE", "0644444444", "", "", "31/02/2024"),
        row("0123456", "CJT", NIRS[1], "DURAND HELENE", "0655555555"),
    )

    run = analysed(pilot_client, csv_upload(text))

    response = run_page(pilot_client, run)
    content = page(response)
    assert "L'import ferait : 0 création, 1 modification, 1 ligne inchangée, 7 lignes " in content
    assert error_lines(response) == [
        "Ligne 3 : MATRICULE : « 12345678 » n'est pas un numéro d'allocataire (7 chiffres au "
        "plus).",
        "Ligne 4 : MATRICULE : « 12A4567 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
        "Ligne 5 : ROLE PERSONNE : « XYZ » n'est pas un rôle de la CAF (DEM demandeur, CJT "
        "conjoint, ENF enfant ou AUT autre).",
        "Ligne 6 : ROLE PERSONNE : indiquez le rôle de la personne (DEM ou CJT).",
        "Ligne 8 : Le nom du responsable ne correspond pas au dossier n° 0123456 : vérifiez "
        "le matricule.",
        "Ligne 9 : DATE DEMANDE RSA : « 31/02/2024 » : date impossible : le 31/02 n'existe pas.",
        "Ligne 9 : Les lignes 7 et 9 concernent la même personne (même matricule, même rôle) "
        ": gardez-en une seule.",
        "Ligne 10 : Les lignes 2 et 10 concernent la même personne (même matricule, même "
        "rôle) : gardez-en une seule.",
        # After the errors, the warnings.
        "Ligne 7 : ADRESSE ELECTRONIQUE DOSSIER : « zoe@@exemple » n'est pas une adresse "
        "électronique valide : la case est ignorée.",
    ]
    # The names of the base are never printed in a message.
    assert not any("Hélène" in line or "Durand" in line for line in error_lines(response))
    # An invalid e-mail is left out of its row, which is imported without it.
    assert run.analysis["warnings"] == [
        "Ligne 7 : ADRESSE ELECTRONIQUE DOSSIER : « zoe@@exemple » n'est pas une adresse "
        "électronique valide : la case est ignorée."
    ]
    assert rows_of(response) == [("2", "modification"), ("7", "inchangé")]
    assert_no_nir(content)
    assert state() == before
    # The held rows come back without the NIR, which is kept nowhere.
    data, rows = held_rows(pilot_client, run)
    assert rows[0] == ["Erreur", *[h for h in HEADER.split(";") if h != "NIR"]]
    assert [row[1] for row in rows[1:]] == [
        "12345678",
        "12A4567",
        "7654321",
        "7654321",
        "0123456",
        "7654321",
        "0123456",
    ]
    assert_no_nir(data.decode("utf-8-sig"))

    run = confirm(pilot_client, run)

    assert outcome_of(run) == (
        "Import terminé : 0 création, 1 modification, 1 ligne inchangée, 7 lignes retenues."
    )
    assert Beneficiary.objects.get(pk=durand["eric"].pk).email == "eric@exemple.fr"


def test_an_invalid_email_of_an_ignored_row_is_not_an_error(pilot_client, durand):
    text = contacts_file(
        row("9999999", "DEM", NIRS[3], "INCONNU JEAN", "06 12", "", "pas-une-adresse"),
        row("0123456", "ENF", NIRS[4], "DURAND HELENE", "", "", "@"),
    )

    response = preview(pilot_client, csv_upload(text))

    assert error_lines(response) == []
    assert rows_of(response) == []
    assert "2 lignes ignorées" in page(response)


def test_a_missing_column_is_named(pilot_client):
    text = "MATRICULE;ROLE PERSONNE;NIR;NUMERO TELEPHONE DOSSIER\r\n0123456;DEM;{};06\r\n"

    response = preview(pilot_client, csv_upload(text.format(NIRS[0])))

    content = page(response)
    assert TaskRun.objects.get().status == RunStatus.FAILED
    assert (
        "Colonnes obligatoires absentes : « NOM/PRENOM RESPONSABLE DOSSIER », « ADRESSE "
        "ELECTRONIQUE DOSSIER »." in content
    )
    assert_no_nir(content)


# --- The NIR: read by nobody, kept nowhere -------------------------------------------------------


def test_the_nir_is_never_shown_logged_traced_nor_kept(
    pilot_client, durand, lefevre, media_root, caplog
):
    caplog.set_level(logging.DEBUG)
    text = contacts_file(
        row("0123456", "DEM", NIRS[0], "DURAND HELENE", "0611111111", "", "h@exemple.fr"),
        row("0123456", "CJT", NIRS[1], "DURAND HELENE", "0622222222"),
        row("7654321", "DEM", NIRS[2], "LEFEVRE ZOE", "", "", "zoe2@exemple.fr"),
        row("9999999", "DEM", NIRS[3], "INCONNU JEAN", "0633333333"),
        row("0123456", "ENF", NIRS[4], "DURAND HELENE"),
    )

    run = analysed(pilot_client, csv_upload(text))

    response = run_page(pilot_client, run)
    content = page(response)
    assert error_lines(response) == []
    headers = re.findall(r'<th scope="col">([^<]*)</th>', content.split("Lignes du fichier")[1])
    assert headers[:2] == ["Ligne", "Opération"]
    assert "NIR" not in headers
    assert "TYPE PERSONNE" not in headers  # a column that is not read is not shown
    assert_no_nir(content)
    # The file kept with the run is the table without the NIR; so is the plan; no other file.
    run.refresh_from_db()
    assert run.file_name == "coordonnees.csv"
    assert run.file.name.endswith(".json")
    stored = sorted(path for path in media_root.rglob("*") if path.is_file())
    assert sorted(path.name for path in stored) == sorted(
        [run.file.name.rsplit("/", 1)[-1], run.plan.name.rsplit("/", 1)[-1]]
    )
    for path in stored:
        assert b"NIR" not in path.read_bytes()
        assert_no_nir(path.read_bytes().decode())
    assert_no_nir(repr(run.analysis))

    run = confirm(pilot_client, run)

    assert "3 modifications" in outcome_of(run)
    assert_no_nir(page(run_page(pilot_client, run)))
    assert_no_nir(repr(run.summary))
    assert_no_nir(caplog.text)
    assert_no_nir(repr(list(FileAccess.objects.values())))
    assert set(FileAccess.objects.values_list("what", flat=True)) == {"import coordonnées CAF"}
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert_no_nir(dump.getvalue())
    for path in media_root.rglob("*"):
        if path.is_file():
            assert_no_nir(path.read_bytes().decode())


def test_a_nir_shifted_into_another_column_is_removed_too(pilot_client, durand):
    # A row that lost two separators: the NIR lands under ROLE PERSONNE.
    text = contacts_file(
        row("0123456", "DEM", NIRS[0], "DURAND HELENE", "0611111111"),
        f"0123456;{NIRS[1][:1]} {NIRS[1][1:3]} {NIRS[1][3:5]} {NIRS[1][5:7]} {NIRS[1][7:10]} "
        f"{NIRS[1][10:]};00012345;10/01/2024;01/02/2024;DURAND HELENE;0611111111;;",
    )

    run = analysed(pilot_client, csv_upload(text))

    response = run_page(pilot_client, run)
    content = page(response)
    assert error_lines(response) == [
        "Ligne 3 : DATE DEMANDE RSA : « DURAND HELENE » n'est pas une date au format jj/mm/aaaa.",
        "Ligne 3 : ROLE PERSONNE : « (valeur retirée) » n'est pas un rôle de la CAF (DEM "
        "demandeur, CJT conjoint, ENF enfant ou AUT autre).",
    ]
    assert_no_nir(content)
    data, rows = held_rows(pilot_client, run)
    assert rows[1][2] == "(valeur retirée)"
    assert_no_nir(data.decode("utf-8-sig"))


# --- Cost -----------------------------------------------------------------------------------


def test_the_confirmation_costs_a_fixed_number_of_queries_per_row(
    pilot_client, django_assert_max_num_queries
):
    def people(start, count):
        for n in range(start, start + count):
            household = HouseholdFactory(caf_number=f"{n:07d}")
            BeneficiaryFactory(
                household=household, last_name=f"Nom{n}", first_name="Camille", phone=""
            )
            BeneficiaryFactory(
                household=household,
                household_role=HouseholdRole.PARTNER,
                last_name=f"Nom{n}",
                first_name="Dominique",
            )

    def file_of(start, count):
        rows = []
        for n in range(start, start + count):
            rows.append(row(f"{n}", "DEM", NIRS[0], f"NOM{n} CAMILLE", f"06{n:08d}"))
            rows.append(row(f"{n}", "CJT", NIRS[1], f"NOM{n} CAMILLE"))  # unchanged
            rows.append(row(f"{n}", "ENF", NIRS[2], f"NOM{n} CAMILLE"))  # ignored
            rows.append(row(f"{n + 900000}", "DEM", NIRS[3], "INCONNU"))  # ignored
        return csv_upload(contacts_file(*rows))

    def confirm_queries(upload):
        run = analysed(pilot_client, upload)
        with CaptureQueriesContext(connection) as queries:
            run = confirm(pilot_client, run)
        return len(queries), outcome_of(run)

    people(1, 1)
    people(100, 30)
    one, message = confirm_queries(file_of(1, 1))
    assert message.startswith("Import terminé : 0 création, 1 modification, 1 ligne inchangée")

    # Measured: 17 queries per changed person: the row's savepoint, then the service's
    # (savepoint, lock, full_clean: the household exists, each check constraint in its own
    # savepoint; audit log entry, update, lock version, access trace); 2 per other row (its
    # savepoint). The households and their people are read once per file, whatever its
    # length.
    per_household = 17 + 3 * 2
    run = analysed(pilot_client, file_of(100, 30))
    with django_assert_max_num_queries(one + 29 * per_household):
        run = confirm(pilot_client, run)
    assert outcome_of(run) == (
        "Import terminé : 0 création, 30 modifications, 30 lignes inchangées, 60 lignes "
        "ignorées (dossier inconnu : 30, enfant ou autre membre du foyer : 30)."
    )


def test_hidden_rows_of_a_contacts_workbook_can_be_left_out_after_the_analysis(
    pilot_client, durand, lefevre
):
    """The contacts file is kept as its table, without the NIRs: its hidden rows are kept
    with it, marked, so that the choice made on the run's page still applies."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    for line in (
        row("0123456", "DEM", NIRS[0], "DURAND HELENE", phone="06 11 22 33 44"),
        row("7654321", "DEM", NIRS[2], "LEFEVRE ZOE", phone="06 55 66 77 88"),
    ):
        sheet.append(line.split(";"))
    sheet.row_dimensions[3].hidden = True  # Zoé's row, filtered out in the spreadsheet
    data = io.BytesIO()
    workbook.save(data)
    run = analysed(pilot_client, SimpleUploadedFile("coordonnees.xlsx", data.getvalue()))
    assert "1 ligne masquée ou filtrée dans le tableur (ligne 3)" in page(
        run_page(pilot_client, run)
    )

    pilot_client.post(reverse("pti:run_hidden_rows", args=[run.pk]), {"inclure": "non"})
    run.refresh_from_db()
    content = page(run_page(pilot_client, run))
    assert "(ligne 3) : laissée de côté" in content
    confirm(pilot_client, run)

    durand["helene"].refresh_from_db()
    lefevre.refresh_from_db()
    assert durand["helene"].phone == "06 11 22 33 44"
    assert lefevre.phone == "06 99 99 99 99"  # the hidden row was left out
    for nir in NIRS:
        assert nir not in content
