"""One comparison key for people's names (beneficiaries.search.name_key) in every place that
compares people: the list import, the creation form's duplicate check, the CNAF flux, the CAF
contacts file, the référent named in a list, and search (SQLite and PostgreSQL). Typographic
apostrophes, œ/æ, accents, case, hyphens, apostrophes and spaces never make two people of
one; the stored keys are recomputed by a data migration."""

import datetime
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from beneficiaries.cnaf import cnaf_flux_import
from beneficiaries.enums import HouseholdRole, Payer, RightsAndDuties, Sex
from beneficiaries.models import Beneficiary, Household
from beneficiaries.people_import import ReferentIndex
from beneficiaries.search import (
    holds_name,
    identity_keys,
    name_key,
    normalise,
    search_condition,
    search_key,
)
from pti.enums import RunStatus
from tests.beneficiaries.cnaf_flux import Household as FluxHouseholdSketch
from tests.beneficiaries.cnaf_flux import Person as FluxPerson
from tests.beneficiaries.cnaf_flux import write_flux
from tests.beneficiaries.factories import BeneficiaryFactory, HouseholdFactory
from tests.import_pages import confirm, outcome_of, page, rows_of, run_of, send
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

FILES = Path(__file__).parent / "files"
IMPORT_URL = reverse("beneficiaries:import")
CONTACTS_URL = reverse("beneficiaries:import_contacts")
LIST_URL = reverse("beneficiaries:list")
CREATE_URL = reverse("beneficiaries:create")


# --- The key itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("N’DIAYE", "N'Diaye"),  # right single quotation mark
        ("N‘Diaye", "n'diaye"),  # left single quotation mark
        ("Nʼdiaye", "N Diaye"),  # modifier letter apostrophe; a space
        ("Mœglin", "Moeglin"),
        ("MŒGLIN", "moeglin"),
        ("Gaillard-Œuvray", "GAILLARD OEUVRAY"),
        ("Dœuf", "DOEUF"),
        ("Lætitia", "Laetitia"),
        ("LÆTITIA", "laetitia"),
        ("DAlmeida", "D'Almeida"),
        ("D ARCANGELO", "D'Arcangelo"),
        ("Jean-Luc", "JEAN LUC"),
        ("Jean-Luc", "Jeanluc"),
        ("Hélène", "HELENE"),
        ("Aïssatou", "AISSATOU"),
        ("Müller", "MULLER"),
        ("  Le   Goff ", "LE-GOFF"),
    ],
)
def test_variants_of_a_name_have_the_same_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Martin", "Martine"), ("Diaye", "N'Diaye"), ("Anne", "Jeanne"), ("Lea", "Leah")],
)
def test_different_names_have_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_the_stored_key_keeps_one_space_between_the_names():
    assert search_key("Gaillard-Œuvray", "", "Maëlys") == "gaillardoeuvray maelys"
    assert search_key("N’DIAYE", "", "Aïssatou") == "ndiaye aissatou"
    # The birth name is left out when it is the last name (the CNAF writes both).
    assert search_key("BENALI", "Benali", "Mohamed") == "benali mohamed"
    assert search_key("Durand", "Martin", "Hélène") == "durand martin helene"
    assert search_key("", "", "") == ""


def test_identity_keys_are_built_from_the_same_key():
    assert identity_keys("Durand", "Mœglin", "Hélène") == {
        "durand helene",
        "durand moeglin helene",
        "moeglin helene",
    }
    assert identity_keys("D ARCANGELO", "", "JEAN LUC") == identity_keys(
        "D'Arcangelo", "", "Jean-Luc"
    )


def test_words_are_transliterated_for_what_is_not_a_name():
    assert normalise("Hélène  DURAND-Lefèvre") == "helene durand lefevre"
    assert normalise("N’Diaye") == normalise("N'Diaye") == "n diaye"
    assert normalise("Œuvray") == "oeuvray"


def test_a_text_holds_a_name_as_whole_words_whatever_the_separators():
    assert holds_name("D ARCANGELO JEAN LUC", "Jean-Luc")
    assert holds_name("D ARCANGELO JEAN LUC", "D'Arcangelo")
    assert holds_name("N’DIAYE AISSATOU", "N'Diaye")
    assert holds_name("MOEGLIN LAETITIA", "Lætitia")
    assert not holds_name("D ARCANGELO JEANNE", "Jean")
    assert not holds_name("MARTIN JEANNE", "Anne")
    assert not holds_name("MARTIN JEANNE", "")


# --- The list import: the case files, through the page -----------------------------------------


@pytest.fixture
def loire(db):
    territory = TerritoryFactory(code="loire", name="Loire")
    for insee, name, postal in [
        ("42218", "Saint-Étienne", "42000"),
        ("42207", "Saint-Chamond", "42400"),
        ("42044", "Le Chambon-Feugerolles", "42500"),
        ("42052", "Charlieu", "42190"),
        ("42187", "Roanne", "42300"),
    ]:
        CommuneFactory(insee_code=insee, name=name, postal_code=postal, territory=territory)
    return territory


@pytest.fixture
def pilot(db):
    return UserFactory(pilot=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def import_list(client, name, data):
    run = run_of(
        send(client, IMPORT_URL, _upload(name, data)),
    )
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    preview = rows_of(client.get(reverse("pti:run_detail", args=[run.pk])))
    return confirm(client, run), preview


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


# The two people the variants' list names with « OE » for « Œ », as a first list wrote them.
LIGATURES = (
    "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Téléphone;Rôle\r\n"
    "Mme;Maëlys;Gaillard-Œuvray;01/06/1993;42500 Le Chambon-Feugerolles;7200003;"
    "06 30 00 00 03;DEM\r\n"
    "Mme;Anaïs;Dœuf;02/07/1994;42190 Charlieu;7200004;06 30 00 00 04;DEM\r\n"
).encode()


def test_the_variants_list_updates_the_four_people_and_creates_no_one(client_as, pilot, loire):
    client = client_as(pilot)
    import_list(client, "ligatures.csv", LIGATURES)
    import_list(client, "names-first-list.csv", (FILES / "names-first-list.csv").read_bytes())
    assert Beneficiary.objects.count() == 4
    assert Household.objects.count() == 4

    run, preview = import_list(
        client, "names-variants-list.csv", (FILES / "names-variants-list.csv").read_bytes()
    )

    assert preview == [(str(line), "modification") for line in (2, 3, 4, 5)]
    assert outcome_of(run) == "Import terminé : 0 création, 4 modifications, 0 ligne inchangée."
    assert Beneficiary.objects.count() == 4
    assert Household.objects.count() == 4
    # 0639 is a Mayotte mobile range: its national form (beneficiaries.contacts).
    assert sorted(Beneficiary.objects.values_list("last_name", "phone")) == [
        ("D'Arcangelo", "0639 99 99 02"),
        ("Dœuf", "0639 99 99 04"),
        ("Gaillard-Œuvray", "0639 99 99 03"),
        ("N'Diaye", "0639 99 99 01"),
    ]
    # The names of the files are those they had: a list changes only the contact details.
    assert Beneficiary.objects.get(phone="0639 99 99 01").first_name == "Aïssatou"


def test_the_same_variants_in_one_list_are_the_same_person(client_as, pilot, loire):
    data = (
        "Civilité;Prénom;Nom;Date de naissance;CP Ville;N° CAF;Rôle\r\n"
        "Mme;Aïssatou;N'Diaye;17/03/1989;42000 Saint-Étienne;7300001;DEM\r\n"
        "Mme;AISSATOU;N’DIAYE;17/03/1989;42000 Saint-Étienne;7300001;CJT\r\n"
    ).encode()

    run = run_of(send(client_as(pilot), IMPORT_URL, _upload("liste.csv", data)))

    assert run.analysis["errors"] == [
        "Ligne 2 : Retenue avec la ligne 3, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 3 : Les lignes 2 et 3 décrivent la même personne (mêmes nom, prénom et date de "
        "naissance) : gardez-en une seule.",
    ]


@pytest.mark.parametrize(
    ("typed", "found"), [("oeuvray", "Gaillard-Œuvray"), ("ndiaye", "N'Diaye")]
)
def test_search_finds_the_names_whatever_their_spelling(client_as, pilot, loire, typed, found):
    client = client_as(pilot)
    import_list(client, "ligatures.csv", LIGATURES)
    import_list(client, "names-first-list.csv", (FILES / "names-first-list.csv").read_bytes())

    response = client.post(LIST_URL, {"q": typed, "state": "all"}, follow=True)

    assert [p.last_name for p in response.context["page"].object_list] == [found]


@pytest.mark.parametrize(
    "typed",
    [
        "Œuvray",
        "OEUVRAY",
        "gaillard oeuvray",
        "Gaillard-Œuvray",
        "maelys gaillard",
        "GAILLARDOEUVRAY",
    ],
)
def test_search_by_several_words_or_run_together(client_as, pilot, typed):
    BeneficiaryFactory(
        last_name="Gaillard-Œuvray",
        first_name="Maëlys",
        birth_date=datetime.date(1993, 6, 1),
    )
    BeneficiaryFactory(last_name="Gaillard", first_name="Paul")

    response = client_as(pilot).post(LIST_URL, {"q": typed, "state": "all"}, follow=True)

    assert [p.last_name for p in response.context["page"].object_list] == ["Gaillard-Œuvray"]


@pytest.mark.parametrize("typed", ["n'diaye", "N’Diaye", "N DIAYE", "ndiaye aissatou", "d'almeida"])
def test_search_with_apostrophes_and_spaces(client_as, pilot, typed):
    BeneficiaryFactory(last_name="N’Diaye", first_name="Aïssatou")
    BeneficiaryFactory(last_name="DAlmeida", first_name="Aïssatou")
    BeneficiaryFactory(last_name="Diaye", first_name="Paul")

    response = client_as(pilot).post(LIST_URL, {"q": typed, "state": "all"}, follow=True)

    names = [p.last_name for p in response.context["page"].object_list]
    assert names == (["DAlmeida"] if "almeida" in typed else ["N’Diaye"])


# --- The creation form ---------------------------------------------------------------------


def form_data(commune, **values):
    return {
        "last_name": "Moeglin",
        "birth_name": "",
        "first_name": "Laetitia",
        "birth_date": "1980-04-02",
        "sex": Sex.FEMALE,
        "household_role": HouseholdRole.APPLICANT,
        "email": "",
        "phone": "",
        "rights_and_duties": RightsAndDuties.SUBJECT,
        "rsa_requested_on": "2025-01-10",
        "right_opened_on": "2025-02-01",
        "right_known_on": "2025-02-05",
        "payer": Payer.CAF,
        "caf_number": "7400001",
        "address": "",
        "commune": commune.pk,
        "family_situation": "single",
        **values,
    }


def test_the_form_knows_the_same_person_written_with_a_ligature(client_as, pilot, loire):
    household = HouseholdFactory(caf_number="7400001", territory=loire)
    BeneficiaryFactory(
        household=household,
        last_name="Mœglin",
        first_name="Lætitia",
        birth_date=datetime.date(1980, 4, 2),
    )
    commune = loire.communes.first()

    response = client_as(pilot).post(CREATE_URL, form_data(commune))

    assert response.status_code == 422
    assert "a déjà un dossier" in page(response)
    assert Beneficiary.objects.count() == 1


# --- The CNAF flux ---------------------------------------------------------------------------


def test_the_flux_finds_a_person_whose_name_was_typed_otherwise(tmp_path, pilot, loire):
    CommuneFactory(insee_code="42999", name="Unieux", postal_code="42240", territory=loire)
    household = HouseholdFactory(caf_number="7300001", territory=loire)
    typed = BeneficiaryFactory(
        household=household,
        last_name="N'Diaye",
        first_name="Aïssatou",
        birth_date=datetime.date(1989, 3, 17),
        rights_and_duties=RightsAndDuties.NOT_SUBJECT,
    )
    path = tmp_path / "flux.xml"
    write_flux(
        path,
        [
            FluxHouseholdSketch(
                matricule="7300001",
                payer="CAF",
                requested_on=datetime.date(2024, 3, 1),
                sitfam="SEF",
                insee_code="42999",
                street_number=3,
                street="RUE NEYRON",
                homeless=False,
                state="2",
                people=[
                    FluxPerson(
                        last_name="N’DIAYE",
                        birth_name="N’DIAYE",
                        first_name="AÏSSATOU",
                        birth_date=datetime.date(1989, 3, 17),
                        sex="2",
                        role="DEM",
                        subject=True,
                    )
                ],
            )
        ],
        created_on=datetime.date(2025, 11, 5),
        reference_on=datetime.date(2025, 10, 31),
    )

    report = cnaf_flux_import(source=path, user=pilot)

    assert (report.people_created, report.people_updated) == (0, 1)
    typed.refresh_from_db()
    assert typed.rights_and_duties == RightsAndDuties.SUBJECT
    assert Beneficiary.objects.count() == 1


# --- The CAF contacts file and the référent of a list ------------------------------------------


CONTACTS_HEADER = (
    "MATRICULE;ROLE PERSONNE;TYPE PERSONNE;NIR;NUMERO DEMANDE RSA;DATE DEMANDE RSA;"
    "DATE DEBUT DROITS - DEVOIRS;NOM/PRENOM RESPONSABLE DOSSIER;NUMERO TELEPHONE DOSSIER;"
    "NUMERO TELEPHONE 2 DOSSIER;ADRESSE ELECTRONIQUE DOSSIER"
)


@pytest.mark.parametrize("responsible", ["D ARCANGELO JEAN LUC", "JEAN-LUC DARCANGELO"])
def test_the_contacts_file_recognises_the_applicant_whatever_the_separators(
    client_as, pilot, responsible
):
    household = HouseholdFactory(caf_number="7300002")
    person = BeneficiaryFactory(
        household=household,
        last_name="D'Arcangelo",
        first_name="Jean-Luc",
        birth_date=datetime.date(1972, 9, 9),
        rsa_requested_on=datetime.date(2024, 1, 10),
    )
    text = "\r\n".join(
        [
            CONTACTS_HEADER,
            f"7300002;DEM;P;;00012345;10/01/2024;01/02/2024;{responsible};06 39 99 99 02;;",
            "",
        ]
    )
    client = client_as(pilot)

    run = run_of(send(client, CONTACTS_URL, _upload("coordonnees.csv", text.encode("cp1252"))))

    assert run.analysis.get("errors", []) == []
    confirm(client, run)
    person.refresh_from_db()
    assert person.phone == "0639 99 99 02"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["Jean-Luc D'Arcangelo", "D ARCANGELO JEAN LUC", "jeanluc darcangelo"]
)
def test_a_referent_is_found_whatever_the_separators(typed):
    referent = UserFactory(referent=True, first_name="Jean-Luc", last_name="D’Arcangelo")
    index = ReferentIndex(UserFactory(pilot=True))
    index.load()

    assert index.find(typed) == referent


# --- The stored keys, recomputed --------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_recomputes_the_stored_keys_and_leaves_anonymised_files(monkeypatch):
    migration = importlib.import_module("beneficiaries.migrations.0013_search_keys_recomputed")
    people = [
        BeneficiaryFactory(last_name=last, first_name=first)
        for last, first in [
            ("Gaillard-Œuvray", "Maëlys"),
            ("N’DIAYE", "Aïssatou"),
            ("Petit", "Léa"),
        ]
    ]
    anonymised = BeneficiaryFactory(
        last_name="Anonyme", first_name="Anonyme", anonymised_on=datetime.date(2025, 1, 1)
    )
    Beneficiary.objects.filter(pk=anonymised.pk).update(search_key="anonyme")
    for person in people:
        Beneficiary.objects.filter(pk=person.pk).update(
            search_key=migration._former_key(person.last_name, "", person.first_name)
        )
    assert Beneficiary.objects.get(pk=people[0].pk).search_key == "gaillard uvray maelys"
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches

    migration.recompute_keys(apps, None)

    assert [Beneficiary.objects.get(pk=p.pk).search_key for p in people] == [
        "gaillardoeuvray maelys",
        "ndiaye aissatou",
        "petit lea",
    ]
    assert Beneficiary.objects.get(pk=anonymised.pk).search_key == "anonyme"
    migration.restore_former_keys(apps, None)
    assert Beneficiary.objects.get(pk=people[1].pk).search_key == "ndiaye aissatou"
    assert Beneficiary.objects.get(pk=people[0].pk).search_key == "gaillard uvray maelys"


@pytest.mark.parametrize(
    "typed", ["17/03/1989", "17-03-1989", "17.03.1989", "1989-03-17", "17/03/89"]
)
@pytest.mark.django_db
def test_a_birth_date_is_searched_as_the_imports_read_it(typed):
    """The search box reads a date as every import and form does (pti.dates)."""
    found = BeneficiaryFactory(
        last_name="N'Diaye", first_name="Aïssatou", birth_date=datetime.date(1989, 3, 17)
    )
    BeneficiaryFactory(
        last_name="Autre", first_name="Personne", birth_date=datetime.date(1989, 3, 18)
    )

    assert list(search_condition(Beneficiary.objects.all(), typed)) == [found]


@pytest.mark.django_db
def test_a_hyphenated_name_or_an_allocataire_number_is_no_date():
    person = BeneficiaryFactory(last_name="Gaillard-Œuvray", first_name="Maëlys")
    assert list(search_condition(Beneficiary.objects.all(), "gaillard-oeuvray")) == [person]
    assert list(search_condition(Beneficiary.objects.all(), person.household.caf_number)) == [
        person
    ]
