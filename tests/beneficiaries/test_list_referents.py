"""The « Référent » of a list of people (beneficiaries/people_import.py, ReferentIndex): a
référent is found by username, « Nom Prénom » or « Prénom Nom », whatever the accents, the
case, the hyphens and the spaces, among the référents the importing user may assign; a cell
that names none of them, or several, leaves the person without a référent, imported all the
same with a warning naming the cell; a manager's new person, who would be out of any scope
without a référent of the structure, is refused instead, naming the référent."""

import csv as csv_module
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from beneficiaries.models import Beneficiary, ReferentAssignment
from beneficiaries.people_import import ReferentIndex
from pti.enums import RunStatus
from tests.beneficiaries.factories import BeneficiaryFactory, ReferentAssignmentFactory
from tests.beneficiaries.test_people_import import Import, csv
from tests.import_pages import (
    confirm,
    error_lines,
    outcome_of,
    page,
    run_page,
    upload_file,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("beneficiaries:import")
HEADER = "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent"
UNASSIGNED = " La personne est importée sans référent : désignez-le depuis son dossier."


@pytest.fixture
def place():
    territory = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    return CommuneFactory(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
    )


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne")


@pytest.fixture
def jean_eric(ccas):
    return UserFactory(
        referent=True,
        organisation=ccas,
        username="JE.Lefevre",
        first_name="Jean-Éric",
        last_name="Lefèvre",
    )


@pytest.fixture
def eloise():
    return UserFactory(
        referent=True,
        organisation=OrganisationFactory(name="Mission locale"),
        username="eberanger",
        first_name="Éloïse",
        last_name="Béranger",
    )


@pytest.fixture
def pilot():
    return UserFactory(pilot=True)


@pytest.fixture
def manager(ccas):
    return UserFactory(manager=True, organisation=ccas)


def person(last, first, number, referent, born="14/03/1986", civility="Mme"):
    return f"{civility};{last};{first};{born};42000 Saint-Étienne;{number};{referent}"


def assigned():
    """{last name: username of the référent} of the people written."""
    return dict(
        ReferentAssignment.objects.values_list("beneficiary__last_name", "referent__username")
    )


# --- Through the page and the command, as the user does ---------------------------------------


def test_an_unknown_referent_imports_the_person_unassigned_with_a_warning(
    client_as, pilot, place, jean_eric
):
    client = client_as(pilot)
    text = (
        f"{HEADER}\r\n"
        f"{person('Durand', 'Hélène', '1000001', 'Martin Paul')}\r\n"
        f"{person('Petit', 'Zoé', '1000002', 'Lefèvre Jean-Éric')}\r\n"
    )

    run = upload_file(client, IMPORT_URL, "liste.csv", text)

    assert run.status == RunStatus.TO_CONFIRM
    response = run_page(client, run)
    content = page(response)
    assert "1 avertissement" in content
    warning = (
        "Ligne 2 : Référent : « Martin Paul » n'est pas un référent en activité (indiquez "
        f"« Prénom Nom » ou son identifiant).{UNASSIGNED}"
    )
    assert error_lines(response) == [warning]
    assert "L'import ferait : 2 créations" in content
    assert not Beneficiary.objects.exists()

    run = confirm(client, run)

    assert outcome_of(run).startswith("Import terminé : 2 créations")
    helene = Beneficiary.objects.get(last_name="Durand")
    assert not helene.assignments.exists()
    assert assigned() == {"Petit": "JE.Lefevre"}
    # The report kept with the run names the warning too.
    response = client.get(reverse("pti:run_report", args=[run.pk]))
    assert ["Avertissement", warning] in list(
        csv_module.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    )


def test_the_command_says_which_referent_it_did_not_find(pilot, place, jean_eric, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_bytes(csv(person("Durand", "Hélène", "1000001", "Martin Paul"), header=HEADER))

    out = io.StringIO()
    call_command("import_beneficiaries", str(path), "--user", pilot.username, stdout=out)

    assert (
        "1 avertissement, à vérifier (sans empêcher l'import) :\n"
        "  Ligne 2 : Référent : « Martin Paul » n'est pas "
        "un référent en activité (indiquez « Prénom Nom » ou son identifiant)." in out.getvalue()
    )
    assert "Import terminé : 1 création" in out.getvalue()
    assert Beneficiary.objects.get().assignments.count() == 0


# --- The ways a référent is written -----------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "JE.Lefevre",
        "je.lefevre",
        "JE LEFEVRE",
        "Jean-Éric Lefèvre",
        "Lefèvre Jean-Éric",
        "LEFEVRE JEAN ERIC",
        "lefevre jean-eric",
        "Jean Eric  LEFÈVRE",
        "  jean-éric lefèvre ",
    ],
)
def test_a_referent_is_found_by_username_or_name_in_either_order(pilot, place, jean_eric, written):
    imported = Import(pilot, csv(person("Durand", "Hélène", "1000001", written), header=HEADER))

    assert imported.report.warnings == []
    assert imported.errors == []
    imported.write()
    assert assigned() == {"Durand": "JE.Lefevre"}


def test_a_referent_gone_or_of_another_role_is_not_named(pilot, place, ccas):
    UserFactory(referent=True, first_name="Paul", last_name="Ancien", is_active=False)
    UserFactory(manager=True, organisation=ccas, first_name="Chef", last_name="Service")
    data = csv(
        person("Durand", "Hélène", "1000001", "Paul Ancien"),
        person("Petit", "Zoé", "1000002", "Service Chef"),
        header=HEADER,
    )

    imported = Import(pilot, data)

    assert imported.report.warnings == [
        (
            2,
            "Référent : « Paul Ancien » n'est pas un référent en activité (indiquez « Prénom Nom »"
            f" ou son identifiant).{UNASSIGNED}",
        ),
        (
            3,
            "Référent : « Service Chef » n'est pas un référent en activité (indiquez « Prénom "
            f"Nom » ou son identifiant).{UNASSIGNED}",
        ),
    ]
    imported.write()
    assert Beneficiary.objects.count() == 2
    assert assigned() == {}


def test_a_name_two_referents_share_asks_for_the_username(pilot, place, jean_eric, eloise):
    UserFactory(
        referent=True,
        organisation=eloise.organisation,
        username="jlefevre2",
        first_name="Jean Éric",
        last_name="LEFEVRE",
    )
    data = csv(
        person("Durand", "Hélène", "1000001", "Jean-Éric Lefèvre"),
        person("Petit", "Zoé", "1000002", "jlefevre2"),
        header=HEADER,
    )

    imported = Import(pilot, data)

    assert imported.report.warnings == [
        (
            2,
            "Référent : plusieurs référents s'appellent « Jean-Éric Lefèvre » : indiquez "
            f"l'identifiant.{UNASSIGNED}",
        )
    ]
    imported.write()
    assert assigned() == {"Petit": "jlefevre2"}


def test_a_pilot_names_the_referents_of_every_structure(pilot, place, jean_eric, eloise):
    data = csv(
        person("Durand", "Hélène", "1000001", "Béranger Éloïse"),
        person("Petit", "Zoé", "1000002", "jean-eric lefevre"),
        header=HEADER,
    )

    Import(pilot, data).write()

    assert assigned() == {"Durand": "eberanger", "Petit": "JE.Lefevre"}


def test_a_known_person_with_an_unknown_referent_keeps_its_update_and_gets_a_warning(
    pilot, place, jean_eric
):
    helene = BeneficiaryFactory(
        last_name="Durand",
        first_name="Hélène",
        birth_date="1986-03-14",
        household__caf_number="1000001",
        email="",
    )
    header = f"{HEADER};Courriel"
    data = csv(
        person("Durand", "Hélène", "1000001", "Martin Paul") + ";h@exemple.fr", header=header
    )

    imported = Import(pilot, data)

    assert imported.operations == [(2, "modification")]
    assert [line for line, _ in imported.report.warnings] == [2]
    imported.write()
    helene.refresh_from_db()
    assert helene.email == "h@exemple.fr"
    assert not helene.assignments.exists()


# --- A manager's scope ------------------------------------------------------------------------


def test_a_manager_names_only_the_referents_of_the_structure_and_a_new_person_needs_one(
    client_as, manager, place, jean_eric, eloise
):
    client = client_as(manager)
    text = (
        f"{HEADER}\r\n"
        f"{person('Durand', 'Hélène', '1000001', 'Béranger Éloïse')}\r\n"
        f"{person('Durand', 'Éric', '1000001', 'Lefèvre Jean-Éric', born='02/11/1984')}\r\n"
        f"{person('Petit', 'Zoé', '1000002', 'Martin Paul')}\r\n"
        f"{person('Bonne', 'Ligne', '1000003', 'je.lefevre')}\r\n"
    )

    run = upload_file(client, IMPORT_URL, "liste.csv", text)
    response = run_page(client, run)

    # Unassigned, these people would be out of every scope, the manager's own included: the
    # rows are refused, naming the référent, and their household is held with them.
    assert error_lines(response) == [
        "Ligne 2 : Référent : « Béranger Éloïse » n'est pas un référent en activité de votre "
        "structure (indiquez « Prénom Nom » ou son identifiant).",
        "Ligne 3 : Retenue avec la ligne 2, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 4 : Référent : « Martin Paul » n'est pas un référent en activité de votre "
        "structure (indiquez « Prénom Nom » ou son identifiant).",
    ]

    run = confirm(client, run)

    assert outcome_of(run).startswith("Import terminé : 1 création")
    assert assigned() == {"Bonne": "JE.Lefevre"}


def test_a_manager_updating_a_followed_person_is_only_warned(manager, place, jean_eric):
    helene = ReferentAssignmentFactory(
        referent=jean_eric,
        beneficiary__last_name="Durand",
        beneficiary__first_name="Hélène",
        beneficiary__birth_date="1986-03-14",
        beneficiary__household__caf_number="1000001",
        beneficiary__email="",
    ).beneficiary
    header = f"{HEADER};Courriel"
    data = csv(
        person("Durand", "Hélène", "1000001", "Martin Paul") + ";h@exemple.fr", header=header
    )

    imported = Import(manager, data)

    assert imported.errors == []
    assert [line for line, _ in imported.report.warnings] == [2]
    imported.write()
    helene.refresh_from_db()
    assert helene.email == "h@exemple.fr"
    assert assigned() == {"Durand": "JE.Lefevre"}


def test_the_index_reads_only_the_referents_the_user_may_assign(
    pilot, manager, jean_eric, eloise, django_assert_num_queries
):
    for user, expected in ((pilot, {jean_eric, eloise}), (manager, {jean_eric})):
        index = ReferentIndex(user)
        with django_assert_num_queries(1):
            index.load()
        assert set(index.by_pk.values()) == expected
