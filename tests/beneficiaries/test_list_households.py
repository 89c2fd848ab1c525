"""Households from a list of people (beneficiaries/people_import.py, `_Analysis.compose`):
the rows of one « N° CAF » make one household whose family situation comes from the roles
of its members, those of the file and those the base already holds; a household has one
demandeur and at most one conjoint, and a second one holds the whole household; a conjoint
who arrives in a later file makes the stored household a couple."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beneficiaries.enums import FamilySituation, FileOperation, HouseholdRole
from beneficiaries.households import household_situation
from beneficiaries.models import Beneficiary, FileAccess, Household
from pti.enums import RunStatus
from tests.beneficiaries.factories import BeneficiaryFactory, HouseholdFactory
from tests.beneficiaries.test_people_import import Import, csv
from tests.import_pages import (
    confirm,
    error_lines,
    outcome_of,
    page,
    rows_of,
    run_page,
    upload_file,
)
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("beneficiaries:import")
CONTACTS_URL = reverse("beneficiaries:import_contacts")
HEADER = "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Rôle;Situation familiale"
SINGLE, SINGLE_PARENT = FamilySituation.SINGLE, FamilySituation.SINGLE_PARENT
COUPLE, COUPLE_CHILDREN = FamilySituation.COUPLE, FamilySituation.COUPLE_WITH_CHILDREN
APPLICANT, PARTNER = HouseholdRole.APPLICANT, HouseholdRole.PARTNER
CHILD, OTHER = HouseholdRole.CHILD, HouseholdRole.OTHER


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def place():
    territory = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    return CommuneFactory(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
    )


@pytest.fixture
def pilot():
    return UserFactory(pilot=True)


HELENE = ("Mme", "Durand", "Hélène", "14/03/1986")
ERIC = ("M.", "Durand", "Éric", "02/11/1984")
LEO = ("M.", "Durand", "Léo", "05/06/2012")
ZOE = ("Mme", "Lefèvre", "Zoé", "01/02/1999")
# An adult of another family (a demandeur or a conjoint is 16 at least: cells.check_applicant_age).
MARC = ("M.", "Lefèvre", "Marc", "12/09/1997")


def row(who, number="0123456", role="", situation=""):
    civility, last, first, born = who
    return f"{civility};{last};{first};{born};42000 Saint-Étienne;{number};{role};{situation}"


def household(number="0123456"):
    """(family situation, {first name: role}) of a household of the base."""
    found = Household.objects.get(caf_number=number)
    return found.family_situation, dict(found.members.values_list("first_name", "household_role"))


# --- Through the page and the command -------------------------------------------------------------


def test_a_demandeur_and_a_conjoint_make_a_couple_from_preview_to_write(client_as, pilot, place):
    client = client_as(pilot)
    text = "\r\n".join(
        [HEADER, row(HELENE, role="demandeur"), row(ZOE, "7654321"), row(ERIC, role="conjoint")]
    )

    run = upload_file(client, IMPORT_URL, "liste.csv", text + "\r\n")

    response = run_page(client, run)
    assert run.status == RunStatus.TO_CONFIRM
    assert error_lines(response) == []
    assert rows_of(response) == [("2", "création"), ("3", "création"), ("4", "création")]
    assert not Household.objects.exists()

    confirm(client, run)

    assert household() == (COUPLE, {"Hélène": APPLICANT, "Éric": PARTNER})
    assert household("7654321") == (SINGLE, {"Zoé": APPLICANT})


def test_a_second_demandeur_holds_the_household_in_the_dry_run_and_the_write(
    pilot, place, tmp_path
):
    path = tmp_path / "liste.csv"
    path.write_bytes(
        csv(
            row(HELENE, role="DEM"),
            row(ZOE, "7654321", role="DEM"),
            row(ERIC, role="demandeur"),
            row(LEO, role="enfant"),
            header=HEADER,
        )
    )
    expected_errors = (
        "3 erreurs dans le fichier :\n"
        # Never half a household: its other rows are held with the faulty one.
        "  Ligne 2 : Retenue avec la ligne 4, qui est en erreur : elles ont le même « N° CAF ».\n"
        "  Ligne 4 : Rôle : le foyer n° 0123456 a déjà un demandeur (ligne 2) : un foyer n'en "
        "compte qu'un ; corrigez le rôle de l'une des deux personnes.\n"
        "  Ligne 5 : Retenue avec la ligne 4, qui est en erreur : elles ont le même « N° CAF ».\n"
    )

    def command(*args):
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import_beneficiaries",
            str(path),
            "--user",
            pilot.username,
            *args,
            stdout=out,
            stderr=err,
        )
        return out.getvalue(), err.getvalue()

    out, err = command("--dry-run")

    assert err == expected_errors
    assert "L'import ferait : 1 création, 0 modification, 0 ligne inchangée, 3 lignes " in out
    assert not Beneficiary.objects.exists()

    out, err = command()

    assert "Import terminé : 1 création, 0 modification, 0 ligne inchangée, 3 lignes " in out
    assert list(Beneficiary.objects.values_list("first_name", flat=True)) == ["Zoé"]
    assert not Household.objects.filter(caf_number="0123456").exists()


# --- The situation from the roles -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "situation", "roles"),
    [
        ([row(HELENE, role="DEM")], SINGLE, {"Hélène": APPLICANT}),
        (
            [row(ERIC, role="CJT"), row(HELENE, role="DEM")],
            COUPLE,
            {"Hélène": APPLICANT, "Éric": PARTNER},
        ),
        (
            [row(HELENE, role="demandeur"), row(LEO, role="enfant")],
            SINGLE_PARENT,
            {"Hélène": APPLICANT, "Léo": CHILD},
        ),
        (
            [row(HELENE, role="DEM"), row(ERIC, role="CJT"), row(LEO, role="ENF")],
            COUPLE_CHILDREN,
            {"Hélène": APPLICANT, "Éric": PARTNER, "Léo": CHILD},
        ),
        # A list seldom names the children: what the cell says adds to the roles.
        ([row(HELENE, situation="parent isolé")], SINGLE_PARENT, {"Hélène": APPLICANT}),
        (
            [row(HELENE, role="DEM", situation="couple avec enfants"), row(ERIC, role="CJT")],
            COUPLE_CHILDREN,
            {"Hélène": APPLICANT, "Éric": PARTNER},
        ),
        # A conjoint not subject to duties is not on the list; the cell says couple.
        ([row(HELENE, situation="couple")], COUPLE, {"Hélène": APPLICANT}),
    ],
)
def test_the_situation_of_a_new_household_comes_from_its_roles(
    pilot, place, rows, situation, roles
):
    imported = Import(pilot, csv(*rows, header=HEADER))

    assert imported.errors == []
    assert imported.report.warnings == []
    imported.write()
    assert household() == (situation, roles)


def test_a_situation_cell_the_roles_contradict_gets_a_warning(pilot, place):
    imported = Import(
        pilot,
        csv(
            row(HELENE, role="DEM", situation="personne seule"),
            row(ERIC, role="CJT", situation="personne seule"),
            header=HEADER,
        ),
    )

    warning = (
        "Situation familiale : « personne seule » ne correspond pas aux membres du foyer "
        "n° 0123456 : il est enregistré « couple sans enfant »."
    )
    assert imported.report.warnings == [(2, warning), (3, warning)]
    imported.write()
    assert household()[0] == COUPLE


def test_a_row_without_role_is_the_demandeur_of_a_household_that_has_none(pilot, place):
    imported = Import(
        pilot,
        csv(
            row(HELENE),
            row(ERIC, role="CJT"),
            row(ZOE, "7654321"),
            row(MARC, "7654321", role="DEM"),
            header=HEADER,
        ),
    )

    assert imported.errors == []
    assert imported.report.warnings == [
        (
            4,
            "Rôle : non indiqué, et le foyer n° 7654321 a déjà un demandeur (ligne 5) : la "
            "personne est enregistrée « autre » ; indiquez « conjoint » ou « enfant » s'il le "
            "faut.",
        )
    ]
    imported.write()
    assert household() == (COUPLE, {"Hélène": APPLICANT, "Éric": PARTNER})
    assert household("7654321") == (SINGLE, {"Zoé": OTHER, "Marc": APPLICANT})


def test_a_list_without_a_role_column_never_makes_two_demandeurs(pilot, place):
    header = "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF"
    lines = [row(who).rsplit(";", 2)[0] for who in (HELENE, ERIC)]

    imported = Import(pilot, csv(*lines, header=header))

    assert [line for line, _ in imported.report.warnings] == [3]
    imported.write()
    assert household() == (SINGLE, {"Hélène": APPLICANT, "Éric": OTHER})


def test_a_second_conjoint_holds_the_household(pilot, place):
    imported = Import(
        pilot,
        csv(
            row(HELENE, role="DEM"),
            row(ERIC, role="CJT"),
            row(MARC, role="conjoint"),
            header=HEADER,
        ),
    )

    assert imported.errors == [
        "Ligne 2 : Retenue avec la ligne 4, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 3 : Retenue avec la ligne 4, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 4 : Rôle : le foyer n° 0123456 a déjà un conjoint (ligne 3) : un foyer n'en "
        "compte qu'un ; corrigez le rôle de l'une des deux personnes.",
    ]
    assert imported.analysis.held_lines == [2, 3, 4]
    imported.write()
    assert not Household.objects.exists()


def test_the_situation_is_the_flux_one():
    roles = {APPLICANT: 1, PARTNER: 0, CHILD: 0}
    assert household_situation(roles | {PARTNER: 1}, set()) == COUPLE
    assert household_situation(roles | {CHILD: 2}, {SINGLE}) == SINGLE_PARENT
    assert household_situation(roles, {SINGLE, COUPLE}) == COUPLE
    assert household_situation(roles | {CHILD: 1}, {COUPLE}) == COUPLE_CHILDREN
    assert household_situation(roles, set()) == SINGLE


# --- A household of the base, completed by a later file -----------------------------------------


def test_the_conjoint_in_a_later_file_makes_the_household_a_couple(client_as, pilot, place):
    client = client_as(pilot)
    first = upload_file(client, IMPORT_URL, "mars.csv", csv(row(HELENE, role="DEM"), header=HEADER))
    confirm(client, first)
    assert household() == (SINGLE, {"Hélène": APPLICANT})
    stored = Household.objects.get()
    helene = Beneficiary.objects.get()

    # The next month's list names Hélène again, and Éric.
    text = csv(row(HELENE, role="DEM"), row(ERIC, role="CJT"), header=HEADER)
    run = upload_file(client, IMPORT_URL, "avril.csv", text)

    response = run_page(client, run)
    assert error_lines(response) == []
    assert rows_of(response) == [("2", "inchangé"), ("3", "création")]
    assert "L'import ferait : 1 création, 0 modification, 1 ligne inchangée." in page(response)
    assert household()[0] == SINGLE

    run = confirm(client, run)

    assert outcome_of(run) == "Import terminé : 1 création, 0 modification, 1 ligne inchangée."
    assert household() == (COUPLE, {"Hélène": APPLICANT, "Éric": PARTNER})
    assert Household.objects.get().lock_version == stored.lock_version + 1
    assert (
        helene.pk,
        FileOperation.UPDATE,
        "foyer : nouveau membre",
    ) in FileAccess.objects.values_list("beneficiary", "operation", "what")


def test_a_later_file_may_name_only_the_newcomers(pilot, place):
    stored = HouseholdFactory(caf_number="0123456", family_situation=SINGLE_PARENT)
    BeneficiaryFactory(household=stored, household_role=APPLICANT, first_name="Hélène")

    Import(pilot, csv(row(ERIC, role="conjoint"), header=HEADER)).write()

    # The stored situation said children: a conjoint makes a couple with children.
    assert household() == (COUPLE_CHILDREN, {"Hélène": APPLICANT, "Éric": PARTNER})


def test_a_later_demandeur_of_a_household_that_has_one_is_held(pilot, place):
    stored = HouseholdFactory(caf_number="0123456", family_situation=SINGLE)
    BeneficiaryFactory(household=stored, household_role=APPLICANT, first_name="Hélène")

    imported = Import(pilot, csv(row(ERIC, role="DEM"), row(LEO, role="enfant"), header=HEADER))

    assert imported.errors == [
        "Ligne 2 : Rôle : le foyer n° 0123456 a déjà un demandeur (déjà enregistré) : un foyer "
        "n'en compte qu'un ; corrigez le rôle de l'une des deux personnes.",
        "Ligne 3 : Retenue avec la ligne 2, qui est en erreur : elles ont le même « N° CAF ».",
    ]
    imported.write()
    assert household() == (SINGLE, {"Hélène": APPLICANT})


def test_an_anonymised_member_does_not_count(pilot, place):
    stored = HouseholdFactory(caf_number="0123456", family_situation=SINGLE)
    BeneficiaryFactory(household=stored, household_role=APPLICANT, first_name="Hélène")
    BeneficiaryFactory(
        household=stored,
        household_role=PARTNER,
        first_name="Ancien",
        anonymised_on=datetime.date(2025, 1, 1),
    )

    imported = Import(pilot, csv(row(ERIC, role="CJT"), header=HEADER))

    assert imported.errors == []
    imported.write()
    assert Household.objects.get().family_situation == COUPLE


def test_a_household_changed_since_the_analysis_refuses_the_plan(pilot, place):
    stored = HouseholdFactory(caf_number="0123456", family_situation=SINGLE)
    BeneficiaryFactory(household=stored, household_role=APPLICANT, first_name="Hélène")
    imported = Import(pilot, csv(row(ERIC, role="CJT"), header=HEADER))
    stored.family_situation = SINGLE_PARENT
    stored.lock_version += 1
    stored.save()

    with pytest.raises(ValidationError) as refused:
        imported.write()

    assert "ligne 2 : foyer modifié depuis l'analyse" in refused.value.messages[0]
    assert Beneficiary.objects.count() == 1


def test_reading_the_households_of_the_base_costs_the_same_for_one_or_many(pilot, place):
    def queries(count, start):
        rows = []
        for n in range(start, start + count):
            stored = HouseholdFactory(caf_number=f"{n:07d}", family_situation=SINGLE)
            BeneficiaryFactory(household=stored, household_role=APPLICANT)
            rows.append(f"M.;Nom{n};Prénom{n};01/01/19{50 + n % 40};42000 Saint-Étienne;{n};CJT;")
        with CaptureQueriesContext(connection) as captured:
            imported = Import(pilot, csv(*rows, header=HEADER))
        assert imported.errors == []
        return len(captured)

    assert queries(1, 100) == queries(30, 200)


# --- The contacts file finds each member by role --------------------------------------------------


def test_the_contacts_file_reaches_the_conjoint_of_a_household_a_list_made(client_as, pilot, place):
    client = client_as(pilot)
    people = csv(row(HELENE, role="DEM"), row(ERIC, role="CJT"), header=HEADER)
    confirm(client, upload_file(client, IMPORT_URL, "liste.csv", people))
    contacts = (
        "MATRICULE;ROLE PERSONNE;NOM/PRENOM RESPONSABLE DOSSIER;NUMERO TELEPHONE DOSSIER;"
        "ADRESSE ELECTRONIQUE DOSSIER\r\n"
        "0123456;DEM;DURAND HELENE;0612345678;helene@exemple.fr\r\n"
        "0123456;CJT;DURAND HELENE;0611223344;eric@exemple.fr\r\n"
    )

    run = confirm(client, upload_file(client, CONTACTS_URL, "contacts.csv", contacts))

    assert outcome_of(run) == "Import terminé : 0 création, 2 modifications, 0 ligne inchangée."
    assert dict(Beneficiary.objects.values_list("first_name", "email")) == {
        "Hélène": "helene@exemple.fr",
        "Éric": "eric@exemple.fr",
    }


# --- The creation form follows the same rules ---------------------------------------------------


def create_form(place, **changes):
    return {
        "payer": "caf",
        "caf_number": "0123456",
        "commune": place.pk,
        "address": "1 place Neuve",
        "family_situation": "single",
        "last_name": "Durand",
        "first_name": "Éric",
        "birth_date": "1984-11-02",
        "sex": "M",
        "household_role": "partner",
        "rights_and_duties": "subject",
        "rsa_requested_on": "2026-01-05",
        "right_opened_on": "2026-01-10",
        "right_known_on": "2026-01-12",
        **changes,
    }


def test_the_form_refuses_a_second_demandeur_beside_the_field(client_as, pilot, place):
    stored = HouseholdFactory(caf_number="0123456", family_situation=SINGLE)
    BeneficiaryFactory(household=stored, household_role=APPLICANT, first_name="Hélène")

    response = client_as(pilot).post(
        reverse("beneficiaries:create"), create_form(place, household_role="applicant")
    )

    assert response.status_code == 422
    assert (
        "Ce foyer a déjà un demandeur : un foyer n'en compte qu'un ; vérifiez le rôle de la "
        "personne ou le numéro d'allocataire." in page(response)
    )
    assert household() == (SINGLE, {"Hélène": APPLICANT})


def test_a_conjoint_added_by_the_form_makes_the_household_a_couple(client_as, pilot, place):
    stored = HouseholdFactory(caf_number="0123456", family_situation=SINGLE)
    BeneficiaryFactory(household=stored, household_role=APPLICANT, first_name="Hélène")

    response = client_as(pilot).post(reverse("beneficiaries:create"), create_form(place))

    assert response.status_code == 302
    assert household() == (COUPLE, {"Hélène": APPLICANT, "Éric": PARTNER})
    assert Household.objects.get().lock_version == stored.lock_version + 1


def test_a_child_without_a_role_beside_a_demandeur_is_not_refused_for_its_age(pilot, place):
    """An empty « Rôle » is no claim that the row is a demandeur: the household decides it."""
    imported = Import(
        pilot,
        csv(row(HELENE, role="DEM"), row(LEO), header=HEADER),
    )

    assert imported.errors == []
    imported.write()
    assert household() == (SINGLE, {"Hélène": APPLICANT, "Léo": OTHER})
