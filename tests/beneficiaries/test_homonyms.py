"""Identity: the same names and birth date in another household are a probable homonym (a
conventional 01/01 birth date makes them common), shown to the user who confirms, never a
dead end; the same person in the same household is never created twice. On the creation
form, in the list import, and in the CNAF flux (where the CAF number identifies the
household)."""

import datetime
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.urls import reverse

from beneficiaries import services
from beneficiaries.cnaf import cnaf_flux_import
from beneficiaries.enums import HouseholdRole, Payer, RefusedTarget, RightsAndDuties, Sex
from beneficiaries.models import Beneficiary, Household, RefusedAccess
from pti.enums import RunStatus
from tests.beneficiaries.cnaf_flux import Household as FluxHouseholdSketch
from tests.beneficiaries.cnaf_flux import Person as FluxPerson
from tests.beneficiaries.cnaf_flux import write_flux
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    HouseholdFactory,
    ReferentAssignmentFactory,
)
from tests.import_pages import confirm, outcome_of, page, rows_of, run_of, run_page, send
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

FILES = Path(__file__).parent / "files"
CREATE_URL = reverse("beneficiaries:create")
IMPORT_URL = reverse("beneficiaries:import")
BORN = datetime.date(1990, 1, 1)
CONFIRM = "Je confirme qu'il s'agit d'une autre personne"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def loire(db):
    territory = TerritoryFactory(code="loire", name="Loire")
    return {
        "territory": territory,
        "saint_etienne": CommuneFactory(
            insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
        ),
        "roanne": CommuneFactory(
            insee_code="42187", name="Roanne", postal_code="42300", territory=territory
        ),
    }


@pytest.fixture
def pilot(db):
    return UserFactory(pilot=True)


@pytest.fixture
def ccas(db):
    return OrganisationFactory(name="CCAS de Roanne")


@pytest.fixture
def camille(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Camille", last_name="Martin")


@pytest.fixture
def manager(ccas):
    return UserFactory(manager=True, organisation=ccas)


def benali(number, territory, **values):
    return BeneficiaryFactory(
        household=HouseholdFactory(caf_number=number, territory=territory),
        last_name="Benali",
        first_name="Mohamed",
        birth_date=BORN,
        sex=Sex.MALE,
        **values,
    )


def form_data(commune, number="7600002", **values):
    return {
        "last_name": "BENALI",
        "birth_name": "",
        "first_name": "Mohamed",
        "birth_date": BORN.isoformat(),
        "sex": Sex.MALE,
        "household_role": HouseholdRole.APPLICANT,
        "email": "",
        "phone": "",
        "rights_and_duties": RightsAndDuties.SUBJECT,
        "rsa_requested_on": "2025-01-10",
        "right_opened_on": "2025-02-01",
        "right_known_on": "2025-02-05",
        "payer": Payer.CAF,
        "caf_number": number,
        "address": "17 avenue de Paris",
        "commune": commune.pk,
        "family_situation": "single",
        **values,
    }


# --- The creation form -------------------------------------------------------------------------


def test_the_form_warns_of_a_homonym_then_creates_once_confirmed(client_as, pilot, loire):
    existing = benali("7600001", loire["territory"])
    client = client_as(pilot)

    first = client.post(CREATE_URL, form_data(loire["roanne"]))

    content = page(first)
    assert first.status_code == 422
    assert "Homonyme probable : une personne de mêmes nom, prénom et date de naissance" in content
    # The file is named once, above the form, the box's message pointing to it.
    assert "né le 01/01/1990, foyer CAF 7600001" in content
    assert content.count("foyer CAF 7600001") == 1
    assert "(dossiers listés en haut de la page)" in content
    assert reverse("beneficiaries:file", args=[existing.pk]) in content
    assert CONFIRM in content
    assert 'name="homonyme_confirme"' in content
    # What was typed is kept.
    assert 'value="17 avenue de Paris"' in content
    assert 'value="7600002"' in content
    assert Beneficiary.objects.count() == 1

    # Posted again without ticking the box: still the warning, nothing created.
    again = client.post(CREATE_URL, form_data(loire["roanne"]))
    assert again.status_code == 422
    assert "Homonyme probable" in page(again)
    assert Beneficiary.objects.count() == 1

    second = client.post(CREATE_URL, form_data(loire["roanne"], homonyme_confirme="on"))

    created = Beneficiary.objects.exclude(pk=existing.pk).get()
    assert second.status_code == 302
    assert second.url == reverse("beneficiaries:file", args=[created.pk])
    assert created.household.caf_number == "7600002"
    assert created.household_id != existing.household_id


def test_the_form_refuses_the_same_person_in_the_same_household_naming_the_file(
    client_as, pilot, loire
):
    existing = benali("7600001", loire["territory"])
    client = client_as(pilot)

    for data in (
        form_data(loire["roanne"], number="7600001"),
        # Ticking the homonym box does not make a second file of the same person.
        form_data(loire["roanne"], number="7600001", homonyme_confirme="on"),
        # Nor another spelling of the same names.
        form_data(loire["roanne"], number="7600001", last_name="Bénali", first_name="MOHAMED"),
    ):
        response = client.post(CREATE_URL, data)
        content = page(response)
        assert response.status_code == 422
        assert services.DUPLICATE_PERSON in content
        assert "Dossier existant : BENALI Mohamed, né le 01/01/1990, foyer CAF 7600001" in content
        assert reverse("beneficiaries:file", args=[existing.pk]) in content
    assert Beneficiary.objects.count() == 1


def test_a_manager_is_warned_of_a_homonym_outside_the_structure_without_its_file(
    client_as, manager, camille, loire
):
    elsewhere = ReferentAssignmentFactory(
        beneficiary=benali("7600001", loire["territory"])
    ).beneficiary
    client = client_as(manager)
    data = form_data(loire["roanne"], referent=camille.pk)

    first = client.post(CREATE_URL, data)

    content = page(first)
    assert first.status_code == 422
    assert (
        "Homonyme probable : une personne de mêmes nom, prénom et date de naissance a déjà un "
        "dossier dans un autre foyer. S'il s'agit" in content
    )
    assert "7600001" not in content
    assert reverse("beneficiaries:file", args=[elsewhere.pk]) not in content

    second = client.post(CREATE_URL, {**data, "homonyme_confirme": "on"})

    assert second.status_code == 302
    created = Beneficiary.objects.get(household__caf_number="7600002")
    assert created.assignments.get().referent == camille


def test_a_manager_never_learns_of_the_same_person_in_a_household_out_of_scope(
    client_as, manager, camille, loire
):
    """The household is another structure's: the same words whatever is in it."""
    elsewhere = ReferentAssignmentFactory(
        beneficiary=benali("7600001", loire["territory"])
    ).beneficiary

    response = client_as(manager).post(
        CREATE_URL,
        form_data(loire["roanne"], number="7600001", referent=camille.pk, homonyme_confirme="on"),
    )

    content = page(response)
    assert response.status_code == 422
    assert services.OUT_OF_SCOPE in content
    assert "Benali" not in content.replace('value="BENALI"', "")
    assert RefusedAccess.objects.get().target == RefusedTarget.HOUSEHOLD
    assert Beneficiary.objects.count() == 1
    assert elsewhere.household.members.count() == 1


def test_the_service_refuses_the_same_person_and_asks_about_homonyms(pilot, loire):
    existing = benali("7600001", loire["territory"])
    values = {
        "household_role": HouseholdRole.APPLICANT,
        "last_name": "Ben Ali",  # spaces are no difference
        "birth_name": "",
        "first_name": "Mohamed",
        "birth_date": BORN,
        "sex": Sex.MALE,
        "rights_and_duties": RightsAndDuties.SUBJECT,
        "rsa_requested_on": datetime.date(2025, 1, 10),
        "right_opened_on": datetime.date(2025, 2, 1),
        "right_known_on": datetime.date(2025, 2, 5),
    }

    def create(number, **options):
        return services.beneficiary_create(
            household_values={
                "payer": Payer.CAF,
                "caf_number": number,
                "address": "",
                "commune": loire["roanne"],
                "family_situation": "single",
                "homeless": False,
            },
            person_values=values,
            territory=loire["territory"],
            user=pilot,
            **options,
        )

    with pytest.raises(services.DuplicatePerson) as duplicate:
        create("7600001", homonyms_confirmed=True)
    assert duplicate.value.person == existing
    with pytest.raises(services.ProbableHomonym) as homonym:
        create("7600002")
    assert (homonym.value.visible, homonym.value.hidden) == ([existing], 0)
    assert Household.objects.count() == 1  # nothing written

    created = create("7600002", homonyms_confirmed=True)

    assert created.household.caf_number == "7600002"
    # A third one with the same identity: both are named.
    with pytest.raises(services.ProbableHomonym) as third:
        create("7600003")
    assert third.value.visible == [existing, created]


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_create_one_file(pilot, loire):
    """Two requests for the same person in the same household: the second waits for the
    household the first locked, then finds the person (PostgreSQL; SQLite runs one writer at a
    time)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    household_values = {
        "payer": Payer.CAF,
        "caf_number": "7600009",
        "address": "",
        "commune": loire["roanne"],
        "family_situation": "single",
        "homeless": False,
    }
    person_values = {
        "household_role": HouseholdRole.APPLICANT,
        "last_name": "Benali",
        "birth_name": "",
        "first_name": "Mohamed",
        "birth_date": BORN,
        "sex": Sex.MALE,
        "rights_and_duties": RightsAndDuties.SUBJECT,
        "rsa_requested_on": datetime.date(2025, 1, 10),
        "right_opened_on": datetime.date(2025, 2, 1),
        "right_known_on": datetime.date(2025, 2, 5),
    }
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            services.beneficiary_create(
                household_values=household_values,
                person_values=person_values,
                territory=loire["territory"],
                user=pilot,
            )
            outcomes.append("created")
        except services.DuplicatePerson:
            outcomes.append("duplicate")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "duplicate"]
    assert Beneficiary.objects.filter(household__caf_number="7600009").count() == 1


# --- The list import ------------------------------------------------------------------------


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/csv")


HOMONYM_OF = (
    "Homonyme probable : une personne de mêmes nom, prénom et date de naissance a un dossier "
    "dans un autre foyer{} ; un dossier distinct est créé : vérifiez qu'il s'agit bien "
    "d'une autre personne."
)


def test_the_homonyms_list_creates_two_files_with_a_warning_for_each(client_as, pilot, loire):
    client = client_as(pilot)

    run = run_of(
        send(
            client,
            IMPORT_URL,
            upload("homonyms-list.csv", (FILES / "homonyms-list.csv").read_bytes()),
        )
    )

    assert run.status == RunStatus.TO_CONFIRM
    response = run_page(client, run)
    content = page(response)
    assert rows_of(response) == [("2", "création"), ("3", "création")]
    assert run.analysis["errors"] == []
    assert run.analysis["warnings"] == [
        f"Ligne 2 : {HOMONYM_OF.format(' (ligne 3 du fichier)')}",
        f"Ligne 3 : {HOMONYM_OF.format(' (ligne 2 du fichier)')}",
    ]
    assert "2 avertissements" in content
    assert HOMONYM_OF.format(" (ligne 2 du fichier)") in content

    run = confirm(client, run)

    assert outcome_of(run) == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée."
    assert sorted(
        Beneficiary.objects.values_list(
            "last_name", "household__caf_number", "household__commune__name"
        )
    ) == [("Benali", "7600001", "Saint-Étienne"), ("Benali", "7600002", "Roanne")]


def test_a_list_warns_of_a_homonym_of_the_base_and_updates_the_same_person(client_as, pilot, loire):
    existing = benali("7600001", loire["territory"], phone="")
    data = (
        "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Téléphone\r\n"
        "M.;Mohamed;BEN ALI;01/01/1990;42300 Roanne;7600002;\r\n"
        "M.;MOHAMED;Bénali;01/01/1990;42000 Saint-Étienne;7600001;06 12 34 56 78\r\n"
    ).encode()
    client = client_as(pilot)

    run = run_of(send(client, IMPORT_URL, upload("liste.csv", data)))

    assert rows_of(run_page(client, run)) == [("2", "création"), ("3", "modification")]
    assert run.analysis["warnings"] == [f"Ligne 2 : {HOMONYM_OF.format(' (n° 7600001)')}"]
    confirm(client, run)
    existing.refresh_from_db()
    assert existing.phone == "06 12 34 56 78"
    assert Beneficiary.objects.count() == 2


def test_a_managers_list_warns_of_a_homonym_it_may_not_see_without_naming_it(
    client_as, manager, camille, loire
):
    ReferentAssignmentFactory(beneficiary=benali("7600001", loire["territory"]))
    data = (
        "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        "M.;Mohamed;Benali;01/01/1990;42300 Roanne;7600002;Camille Martin\r\n"
    ).encode()
    client = client_as(manager)

    run = run_of(send(client, IMPORT_URL, upload("liste.csv", data)))

    assert run.analysis["errors"] == []
    assert run.analysis["warnings"] == [f"Ligne 2 : {HOMONYM_OF.format('')}"]
    assert "7600001" not in page(run_page(client, run))
    confirm(client, run)
    assert Beneficiary.objects.get(household__caf_number="7600002").assignments.get().referent == (
        camille
    )


def test_the_same_person_twice_in_a_household_of_a_list_is_still_refused(client_as, pilot, loire):
    data = (
        "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF\r\n"
        "M.;Mohamed;Benali;01/01/1990;42300 Roanne;7600002\r\n"
        "M.;Mohamed;BENALI;01/01/1990;42300 Roanne;7600002\r\n"
    ).encode()

    run = run_of(send(client_as(pilot), IMPORT_URL, upload("liste.csv", data)))

    assert run.analysis["errors"][-1] == (
        "Ligne 3 : Les lignes 2 et 3 décrivent la même personne (mêmes nom, prénom et date de "
        "naissance) : gardez-en une seule."
    )
    assert run.analysis.get("warnings", []) == []


def test_the_command_prints_the_homonyms_and_imports_both(pilot, loire, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "import_beneficiaries",
        str(FILES / "homonyms-list.csv"),
        "--user",
        pilot.username,
        stdout=out,
        stderr=StringIO(),
    )

    text = out.getvalue()
    assert HOMONYM_OF.format(" (ligne 3 du fichier)") in text
    assert HOMONYM_OF.format(" (ligne 2 du fichier)") in text
    assert Beneficiary.objects.count() == 2


def test_a_person_created_in_another_household_meanwhile_does_not_refuse_the_plan(
    client_as, pilot, loire
):
    client = client_as(pilot)
    run = run_of(
        send(
            client,
            IMPORT_URL,
            upload("homonyms-list.csv", (FILES / "homonyms-list.csv").read_bytes()),
        )
    )
    benali("7600003", loire["territory"])

    run = confirm(client, run)

    assert run.status == RunStatus.DONE, run.error
    assert Beneficiary.objects.count() == 3


# --- The CNAF flux: the CAF number identifies the household ---------------------------------------


def flux_household(matricule, insee_code, *people):
    return FluxHouseholdSketch(
        matricule=matricule,
        payer="CAF",
        requested_on=datetime.date(2024, 3, 1),
        sitfam="SEF",
        insee_code=insee_code,
        street_number=3,
        street="RUE NEYRON",
        homeless=False,
        state="2",
        people=list(people),
    )


def flux_benali(first_name="MOHAMED"):
    return FluxPerson(
        last_name="BENALI",
        birth_name="BENALI",
        first_name=first_name,
        birth_date=BORN,
        sex="1",
        role="DEM",
        subject=True,
    )


def test_the_flux_creates_a_homonym_in_another_household_and_says_so(tmp_path, pilot, loire):
    existing = benali("7600001", loire["territory"])
    path = tmp_path / "flux.xml"
    write_flux(
        path,
        [
            flux_household("7600001", "42218", flux_benali()),
            flux_household("7600002", "42187", flux_benali()),
        ],
        created_on=datetime.date(2025, 11, 5),
        reference_on=datetime.date(2025, 10, 31),
    )

    report = cnaf_flux_import(source=path, user=pilot)

    assert report.is_valid
    assert (report.people_created, report.people_moved) == (1, 0)
    assert report.people_homonyms == 1
    assert any("homonyme" in line for line in report.lines())
    assert Beneficiary.objects.filter(household__caf_number="7600001").get() == existing
    assert Beneficiary.objects.filter(household__caf_number="7600002").count() == 1
