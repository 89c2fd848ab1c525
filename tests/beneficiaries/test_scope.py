"""Every write that attaches to an existing object by a natural key checks the user's scope:
the CAF/MSA number (-> household), names and birth date (-> person), the matricule of the CAF
contacts file, a référent by name. Outside scope the write is refused with words that reveal
nothing of the other file, and nothing is written.

The world: a CCAS whose manager and référent (Camille) work here, and a mission locale whose
référent (Éloïse) follows a household the CCAS must not reach."""

import datetime
import tempfile
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from beneficiaries import services
from beneficiaries.enums import (
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    RefusedTarget,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    FileAccess,
    Household,
    ReferentAssignment,
    RefusedAccess,
)
from beneficiaries.resources import caf_contacts_import_spec
from pti.import_runs import analyse_table, write_table
from pti.imports import SilentProgress
from tests.beneficiaries.factories import BeneficiaryFactory, ReferentAssignmentFactory
from tests.import_pages import error_lines, page, run_of, run_page, send
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# What the other file holds, which must never reach the manager of the CCAS.
SECRETS = ("Ailleurs", "Suivie", "12 rue Secrète", "Mission locale", "Béranger", "Éloïse")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    territory = TerritoryFactory(name="Saint-Étienne", code="saint-etienne")
    commune = CommuneFactory(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
    )
    ccas = OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)
    mission = OrganisationFactory(name="Mission locale du Roannais")
    camille = UserFactory(
        referent=True,
        organisation=ccas,
        username="cmartin",
        first_name="Camille",
        last_name="Martin",
    )
    eloise = UserFactory(
        referent=True,
        organisation=mission,
        username="eberanger",
        first_name="Éloïse",
        last_name="Béranger",
    )
    elsewhere = ReferentAssignmentFactory(
        referent=eloise,
        beneficiary__last_name="Ailleurs",
        beneficiary__first_name="Suivie",
        beneficiary__birth_date=datetime.date(1970, 1, 1),
        beneficiary__phone="04 77 00 00 01",
        beneficiary__household__caf_number="7654321",
        beneficiary__household__address="12 rue Secrète",
        beneficiary__household__territory=territory,
    ).beneficiary
    return {
        "commune": commune,
        "ccas": ccas,
        "camille": camille,
        "eloise": eloise,
        "manager": UserFactory(manager=True, organisation=ccas),
        "pilot": UserFactory(pilot=True),
        "elsewhere": elsewhere,
    }


def household_values(caf_number, **values):
    return {
        "payer": Payer.CAF,
        "caf_number": caf_number,
        "address": "1 place Neuve",
        "commune": None,
        "family_situation": FamilySituation.COUPLE,
        "homeless": False,
        **values,
    }


def person_values(**values):
    return {
        "household_role": HouseholdRole.PARTNER,
        "last_name": "Nouveau",
        "birth_name": "",
        "first_name": "Marc",
        "birth_date": datetime.date(1978, 11, 2),
        "sex": Sex.MALE,
        "email": "",
        "phone": "",
        "rights_and_duties": "subject",
        "rsa_requested_on": datetime.date(2026, 1, 5),
        "right_opened_on": datetime.date(2026, 1, 10),
        "right_known_on": datetime.date(2026, 1, 12),
        **values,
    }


def written():
    """What the base holds of people: households, people, designations, traces."""
    return (
        Household.objects.count(),
        Beneficiary.objects.count(),
        ReferentAssignment.objects.count(),
        FileAccess.objects.count(),
    )


def assert_reveals_nothing(text):
    for secret in SECRETS:
        assert secret not in text, f"« {secret} » de l'autre dossier est révélé"
    assert "hors de votre structure" not in text


# --- The service: CAF number -> household, names and birth date -> person ---------------------


def test_a_manager_cannot_attach_a_person_to_another_structures_household(world):
    before = written()

    with pytest.raises(services.OutOfScope) as refusal:
        services.beneficiary_create(
            household_values=household_values("7654321"),
            person_values=person_values(),
            territory=world["commune"].territory,
            user=world["manager"],
            referent=world["camille"],
        )

    assert refusal.value.messages == [services.OUT_OF_SCOPE]
    assert_reveals_nothing(services.OUT_OF_SCOPE)
    assert written() == before
    assert list(world["elsewhere"].household.members.all()) == [world["elsewhere"]]


def test_a_manager_is_warned_of_a_homonym_of_another_structure_without_its_file(world):
    """Same names and birth date in another household: a probable homonym, to confirm; the
    warning names no file the manager may not see."""
    before = written()

    with pytest.raises(services.ProbableHomonym) as homonym:
        services.beneficiary_create(
            household_values=household_values("1111111"),
            person_values=person_values(
                last_name="AILLEURS",
                first_name="suivie",
                birth_date=datetime.date(1970, 1, 1),
                household_role=HouseholdRole.APPLICANT,
            ),
            territory=world["commune"].territory,
            user=world["manager"],
            referent=world["camille"],
        )

    assert (homonym.value.visible, homonym.value.hidden) == ([], 1)
    assert_reveals_nothing(" ".join(homonym.value.messages))
    assert written() == before


@pytest.mark.parametrize(
    ("base_birth_name", "typed_birth_name"), [("Ailleurs", ""), ("", "Autrefois")]
)
def test_the_same_person_is_recognised_with_or_without_the_birth_name(
    world, base_birth_name, typed_birth_name
):
    """A file known as « AILLEURS (née AILLEURS) Suivie » is the one typed « Ailleurs
    Suivie », and the other way round: never a second file, never a revelation."""
    world["elsewhere"].birth_name = base_birth_name
    world["elsewhere"].save()
    values = person_values(
        last_name="Ailleurs",
        birth_name=typed_birth_name,
        first_name="Suivie",
        birth_date=datetime.date(1970, 1, 1),
        household_role=HouseholdRole.APPLICANT,
    )
    before = written()

    with pytest.raises(services.OutOfScope) as refusal:
        services.beneficiary_create(
            household_values=household_values("7654321"),
            person_values=values,
            territory=world["commune"].territory,
            user=world["manager"],
            referent=world["camille"],
        )
    with pytest.raises(services.DuplicatePerson) as duplicate:
        services.beneficiary_create(
            household_values=household_values("7654321"),
            person_values=values,
            territory=world["commune"].territory,
            user=world["pilot"],
            homonyms_confirmed=True,
        )

    assert refusal.value.messages == [services.OUT_OF_SCOPE]
    assert duplicate.value.messages[0].startswith(services.DUPLICATE_PERSON)
    assert duplicate.value.person == world["elsewhere"]
    assert written() == before


def test_a_pilot_attaches_the_partner_and_the_other_files_are_traced(world):
    partner = services.beneficiary_create(
        household_values=household_values("7654321"),
        person_values=person_values(),
        territory=world["commune"].territory,
        user=world["pilot"],
    )

    assert partner.household_id == world["elsewhere"].household_id
    assert FileAccess.objects.filter(
        beneficiary=world["elsewhere"],
        user=world["pilot"],
        operation=FileOperation.UPDATE,
        what="foyer : nouveau membre",
    ).exists()


def test_a_manager_joins_a_household_of_their_own_structure(world):
    mine = ReferentAssignmentFactory(
        referent=world["camille"], beneficiary__household__caf_number="2222222"
    ).beneficiary

    partner = services.beneficiary_create(
        household_values=household_values("2222222"),
        person_values=person_values(),
        territory=world["commune"].territory,
        user=world["manager"],
        referent=world["camille"],
    )

    assert partner.household_id == mine.household_id
    assert partner.assignments.get().referent == world["camille"]
    assert Beneficiary.objects.visible_to(world["manager"]).filter(pk=partner.pk).exists()


def test_a_manager_must_name_a_referent_of_their_structure(world):
    with pytest.raises(services.ValidationError) as refusal:
        services.beneficiary_create(
            household_values=household_values("3333333"),
            person_values=person_values(),
            territory=world["commune"].territory,
            user=world["manager"],
        )

    assert "Désignez un référent de votre structure" in refusal.value.messages[0]
    assert not Household.objects.filter(caf_number="3333333").exists()


# --- The form ------------------------------------------------------------------------------


def create_form(world, caf_number, **changes):
    return {
        "payer": "caf",
        "caf_number": caf_number,
        "commune": world["commune"].pk,
        "address": "1 place Neuve",
        "family_situation": "couple",
        "last_name": "Nouveau",
        "first_name": "Marc",
        "birth_date": "1978-11-02",
        "sex": "M",
        "household_role": "partner",
        "rights_and_duties": "subject",
        "rsa_requested_on": "2026-01-05",
        "right_opened_on": "2026-01-10",
        "right_known_on": "2026-01-12",
        "referent": world["camille"].pk,
        **changes,
    }


def test_the_form_refuses_another_structures_caf_number_and_reveals_nothing(client_as, world):
    before = written()

    response = client_as(world["manager"]).post(
        reverse("beneficiaries:create"), create_form(world, "7654321")
    )

    content = page(response)
    assert response.status_code == 422
    assert services.OUT_OF_SCOPE in content
    assert 'value="Nouveau"' in response.content.decode()  # what was typed is kept
    assert_reveals_nothing(content.replace("Marc", ""))
    assert written() == before
    # The pilot sees who tried to reach which household.
    attempt = RefusedAccess.objects.get()
    assert (attempt.user, attempt.target, attempt.object_id, attempt.status, attempt.page) == (
        world["manager"],
        RefusedTarget.HOUSEHOLD,
        world["elsewhere"].household_id,
        422,
        "beneficiaries:create",
    )


def test_the_form_of_a_manager_offers_only_the_referents_of_the_structure(client_as, world):
    response = client_as(world["manager"]).get(reverse("beneficiaries:create"))

    content = page(response)
    assert "Camille Martin" in content
    assert "Béranger" not in content

    forged = client_as(world["manager"]).post(
        reverse("beneficiaries:create"),
        create_form(world, "4444444", referent=world["eloise"].pk),
    )
    assert forged.status_code == 422
    assert not Household.objects.filter(caf_number="4444444").exists()


def test_the_form_of_a_manager_creates_a_file_the_manager_then_opens(client_as, world):
    client = client_as(world["manager"])

    response = client.post(reverse("beneficiaries:create"), create_form(world, "5555555"))

    person = Beneficiary.objects.get(household__caf_number="5555555")
    assert response.status_code == 302
    assert response.url == reverse("beneficiaries:file", args=[person.pk])
    assert client.get(response.url).status_code == 200
    assert person.assignments.get().referent == world["camille"]


# --- The list import -------------------------------------------------------------------------


def upload(text, name="liste.csv"):
    return SimpleUploadedFile(name, text.encode("cp1252"), content_type="text/csv")


def list_preview(client, text):
    """The run's page of the list `text` sent to the import page, once analysed."""
    return run_page(client, run_of(send(client, reverse("beneficiaries:import"), upload(text))))


def test_the_list_import_refuses_another_structures_household_and_reveals_nothing(client_as, world):
    before = written()
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        "M.;Nouveau;Marc;02/11/1978;42000 Saint-Étienne;7654321;Camille Martin\r\n"
        "Mme;Ailleurs;Suivie;01/01/1970;42000 Saint-Étienne;1111111;Camille Martin\r\n"
    )

    response = list_preview(client_as(world["manager"]), text)

    # Line 3 is another household: a probable homonym of a file the manager may not see,
    # imported with a warning that names no file.
    assert error_lines(response) == [
        f"Ligne 2 : {services.OUT_OF_SCOPE}",
        "Ligne 3 : Homonyme probable : une personne de mêmes nom, prénom et date de naissance a "
        "un dossier dans un autre foyer ; un dossier distinct est créé : "
        "vérifiez qu'il s'agit bien d'une autre personne.",
    ]
    # The preview repeats the file's own cells, never the base's.
    content = page(response).replace("Ailleurs", "").replace("Suivie", "")
    assert_reveals_nothing(content)
    assert written() == before
    assert sorted(
        (a.target, a.object_id, a.status)
        for a in RefusedAccess.objects.filter(user=world["manager"])
    ) == [(RefusedTarget.HOUSEHOLD, world["elsewhere"].household_id, 422)]


def test_the_list_import_names_no_referent_of_another_structure(client_as, world):
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        "M.;Nouveau;Marc;02/11/1978;42000 Saint-Étienne;5555555;Éloïse Béranger\r\n"
        "M.;Autre;Jean;02/11/1979;42000 Saint-Étienne;5555556;Personne Inconnue\r\n"
    )

    response = list_preview(client_as(world["manager"]), text)

    # A référent of another structure gets the same words as a name nobody has.
    assert error_lines(response) == [
        "Ligne 2 : Référent : « Éloïse Béranger » n'est pas un référent en activité de votre "
        "structure (indiquez « Prénom Nom » ou son identifiant).",
        "Ligne 3 : Référent : « Personne Inconnue » n'est pas un référent en activité de votre "
        "structure (indiquez « Prénom Nom » ou son identifiant).",
    ]


# --- The CAF contacts file ---------------------------------------------------------------------


CONTACTS_HEADER = (
    "MATRICULE;ROLE PERSONNE;NOM/PRENOM RESPONSABLE DOSSIER;NUMERO TELEPHONE DOSSIER;"
    "ADRESSE ELECTRONIQUE DOSSIER"
)


def contacts_report(user, *rows):
    """What the import of these rows by `user` did (analysed, then written from its plan)."""
    spec = caf_contacts_import_spec(user)
    text = "\r\n".join([CONTACTS_HEADER, *rows]) + "\r\n"
    table = spec.read("coordonnees.csv", text.encode("cp1252"))
    with tempfile.TemporaryFile() as plan:
        outcome = analyse_table(spec, table, user=user, plan_file=plan, progress=SilentProgress())
        plan.seek(0)
        return write_table(spec, plan, user=user, progress=SilentProgress(), analysis=outcome.found)


def test_the_contacts_file_never_reaches_another_structures_household(world):
    mine = ReferentAssignmentFactory(
        referent=world["camille"],
        beneficiary__last_name="Durand",
        beneficiary__first_name="Hélène",
        beneficiary__household__caf_number="2222222",
    ).beneficiary

    report = contacts_report(
        world["manager"],
        "7654321;DEM;AILLEURS SUIVIE;0611111111;pirate@exemple.fr",
        "2222222;DEM;DURAND HELENE;0622222222;helene@exemple.fr",
    )

    # The other household is what any household the user does not see is: unknown.
    assert (report["errors"], report["held_count"]) == ([], 0)
    assert report["counts"]["update"] == 1
    assert report["ignored"] == [["dossier inconnu", 1]]
    world["elsewhere"].refresh_from_db()
    assert world["elsewhere"].phone == "04 77 00 00 01"
    assert world["elsewhere"].email == ""
    assert not FileAccess.objects.filter(beneficiary=world["elsewhere"]).exists()
    mine.refresh_from_db()
    assert mine.phone == "06 22 22 22 22"


def test_the_contacts_file_reaches_every_household_for_a_pilot(world):
    report = contacts_report(
        world["pilot"], "7654321;DEM;AILLEURS SUIVIE;0611111111;suivie@exemple.fr"
    )

    assert report["counts"]["update"] == 1
    world["elsewhere"].refresh_from_db()
    assert world["elsewhere"].phone == "06 11 11 11 11"


# --- A household changed from one member's file ------------------------------------------------


def test_a_change_of_the_household_is_traced_on_every_members_file(client_as, world):
    mine = ReferentAssignmentFactory(referent=world["camille"]).beneficiary
    partner = BeneficiaryFactory(
        household=mine.household, household_role=HouseholdRole.PARTNER, first_name="Marc"
    )
    household = mine.household
    data = {
        "last_name": mine.last_name,
        "birth_name": "",
        "first_name": mine.first_name,
        "birth_date": mine.birth_date.isoformat(),
        "sex": mine.sex,
        "household_role": mine.household_role,
        "email": "",
        "phone": "",
        "rights_and_duties": mine.rights_and_duties,
        "rsa_requested_on": mine.rsa_requested_on.isoformat(),
        "right_opened_on": mine.right_opened_on.isoformat(),
        "right_known_on": mine.right_known_on.isoformat(),
        "payer": household.payer,
        "caf_number": household.caf_number,
        "address": "8 rue Nouvelle",
        "commune": world["commune"].pk,
        "family_situation": "couple",
        "lock_version": mine.lock_version,
        "household_lock_version": household.lock_version,
    }

    response = client_as(world["camille"]).post(
        reverse("beneficiaries:update", args=[mine.pk]), data
    )

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "8 rue Nouvelle"
    assert household.lock_version == 2
    assert FileAccess.objects.filter(
        beneficiary=partner, user=world["camille"], what="foyer modifié"
    ).exists()


# --- Two members of a new household at the same moment ----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers: no race to see"
)
def test_two_members_of_a_new_household_created_at_once_share_it(world):
    barrier = threading.Barrier(2)
    results = {}

    def create(name, role):
        try:
            barrier.wait()
            results[name] = services.beneficiary_create(
                household_values=household_values("6666666"),
                person_values=person_values(
                    first_name=name, household_role=role, birth_date=datetime.date(1980, 1, 1)
                ),
                territory=world["commune"].territory,
                user=world["manager"],
                referent=world["camille"],
            )
        except Exception as error:
            results[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=("Alice", HouseholdRole.APPLICANT)),
        threading.Thread(target=create, args=("Bruno", HouseholdRole.PARTNER)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(result, Beneficiary) for result in results.values()), results
    assert Household.objects.filter(caf_number="6666666").count() == 1
    assert sorted(
        Beneficiary.objects.filter(household__caf_number="6666666").values_list(
            "first_name", flat=True
        )
    ) == ["Alice", "Bruno"]
