"""Importing a list of people (formats/README.md, section 3) through the real page: the file
sent, analysed in the background (the immediate backend runs it at once), the preview on the
run's page, then the confirmation; a faulty row is held with its household and the rest is
written; as a pilot and as a manager of a structure."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from beneficiaries.enums import (
    AssignmentReason,
    FamilySituation,
    FileOperation,
    HouseholdRole,
    Payer,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    Beneficiary,
    FileAccess,
    Household,
    ReferentAssignment,
)
from beneficiaries.services import OUT_OF_SCOPE
from pti.enums import RunStatus
from pti.models import TaskRun
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    HouseholdFactory,
    OrientationDecisionFactory,
    ReferentAssignmentFactory,
)
from tests.import_pages import (
    confirm,
    error_lines,
    form_errors,
    held_rows,
    outcome_of,
    page,
    rows_of,
    run_of,
    run_page,
    send,
)
from tests.pti.factories import (
    CommuneFactory,
    OrganisationFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("beneficiaries:import")
LIST_URL = reverse("beneficiaries:list")
TODAY = timezone.localdate()

# The header of formats/README.md, section 3, as a département's software writes it.
FRENCH_HEADER = (
    "Civilité;Prénom bénéficiaire;Nom bénéficiaire;Adresses Mails;N° Téléphones;"
    "Date de Naissance;CP Ville;N° CAF;ID interne;Référent;Role"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def place():
    """Three communes on two territories; Roanne and Mably share their postal code."""
    saint_etienne = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    roannais = TerritoryFactory(code="roannais", name="Roannais")
    return {
        "saint_etienne": saint_etienne,
        "roannais": roannais,
        "se": CommuneFactory(
            insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=saint_etienne
        ),
        "talaudiere": CommuneFactory(
            insee_code="42305", name="La Talaudière", postal_code="42350", territory=saint_etienne
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
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def mission():
    return OrganisationFactory(name="Mission locale du Roannais")


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
def eloise(mission):
    return UserFactory(
        referent=True,
        organisation=mission,
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


@pytest.fixture
def pilot_client(client_as, pilot):
    return client_as(pilot)


def csv_upload(text, *, encoding="cp1252", name="liste.csv"):
    data = text.encode(encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_upload(rows, name="liste.xlsx"):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


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
    """Send, read the preview, confirm, as the user does; returns the run, written."""
    run = analysed(client, upload)
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    return confirm(client, run)


def counts():
    """Everything an import may write."""
    return (
        Beneficiary.objects.count(),
        Household.objects.count(),
        ReferentAssignment.objects.count(),
        FileAccess.objects.count(),
    )


GOOD_CSV = "\r\n".join(
    [
        FRENCH_HEADER,
        "Mme;Hélène ;DURAND ;helene.durand@exemple.fr;06 12 34 56 78;14/03/1986;"
        "42000 Saint-Étienne;123456;A-001;Camille Martin;DEM",
        ";;;;;;;;;;",
        "M.;Éric;Durand;;0477000000 / 0612000000;02/11/1984;42000 ST ETIENNE;0123456;A-002;;CJT",
        "",
        "Madame;Zoé;Lefèvre;zoe@exemple.fr; ;1/2/1999;42300 Mably;7654321;A-003;eberanger;",
        "",
    ]
)


# --- The page and who may use it ------------------------------------------------------------


def test_the_page_lists_columns_their_other_names_and_the_defaults(pilot_client):
    response = pilot_client.get(IMPORT_URL)

    content = page(response)
    assert response.status_code == 200
    assert '<h1 class="h2 mb-3">Importer des bénéficiaires</h1>' in content
    for column in ("Civilité", "Nom", "Prénom", "Date de naissance", "CP Ville", "N° CAF"):
        assert f'<th scope="row">{column}</th><td>oui</td>' in content
    assert '<th scope="row">Référent</th><td>non</td>' in content
    assert "Prénom bénéficiaire" in content  # another name of "Prénom"
    assert "N° Téléphones" in content
    assert "Droit connu le : à défaut, la date de l'import" in content
    assert "situation familiale « personne seule »" in content
    assert 'href="?modele=csv"' in content
    assert 'for="id_file">Fichier à importer' in content


def test_the_people_list_links_to_the_import_for_pilots_and_managers_only(
    client_as, pilot, manager, camille
):
    for user in (pilot, manager):
        assert f'href="{IMPORT_URL}"' in client_as(user).get(LIST_URL).content.decode()
    assert f'href="{IMPORT_URL}"' not in client_as(camille).get(LIST_URL).content.decode()


def test_other_roles_are_refused_even_with_a_file(client_as, place, camille):
    for user in (camille, UserFactory(operator=True), UserFactory(partner=True)):
        client = client_as(user)
        assert client.get(IMPORT_URL).status_code == 403
        assert preview(client, csv_upload(GOOD_CSV)).status_code == 403
    assert counts() == (0, 0, 0, 0)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("pti:login"))


def test_the_example_file_opens_in_french_excel_and_imports_as_it_is(pilot_client, place, camille):
    response = pilot_client.get(IMPORT_URL, {"modele": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="modele-importer-des-beneficiaires.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    header = response.content[3:].decode("utf-8").split("\r\n")[0]
    assert header.startswith("Civilité;Nom;Prénom;Nom de naissance;Date de naissance;")

    run = import_file(pilot_client, SimpleUploadedFile("modele.csv", response.content))

    assert outcome_of(run) == "Import terminé : 1 création, 0 modification, 0 ligne inchangée."
    person = Beneficiary.objects.get()
    assert (person.first_name, person.last_name, person.birth_name) == (
        "Hélène",
        "Durand",
        "Martin",
    )
    assert person.household.family_situation == FamilySituation.SINGLE_PARENT
    assert person.household.address == "12 rue de la Paix"
    assert person.rsa_requested_on == datetime.date(2026, 1, 2)
    assert person.right_opened_on == datetime.date(2026, 2, 1)
    assert person.right_known_on == datetime.date(2026, 2, 5)


# --- Files as départements have them ----------------------------------------------------------


def test_the_preview_of_a_french_excel_csv_writes_nothing(pilot_client, place, camille, eloise):
    response = preview(pilot_client, csv_upload(GOOD_CSV))

    content = page(response)
    assert error_lines(response) == []
    assert 'Fichier envoyé</dt><dd class="col-sm-9">liste.csv</dd>' in content
    assert "Analyse terminée : rien n'a encore été enregistré" in content
    assert "L'import ferait : 3 créations, 0 modification, 0 ligne inchangée." in content
    # Blank lines are skipped; each row keeps its line in the file.
    assert rows_of(response) == [("2", "création"), ("4", "création"), ("6", "création")]
    assert "Confirmer l'import" in content
    assert counts() == (0, 0, 0, 0)


def test_a_french_excel_csv_in_windows_1252_creates_the_people(
    pilot_client, pilot, place, camille, eloise
):
    run = import_file(pilot_client, csv_upload(GOOD_CSV))

    assert run.status == RunStatus.DONE
    assert (run.created_by, run.confirmed_by) == (pilot, pilot)
    assert outcome_of(run) == "Import terminé : 3 créations, 0 modification, 0 ligne inchangée."
    assert f'href="{LIST_URL}">Voir les bénéficiaires</a>' in page(run_page(pilot_client, run))
    helene = Beneficiary.objects.get(first_name="Hélène")
    assert helene.last_name == "DURAND"  # trailing spaces trimmed
    assert helene.sex == Sex.FEMALE
    assert helene.birth_date == datetime.date(1986, 3, 14)
    assert helene.email == "helene.durand@exemple.fr"
    assert helene.phone == "06 12 34 56 78"
    assert helene.household_role == HouseholdRole.APPLICANT
    assert helene.rights_and_duties == RightsAndDuties.SUBJECT
    # No dates of the right in the file: the département learns of it by this import.
    assert (helene.rsa_requested_on, helene.right_opened_on, helene.right_known_on) == (
        TODAY,
        TODAY,
        TODAY,
    )
    household = helene.household
    assert household.caf_number == "0123456"  # "123456" left-padded
    assert household.payer == Payer.CAF
    assert household.commune == place["se"]
    assert household.territory == place["saint_etienne"]
    # A demandeur and a conjoint: a couple, whatever a single row would default to.
    assert household.family_situation == FamilySituation.COUPLE

    eric = Beneficiary.objects.get(first_name="Éric")
    assert eric.household == household  # same CAF number, same household
    assert eric.sex == Sex.MALE
    assert eric.household_role == HouseholdRole.PARTNER
    assert eric.phone == "04 77 00 00 00"  # the first of the two numbers
    assert eric.email == ""
    assert not eric.assignments.exists()

    zoe = Beneficiary.objects.get(first_name="Zoé")
    assert zoe.birth_date == datetime.date(1999, 2, 1)
    assert zoe.household.commune == place["mably"]  # 42300 is also Roanne's code
    assert zoe.household.territory == place["roannais"]
    assert Household.objects.count() == 2

    # Named référents get the person, from today, as a first assignment.
    assert [
        (a.referent, a.structure, a.start_date, a.reason, a.assigned_by)
        for a in ReferentAssignment.objects.order_by("beneficiary__first_name")
    ] == [
        (camille, camille.organisation, TODAY, AssignmentReason.FIRST, pilot),
        (eloise, eloise.organisation, TODAY, AssignmentReason.FIRST, pilot),
    ]
    # Every file created is traced, as an import, by whom; Éric joining the household of
    # Hélène is a change of her file too.
    traces = sorted(
        (t.beneficiary.first_name, t.operation, t.what, t.user_id) for t in FileAccess.objects.all()
    )
    assert traces == [
        ("Hélène", FileOperation.CREATE, "import", pilot.pk),
        ("Hélène", FileOperation.UPDATE, "foyer : nouveau membre", pilot.pk),
        ("Hélène", FileOperation.UPDATE, "référent désigné", pilot.pk),
        ("Zoé", FileOperation.CREATE, "import", pilot.pk),
        ("Zoé", FileOperation.UPDATE, "référent désigné", pilot.pk),
        ("Éric", FileOperation.CREATE, "import", pilot.pk),
    ]

    # The pilot finds them in the people list.
    listing = page(pilot_client.get(LIST_URL))
    assert "3 personnes" in listing
    for name in ("DURAND Hélène", "DURAND Éric", "LEFÈVRE Zoé"):
        assert name in listing


def test_a_utf8_csv_with_bom_and_other_column_names(pilot_client, place):
    text = (
        "Sexe,Nom de famille,Prénom,Nom de jeune fille,Né(e) le,Code postal,Ville,Matricule,"
        "Courriel,Tél,Date de demande RSA,Date d'ouverture du droit,Connu du Département le,"
        "Situation de famille,Soumis aux droits et devoirs,Payeur\r\n"
        "Mme,Martin,Inès,Benali,05/07/1990,42350,Talaudière (La),42,ines@exemple.fr,"
        "+33 6 11 22 33 44,03/01/2025,01/02/2025,10/02/2025,parent isolé,non,MSA\r\n"
    )

    run = import_file(pilot_client, csv_upload(text, encoding="utf-8-sig"))

    assert outcome_of(run) == "Import terminé : 1 création, 0 modification, 0 ligne inchangée."
    ines = Beneficiary.objects.get()
    assert (ines.last_name, ines.birth_name, ines.first_name) == ("Martin", "Benali", "Inès")
    assert ines.birth_date == datetime.date(1990, 7, 5)
    assert ines.phone == "06 11 22 33 44"
    assert ines.rights_and_duties == RightsAndDuties.NOT_SUBJECT
    assert ines.rsa_requested_on == datetime.date(2025, 1, 3)
    assert ines.right_opened_on == datetime.date(2025, 2, 1)
    assert ines.right_known_on == datetime.date(2025, 2, 10)
    assert ines.household.caf_number == "0000042"
    assert ines.household.payer == Payer.MSA
    assert ines.household.commune == place["talaudiere"]
    assert ines.household.family_situation == FamilySituation.SINGLE_PARENT


def test_an_xlsx_with_date_and_number_cells(pilot_client, place, camille):
    upload = xlsx_upload(
        [
            ["Civilité", "Nom", "Prénom", "Date de naissance", "CP Ville", "N° CAF", "Téléphone"],
            [
                "Monsieur",
                "Petit",
                "Louis",
                datetime.datetime(1975, 12, 24),
                "42300 Roanne",
                98765,
                612345678,
            ],
            [None, None, None, None, None, None, None],
            ["Mme", "Garnier", "Léa", "29/02/1996", "Saint-Étienne 42000", "0004567", None],
        ]
    )

    run = import_file(pilot_client, upload)

    assert outcome_of(run) == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée."
    louis = Beneficiary.objects.get(first_name="Louis")
    assert louis.birth_date == datetime.date(1975, 12, 24)
    assert louis.household.caf_number == "0098765"
    assert louis.phone == "06 12 34 56 78"  # the number cell had lost its zero
    assert louis.household.commune == place["roanne"]
    lea = Beneficiary.objects.get(first_name="Léa")
    assert lea.birth_date == datetime.date(1996, 2, 29)
    assert lea.household.caf_number == "0004567"
    assert lea.household.commune == place["se"]


def test_cells_that_look_like_formulas_are_kept_as_text_and_shown_as_text(pilot_client, place):
    formula = '=HYPERLINK("http://pirate.example/";"Cliquez")'
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Nom de naissance\r\n"
        f'Mme;"{formula.replace(chr(34), chr(34) * 2)}";Anne;01/01/1980;42000 Saint-Étienne;'
        "1111111;@SUM(1+1)\r\n"
    )
    workbook_upload = xlsx_upload(
        [
            ["Civilité", "Nom", "Prénom", "Date de naissance", "CP Ville", "N° CAF"],
            ["M.", "Text", "+cmd|' /C calc'!A0", "02/02/1982", "42000 Saint-Étienne", "2222222"],
        ]
    )

    import_file(pilot_client, csv_upload(text))
    import_file(pilot_client, workbook_upload)

    anne = Beneficiary.objects.get(first_name="Anne")
    assert anne.last_name == formula
    assert anne.birth_name == "@SUM(1+1)"
    assert Beneficiary.objects.get(last_name="Text").first_name == "+cmd|' /C calc'!A0"
    listing = pilot_client.get(LIST_URL).content.decode()
    assert 'href="http://pirate.example/"' not in listing
    # The list shows names in capitals, escaped: text, never a link.
    assert "=HYPERLINK(&quot;HTTP://PIRATE.EXAMPLE/&quot;;&quot;CLIQUEZ&quot;)" in listing


# --- Known people and duplicates ------------------------------------------------------------


def test_the_same_person_twice_in_the_file_is_refused_naming_both_lines(pilot_client, place):
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF\r\n"
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1234567\r\n"
        "M.;Durand;Éric;02/11/1984;42000 Saint-Étienne;1234567\r\n"
        "\r\n"
        "Mme;DURAND;helene;14/03/1986;42000 Saint-Étienne;1234567\r\n"
    )

    response = preview(pilot_client, csv_upload(text))

    # Line 5 is wrong; its household (the same CAF number) is held with it: nothing is left.
    assert error_lines(response) == [
        "Ligne 2 : Retenue avec la ligne 5, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 3 : Retenue avec la ligne 5, qui est en erreur : elles ont le même « N° CAF ».",
        "Ligne 5 : Les lignes 2 et 5 décrivent la même personne (mêmes nom, prénom et date de "
        "naissance) : gardez-en une seule.",
    ]
    assert "Fichier refusé : aucune ligne ne peut être importée (3 erreurs" in page(response)
    assert "Confirmer l'import" not in page(response)
    assert counts() == (0, 0, 0, 0)


def test_a_person_already_known_is_not_created_twice_only_the_contact_details_change(
    pilot_client, pilot, place
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
        right_known_on=datetime.date(2024, 2, 5),
    )
    eric = BeneficiaryFactory(
        household=household,
        last_name="Durand",
        first_name="Éric",
        birth_date=datetime.date(1984, 11, 2),
        email="eric@exemple.fr",
        phone="06 00 00 00 00",
    )
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Courriel;Téléphone\r\n"
        # Written differently, same person: new phone, no e-mail (which erases nothing).
        "Mme;DURAND;helene;14/03/1986;42000 Saint-Étienne;123456;;0611111111\r\n"
        # Nothing new.
        "M.;Durand;Eric;02/11/1984;42000 Saint-Étienne;123456;eric@exemple.fr;06 00 00 00 00\r\n"
    )

    run = analysed(pilot_client, csv_upload(text))
    assert rows_of(run_page(pilot_client, run)) == [("2", "modification"), ("3", "inchangé")]
    run = confirm(pilot_client, run)

    assert outcome_of(run) == "Import terminé : 0 création, 1 modification, 1 ligne inchangée."
    assert Beneficiary.objects.count() == 2
    assert Household.objects.count() == 1
    helene.refresh_from_db()
    assert helene.phone == "06 11 11 11 11"
    assert helene.email == "ancienne@exemple.fr"
    assert helene.right_known_on == datetime.date(2024, 2, 5)  # the file's dates change nothing
    assert helene.lock_version == 2  # a form opened before the import sees the change
    assert [(t.beneficiary, t.operation, t.what, t.user) for t in FileAccess.objects.all()] == [
        (helene, FileOperation.UPDATE, "import", pilot)
    ]
    eric.refresh_from_db()
    assert eric.lock_version == 1


def test_a_known_person_without_referent_gets_the_one_of_the_file(
    pilot_client, pilot, place, camille
):
    person = BeneficiaryFactory(
        last_name="Petit", first_name="Louis", birth_date=datetime.date(1975, 12, 24)
    )
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        f"M.;Petit;Louis;24/12/1975;42000 Saint-Étienne;{person.household.caf_number};"
        "martin camille\r\n"
    )

    run = import_file(pilot_client, csv_upload(text))

    assert outcome_of(run) == "Import terminé : 0 création, 1 modification, 0 ligne inchangée."
    assignment = ReferentAssignment.objects.get()
    assert (assignment.beneficiary, assignment.referent) == (person, camille)
    assert sorted(FileAccess.objects.values_list("what", flat=True)) == [
        "import",
        "référent désigné",
    ]


def test_a_known_person_followed_by_another_referent_is_not_reassigned_by_a_file(
    pilot_client, place, camille, eloise
):
    assignment = ReferentAssignmentFactory(
        referent=eloise,
        beneficiary__last_name="Petit",
        beneficiary__first_name="Louis",
        beneficiary__birth_date=datetime.date(1975, 12, 24),
    )
    caf_number = assignment.beneficiary.household.caf_number
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        f"M.;Petit;Louis;24/12/1975;42000 Saint-Étienne;{caf_number};Camille Martin\r\n"
        "M.;Petit;Louis;24/12/1975;42000 Saint-Étienne;7777777;\r\n"
    )

    response = preview(pilot_client, csv_upload(text))

    assert error_lines(response) == [
        "Ligne 2 : Référent : cette personne est déjà suivie par Éloïse Béranger : changez de "
        "référent depuis son dossier, avec le motif.",
        # Another household: a probable homonym, imported with a warning.
        "Ligne 3 : Homonyme probable : une personne de mêmes nom, prénom et date de naissance a "
        f"un dossier dans un autre foyer (ligne 2 du fichier, n° {caf_number}) ; un dossier "
        "distinct est créé : vérifiez qu'il s'agit bien d'une autre personne.",
    ]
    assert counts() == (1, 1, 1, 0)


# --- Faulty rows: every error, with its line; the rows held, the others written ----------------


def test_bad_rows_are_all_listed_with_their_line_held_and_only_the_good_one_is_written(
    pilot_client, place, camille
):
    UserFactory(referent=True, first_name="Paul", last_name="Ancien", is_active=False)
    BeneficiaryFactory(last_name="Déjà", first_name="Là")
    before = counts()
    text = (
        FRENCH_HEADER + "\r\n"
        "Mme;Bonne;Ligne;;;01/01/1980;42000 Saint-Étienne;1000001;;Camille Martin;\r\n"
        "Mme;Date;Impossible;;;31/02/1980;42000 Saint-Étienne;1000002;;;\r\n"
        "Mme;Commune;Inconnue;;;01/01/1980;42999 Nulle-Part;1000003;;;\r\n"
        "\r\n"
        "Mme;Référent;Inconnu;;;01/01/1980;42000 Saint-Étienne;1000004;;Jean Personne;\r\n"
        "Mme;Référent;Parti;;;01/01/1980;42000 Saint-Étienne;1000005;;Paul Ancien;\r\n"
        "Mlle;Numéro;Trop long;;;01/01/1980;42000 Saint-Étienne;12345678;;;\r\n"
        "Dr;Civilité;Inconnue;x@;;01/01/1980;42300;1000007;;;XYZ\r\n"
        ";Sans nom;;;;;;;;;\r\n"
    )

    run = analysed(pilot_client, csv_upload(text))
    response = run_page(pilot_client, run)

    content = page(response)
    assert "L'import ferait : 3 créations, 0 modification, 0 ligne inchangée, 5 lignes " in content
    assert "Lignes retenues (5)" in content
    assert error_lines(response) == [
        "Ligne 3 : Date de naissance : « 31/02/1980 » : date impossible : le 31/02 n'existe pas.",
        "Ligne 4 : CP Ville : commune « 42999 Nulle-Part » introuvable parmi celles du "
        "département : vérifiez le code postal et le nom (par exemple « 42000 Saint-Étienne »).",
        "Ligne 8 : N° CAF : « 12345678 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
        "Ligne 9 : CP Ville : plusieurs communes ont le code postal 42300 (Mably, Roanne) : "
        "ajoutez le nom "
        "(par exemple « 42000 Saint-Étienne »).",
        "Ligne 9 : Civilité : « Dr » n'est pas une civilité (M., Mme, Monsieur ou Madame).",
        "Ligne 9 : Rôle : « XYZ » n'est pas une valeur possible (« demandeur », « conjoint », "
        "« enfant », « autre »).",
        "Ligne 10 : CP Ville : indiquez le code postal et la commune (par exemple « 42000 "
        "Saint-Étienne »).",
        "Ligne 10 : Civilité : indiquez M. ou Mme.",
        "Ligne 10 : Date de naissance : la date de naissance est obligatoire (jj/mm/aaaa).",
        "Ligne 10 : Nom : cette case est obligatoire.",
        "Ligne 10 : N° CAF : le numéro d'allocataire est obligatoire.",
        # The warnings, after the errors.
        "Ligne 6 : Référent : « Jean Personne » n'est pas un référent en activité (indiquez "
        "« Prénom Nom » ou son identifiant). La personne est importée sans référent : "
        "désignez-le depuis son dossier.",
        "Ligne 7 : Référent : « Paul Ancien » n'est pas un référent en activité (indiquez "
        "« Prénom Nom » ou son identifiant). La personne est importée sans référent : "
        "désignez-le depuis son dossier.",
    ]
    assert "Ligne 2 :" not in content
    # An unknown or departed référent leaves the person unassigned, with a warning.
    assert rows_of(response) == [("2", "création"), ("6", "création"), ("7", "création")]
    assert counts() == before
    # The held rows come back with their errors, in the file's own columns.
    _, rows = held_rows(pilot_client, run)
    assert rows[0] == ["Erreur", *FRENCH_HEADER.split(";")]
    assert [row[2] for row in rows[1:]] == [
        "Date",
        "Commune",
        "Numéro",
        "Civilité",
        "Sans nom",
        ]  # fmt: skip
    assert rows[4][0] == (
        "CP Ville : plusieurs communes ont le code postal 42300 (Mably, Roanne) : ajoutez le nom "
        "(par exemple "
        "« 42000 Saint-Étienne »). Civilité : « Dr » n'est pas une civilité (M., Mme, "
        "Monsieur ou Madame). Rôle : « XYZ » n'est pas une valeur possible (« demandeur », "
        "« conjoint », « enfant », « autre »)."
    )

    run = confirm(pilot_client, run)

    assert outcome_of(run) == (
        "Import terminé : 3 créations, 0 modification, 0 ligne inchangée, 5 lignes retenues."
    )
    assert Beneficiary.objects.filter(first_name="Bonne").count() == 1
    assert counts()[:2] == (before[0] + 3, before[1] + 3)


def test_an_impossible_birth_date_holds_its_household_and_the_rest_is_written(pilot_client, place):
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF\r\n"
        "Mme;Bonne;Ligne;01/01/1980;42000 Saint-Étienne;1000001\r\n"
        "M.;Martin;Paul;31/02/1980;42000 Saint-Étienne;1000002\r\n"
        "Mme;Autre;Ligne;01/01/1981;42000 Saint-Étienne;1000003\r\n"
        "Mme;Martin;Julie;01/02/1982;42000 Saint-Étienne;1000002\r\n"
    )

    run = analysed(pilot_client, csv_upload(text))

    response = run_page(pilot_client, run)
    assert error_lines(response) == [
        "Ligne 3 : Date de naissance : « 31/02/1980 » : date impossible : le 31/02 n'existe pas.",
        # Julie is of Paul's household: never half a household.
        "Ligne 5 : Retenue avec la ligne 3, qui est en erreur : elles ont le même « N° CAF ».",
    ]
    assert rows_of(response) == [("2", "création"), ("4", "création")]
    assert counts() == (0, 0, 0, 0)  # nothing before the confirmation

    run = confirm(pilot_client, run)

    assert outcome_of(run) == (
        "Import terminé : 2 créations, 0 modification, 0 ligne inchangée, 2 lignes retenues."
    )
    assert sorted(Beneficiary.objects.values_list("first_name", flat=True)) == ["Ligne", "Ligne"]
    assert not Household.objects.filter(caf_number="1000002").exists()


def test_dates_of_the_right_in_the_wrong_order_are_refused(pilot_client, place):
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Demande de RSA;"
        "Ouverture du droit;Droit connu le\r\n"
        "Mme;Avant;Demande;01/01/1980;42000 Saint-Étienne;1;01/03/2025;01/02/2025;\r\n"
        "Mme;Connu;Avant;01/01/1980;42000 Saint-Étienne;2;;01/03/2025;01/02/2025\r\n"
        f"Mme;Dans le;Futur;01/01/1980;42000 Saint-Étienne;3;;;"
        f"{(TODAY + datetime.timedelta(days=1)):%d/%m/%Y}\r\n"
    )

    response = preview(pilot_client, csv_upload(text))

    tomorrow = f"{TODAY + datetime.timedelta(days=1):%d/%m/%Y}"
    assert error_lines(response) == [
        "Ligne 2 : Ouverture du droit : le droit ne peut pas s'ouvrir avant la demande.",
        "Ligne 3 : Droit connu le : le Département ne peut pas l'apprendre avant l'ouverture "
        "du droit.",
        f"Ligne 4 : Droit connu le : « {tomorrow} » est dans le futur.",
    ]
    assert counts() == (0, 0, 0, 0)


def test_a_missing_required_column_is_named(pilot_client, place):
    text = "Civilité;Nom;Prénom;Date de naissance;N° CAF\r\nMme;A;B;01/01/1980;1\r\n"

    run = analysed(pilot_client, csv_upload(text))

    assert run.status == RunStatus.FAILED
    assert "Colonne obligatoire absente : « CP Ville »." in page(run_page(pilot_client, run))


def test_the_confirmation_writes_nothing_if_a_row_became_wrong(pilot_client, place, camille):
    run = analysed(pilot_client, csv_upload(GOOD_CSV.replace(";eberanger;", ";;")))
    camille.is_active = False  # she left between the preview and the confirmation
    camille.save()

    run = confirm(pilot_client, run)

    assert run.status == RunStatus.FAILED
    assert run.error == (
        "La base a changé depuis l'analyse du fichier (ligne 2 : le référent n'est plus en "
        "activité) : rien n'a été enregistré. Envoyez de nouveau le fichier pour une nouvelle "
        "analyse."
    )
    assert run.error in page(run_page(pilot_client, run))
    assert counts() == (0, 0, 0, 0)


def test_a_failure_outside_the_rows_is_never_reported_as_a_success(
    pilot_client, place, monkeypatch
):
    def unavailable(widget):
        raise RuntimeError("la table des communes est indisponible")

    monkeypatch.setattr("beneficiaries.people_import.CommuneIndex.load", unavailable)

    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    content = page(run_page(pilot_client, run))

    assert run.status == RunStatus.FAILED
    assert (
        "Le traitement s'est arrêté sur une erreur inattendue ; rien n'a été enregistré. "
        f"Relancez-le ; si l'erreur revient, signalez-la à l'administrateur de l'application "
        f"(n° du traitement : {run.pk})."
    ) in content
    # The cause, which may quote the file, stays in the server's log, not on the page.
    assert "indisponible" not in content
    assert "Confirmer l'import" not in content
    assert counts() == (0, 0, 0, 0)


# --- A manager imports for their own structure ---------------------------------------------------


def test_a_manager_imports_people_who_are_then_in_the_structure(client_as, manager, place, camille):
    client = client_as(manager)
    content = page(client.get(IMPORT_URL))
    assert "chaque nouvelle personne doit être confiée à un référent de votre structure" in content
    assert '<th scope="row">Référent</th><td>oui</td>' in content
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1234567;cmartin\r\n"
        "M.;Petit;Louis;24/12/1975;42300 Roanne;2345678;CAMILLE MARTIN\r\n"
    )

    run = import_file(client, csv_upload(text))

    assert outcome_of(run) == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée."
    assert set(Beneficiary.objects.visible_to(manager)) == set(Beneficiary.objects.all())
    assert ReferentAssignment.objects.filter(structure=manager.organisation).count() == 2
    listing = page(client.get(LIST_URL))
    assert "DURAND Hélène" in listing
    assert "PETIT Louis" in listing
    assert set(FileAccess.objects.values_list("user", flat=True)) == {manager.pk}


def test_a_manager_waits_for_a_pilots_import_and_is_told_by_whom_not_what(
    client_as, pilot, pilot_client, manager, place, camille
):
    pilot.first_name, pilot.last_name = "Claire", "Martin"
    pilot.save()
    waiting = analysed(pilot_client, csv_upload(GOOD_CSV))
    client = client_as(manager)
    text = "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
    text += "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1234567;cmartin\r\n"

    response = send(client, IMPORT_URL, csv_upload(text))

    assert response.status_code == 422
    # Said at the top of the page, where it opens, and focused.
    assert form_errors(response) == [
        "Un traitement de cette nature, lancé par Claire Martin (pilote du pacte), n'est pas "
        "terminé : un seul à la fois pour le Département. Réessayez une fois qu'il "
        "sera confirmé ou annulé (un import non confirmé est annulé au bout d'un jour)."
    ]
    content = page(response)
    assert content.index('id="import-refused"') < content.index("Colonnes attendues")
    assert 'id="import-refused" autofocus' in content
    # Nothing of a run the manager may not follow.
    assert f"n° {waiting.pk}" not in content
    assert "à valider" not in content
    assert TaskRun.objects.count() == 1


def test_a_manager_cannot_import_into_another_structure(client_as, manager, place, camille, eloise):
    elsewhere = ReferentAssignmentFactory(
        referent=eloise,
        beneficiary__last_name="Ailleurs",
        beneficiary__first_name="Suivie",
        beneficiary__birth_date=datetime.date(1970, 1, 1),
    ).beneficiary
    before = counts()
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        "Mme;Durand;Hélène;14/03/1986;42000 Saint-Étienne;1234567;Éloïse Béranger\r\n"
        "M.;Petit;Louis;24/12/1975;42300 Roanne;2345678;\r\n"
        f"Mme;Ailleurs;Suivie;01/01/1970;42300 Roanne;{elsewhere.household.caf_number};"
        "Camille Martin\r\n"
    )

    response = preview(client_as(manager), csv_upload(text))

    assert error_lines(response) == [
        "Ligne 2 : Référent : « Éloïse Béranger » n'est pas un référent en activité de votre "
        "structure (indiquez « Prénom Nom » ou son identifiant).",
        "Ligne 3 : Référent : indiquez un référent de votre structure : sans lui, la personne "
        "ne serait pas suivie par votre structure.",
        f"Ligne 4 : {OUT_OF_SCOPE}",
    ]
    # Nothing of the other file: not the structure that follows it, not its référent.
    assert "Mission" not in page(response)
    assert "hors de votre structure" not in page(response)
    assert counts() == before
    assert elsewhere.assignments.get().referent == eloise


def test_a_manager_file_without_a_referent_column_is_refused(client_as, manager, place):
    text = "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF\r\nMme;A;B;01/01/1980;42000;1\r\n"

    response = preview(client_as(manager), csv_upload(text))

    assert "Colonne obligatoire absente : « Référent »." in page(response)
    assert counts() == (0, 0, 0, 0)


def test_a_manager_names_a_referent_for_a_person_oriented_to_the_structure(
    client_as, manager, ccas, place, camille
):
    person = OrientationDecisionFactory(
        organisme=ccas,
        beneficiary__last_name="Orientée",
        beneficiary__first_name="Ici",
        beneficiary__birth_date=datetime.date(1990, 5, 5),
    ).beneficiary
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Référent\r\n"
        f"Mme;Orientee;Ici;05/05/1990;42000 Saint-Étienne;{person.household.caf_number};"
        "Camille Martin\r\n"
    )

    import_file(client_as(manager), csv_upload(text))

    assert person.assignments.get().referent == camille
    assert list(Beneficiary.objects.visible_to(manager)) == [person]


# --- Cost -----------------------------------------------------------------------------------


def test_the_confirmation_costs_a_fixed_number_of_queries_per_row(pilot_client, place, camille):
    def file_of(count, start):
        lines = ["Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Courriel;Référent"]
        for n in range(start, start + count):
            lines.append(
                f"Mme;Nom{n};Prénom{n};01/01/19{50 + n % 40};42000 Saint-Étienne;{n};"
                f"p{n}@exemple.fr;Camille Martin"
            )
        return csv_upload("\r\n".join(lines))

    def confirm_queries(upload):
        run = analysed(pilot_client, upload)
        with CaptureQueriesContext(connection) as queries:
            run = confirm(pilot_client, run)
        assert run.status == RunStatus.DONE, run.error
        return len(queries)

    few = confirm_queries(file_of(2, 1))
    many = confirm_queries(file_of(12, 100))

    assert Beneficiary.objects.count() == 14
    per_row = (many - few) / 10
    # Measured: 34 per row (a new household, a new person, a référent), all in the services:
    # savepoints, full_clean of the household and the person (foreign keys and constraints
    # are checked by queries), the inserts, their audit log entries, two access traces. The
    # communes, référents and known people are read once per file, whatever its length.
    assert per_row <= 34, (few, many)


# --- A long list: through the page as through the command ----------------------------------


def long_list(rows):
    lines = [FRENCH_HEADER]
    for number in range(rows):
        lines.append(
            f"Mme;Prénom{number};Essai;;;{1 + number % 28:02d}/01/1980;42000 Saint-Étienne;"
            f"{3000000 + number};;;DEM"
        )
    return "\r\n".join(lines) + "\r\n"


def test_a_list_longer_than_the_old_page_limit_goes_through_the_page(pilot_client, place):
    # 1,500 rows, past the 1,000 the page once took: 1,499 of them have no civility (checked
    # and held, cheaply), one is good.
    text = long_list(1500).replace("\r\nMme;", "\r\n;").replace("\r\n;Prénom0;", "\r\nMme;Prénom0;")

    run = analysed(pilot_client, csv_upload(text))

    assert run.status == RunStatus.TO_CONFIRM, run.error
    assert run.progress_total == 1500
    assert run.analysis["held_count"] == 1499
    run = confirm(pilot_client, run)
    assert outcome_of(run) == (
        "Import terminé : 1 création, 0 modification, 0 ligne inchangée, "
        "1\u202f499 lignes retenues."
    )
    assert Beneficiary.objects.get().first_name == "Prénom0"


def run_import_command(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_beneficiaries", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_list_in_one_go(pilot, place, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_bytes(long_list(5).encode("cp1252"))

    out, _ = run_import_command(path, "--user", pilot.username, "--dry-run")
    assert out == (
        "Simulation (--dry-run) : L'import ferait : 5 créations, 0 modification, 0 ligne "
        "inchangée. Rien n'a été enregistré.\n"
    )
    assert not Beneficiary.objects.exists()

    out, _ = run_import_command(path, "--user", pilot.username)

    assert out == "Import terminé : 5 créations, 0 modification, 0 ligne inchangée.\n"
    assert Beneficiary.objects.filter(last_name="Essai").count() == 5
    assert FileAccess.objects.filter(user=pilot, what="import").count() == 5
    assert Household.objects.get(caf_number="3000004").commune == place["se"]
    # Run again, it creates no one twice.
    out, _ = run_import_command(path, "--user", pilot.username)
    assert out == "Import terminé : 0 création, 0 modification, 5 lignes inchangées.\n"


def test_the_command_holds_the_faulty_rows_writes_the_rest_and_hands_them_back(
    pilot, place, tmp_path
):
    path = tmp_path / "liste.csv"
    text = long_list(3).replace("02/01/1980", "31/02/1980").replace("3000002", "30000002")
    path.write_bytes(text.encode("cp1252"))
    held = tmp_path / "retenues.csv"

    out, err = run_import_command(path, "--user", pilot.username, "--lignes-refusees", str(held))

    assert (
        out
        == "Import terminé : 1 création, 0 modification, 0 ligne inchangée, 2 lignes retenues.\n"
    )
    assert err == (
        "2 erreurs dans le fichier :\n"
        "  Ligne 3 : Date de naissance : « 31/02/1980 » : date impossible : le 31/02 "
        "n'existe pas.\n"
        "  Ligne 4 : N° CAF : « 30000002 » n'est pas un numéro d'allocataire (7 chiffres au "
        "plus).\n"
        f"Lignes retenues écrites dans {held} : corrigez-les, puis importez ce fichier.\n"
    )
    assert list(Beneficiary.objects.values_list("first_name", flat=True)) == ["Prénom0"]
    data = held.read_bytes()
    assert data.startswith(
        b"\xef\xbb\xbfErreur;Civilit\xc3\xa9;Pr\xc3\xa9nom b\xc3\xa9n\xc3\xa9ficiaire;"
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [row[:3] for row in rows[1:]] == [
        [
            "Date de naissance : « 31/02/1980 » : date impossible : le 31/02 n'existe pas.",
            "Mme",
            "Prénom1",
        ],
        [
            "N° CAF : « 30000002 » n'est pas un numéro d'allocataire (7 chiffres au plus).",
            "Mme",
            "Prénom2",
        ],
    ]


def test_the_command_refuses_a_file_whose_rows_are_all_wrong(pilot, place, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_bytes(long_list(2).replace("\r\nMme;", "\r\nDr;").encode("cp1252"))
    err = io.StringIO()

    with pytest.raises(CommandError, match="Fichier refusé : rien n'a été enregistré"):
        call_command("import_beneficiaries", str(path), "--user", pilot.username, stderr=err)

    assert err.getvalue().startswith("2 erreurs dans le fichier :\n  Ligne 2 : Civilité :")
    assert not Beneficiary.objects.exists()


@pytest.mark.parametrize("role", ["referent", "operator", "partner"])
def test_the_command_imports_only_for_a_pilot_or_a_manager(role, place, tmp_path):
    user = UserFactory(**{role: True})
    path = tmp_path / "liste.csv"
    path.write_bytes(long_list(1).encode("cp1252"))

    with pytest.raises(CommandError, match="n'est ni un pilote ni un responsable"):
        run_import_command(path, "--user", user.username)

    assert not Beneficiary.objects.exists()
