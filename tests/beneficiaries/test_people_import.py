"""The import of a list of people through its engine (beneficiaries/people_import.py): the
analysis to a plan, which writes nothing, then the write of the plan; the rows held with
their household; the plan refused when the base changed meanwhile; a manager's scope; the
checks of one row, as pure functions."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beneficiaries import cells
from beneficiaries.enums import (
    AssignmentReason,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    RefusedTarget,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    FileAccess,
    Household,
    ListAccess,
    ReferentAssignment,
    RefusedAccess,
)
from beneficiaries.people_import import CommuneIndex, PeopleImportEngine, right_dates
from beneficiaries.resources import caf_contacts_import_spec, people_import_spec
from beneficiaries.services import OUT_OF_SCOPE
from pti.imports import SilentProgress
from pti.tabular import TableError
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    HouseholdFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HEADER = "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Courriel;Téléphone;Référent"


@pytest.fixture
def place():
    saint_etienne = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    roannais = TerritoryFactory(code="roannais", name="Roannais")
    return {
        "saint_etienne": saint_etienne,
        "roannais": roannais,
        "se": CommuneFactory(
            insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=saint_etienne
        ),
        "roanne": CommuneFactory(
            insee_code="42187", name="Roanne", postal_code="42300", territory=roannais
        ),
        "mably": CommuneFactory(
            insee_code="42127", name="Mably", postal_code="42300", territory=roannais
        ),
    }


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne")


@pytest.fixture
def camille(ccas):
    return UserFactory(
        referent=True,
        organisation=ccas,
        username="cmartin",
        first_name="Camille",
        last_name="Martin",
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


def csv(*rows, header=HEADER):
    return ("\r\n".join([header, *rows]) + "\r\n").encode("cp1252")


class Import:
    """An analysis kept in memory (its plan in a BytesIO), and its write."""

    def __init__(self, user, data):
        self.user = user
        self.spec = people_import_spec(user)
        self.plan = io.BytesIO()
        table = self.spec.read("liste.csv", data)
        self.analysis = self.spec.engine.analyse(
            self.spec, table, user=user, plan_file=self.plan, progress=SilentProgress()
        )
        self.report = self.analysis.report

    @property
    def errors(self):
        return [f"Ligne {line} : {message}" for line, message in self.report.errors]

    @property
    def operations(self):
        return [(line, operation) for line, operation, _ in self.report.rows]

    def write(self, user=None):
        return self.spec.engine.write(
            self.spec, self.plan, user=user or self.user, progress=SilentProgress()
        )


def written():
    """Everything an import may write."""
    return (
        Beneficiary.objects.count(),
        Household.objects.count(),
        ReferentAssignment.objects.count(),
        FileAccess.objects.count(),
    )


# --- The analysis, then the write --------------------------------------------------------------


def test_the_analysis_writes_nothing_and_the_write_creates_households_people_referents_traces(
    pilot, place, camille
):
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;123456;helene@exemple.fr;"
        "0612345678;Camille Martin",
        "M.;Durand;Éric;02/11/1984;42000 ST ETIENNE;0123456;;0477000000 / 0612000000;",
        "Mme;Lefèvre;Zoé;01/02/1999;42300 Mably;7654321;;;cmartin",
    )

    imported = Import(pilot, data)

    assert written() == (0, 0, 0, 0)
    assert imported.report.is_valid
    assert imported.analysis.held_lines == []
    assert imported.report.counts == {"new": 3, "update": 0, "skip": 0, "ignored": 0}
    assert imported.operations == [(2, "création"), (3, "création"), (4, "création")]
    assert imported.report.headers == HEADER.split(";")

    report = imported.write()

    assert report.counts == imported.report.counts
    helene = Beneficiary.objects.get(first_name="Hélène")
    eric = Beneficiary.objects.get(first_name="Éric")
    zoe = Beneficiary.objects.get(first_name="Zoé")
    assert (helene.sex, helene.birth_date, helene.email, helene.phone) == (
        Sex.FEMALE,
        datetime.date(1986, 3, 14),
        "helene@exemple.fr",
        "06 12 34 56 78",
    )
    assert helene.search_key == "durand helene"
    assert (helene.household_role, helene.rights_and_duties) == (
        HouseholdRole.APPLICANT,
        RightsAndDuties.SUBJECT,
    )
    assert (helene.rsa_requested_on, helene.right_opened_on, helene.right_known_on) == (
        TODAY,
        TODAY,
        TODAY,
    )
    assert (helene.lock_version, eric.lock_version) == (1, 1)
    assert eric.household == helene.household
    assert eric.phone == "04 77 00 00 00"
    household = helene.household
    assert (household.payer, household.caf_number, household.commune, household.territory) == (
        Payer.CAF,
        "0123456",
        place["se"],
        place["saint_etienne"],
    )
    assert household.family_situation == FamilySituation.SINGLE
    assert zoe.household.commune == place["mably"]
    assert Household.objects.count() == 2
    assert sorted(
        (a.beneficiary.first_name, a.referent, a.structure, a.start_date, a.reason, a.assigned_by)
        for a in ReferentAssignment.objects.all()
    ) == [
        ("Hélène", camille, camille.organisation, TODAY, AssignmentReason.FIRST, pilot),
        ("Zoé", camille, camille.organisation, TODAY, AssignmentReason.FIRST, pilot),
    ]
    assert sorted(
        (t.beneficiary.first_name, t.operation, t.what, t.user_id) for t in FileAccess.objects.all()
    ) == [
        ("Hélène", FileOperation.CREATE, "import", pilot.pk),
        ("Hélène", FileOperation.UPDATE, "foyer : nouveau membre", pilot.pk),
        ("Hélène", FileOperation.UPDATE, "référent désigné", pilot.pk),
        ("Zoé", FileOperation.CREATE, "import", pilot.pk),
        ("Zoé", FileOperation.UPDATE, "référent désigné", pilot.pk),
        ("Éric", FileOperation.CREATE, "import", pilot.pk),
    ]


def test_a_new_person_joins_a_household_of_the_base_and_its_members_are_traced(pilot, place):
    household = HouseholdFactory(caf_number="0123456", territory=place["saint_etienne"])
    helene = BeneficiaryFactory(household=household, first_name="Hélène")

    Import(pilot, csv("M.;Durand;Éric;02/11/1984;42000 Saint-Étienne;123456;;;")).write()

    eric = Beneficiary.objects.get(first_name="Éric")
    assert eric.household == household
    assert Household.objects.count() == 1
    assert sorted(FileAccess.objects.values_list("beneficiary", "what")) == sorted(
        [(eric.pk, "import"), (helene.pk, "foyer : nouveau membre")]
    )


def test_a_known_person_gets_new_contact_details_a_new_version_and_a_referent(
    pilot, place, camille
):
    household = HouseholdFactory(caf_number="0123456", territory=place["saint_etienne"])
    helene = BeneficiaryFactory(
        household=household,
        last_name="Durand",
        birth_name="Martin",
        first_name="Hélène",
        birth_date=datetime.date(1986, 3, 14),
        email="ancienne@exemple.fr",
        phone="",
    )
    eric = BeneficiaryFactory(
        household=household,
        last_name="Durand",
        first_name="Éric",
        birth_date=datetime.date(1984, 11, 2),
        email="eric@exemple.fr",
        phone="06 00 00 00 00",
    )
    louis = BeneficiaryFactory(
        household=household,
        last_name="Petit",
        first_name="Louis",
        birth_date=datetime.date(1975, 12, 24),
    )
    data = csv(
        # Known by the birth name; a blank e-mail erases nothing.
        "Mme;MARTIN;helene;14/03/1986;42000 Saint-Étienne;123456;;0611111111;",
        "M.;Durand;Eric;02/11/1984;42000 Saint-Étienne;123456;eric@exemple.fr;06 00 00 00 00;",
        "M.;Petit;Louis;24/12/1975;42000 Saint-Étienne;123456;;;Camille Martin",
    )

    imported = Import(pilot, data)
    assert imported.operations == [(2, "modification"), (3, "inchangé"), (4, "modification")]
    assert imported.report.counts == {"new": 0, "update": 2, "skip": 1, "ignored": 0}
    imported.write()

    helene.refresh_from_db()
    eric.refresh_from_db()
    louis.refresh_from_db()
    assert (helene.email, helene.phone, helene.lock_version) == (
        "ancienne@exemple.fr",
        "06 11 11 11 11",
        2,
    )
    assert eric.lock_version == 1
    assert louis.lock_version == 1  # a référent designated does not change the file's version
    assert louis.assignments.get().referent == camille
    assert Beneficiary.objects.count() == 3
    assert sorted(FileAccess.objects.values_list("beneficiary", "operation", "what")) == sorted(
        [
            (helene.pk, FileOperation.UPDATE, "import"),
            (louis.pk, FileOperation.UPDATE, "import"),
            (louis.pk, FileOperation.UPDATE, "référent désigné"),
        ]
    )


def test_the_same_file_again_plans_nothing_and_writes_nothing(pilot, place, camille):
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;123456;h@exemple.fr;;Camille Martin",
        "M.;Durand;Éric;02/11/1984;42000 Saint-Étienne;123456;;;",
    )
    Import(pilot, data).write()
    before = written()

    again = Import(pilot, data)

    assert again.report.counts == {"new": 0, "update": 0, "skip": 2, "ignored": 0}
    assert again.operations == [(2, "inchangé"), (3, "inchangé")]
    again.write()
    assert written() == before


def test_the_plan_is_a_compact_gzip_of_json_lines(pilot, place):
    imported = Import(pilot, csv("Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1;;;"))

    data = imported.plan.getvalue()

    assert data[:2] == b"\x1f\x8b"
    assert b"Durand" not in data  # compressed


def test_the_write_is_refused_to_another_user(pilot, place):
    imported = Import(pilot, csv("Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1;;;"))

    with pytest.raises(ValidationError, match="préparé pour un autre utilisateur"):
        imported.write(user=UserFactory(pilot=True))

    assert written() == (0, 0, 0, 0)


def test_an_unreadable_plan_is_refused(pilot):
    spec = people_import_spec(pilot)

    with pytest.raises(ValidationError, match="illisible"):
        spec.engine.write(spec, io.BytesIO(b"pas un plan"), user=pilot, progress=SilentProgress())


def test_a_missing_required_column_is_refused_before_any_row(pilot, place):
    spec = people_import_spec(pilot)
    table = spec.read(
        "liste.csv",
        b"Civilit\xe9;Nom;Pr\xe9nom;Date de naissance;N\xb0 CAF\r\nM.;A;B;01/01/1980;1\r\n",
    )

    with pytest.raises(TableError, match="Colonne obligatoire absente : « CP Ville »"):
        spec.engine.analyse(
            spec, table, user=pilot, plan_file=io.BytesIO(), progress=SilentProgress()
        )


def test_the_analysis_reads_the_base_in_a_fixed_number_of_queries(pilot, place, camille):
    def queries(count, start):
        rows = [
            f"Mme;Nom{n};Prénom{n};01/01/19{50 + n % 40};42000 Saint-Étienne;{n};;;Camille Martin"
            for n in range(start, start + count)
        ]
        with CaptureQueriesContext(connection) as captured:
            Import(pilot, csv(*rows))
        return len(captured)

    assert queries(2, 1) == queries(40, 100)


def test_the_write_costs_a_fixed_number_of_queries_per_chunk(pilot, place, camille):
    def queries(count, start):
        rows = [
            f"Mme;Nom{n};Prénom{n};01/01/19{50 + n % 40};42000 Saint-Étienne;{n // 2};;;"
            "Camille Martin"
            for n in range(start, start + count)
        ]
        imported = Import(pilot, csv(*rows))
        with CaptureQueriesContext(connection) as captured:
            imported.write()
        return len(captured)

    assert queries(2, 1000) == queries(40, 2000)


# --- Faulty rows are held, with their household ------------------------------------------------


def test_a_faulty_row_holds_its_household_and_the_other_households_are_written(pilot, place):
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1111111;;;",
        "M.;Durand;Éric;31/02/1984;42000 Saint-Étienne;1111111;;;",
        "M.;Durand;Léo;01/01/2010;42000 Saint-Étienne;1111111;;;",
        "Mme;Petit;Zoé;01/02/1999;42300 Mably;2222222;;;",
        "Mme;Petit;Zoé;01/02/1999;42300 Mably;3333333;;;",
    )

    imported = Import(pilot, data)

    assert imported.errors == [
        "Ligne 2 : Retenue avec la ligne 3, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 3 : Date de naissance : « 31/02/1984 » : date impossible : le 31/02 n'existe pas.",
        "Ligne 4 : Retenue avec la ligne 3, qui est en erreur : elles ont le même « N° CAF ».",
    ]
    # Two households, same names and birth date: probable homonyms, both imported.
    assert [line for line, _ in imported.report.warnings] == [5, 6]
    assert imported.analysis.held_lines == [2, 3, 4]
    assert imported.report.counts == {"new": 2, "update": 0, "skip": 0, "ignored": 0}
    # The preview shows what would be written; the held rows are listed with their reason.
    assert imported.operations == [(5, "création"), (6, "création")]
    assert written() == (0, 0, 0, 0)

    imported.write()

    assert list(Beneficiary.objects.values_list("first_name", "household__caf_number")) == [
        ("Zoé", "2222222"),
        ("Zoé", "3333333"),
    ]
    assert not Household.objects.filter(caf_number="1111111").exists()


def test_a_household_is_held_by_number_and_payer(pilot, place):
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1111111;;;;CAF",
        "M.;Durand;Éric;31/02/1984;42000 Saint-Étienne;1111111;;;;MSA",
        "M.;Durand;Léo;01/01/2010;42000 Saint-Étienne;1111111;;;;MSA",
        "M.;Durand;Jules;01/01/2012;42000 Saint-Étienne;2222222;;;;Caisse",
        "M.;Durand;Paul;01/01/2013;42000 Saint-Étienne;2222222;;;;CAF",
        header=HEADER + ";Organisme payeur",
    )

    imported = Import(pilot, data)

    # The payer cannot be read on line 5: every row of that number is held.
    assert imported.analysis.held_lines == [3, 4, 5, 6]
    assert imported.report.counts["new"] == 1
    imported.write()
    assert list(Beneficiary.objects.values_list("first_name", "household__payer")) == [
        ("Hélène", Payer.CAF)
    ]


def test_several_faulty_rows_of_a_household_are_named_together(pilot, place):
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1111111;;;",
        "M.;Durand;;02/11/1984;42000 Saint-Étienne;1111111;;;",
        "Dr;Durand;Léo;01/01/2010;42000 Saint-Étienne;1111111;;;",
    )

    imported = Import(pilot, data)

    assert imported.errors[0] == (
        "Ligne 2 : Retenue avec les lignes 3 et 4, qui sont en erreur : elles ont le même "
        "« N° CAF »."
    )


# --- What a row may say, and the errors it gets -------------------------------------------------


def test_every_fault_of_a_row_is_named_with_its_column(pilot, place, camille):
    UserFactory(referent=True, first_name="Paul", last_name="Ancien", is_active=False)
    tomorrow = f"{TODAY + datetime.timedelta(days=1):%d/%m/%Y}"
    data = csv(
        "Mme;Date;Impossible;31/02/1980;42000 Saint-Étienne;1000002;;;",
        "Mme;Commune;Inconnue;01/01/1980;42999 Nulle-Part;1000003;;;",
        "Mme;Référent;Inconnu;01/01/1980;42000 Saint-Étienne;1000004;;;Jean Personne",
        "Mme;Référent;Parti;01/01/1980;42000 Saint-Étienne;1000005;;;Paul Ancien",
        "Mlle;Numéro;Trop long;01/01/1980;42000 Saint-Étienne;12345678;;;",
        "Dr;Civilité;Inconnue;01/01/1980;42300;1000007;x@;;",
        ";Sans prénom;;;;;;;",
        f"M.;Né;Demain;{tomorrow};42000 Saint-Étienne;1000009;;;",
        "M.;Né;Jadis;01/01/1850;42000 Saint-Étienne;1000010;;;",
        f"M.;{'N' * 101};Long;01/01/1980;42000 Saint-Étienne;1000011;;0612345678901234567890;",
    )

    imported = Import(pilot, data)

    assert imported.errors == [
        "Ligne 2 : Date de naissance : « 31/02/1980 » : date impossible : le 31/02 n'existe pas.",
        "Ligne 3 : CP Ville : commune « 42999 Nulle-Part » introuvable parmi celles du "
        "département : vérifiez le code postal et le nom (par exemple « 42000 Saint-Étienne »).",
        "Ligne 6 : N° CAF : « 12345678 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
        "Ligne 7 : CP Ville : plusieurs communes ont le code postal 42300 (Mably, Roanne) : "
        "ajoutez le nom "
        "(par exemple « 42000 Saint-Étienne »).",
        "Ligne 7 : Civilité : « Dr » n'est pas une civilité (M., Mme, Monsieur ou Madame).",
        "Ligne 8 : CP Ville : indiquez le code postal et la commune (par exemple « 42000 "
        "Saint-Étienne »).",
        "Ligne 8 : Civilité : indiquez M. ou Mme.",
        "Ligne 8 : Date de naissance : la date de naissance est obligatoire (jj/mm/aaaa).",
        "Ligne 8 : N° CAF : le numéro d'allocataire est obligatoire.",
        "Ligne 8 : Prénom : cette case est obligatoire.",
        f"Ligne 9 : Date de naissance : « {tomorrow} » est dans le futur.",
        f"Ligne 10 : Date de naissance : « 01/01/1850 » : {TODAY.year - 1850} ans, date de "
        "naissance invraisemblable (plus de 120 ans) ; vérifiez l'année.",
        "Ligne 11 : Nom : cette case compte 101 caractères : 100 au plus.",
    ]
    # An unknown or departed référent leaves the person unassigned, with a warning.
    assert [line for line, _ in imported.report.warnings] == [4, 5]
    assert imported.analysis.held_lines == [2, 3, *range(6, 12)]
    assert imported.report.counts == {"new": 2, "update": 0, "skip": 0, "ignored": 0}


def test_dates_of_the_right_default_and_are_checked_in_order(pilot, place):
    header = HEADER + ";Demande de RSA;Ouverture du droit;Droit connu le"
    data = csv(
        "Mme;Avant;Demande;01/01/1980;42000 Saint-Étienne;1;;;;01/03/2025;01/02/2025;",
        "Mme;Connu;Avant;01/01/1980;42000 Saint-Étienne;2;;;;;01/03/2025;01/02/2025",
        "Mme;Bonne;Dates;01/01/1980;42000 Saint-Étienne;3;;;;03/01/2025;;10/02/2025",
        header=header,
    )

    imported = Import(pilot, data)

    assert imported.errors == [
        "Ligne 2 : Ouverture du droit : le droit ne peut pas s'ouvrir avant la demande.",
        "Ligne 3 : Droit connu le : le Département ne peut pas l'apprendre avant l'ouverture "
        "du droit.",
    ]
    imported.write()
    person = Beneficiary.objects.get()
    assert (person.rsa_requested_on, person.right_opened_on, person.right_known_on) == (
        datetime.date(2025, 1, 3),
        datetime.date(2025, 1, 3),
        datetime.date(2025, 2, 10),
    )


def test_a_known_person_followed_elsewhere_or_in_another_household_is_refused(
    pilot, place, camille, eloise
):
    assignment = ReferentAssignmentFactory(
        referent=eloise,
        beneficiary__last_name="Petit",
        beneficiary__first_name="Louis",
        beneficiary__birth_date=datetime.date(1975, 12, 24),
    )
    number = assignment.beneficiary.household.caf_number
    data = csv(
        f"M.;Petit;Louis;24/12/1975;42000 Saint-Étienne;{number};;;Camille Martin",
        "M.;Petit;Louis;24/12/1975;42000 Saint-Étienne;7777777;;;",
    )

    imported = Import(pilot, data)

    assert imported.errors == [
        "Ligne 2 : Référent : cette personne est déjà suivie par Éloïse Béranger : changez de "
        "référent depuis son dossier, avec le motif.",
    ]
    # In another household: a probable homonym of line 2 and of the file, imported.
    assert imported.report.warnings == [
        (
            3,
            "Homonyme probable : une personne de mêmes nom, prénom et date de naissance a un "
            f"dossier dans un autre foyer (ligne 2 du fichier, n° {number}) ; un dossier "
            "distinct est créé : vérifiez qu'il s'agit bien d'une autre personne.",
        )
    ]


def test_people_known_under_a_birth_name_are_the_same_person_in_a_file(pilot, place):
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1;;;",
        "Mme;Martin;Hélène;14/03/1986;42000 Saint-Étienne;1;;;",
        header=HEADER,
    )
    data_with_birth_name = (
        "Civilité;Nom;Nom de naissance;Prénom;Date de naissance;CP Ville;N° CAF\r\n"
        "Mme;Durand;Martin;Hélène;14/03/1986;42000 Saint-Étienne;1\r\n"
        "Mme;Martin;;Hélène;14/03/1986;42000 Saint-Étienne;1\r\n"
    ).encode("cp1252")

    assert Import(pilot, data).report.is_valid  # two names, two people
    # Not homonyms of each other (only the second's missing role is said).
    assert [line for line, message in Import(pilot, data).report.warnings] == [3]
    assert "Rôle : non indiqué" in Import(pilot, data).report.warnings[0][1]
    assert Import(pilot, data_with_birth_name).errors == [
        "Ligne 2 : Retenue avec la ligne 3, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 3 : Les lignes 2 et 3 décrivent la même personne (mêmes nom, prénom et date de "
        "naissance) : gardez-en une seule.",
    ]


# --- A manager imports into their own structure --------------------------------------------------


def test_a_manager_brings_people_only_into_their_structure(manager, place, camille, eloise):
    elsewhere = ReferentAssignmentFactory(
        referent=eloise,
        beneficiary__last_name="Ailleurs",
        beneficiary__first_name="Suivie",
        beneficiary__birth_date=datetime.date(1970, 1, 1),
    ).beneficiary
    other_household = elsewhere.household.caf_number
    data = csv(
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1234567;;;Éloïse Béranger",
        "M.;Petit;Louis;24/12/1975;42300 Roanne;2345678;;;",
        f"Mme;Ailleurs;Suivie;01/01/1970;42300 Roanne;{other_household};;;Camille Martin",
        f"M.;Nouveau;Marc;02/11/1978;42300 Roanne;{other_household};;;Camille Martin",
        "Mme;Bonne;Ligne;01/01/1980;42300 Roanne;3456789;;;cmartin",
    )
    before = written()

    imported = Import(manager, data)

    assert imported.errors == [
        "Ligne 2 : Référent : « Éloïse Béranger » n'est pas un référent en activité de votre "
        "structure (indiquez « Prénom Nom » ou son identifiant).",
        "Ligne 3 : Référent : indiquez un référent de votre structure : sans lui, la personne "
        "ne serait pas suivie par votre structure.",
        f"Ligne 4 : {OUT_OF_SCOPE}",
        f"Ligne 5 : {OUT_OF_SCOPE}",
    ]
    assert sorted(imported.report.refused) == sorted(
        [(RefusedTarget.FILE, elsewhere.pk), (RefusedTarget.HOUSEHOLD, elsewhere.household_id)]
    )
    imported.write()
    assert written()[0] == before[0] + 1
    person = Beneficiary.objects.get(last_name="Bonne")
    assert person.assignments.get().structure == manager.organisation
    assert set(FileAccess.objects.values_list("user", flat=True)) == {manager.pk}


def test_the_page_trace_of_the_preview_records_the_refusals(manager, place, eloise):
    elsewhere = ReferentAssignmentFactory(
        referent=eloise,
        beneficiary__last_name="Ailleurs",
        beneficiary__first_name="Suivie",
        beneficiary__birth_date=datetime.date(1970, 1, 1),
    ).beneficiary
    imported = Import(
        manager,
        csv(f"Mme;Ailleurs;Suivie;01/01/1970;42300 Roanne;{elsewhere.household.caf_number};;;"),
    )

    imported.spec.on_preview(manager, imported.report)

    assert RefusedAccess.objects.get(user=manager).object_id == elsewhere.pk
    assert ListAccess.objects.get(user=manager).total == 1


# --- A plan the base no longer matches is refused whole ------------------------------------------


def test_a_person_created_meanwhile_refuses_the_plan(pilot, place):
    household = HouseholdFactory(caf_number="1111111")
    imported = Import(
        pilot,
        csv(
            "Mme;Petit;Zoé;01/02/1999;42300 Mably;2222222;;;",
            "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1111111;;;",
        ),
    )
    BeneficiaryFactory(
        household=household,
        last_name="DURAND",
        first_name="helene",
        birth_date=datetime.date(1986, 3, 14),
    )
    # A homonym in another household is no reason to refuse the plan.
    BeneficiaryFactory(last_name="Petit", first_name="Zoé", birth_date=datetime.date(1999, 2, 1))
    before = written()

    with pytest.raises(ValidationError) as refused:
        imported.write()

    assert refused.value.messages == [
        "La base a changé depuis l'analyse du fichier (ligne 3 : une personne de même identité "
        "a été enregistrée dans ce foyer) : rien n'a été enregistré. Envoyez de nouveau le "
        "fichier pour une nouvelle analyse."
    ]
    assert written() == before


def test_a_referent_gone_meanwhile_refuses_the_plan(pilot, place, camille):
    imported = Import(pilot, csv("Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1;;;cmartin"))
    camille.is_active = False
    camille.save()

    with pytest.raises(ValidationError, match="ligne 2 : le référent n'est plus en activité"):
        imported.write()

    assert written() == (0, 0, 0, 0)


def test_a_household_created_meanwhile_refuses_the_plan(pilot, place):
    imported = Import(pilot, csv("Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1;;;"))
    HouseholdFactory(caf_number="0000001", payer=Payer.CAF)
    before = written()

    with pytest.raises(ValidationError, match="un foyer porte désormais ce n° CAF"):
        imported.write()

    assert written() == before


def test_a_file_changed_or_assigned_meanwhile_refuses_the_plan(pilot, place, camille, eloise):
    louis = BeneficiaryFactory(
        last_name="Petit", first_name="Louis", birth_date=datetime.date(1975, 12, 24)
    )
    lea = BeneficiaryFactory(
        last_name="Garnier", first_name="Léa", birth_date=datetime.date(1996, 2, 29)
    )
    imported = Import(
        pilot,
        csv(
            f"M.;Petit;Louis;24/12/1975;42000;{louis.household.caf_number};l@exemple.fr;;",
            f"Mme;Garnier;Léa;29/02/1996;42000;{lea.household.caf_number};;;Camille Martin",
        ),
    )
    Beneficiary.objects.filter(pk=louis.pk).update(lock_version=5)
    ReferentAssignmentFactory(beneficiary=lea, referent=eloise)
    before = written()

    with pytest.raises(ValidationError) as refused:
        imported.write()

    assert "ligne 2 : dossier modifié, anonymisé ou hors de votre périmètre" in str(refused.value)
    assert "ligne 3 : un référent a été désigné entre-temps" in str(refused.value)
    assert written() == before
    louis.refresh_from_db()
    assert louis.email != "l@exemple.fr"


def test_a_refused_plan_written_after_other_chunks_undoes_them(pilot, place, monkeypatch):
    monkeypatch.setattr("beneficiaries.people_import.PLAN_CHUNK", 2)
    rows = [f"Mme;Nom{n};Prénom{n};01/01/1980;42000 Saint-Étienne;{n};;;" for n in range(1, 6)]
    imported = Import(pilot, csv(*rows))
    BeneficiaryFactory(
        last_name="Nom5",
        first_name="Prénom5",
        birth_date=datetime.date(1980, 1, 1),
        household__caf_number="0000005",
    )
    before = written()

    with pytest.raises(ValidationError, match="ligne 6"):
        imported.write()

    assert written() == before


# --- The checks of one row, pure --------------------------------------------------------------


def test_the_cells_are_read_as_french_files_write_them():
    assert cells.clean_caf_number(123456.0) == "0123456"
    assert cells.clean_caf_number(" 12 345 ") == "0012345"
    assert cells.clean_phone("+33 6 11 22 33 44") == "06 11 22 33 44"
    assert cells.clean_phone(612345678) == "06 12 34 56 78"
    assert cells.clean_phone("0477000000 / 0612000000") == "04 77 00 00 00"
    assert cells.clean_email("a@exemple.fr; b@exemple.fr") == "a@exemple.fr"
    assert cells.clean_email("") == ""
    assert cells.clean_name("  Jean   Pierre ", required=True) == "Jean Pierre"
    assert cells.clean_civility("Madame") == Sex.FEMALE
    assert cells.clean_date("1/2/1999") == datetime.date(1999, 2, 1)
    assert cells.clean_date(datetime.datetime(1975, 12, 24)) == datetime.date(1975, 12, 24)
    assert cells.clean_date("") is None
    with pytest.raises(cells.IgnoredCell, match="n'est pas une adresse électronique valide"):
        cells.clean_email(("a" * 250) + "@exemple.fr")


def test_the_dates_of_the_right_default_to_one_another():
    day = datetime.date

    assert right_dates(None, None, None, today=day(2026, 3, 1)) == (
        day(2026, 3, 1),
        day(2026, 3, 1),
        day(2026, 3, 1),
        {},
    )
    assert right_dates(day(2025, 1, 3), None, None, today=day(2026, 3, 1))[:3] == (
        day(2025, 1, 3),
        day(2025, 1, 3),
        day(2026, 3, 1),
    )
    assert right_dates(day(2025, 3, 1), day(2025, 2, 1), None, today=day(2026, 3, 1))[3] == {
        "right_opened_on": "le droit ne peut pas s'ouvrir avant la demande."
    }


def test_communes_are_found_by_code_and_name_whatever_the_spelling(place):
    communes = CommuneIndex()
    communes.load()
    se = (place["se"].pk, place["saint_etienne"].pk)

    assert communes.find("42000 ST ETIENNE") == se
    assert communes.find("Saint-Étienne CEDEX 2") == se
    assert communes.find("Saint-Étienne", 42000.0) == se
    assert communes.find("42300 Mably") == (place["mably"].pk, place["roannais"].pk)
    with pytest.raises(ValueError, match="plusieurs communes ont le code postal 42300"):
        communes.find("42300")


def test_the_caf_contacts_file_keeps_reading_its_cells(pilot):
    spec = caf_contacts_import_spec(pilot)

    widgets = {name: field.widget for name, field in spec.make_resource().fields.items()}

    assert widgets["caf_number"].clean("42") == "0000042"
    assert widgets["phone"].clean("0612345678") == "06 12 34 56 78"
    with pytest.raises(cells.IgnoredCell, match="n'est pas une adresse électronique valide"):
        widgets["email"].clean("x@")


def test_the_engine_is_the_spec_engine(pilot, manager):
    assert isinstance(people_import_spec(pilot).engine, PeopleImportEngine)
    assert "Référent" in people_import_spec(manager).required
