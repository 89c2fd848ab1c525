"""The CNAF "flux bénéficiaires" (VRSB0801): reading each field right, importing households
and people all or nothing, closures as exits, and files that must be refused.

The sample files under files/ were checked against the CNAF schema (vrsb0801.xsd) when they
were written; the hostile ones (a DTD) are not meant to be valid."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from lxml import etree

from actions.enums import PrescriptionStatus
from beneficiaries.cnaf import (
    PARSER_OPTIONS,
    CnafFluxError,
    CnafImportRefused,
    FluxReader,
    caf_number_from_matricule,
    cnaf_flux_analyse,
    cnaf_flux_import,
    cnaf_flux_write,
)
from beneficiaries.enums import (
    ExitCategory,
    ExitContract,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    Exit,
    FileAccess,
    FluxListing,
    HeldHousehold,
    Household,
)
from tests.actions.factories import ActionFactory
from tests.beneficiaries.cnaf_flux import Household as FluxHouseholdSketch
from tests.beneficiaries.cnaf_flux import Person as FluxPerson
from tests.beneficiaries.cnaf_flux import households, write_flux
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    HouseholdFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

FILES = Path(__file__).parent / "files"
SEPTEMBER = FILES / "vrsb0801_2025_09.xml"
OCTOBER = FILES / "vrsb0801_2025_10.xml"
EMPTY = FILES / "vrsb0801_vide.xml"
EXTERNAL_ENTITY = FILES / "vrsb0801_entite_externe.xml"
BOMB = FILES / "vrsb0801_bombe.xml"

# What identifies the people of the samples: none of it may reach an output or a message.
NAMES = [
    "MARTIN", "KARIM", "BERNARD", "SOPHIE", "LÉA", "LEA", "PETIT", "JEAN-PIERRE", "GARCIA",
    "NADIA", "YANIS", "LEROY", "FAURE", "CHANTAL", "NGUYEN",
]  # fmt: skip
BIRTH_DATES = ["1984-05-17", "17/05/1984", "1987-11-03", "03/11/1987", "1990-01-25"]
# Karim's own DTNAI, not the copy of it in his daughter's Rattachement.
KARIMS_BIRTH = "<NOMCOMNAI>SAINT ETIENNE</NOMCOMNAI>\n        <DTNAI>1984-05-17</DTNAI>"
NIRS = ["1840542218017", "2871169123045", "2150242218111", "1690842147033", "2900142095077"]


def read(path):
    reader = FluxReader(path)
    return reader, list(reader)


def variant(tmp_path, source, *replacements):
    """A copy of a sample with `(old, new)` replaced once each."""
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    return path


def nothing_written():
    return (
        Household.objects.count(),
        Beneficiary.objects.count(),
        Exit.objects.count(),
        FileAccess.objects.count(),
    ) == (0, 0, 0, 0)


@pytest.fixture
def communes():
    """The communes of the samples, in three territories."""
    saint_etienne = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    roannais = TerritoryFactory(code="roannais", name="Roannais")
    forez = TerritoryFactory(code="forez", name="Forez")
    return {
        code: CommuneFactory(insee_code=code, name=name, postal_code=postal, territory=territory)
        for code, name, postal, territory in [
            ("42218", "Saint-Étienne", "42000", saint_etienne),
            ("42095", "Firminy", "42700", saint_etienne),
            ("42187", "Roanne", "42300", roannais),
            ("42052", "Charlieu", "42190", roannais),
            ("42147", "Montbrison", "42600", forez),
        ]
    }


@pytest.fixture
def pilot():
    return UserFactory(pilot=True, username="pilote")


def person(first_name):
    return Beneficiary.objects.get(first_name=first_name)


# --- Reading --------------------------------------------------------------------------------


def test_the_header_says_when_the_flux_was_made():
    reader, _flux = read(SEPTEMBER)

    assert reader.header.kind == "M"
    assert reader.header.created_on == datetime.date(2025, 10, 6)
    assert reader.header.reference_on == datetime.date(2025, 9, 30)
    assert reader.header.known_on == datetime.date(2025, 10, 6)
    assert (reader.count, reader.declared_count, reader.file_errors) == (4, "4", [])


def test_a_couple_with_a_child_is_read_field_by_field():
    _reader, flux = read(SEPTEMBER)
    couple = flux[0]

    assert couple.errors == []
    assert (couple.index, couple.line) == (1, 15)
    assert couple.caf_number == "0012345"  # the leading zeros are kept
    assert couple.payer == Payer.CAF
    assert couple.state == "2"
    assert (couple.is_open, couple.is_closed) == (True, False)
    assert couple.rsa_requested_on == datetime.date(2025, 3, 12)
    assert couple.family_situation == FamilySituation.COUPLE_WITH_CHILDREN
    assert couple.homeless is False
    # The current address (RGADR 01) although it comes second.
    assert couple.address == "BAT B ESC 2, 12 RUE MICHELET"
    assert couple.insee_code == "42218"
    father, mother, _child = couple.people
    assert (father.last_name, father.birth_name, father.first_name) == ("MARTIN", "", "Karim")
    assert father.birth_date == datetime.date(1984, 5, 17)
    assert (father.sex, father.role, father.subject_to_duties) == (
        Sex.MALE,
        HouseholdRole.APPLICANT,  # from the RSA Prestations, not the PFA one (CJT)
        True,
    )
    assert (mother.last_name, mother.birth_name, mother.first_name) == (
        "MARTIN",
        "BERNARD",
        "Sophie",
    )
    assert (mother.sex, mother.role, mother.subject_to_duties) == (
        Sex.FEMALE,
        HouseholdRole.PARTNER,
        True,
    )
    assert mother.birth_date == datetime.date(1987, 11, 3)


def test_a_childs_rattachement_does_not_stand_for_the_child():
    """The child's Rattachement repeats each parent's NOMNAI, PRENOM, DTNAI and NIR."""
    _reader, flux = read(SEPTEMBER)
    child = flux[0].people[2]

    assert (child.last_name, child.birth_name, child.first_name) == ("MARTIN", "", "Léa")
    assert child.birth_date == datetime.date(2015, 2, 20)
    assert (child.sex, child.role, child.subject_to_duties) == (
        Sex.FEMALE,
        HouseholdRole.CHILD,
        None,
    )
    # The NIR is never read: nothing of the person holds it.
    assert not any(nir in str(vars(child)) for nir in NIRS)


def test_a_homeless_msa_household_with_payment_suspended():
    _reader, flux = read(SEPTEMBER)
    msa = flux[1]

    assert msa.errors == []
    assert (msa.caf_number, msa.payer) == ("4567890", Payer.MSA)
    assert msa.homeless is True
    assert (msa.state, msa.suspension_reasons) == ("4", ["06"])
    assert msa.is_open
    assert msa.family_situation == FamilySituation.SINGLE
    assert msa.address == "CCAS DE MONTBRISON, 1 PLACE DE L HOTEL DE VILLE"
    assert msa.insee_code == "42147"
    [alone] = msa.people
    assert (alone.first_name, alone.role, alone.subject_to_duties) == (
        "Jean-Pierre",
        HouseholdRole.APPLICANT,
        True,
    )


def test_a_single_parent_and_a_suspended_right():
    _reader, flux = read(SEPTEMBER)
    mother_and_son, widow = flux[2], flux[3]

    assert mother_and_son.family_situation == FamilySituation.SINGLE_PARENT
    assert [p.role for p in mother_and_son.people] == [
        HouseholdRole.APPLICANT,
        HouseholdRole.CHILD,
    ]
    assert (widow.state, widow.suspension_reasons, widow.is_open) == ("3", ["70"], True)
    assert widow.family_situation == FamilySituation.SINGLE
    assert widow.address == "LES GRANGES"
    assert widow.people[0].birth_name == "FAURE"
    assert widow.people[0].subject_to_duties is False


def test_closures_are_read_with_their_date_and_reason():
    _reader, flux = read(OCTOBER)
    closed, closed_earlier, pending = flux[2], flux[3], flux[4]

    assert (closed.state, closed.closed_on, closed.closure_reason) == (
        "5",
        datetime.date(2025, 10, 31),
        "RFD",
    )
    # State 6 keeps its closure in FinDroitMoisAnterieur.
    assert (closed_earlier.state, closed_earlier.closed_on, closed_earlier.closure_reason) == (
        "6",
        datetime.date(2025, 9, 30),
        "ECH",
    )
    assert (closed.is_closed, closed_earlier.is_closed) == (True, True)
    assert (pending.state, pending.is_open, pending.is_closed) == ("0", False, False)


def test_the_state_is_detected_in_the_documented_order(tmp_path):
    """Given two states, the first of 0, 1, 5, 3, 4, 2, 6 wins: a closure over an opening."""
    path = variant(
        tmp_path,
        SEPTEMBER,
        (
            "<ETATDOSRSA>3</ETATDOSRSA>\n        </EtatDossierRSA>",
            "<ETATDOSRSA>3</ETATDOSRSA>\n        </EtatDossierRSA>\n        <EtatDossierRSA>"
            "<ETATDOSRSA>5</ETATDOSRSA></EtatDossierRSA>\n        <FinDroit><MOTICLORSA>PCG"
            "</MOTICLORSA><DTCLORSA>2025-09-15</DTCLORSA></FinDroit>",
        ),
    )
    _reader, flux = read(path)

    assert (flux[3].state, flux[3].closed_on) == ("5", datetime.date(2025, 9, 15))


@pytest.mark.parametrize(
    ("matricule", "caf_number"),
    [
        ("0012345", "0012345"),
        ("12345", "0012345"),  # typed as an integer: the zeros were dropped
        ("123456700000000", "1234567"),  # the 15-digit matricule
        ("1234500000000", "0012345"),  # the same, its leading zeros dropped
        ("12345678", None),
        ("12A4567", None),
        ("", None),
    ],
)
def test_the_caf_number_keeps_its_seven_digits(matricule, caf_number):
    assert caf_number_from_matricule(matricule) == caf_number


def test_an_empty_flux_is_valid():
    reader, flux = read(EMPTY)

    assert flux == []
    assert (reader.header.kind, reader.count, reader.file_errors) == ("I", 0, [])


@pytest.mark.parametrize("sample", [EXTERNAL_ENTITY, BOMB])
def test_a_file_with_a_dtd_is_refused_before_anything_is_read(sample):
    with pytest.raises(CnafFluxError) as refused:
        list(FluxReader(sample))

    assert "DTD" in str(refused.value)
    assert "root:" not in str(refused.value)


def test_the_parser_never_resolves_an_external_entity_even_past_the_dtd_check():
    """Defence in depth: with the reader's options, the file is never read."""
    texts = [
        element.text or ""
        for _event, element in etree.iterparse(str(EXTERNAL_ENTITY), **PARSER_OPTIONS)
    ]

    assert texts
    assert not any("root:" in text for text in texts)


def test_the_parser_never_expands_an_entity_bomb_even_past_the_dtd_check():
    try:
        texts = [
            element.text or "" for _event, element in etree.iterparse(str(BOMB), **PARSER_OPTIONS)
        ]
    except etree.XMLSyntaxError:
        texts = []  # libxml2's own guard against entity amplification stopped it

    assert not any("lol" in text for text in texts)


# --- Importing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_first_import_creates_the_households_and_their_people(communes, pilot):
    report = cnaf_flux_import(source=SEPTEMBER, user=pilot)

    assert report.errors == []
    assert (report.households_read, report.households_created, report.people_created) == (
        4,
        4,
        7,
    )
    couple = Household.objects.get(payer=Payer.CAF, caf_number="0012345")
    assert couple.address == "BAT B ESC 2, 12 RUE MICHELET"
    assert couple.commune == communes["42218"]
    assert couple.territory.code == "saint-etienne"
    assert couple.family_situation == FamilySituation.COUPLE_WITH_CHILDREN
    assert couple.homeless is False
    # Three people, each once: the child's Rattachement made no one else.
    assert sorted(couple.members.values_list("first_name", "household_role")) == [
        ("Karim", HouseholdRole.APPLICANT),
        ("Léa", HouseholdRole.CHILD),
        ("Sophie", HouseholdRole.PARTNER),
    ]
    karim = person("Karim")
    assert (karim.last_name, karim.birth_name, karim.birth_date, karim.sex) == (
        "MARTIN",
        "",
        datetime.date(1984, 5, 17),
        Sex.MALE,
    )
    assert karim.rights_and_duties == RightsAndDuties.SUBJECT
    assert karim.rsa_requested_on == datetime.date(2025, 3, 12)
    assert karim.right_opened_on == datetime.date(2025, 3, 12)
    assert karim.right_known_on == datetime.date(2025, 10, 6)  # DTCREAFLUX
    assert karim.search_key == "martin karim"
    lea = person("Léa")
    assert (lea.birth_date, lea.rights_and_duties) == (
        datetime.date(2015, 2, 20),
        RightsAndDuties.NOT_SUBJECT,
    )
    sophie = person("Sophie")
    assert (sophie.birth_name, sophie.search_key) == ("BERNARD", "martin bernard sophie")
    msa = Household.objects.get(payer=Payer.MSA, caf_number="4567890")
    assert (msa.homeless, msa.territory.code) == (True, "forez")
    assert person("Chantal").rights_and_duties == RightsAndDuties.NOT_SUBJECT
    assert Household.objects.get(caf_number="7654321").family_situation == (
        FamilySituation.SINGLE_PARENT
    )


@pytest.mark.django_db
def test_each_created_file_has_its_trace(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)

    traces = FileAccess.objects.all()
    assert traces.count() == 7
    assert set(traces.values_list("beneficiary_id", flat=True)) == set(
        Beneficiary.objects.values_list("pk", flat=True)
    )
    assert set(traces.values_list("user_id", "operation", "what")) == {
        (pilot.pk, FileOperation.CREATE, "flux CNAF")
    }


@pytest.mark.django_db
def test_the_nir_is_stored_nowhere(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)

    stored = [
        str(value)
        for model in (Household, Beneficiary)
        for row in model.objects.values()
        for value in row.values()
    ]
    assert stored
    assert not any(nir in value for nir in NIRS for value in stored)


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    versions = dict(Beneficiary.objects.values_list("pk", "lock_version"))

    report = cnaf_flux_import(source=SEPTEMBER, user=pilot)

    assert (report.households_created, report.households_updated) == (0, 0)
    assert report.households_unchanged == 4
    assert (report.people_created, report.people_updated, report.people_unchanged) == (0, 0, 7)
    assert (Household.objects.count(), Beneficiary.objects.count()) == (4, 7)
    assert dict(Beneficiary.objects.values_list("pk", "lock_version")) == versions
    assert FileAccess.objects.count() == 7  # the creations only


@pytest.mark.django_db
def test_the_next_month_updates_what_the_flux_owns(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    before = FileAccess.objects.count()

    report = cnaf_flux_import(source=OCTOBER, user=pilot)

    assert report.errors == []
    assert (report.households_updated, report.households_unchanged) == (1, 1)
    assert (report.people_created, report.people_updated, report.people_unchanged) == (0, 1, 3)
    couple = Household.objects.get(caf_number="0012345")
    assert couple.address == "3 BOULEVARD JULES FERRY"
    assert (couple.commune, couple.territory.code) == (communes["42187"], "roannais")
    assert couple.lock_version == 2
    sophie = person("Sophie")
    assert sophie.rights_and_duties == RightsAndDuties.NOT_SUBJECT
    assert sophie.lock_version == 2
    assert person("Karim").rights_and_duties == RightsAndDuties.SUBJECT
    # What the flux does not own stays: the names are as they were.
    assert person("Karim").last_name == "MARTIN"
    # One trace per file whose household or person changed, each once.
    updates = FileAccess.objects.filter(operation=FileOperation.UPDATE, what="flux CNAF")
    assert sorted(updates.values_list("beneficiary__first_name", flat=True)) == [
        "Karim",
        "Léa",
        "Sophie",
    ]
    # And the exit of each adult of the two closed households (the son has no parcours).
    assert FileAccess.objects.count() == before + 3 + 2


@pytest.mark.django_db
def test_closed_dossiers_become_exits_on_their_closure_date(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)

    report = cnaf_flux_import(source=OCTOBER, user=pilot)

    assert (report.households_closed, report.exits_recorded) == (2, 2)
    exits = {
        e.beneficiary.first_name: (e.exit_on, e.category, e.contract_type, e.recorded_by)
        for e in Exit.objects.select_related("beneficiary")
    }
    end_of_right = (ExitCategory.END_OF_RIGHT, ExitContract.NONE, pilot)
    assert exits == {
        "Nadia": (datetime.date(2025, 10, 31), *end_of_right),  # state 5, FinDroit; her son none
        "Chantal": (datetime.date(2025, 9, 30), *end_of_right),  # state 6, earlier month
    }
    assert "RFD" in Exit.objects.get(beneficiary__first_name="Nadia").note
    # The request still pending (state 0) is no household yet.
    assert not Household.objects.filter(caf_number="1111111").exists()
    assert report.households_ignored == 1
    # A third month changes nothing more: each exit is recorded once.
    again = cnaf_flux_import(source=OCTOBER, user=pilot)
    assert (again.exits_recorded, Exit.objects.count()) == (0, 2)


@pytest.mark.django_db
def test_an_exit_ends_the_live_prescriptions_and_frees_their_places(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    action = ActionFactory(capacity=5)
    action.places_taken = 1
    action.save(update_fields=["places_taken"])
    started = PrescriptionFactory(
        beneficiary=person("Nadia"), action=action, status=PrescriptionStatus.STARTED
    )

    cnaf_flux_import(source=OCTOBER, user=pilot)

    started.refresh_from_db()
    action.refresh_from_db()
    assert (started.status, started.ended_on) == (
        PrescriptionStatus.ABANDONED,
        datetime.date(2025, 10, 31),
    )
    assert action.places_taken == 0


@pytest.mark.django_db
def test_a_closed_dossier_never_known_here_is_not_created(communes, pilot):
    report = cnaf_flux_import(source=OCTOBER, user=pilot)

    assert report.households_created == 2
    assert report.households_ignored == 3  # two closed, one pending
    assert (report.households_pending, report.households_refused) == (1, 0)
    assert (
        "Foyers : 2 créé(s), 0 modifié(s), 0 inchangé(s), 0 clos ; 3 ignoré(s) : 1 demande(s) "
        "en attente de décision, 0 droit(s) refusé(s), 2 dossier(s) clos jamais connu(s) ici ou "
        "d'un autre état."
    ) in report.lines()
    assert set(Household.objects.values_list("caf_number", flat=True)) == {"0012345", "4567890"}
    assert Exit.objects.count() == 0


@pytest.mark.django_db
def test_a_person_entered_by_hand_is_found_again(communes, pilot):
    """Same birth date and first name, one name in common: the person, not a new one."""
    couple = HouseholdFactory(caf_number="0012345", territory=communes["42218"].territory)
    by_hand = BeneficiaryFactory(
        household=couple,
        last_name="Martin",
        birth_name="",
        first_name="Sophie",
        birth_date=datetime.date(1987, 11, 3),
        rights_and_duties=RightsAndDuties.NOT_SUBJECT,
    )

    report = cnaf_flux_import(source=SEPTEMBER, user=pilot)

    assert (report.people_created, report.people_updated) == (6, 1)
    assert couple.members.count() == 3
    by_hand.refresh_from_db()
    assert by_hand.rights_and_duties == RightsAndDuties.SUBJECT
    assert (by_hand.last_name, by_hand.birth_name) == ("Martin", "")  # identity untouched


@pytest.mark.django_db
def test_anonymised_files_are_left_untouched(communes, pilot):
    # A household anonymised at the end of its retention period, its number still on it.
    anonymised_household = HouseholdFactory(
        caf_number="7654321",
        address="",
        territory=communes["42095"].territory,
        anonymised_on=datetime.date(2025, 1, 1),
    )
    # And in a known household, an anonymised person the flux still names.
    couple = HouseholdFactory(caf_number="0012345", territory=communes["42218"].territory)
    anonymised = BeneficiaryFactory(
        household=couple,
        last_name="MARTIN",
        first_name="Karim",
        birth_date=datetime.date(1984, 5, 17),
        rights_and_duties=RightsAndDuties.NOT_SUBJECT,
        anonymised_on=datetime.date(2025, 1, 1),
    )

    report = cnaf_flux_import(source=SEPTEMBER, user=pilot)

    assert report.anonymised_skipped == 3  # Karim, and the mother and son of 7654321
    anonymised.refresh_from_db()
    assert anonymised.rights_and_duties == RightsAndDuties.NOT_SUBJECT
    assert anonymised.lock_version == 1
    assert not FileAccess.objects.filter(beneficiary=anonymised).exists()
    anonymised_household.refresh_from_db()
    assert (anonymised_household.address, anonymised_household.members.count()) == ("", 0)
    assert Household.objects.filter(caf_number="7654321").count() == 1
    assert couple.members.count() == 3  # Karim was not created again


@pytest.mark.django_db
def test_an_unknown_commune_holds_its_household_not_the_file(communes, pilot):
    communes["42095"].delete()

    report = cnaf_flux_import(source=SEPTEMBER, user=pilot)

    [held] = report.held
    assert (held.household, held.line, held.caf_number) == (3, 287, "7654321")
    assert str(held) == (
        "Foyer n°3 (ligne 287), matricule 7654321 : commune inconnue (code INSEE « 42095 »)"
    )
    assert not report.errors
    assert not Household.objects.filter(caf_number="7654321").exists()
    assert Household.objects.count() == 3


@pytest.mark.django_db
def test_bad_dates_refuse_the_whole_file_and_every_error_is_reported(tmp_path, communes, pilot):
    path = variant(
        tmp_path,
        SEPTEMBER,
        (KARIMS_BIRTH, KARIMS_BIRTH.replace("1984-05-17", "1984-13-17")),
        ("<DTDEMRSA>2023-06-19</DTDEMRSA>", "<DTDEMRSA>19/06/2023</DTDEMRSA>"),
        ("<NUMCOM>42052</NUMCOM>", "<NUMCOM>99999</NUMCOM>"),
    )

    with pytest.raises(CnafImportRefused) as refused:
        cnaf_flux_import(source=path, user=pilot)

    assert [str(error) for error in refused.value.report.errors] == [
        "Foyer n°1 (ligne 15), matricule 0012345 : personne n°1 : date de naissance (DTNAI) "
        "invalide (date ISO attendue, AAAA-MM-JJ)",
        "Foyer n°4 (ligne 405), matricule 0987654 : date de demande (DTDEMRSA) invalide "
        "(date ISO attendue, AAAA-MM-JJ)",
        "Foyer n°4 (ligne 405), matricule 0987654 : commune inconnue (code INSEE « 99999 »)",
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_a_household_twice_in_the_file_refuses_it(tmp_path, communes, pilot):
    path = variant(
        tmp_path, SEPTEMBER, ("<MATRICULE>0987654</MATRICULE>", "<MATRICULE>7654321</MATRICULE>")
    )

    with pytest.raises(CnafImportRefused) as refused:
        cnaf_flux_import(source=path, user=pilot)

    assert [str(error) for error in refused.value.report.errors] == [
        "Foyer n°4 (ligne 405), matricule 7654321 : matricule déjà présent au foyer n°3"
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_an_exit_that_cannot_be_recorded_refuses_the_whole_file(communes, pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    Beneficiary.objects.filter(first_name="Nadia").update(
        rsa_requested_on=datetime.date(2025, 11, 1), right_opened_on=datetime.date(2025, 11, 10)
    )

    with pytest.raises(CnafImportRefused) as refused:
        cnaf_flux_import(source=OCTOBER, user=pilot)

    assert [str(error) for error in refused.value.report.errors] == [
        "Foyer n°3 (ligne 282), matricule 7654321 : sortie de la personne n°1 impossible : "
        "La sortie ne peut pas précéder l'ouverture du droit."
    ]
    assert Exit.objects.count() == 0
    assert Household.objects.get(caf_number="0012345").address == "BAT B ESC 2, 12 RUE MICHELET"


@pytest.mark.django_db
def test_a_count_that_does_not_match_the_households_refuses_the_file(tmp_path, communes, pilot):
    path = variant(
        tmp_path,
        SEPTEMBER,
        ("<NBTOTDOSRSATRANSM>4</NBTOTDOSRSATRANSM>", "<NBTOTDOSRSATRANSM>5</NBTOTDOSRSATRANSM>"),
    )

    with pytest.raises(CnafImportRefused) as refused:
        cnaf_flux_import(source=path, user=pilot)

    assert [str(error) for error in refused.value.report.errors] == [
        "Fichier : le fichier annonce 5 foyer(s) (NBTOTDOSRSATRANSM) mais en contient 4 : "
        "fichier incomplet ?"
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_a_truncated_file_is_refused_with_its_line(tmp_path, communes, pilot):
    text = SEPTEMBER.read_text(encoding="utf-8")
    path = tmp_path / "tronque.xml"
    path.write_text(text[: len(text) // 2], encoding="utf-8")

    with pytest.raises(CnafFluxError, match=r"n'est pas un XML bien formé \(ligne \d+"):
        cnaf_flux_import(source=path, user=pilot)

    assert nothing_written()


@pytest.mark.django_db
def test_a_database_error_is_reported_without_the_row_it_quotes(communes, pilot, monkeypatch):
    def refuse(*args, **kwargs):
        raise IntegrityError("Failing row contains (MARTIN, Karim, 1984-05-17).")

    monkeypatch.setattr("beneficiaries.cnaf.insert_values", refuse)

    with pytest.raises(CnafFluxError) as refused:
        cnaf_flux_import(source=SEPTEMBER, user=pilot)

    assert str(refused.value) == (
        "La base de données a refusé l'import (IntegrityError) : rien n'a été enregistré."
    )
    assert refused.value.__cause__ is None
    assert (Household.objects.count(), Beneficiary.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_an_empty_flux_imports_nothing_and_is_accepted(communes, pilot):
    report = cnaf_flux_import(source=EMPTY, user=pilot)

    assert (report.errors, report.households_read, report.households_created) == ([], 0, 0)
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("sample", [EXTERNAL_ENTITY, BOMB])
def test_an_import_of_a_hostile_file_is_refused(sample, communes, pilot):
    with pytest.raises(CnafFluxError) as refused:
        cnaf_flux_import(source=sample, user=pilot)

    assert "root:" not in str(refused.value)
    assert nothing_written()


@pytest.mark.django_db
def test_a_dry_run_counts_and_writes_nothing(communes, pilot):
    report = cnaf_flux_import(source=SEPTEMBER, user=pilot, dry_run=True)

    assert (report.dry_run, report.households_created, report.people_created) == (True, 4, 7)
    assert nothing_written()


@pytest.mark.django_db
def test_only_a_pilot_imports(communes):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        cnaf_flux_import(source=SEPTEMBER, user=UserFactory(referent=True))

    assert nothing_written()


@pytest.mark.django_db
def test_the_import_makes_as_many_queries_for_many_households_as_for_one(
    tmp_path, communes, pilot, assert_constant_queries
):
    dates = {"created_on": datetime.date(2025, 11, 5), "reference_on": datetime.date(2025, 10, 31)}
    one, many = tmp_path / "un.xml", tmp_path / "beaucoup.xml"
    sketches = list(households(32, insee_codes=["42218", "42187"]))
    for sketch in sketches:
        sketch.people = sketch.people[:1]  # one person each: one insert batch on SQLite too
        sketch.state = "2"
    # A month before: both imports then look for the households it listed and they miss.
    before = tmp_path / "avant.xml"
    write_flux(
        before,
        sketches[-1:],
        created_on=datetime.date(2025, 10, 5),
        reference_on=datetime.date(2025, 9, 30),
    )
    cnaf_flux_import(source=before, user=pilot)
    write_flux(one, sketches[:1], **dates)
    write_flux(many, sketches[1:-1], **dates)

    assert_constant_queries(
        lambda: cnaf_flux_import(source=one, user=pilot),
        lambda: cnaf_flux_import(source=many, user=pilot),
    )
    assert Beneficiary.objects.count() == 32


# --- People who change household -------------------------------------------------------


DATES = {"created_on": datetime.date(2025, 11, 5), "reference_on": datetime.date(2025, 10, 31)}


def adult(first_name, sex, role, birth_date, last_name="BENALI", birth_name="BENALI"):
    return FluxPerson(
        last_name=last_name,
        birth_name=birth_name,
        first_name=first_name,
        birth_date=birth_date,
        sex=sex,
        role=role,
        subject=True,
    )


def dossier(matricule, *people, state="2"):
    return FluxHouseholdSketch(
        matricule=matricule,
        payer="CAF",
        requested_on=datetime.date(2024, 3, 1),
        sitfam="MAR" if len(people) > 1 else "SEF",
        insee_code="42218",
        street_number=12,
        street="RUE MICHELET",
        homeless=False,
        state=state,
        closed_on=datetime.date(2025, 10, 31) if state == "5" else None,
        people=list(people),
    )


KARIM = adult("KARIM", "1", "DEM", datetime.date(1984, 5, 17))
NADIA = adult("NADIA", "2", "CJT", datetime.date(1987, 11, 3))


def flux(tmp_path, name, *dossiers):
    path = tmp_path / name
    write_flux(path, dossiers, **DATES)
    return path


@pytest.mark.django_db
def test_a_person_who_opens_their_own_dossier_keeps_their_file(tmp_path, communes, pilot):
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, NADIA)), user=pilot
    )
    nadia = person("Nadia")
    ReferentAssignmentFactory(beneficiary=nadia)
    alone = adult("NADIA", "2", "DEM", NADIA.birth_date)

    report = cnaf_flux_import(
        source=flux(tmp_path, "octobre.xml", dossier("0000001", KARIM), dossier("0000002", alone)),
        user=pilot,
    )

    assert (report.people_moved, report.people_created) == (1, 0)
    nadia.refresh_from_db()
    assert nadia.household.caf_number == "0000002"
    assert nadia.household_role == HouseholdRole.APPLICANT
    assert nadia.assignments.count() == 1  # her parcours came with her
    assert Beneficiary.objects.filter(first_name="Nadia").count() == 1
    assert person("Karim").household.caf_number == "0000001"
    assert FileAccess.objects.filter(
        beneficiary=nadia, operation=FileOperation.UPDATE, what="flux CNAF"
    ).exists()
    # The next month changes nothing more.
    again = cnaf_flux_import(
        source=flux(tmp_path, "novembre.xml", dossier("0000001", KARIM), dossier("0000002", alone)),
        user=pilot,
    )
    assert (again.people_moved, again.people_created, again.people_unchanged) == (0, 0, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("closed_first", [True, False])
def test_a_person_whose_old_dossier_closes_moves_without_leaving(
    tmp_path, communes, pilot, closed_first
):
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, NADIA)), user=pilot
    )
    closed = dossier("0000001", KARIM, NADIA, state="5")
    new = dossier("0000002", adult("NADIA", "2", "DEM", NADIA.birth_date))
    dossiers = (closed, new) if closed_first else (new, closed)

    report = cnaf_flux_import(source=flux(tmp_path, "octobre.xml", *dossiers), user=pilot)

    assert (report.people_moved, report.exits_recorded) == (1, 1)
    assert Exit.objects.get().beneficiary == person("Karim")
    assert person("Nadia").household.caf_number == "0000002"


@pytest.mark.django_db
def test_two_people_with_that_identity_elsewhere_are_not_guessed_between(tmp_path, communes, pilot):
    samir = adult("SAMIR", "1", "DEM", datetime.date(1979, 2, 8), last_name="HADDAD")
    namesake = adult("NADIA", "2", "CJT", NADIA.birth_date)
    cnaf_flux_import(
        source=flux(
            tmp_path,
            "septembre.xml",
            dossier("0000001", KARIM, NADIA),
            dossier("0000003", samir, namesake),
        ),
        user=pilot,
    )

    # Both namesakes have left their dossier: which one is the new dossier's?
    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM),
            dossier("0000003", samir),
            dossier("0000002", adult("NADIA", "2", "DEM", NADIA.birth_date)),
        ),
        user=pilot,
    )

    assert (report.people_moved, report.people_created) == (0, 1)
    assert Beneficiary.objects.filter(first_name="Nadia").count() == 3


@pytest.mark.django_db
def test_a_namesake_still_in_their_dossier_is_not_the_one_who_moved(tmp_path, communes, pilot):
    namesake = dossier("0000003", adult("NADIA", "2", "DEM", NADIA.birth_date))
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, NADIA), namesake),
        user=pilot,
    )
    moving = person_in("0000001", "Nadia")

    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM),
            namesake,
            dossier("0000002", adult("NADIA", "2", "DEM", NADIA.birth_date)),
        ),
        user=pilot,
    )

    assert (report.people_moved, report.people_created) == (1, 0)
    assert person_in("0000002", "Nadia") == moving
    assert Beneficiary.objects.filter(first_name="Nadia").count() == 2


@pytest.mark.django_db
def test_a_namesake_whose_household_the_flux_does_not_show_is_not_taken(tmp_path, communes, pilot):
    """Entered by hand in a household the flux never lists: nothing says she has left it."""
    elsewhere = HouseholdFactory(caf_number="0000009", territory=communes["42218"].territory)
    namesake = BeneficiaryFactory(
        household=elsewhere,
        last_name="Benali",
        birth_name="Benali",
        first_name="Nadia",
        birth_date=NADIA.birth_date,
        sex=Sex.FEMALE,
    )

    report = cnaf_flux_import(
        source=flux(tmp_path, "octobre.xml", dossier("0000002", KARIM, NADIA)), user=pilot
    )

    assert (report.people_moved, report.people_created) == (0, 2)
    namesake.refresh_from_db()
    assert namesake.household == elsewhere


@pytest.mark.django_db
def test_someone_of_the_same_name_and_birth_date_but_another_sex_is_not_moved(
    tmp_path, communes, pilot
):
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, NADIA)), user=pilot
    )

    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM, NADIA),
            dossier("0000002", adult("NADIA", "1", "DEM", NADIA.birth_date)),
        ),
        user=pilot,
    )

    assert (report.people_moved, report.people_created) == (0, 1)
    assert person_in("0000001", "Nadia").sex == Sex.FEMALE


def person_in(caf_number, first_name):
    return Beneficiary.objects.get(household__caf_number=caf_number, first_name=first_name)


# --- The analysis, then the write -----------------------------------------------------------


def analysed(source, user, tmp_path):
    """(the report of the analysis, its plan file open for reading)."""
    plan_file = (tmp_path / "plan.jsonl.gz").open("w+b")
    report = cnaf_flux_analyse(source=source, user=user, plan_file=plan_file)
    return report, plan_file


def written_rows():
    return (
        Household.objects.count(),
        Beneficiary.objects.count(),
        Exit.objects.count(),
        FileAccess.objects.count(),
        sorted(FluxListing.objects.values_list("listed_on", flat=True)),
    )


@pytest.mark.django_db
def test_the_analysis_writes_nothing_and_the_write_does_not_read_the_flux_again(
    communes, pilot, tmp_path
):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    source = tmp_path / "octobre.xml"
    source.write_bytes(OCTOBER.read_bytes())
    before = written_rows()

    with CaptureQueriesContext(connection) as queries:
        report, plan_file = analysed(source, pilot, tmp_path)

    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert written_rows() == before
    assert report.exits_recorded == 2
    source.unlink()  # gone: the write works from the analysis's plan alone
    written = cnaf_flux_write(plan_file=plan_file, user=pilot)
    assert (written.exits_recorded, Exit.objects.count()) == (2, 2)
    assert written.households_updated == report.households_updated
    assert Household.objects.get(caf_number="0012345").address != "BAT B ESC 2, 12 RUE MICHELET"


@pytest.mark.django_db
def test_a_household_changed_here_after_the_analysis_is_held_whole(communes, pilot, tmp_path):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    _, plan_file = analysed(OCTOBER, pilot, tmp_path)
    # A household form saved meanwhile: what the analysis read of it is not true any more.
    Household.objects.filter(caf_number="0012345").update(
        address="3 RUE DE LA PAIX", lock_version=F("lock_version") + 1
    )

    written = cnaf_flux_write(plan_file=plan_file, user=pilot)

    assert Household.objects.get(caf_number="0012345").address == "3 RUE DE LA PAIX"
    assert [held.caf_number for held in written.changed_since] == ["0012345"]
    held = HeldHousehold.objects.get(caf_number="0012345")
    assert held.reasons.startswith("dossier modifié dans l'application depuis l'analyse")
    assert "1 foyer(s) modifié(s) dans l'application entre l'analyse et la confirmation" in (
        " ".join(written.lines())
    )
    # The other households are written.
    assert person("Nadia").exit.category == ExitCategory.END_OF_RIGHT


@pytest.mark.django_db
def test_a_plan_is_not_written_once_another_flux_came_in(communes, pilot, tmp_path):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    _, plan_file = analysed(OCTOBER, pilot, tmp_path)
    cnaf_flux_import(source=OCTOBER, user=pilot)  # meanwhile, by the command
    before = written_rows()

    with pytest.raises(CnafFluxError) as refused:
        cnaf_flux_write(plan_file=plan_file, user=pilot)

    assert str(refused.value).startswith("Un autre flux (du ")
    assert "Envoyez de nouveau ce fichier pour une nouvelle analyse." in str(refused.value)
    assert written_rows() == before


# --- The command ----------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_cnaf", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def assert_no_personal_data(text):
    upper = text.upper()
    assert not [name for name in NAMES if name in upper]
    assert not [date for date in BIRTH_DATES if date in text]
    assert not [nir for nir in NIRS if nir in text]


@pytest.mark.django_db
def test_the_command_prints_counts_and_no_name(communes, pilot):
    out, err = run(SEPTEMBER, "--user", "pilote")

    assert "Flux du 06/10/2025, période au 30/09/2025 (type M) : 4 foyer(s) lu(s)." in out
    assert "Foyers : 4 créé(s), 0 modifié(s), 0 inchangé(s), 0 clos" in out
    assert "Personnes : 7 créée(s), 0 modifiée(s), 0 inchangée(s)" in out
    assert "Flux importé." in out
    # Its progress, as it goes: the file read, then the households written.
    assert "Analyse du fichier (0 Mo)…" in out
    assert f"  100 % ({SEPTEMBER.stat().st_size} octets lus)" in out
    assert "Écriture de 4 foyer(s)…" in out
    assert "  100 % (4 foyers écrits)" in out
    assert_no_personal_data(out + err)
    out, err = run(OCTOBER, "--user", "pilote")
    assert "Sorties enregistrées (dossiers clos) : 2, dont fin de droit : 2." in out
    assert_no_personal_data(out + err)


@pytest.mark.django_db
def test_the_command_replays_an_older_or_same_flux_only_on_purpose(communes, pilot):
    """As the page asks to tick a confirmation (beneficiaries.runs.replay_of), the command
    refuses a flux that is not newer than the last one imported, unless --rattrapage."""
    run(OCTOBER, "--user", "pilote")
    people = Beneficiary.objects.count()

    out, _ = run(SEPTEMBER, "--user", "pilote", "--dry-run")
    assert (
        "Ce flux est daté du 06/10/2025 : il n'est pas plus récent que le dernier flux importé, "
        "du 05/11/2025. Pour l'importer quand même : --rattrapage."
    ) in out
    with pytest.raises(CommandError, match="relancez avec --rattrapage"):
        run(SEPTEMBER, "--user", "pilote")
    assert Beneficiary.objects.count() == people
    assert FluxListing.objects.filter(listed_on=datetime.date(2025, 10, 6)).count() == 0

    out, _ = run(SEPTEMBER, "--user", "pilote", "--rattrapage")
    assert "Flux importé." in out
    assert FluxListing.objects.filter(listed_on=datetime.date(2025, 10, 6)).exists()


@pytest.mark.django_db
def test_the_command_lists_the_errors_of_a_refused_file(tmp_path, communes, pilot):
    communes["42095"].delete()
    path = variant(
        tmp_path,
        SEPTEMBER,
        (KARIMS_BIRTH, KARIMS_BIRTH.replace("1984-05-17", "17/05/1984")),
    )
    err = StringIO()

    with pytest.raises(CommandError, match="Fichier refusé : 2 erreur") as refused:
        call_command("import_cnaf", str(path), "--user", "pilote", stdout=StringIO(), stderr=err)

    assert refused.value.returncode == 1  # manage.py exits with it
    assert "matricule 0012345 : personne n°1 : date de naissance (DTNAI) invalide" in (
        err.getvalue()
    )
    assert "matricule 7654321 : commune inconnue (code INSEE « 42095 »)" in err.getvalue()
    assert_no_personal_data(err.getvalue() + str(refused.value))
    assert nothing_written()


@pytest.mark.django_db
def test_the_command_may_hold_the_faulty_households_and_import_the_others(
    tmp_path, communes, pilot
):
    communes["42095"].delete()
    path = variant(
        tmp_path,
        SEPTEMBER,
        (KARIMS_BIRTH, KARIMS_BIRTH.replace("1984-05-17", "17/05/1984")),
    )

    out, err = run(path, "--user", "pilote", "--retenir")

    assert "Flux importé." in out
    held = HeldHousehold.objects.order_by("caf_number")
    assert [(one.caf_number, one.resolved_at) for one in held] == [
        ("0012345", None),
        ("7654321", None),
    ]
    assert "date de naissance (DTNAI) invalide" in held[0].reasons
    # The two other households of the file are written whole.
    assert Household.objects.count() == 2
    assert not Household.objects.filter(caf_number__in=["0012345", "7654321"]).exists()
    assert_no_personal_data(out + err)


@pytest.mark.django_db
def test_the_command_dry_run_writes_nothing(communes, pilot):
    out, _err = run(SEPTEMBER, "--user", "pilote", "--dry-run")

    assert "4 créé(s)" in out
    assert "Simulation (--dry-run) : rien n'a été enregistré." in out
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Fichier introuvable"),
        ("MATRICULE;NOM\n0012345;MARTIN\n", "n'est pas un XML bien formé (ligne 1"),
        ("", "n'est pas un XML bien formé"),
        ("<html><body>Bonjour</body></html>", "n'est pas un flux bénéficiaires VRSB0801"),
        ("<Racine><TransmissionFlux/></Racine>", "le bloc IdentificationFlux est absent"),
    ],
)
def test_the_command_refuses_what_is_not_a_flux(tmp_path, pilot, content, message):
    path = tmp_path / "flux.xml"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        run(path, "--user", "pilote")

    assert message in str(refused.value)
    assert_no_personal_data(str(refused.value))


@pytest.mark.django_db
def test_the_command_refuses_a_dtd(pilot):
    with pytest.raises(CommandError, match="déclare une DTD") as refused:
        run(EXTERNAL_ENTITY, "--user", "pilote")

    assert "root:" not in str(refused.value)


@pytest.mark.django_db
def test_the_command_needs_a_known_pilot(communes, pilot):
    with pytest.raises(CommandError, match="Utilisateur inconnu : personne"):
        run(SEPTEMBER, "--user", "personne")
    UserFactory(referent=True, username="referente")
    with pytest.raises(CommandError, match="referente n'est pas un pilote en activité"):
        run(SEPTEMBER, "--user", "referente")
    assert nothing_written()


@pytest.mark.django_db
def test_households_of_the_last_flux_absent_from_this_one_are_listed_never_closed(
    tmp_path, communes, pilot
):
    sketches = list(households(3, insee_codes=["42218", "42187"]))
    for sketch in sketches:
        sketch.state = "2"
    october, november = tmp_path / "octobre.xml", tmp_path / "novembre.xml"
    write_flux(
        october,
        sketches,
        created_on=datetime.date(2025, 10, 5),
        reference_on=datetime.date(2025, 9, 30),
    )
    write_flux(november, sketches[:2], **DATES)
    cnaf_flux_import(source=october, user=pilot)
    missing = Household.objects.get(caf_number=caf_number_from_matricule(sketches[2].matricule))

    report = cnaf_flux_import(source=november, user=pilot)

    assert report.previous_on == datetime.date(2025, 10, 5)
    assert report.households_absent == [f"CAF {missing.caf_number} ({missing.commune.name})"]
    assert (
        "1 foyer(s) du flux précédent (du 05/10/2025) n'apparaissent pas dans celui-ci, ni "
        "ouverts ni clos : rien n'est changé pour eux, vérifiez leur situation (liste jointe)."
    ) in report.lines()
    assert not Exit.objects.filter(beneficiary__household=missing).exists()
