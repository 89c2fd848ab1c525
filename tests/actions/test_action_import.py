"""Importing and exporting the fiches actions through the real pages, as a pilot."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.enums import ActionStatus, FundingSource, Obstacle
from actions.models import Action, ActionFunding
from pti.enums import RunStatus
from tests.actions.factories import ActionFactory
from tests.import_pages import (
    confirm,
    error_lines,
    outcome_of,
    page,
    run_of,
    run_page,
    send,
)
from tests.pti.factories import (
    ObjectiveFactory,
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
    frozen,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("actions:action_import")
LIST_URL = reverse("actions:action_list")

HEADERS = [
    "Référence",
    "Intitulé",
    "Description",
    "Orientation",
    "Objectif",
    "Opérateur",
    "Territoires",
    "Public",
    "Freins",
    "Places",
    "Début",
    "Fin",
    "Statut",
    "Budget",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pilot_client(client_as):
    return client_as(UserFactory(pilot=True))


@pytest.fixture
def offer():
    """The signed pact (orientations 1 to 4), a newer draft, an operator and two territories."""
    pact = PactFactory(code="pti-2016-2020", period_start=2016, period_end=2020)
    orientations = {
        position: OrientationFactory(pact=pact, position=position, title=title)
        for position, title in [
            (1, "Informer et orienter"),
            (2, "Accompagner vers l'emploi"),
            (3, "Lever les freins périphériques"),
            (4, "Animer le partenariat"),
        ]
    }
    objectives = {
        "3.1": ObjectiveFactory(
            orientation=orientations[3], position=1, title="Favoriser la mobilité"
        ),
        "3.2": ObjectiveFactory(
            orientation=orientations[3], position=2, title="Faciliter la garde d'enfants"
        ),
        "4.1": ObjectiveFactory(
            orientation=orientations[4], position=1, title="Réunir les partenaires"
        ),
    }
    frozen(pact, deliberation_date=datetime.date(2016, 3, 24), signed_on=datetime.date(2016, 4, 15))
    # A later version being prepared: its orientation 3 is not the one the offer follows.
    draft = PactFactory(code="pti-2021-2025", period_start=2021, period_end=2025)
    OrientationFactory(pact=draft, position=3, title="Orientation du projet de pacte")
    return {
        "pact": pact,
        "orientations": orientations,
        "objectives": objectives,
        "operator": OrganisationFactory(name="Mobilité solidaire Loire", short_name="MSL"),
        "other_operator": OrganisationFactory(name="Pôle petite enfance", short_name="PPE"),
        "roannais": TerritoryFactory(code="roannais", name="Roannais"),
        "forez": TerritoryFactory(code="forez", name="Forez"),
    }


def xlsx_upload(rows, *, headers=HEADERS, name="actions.xlsx"):
    workbook = openpyxl.Workbook()
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_upload(text, *, encoding="cp1252", name="actions.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def preview(client, upload):
    """Send the file: the run's page once analysed (or the form, refused before any run)."""
    response = send(client, IMPORT_URL, upload)
    if response.status_code != 302:
        return response
    return run_page(client, run_of(response))


def analysed(client, upload):
    return run_of(send(client, IMPORT_URL, upload))


def import_file(client, upload):
    """Send, read the preview, confirm, as the pilot does; returns the run, written."""
    run = analysed(client, upload)
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    return confirm(client, run)


def snapshot():
    """Everything an import could change, action by action."""
    return {
        action.reference: (
            action.title,
            action.description,
            action.orientation_id,
            action.objective_id,
            action.operator_id,
            action.target_public,
            action.capacity,
            action.places_taken,
            action.start_date,
            action.end_date,
            action.status,
            action.budget,
            sorted(t.pk for t in action.territories.all()),
            sorted(o.obstacle for o in action.obstacles.all()),
            sorted((f.source, f.year, f.amount) for f in action.funding.all()),
            action.lock_version,
        )
        for action in Action.objects.prefetch_related("territories", "obstacles", "funding")
    }


GOOD_ROWS = [
    [
        "FA-2017-012",
        "Auto-école sociale",
        "Préparer le code et la conduite.",
        3,
        "3.1",
        "MSL",  # the operator's short name
        "Roannais, forez",  # a name and a code
        "Allocataires sans permis",
        "mobilité, Garde d'enfants",
        12,
        datetime.date(2017, 9, 1),  # a real date cell
        "30/06/2018",
        "ouverte",
        24000.5,
    ],
    [
        "FA-2017-013",
        "Crèche à vocation d'insertion",
        None,
        "Lever les freins périphériques",  # the orientation's title
        "Faciliter la garde d'enfants",  # the objective's title
        "Mobilité solidaire Loire",
        "Forez",
        None,
        "garde d’enfants",
        "8",
        "15/01/2018",
        None,
        None,  # no status: planned
        "1 500,00",
    ],
]


# --- Access ------------------------------------------------------------------------------


def test_import_page_lists_the_expected_columns(pilot_client, offer):
    response = pilot_client.get(IMPORT_URL)

    content = page(response)
    assert response.status_code == 200
    assert "Importer des actions" in content
    for header in HEADERS:
        assert f'<th scope="row">{header}</th>' in content
    assert "FA-2024-012" in content  # an example value


def test_only_pilots_import_and_export(client_as, offer):
    for user in (UserFactory(referent=True), UserFactory(operator=True)):
        client = client_as(user)
        assert client.get(IMPORT_URL).status_code == 403
        assert client.post(IMPORT_URL, {"file": xlsx_upload(GOOD_ROWS)}).status_code == 403
        assert client.get(reverse("actions:action_export", args=["csv"])).status_code == 403
    assert not Action.objects.exists()


def test_import_without_a_pact_is_refused(pilot_client):
    response = pilot_client.get(IMPORT_URL, follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert "Créez d'abord le pacte et ses orientations." in page(response)


# --- A good spreadsheet ------------------------------------------------------------------


def test_preview_of_a_good_xlsx_shows_the_rows_and_writes_nothing(pilot_client, offer):
    response = preview(pilot_client, xlsx_upload(GOOD_ROWS))

    content = page(response)
    assert "actions.xlsx" in content
    assert "Analyse terminée : rien n'a encore été enregistré" in content
    assert "L'import ferait : 2 créations, 0 modification" in content
    assert '<th scope="row">2</th><td>création</td>' in content
    assert '<th scope="row">3</th><td>création</td>' in content
    assert "Auto-école sociale" in content
    assert "Confirmer l'import" in content
    assert not Action.objects.exists()


def test_good_xlsx_creates_the_actions(pilot_client, offer):
    run = import_file(pilot_client, xlsx_upload(GOOD_ROWS))

    assert run.status == RunStatus.DONE
    assert outcome_of(run) == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée."
    assert Action.objects.count() == 2

    school = Action.objects.get(reference="FA-2017-012")
    assert school.title == "Auto-école sociale"
    assert school.description == "Préparer le code et la conduite."
    assert school.orientation == offer["orientations"][3]  # the signed pact's, not the draft's
    assert school.objective == offer["objectives"]["3.1"]
    assert school.operator == offer["operator"]
    assert set(school.territories.all()) == {offer["roannais"], offer["forez"]}
    assert set(school.obstacles.values_list("obstacle", flat=True)) == {
        Obstacle.MOBILITY,
        Obstacle.CHILDCARE,
    }
    assert school.target_public == "Allocataires sans permis"
    assert school.capacity == 12
    assert school.places_taken == 0
    assert school.start_date == datetime.date(2017, 9, 1)
    assert school.end_date == datetime.date(2018, 6, 30)
    assert school.status == ActionStatus.OPEN
    assert school.budget == Decimal("24000.50")
    assert isinstance(school.budget, Decimal)

    creche = Action.objects.get(reference="FA-2017-013")
    assert creche.orientation == offer["orientations"][3]
    assert creche.objective == offer["objectives"]["3.2"]
    assert creche.description == ""
    assert creche.target_public == ""
    assert list(creche.territories.all()) == [offer["forez"]]
    assert list(creche.obstacles.values_list("obstacle", flat=True)) == [Obstacle.CHILDCARE]
    assert creche.capacity == 8
    assert creche.start_date == datetime.date(2018, 1, 15)
    assert creche.end_date is None
    assert creche.status == ActionStatus.PLANNED
    assert creche.budget == Decimal("1500.00")


def test_french_csv_in_windows_1252_is_imported(pilot_client, offer):
    text = (
        "Référence;Intitulé;Orientation;Objectif;Opérateur;Territoires;Freins;Places;"
        "Début;Fin;Statut;Budget\r\n"
        "FA-2017-020;Plateforme mobilité;3;3.1;Mobilité solidaire Loire;Roannais;"
        "mobilité;20;01/09/2017;31/08/2018;complète;24 000,50\r\n"
        "\r\n"
        "FA-2017-021;Atelier numérique;3.1;;MSL;forez;numérique, démarches administratives "
        "et juridiques;6;1/10/2017;;prévue;1.234,5\r\n"
    )

    run = import_file(pilot_client, csv_upload(text))

    assert outcome_of(run) == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée."
    platform = Action.objects.get(reference="FA-2017-020")
    assert platform.title == "Plateforme mobilité"
    assert platform.operator == offer["operator"]
    assert platform.budget == Decimal("24000.50")
    assert platform.start_date == datetime.date(2017, 9, 1)
    assert platform.end_date == datetime.date(2018, 8, 31)
    assert platform.status == ActionStatus.FULL
    assert platform.capacity == 20
    workshop = Action.objects.get(reference="FA-2017-021")
    assert workshop.title == "Atelier numérique"
    assert workshop.orientation == offer["orientations"][3]  # "3.1" read as orientation 3
    assert workshop.objective is None
    assert workshop.budget == Decimal("1234.50")
    assert workshop.start_date == datetime.date(2017, 10, 1)
    assert set(workshop.obstacles.values_list("obstacle", flat=True)) == {
        Obstacle.DIGITAL,
        Obstacle.ADMINISTRATIVE,
    }
    assert list(workshop.territories.all()) == [offer["forez"]]


def test_reimporting_updates_the_action_with_the_same_reference(pilot_client, offer):
    action = ActionFactory(
        reference="FA-2017-012",
        title="Ancien intitulé",
        orientation=offer["orientations"][1],
        operator=offer["other_operator"],
        territories=[offer["roannais"]],
        obstacles=[Obstacle.HOUSING, Obstacle.MOBILITY],
        capacity=5,
    )
    ActionFunding.objects.create(
        action=action, source=FundingSource.DEPARTEMENT, year=2017, amount=1000
    )

    response = preview(pilot_client, xlsx_upload(GOOD_ROWS))
    content = page(response)
    assert "L'import ferait : 1 création, 1 modification" in content
    assert '<th scope="row">2</th><td>modification</td>' in content
    run = confirm(pilot_client, response.context["run"])

    assert outcome_of(run) == "Import terminé : 1 création, 1 modification, 0 ligne inchangée."
    assert Action.objects.filter(reference="FA-2017-012").count() == 1
    assert Action.objects.count() == 2
    action.refresh_from_db()
    assert action.title == "Auto-école sociale"
    assert action.orientation == offer["orientations"][3]
    assert action.operator == offer["operator"]
    assert action.capacity == 12
    assert set(action.territories.all()) == {offer["roannais"], offer["forez"]}
    # The obstacles are those of the file: housing is gone, mobility kept, childcare added.
    assert set(action.obstacles.values_list("obstacle", flat=True)) == {
        Obstacle.MOBILITY,
        Obstacle.CHILDCARE,
    }
    # The funding lines are not part of the import: they are kept.
    assert list(action.funding.values_list("source", "year", "amount")) == [
        (FundingSource.DEPARTEMENT, 2017, Decimal("1000.00"))
    ]


# --- Faulty rows and refusals ------------------------------------------------------------


def test_bad_rows_are_all_reported_with_their_line_held_and_the_good_one_is_written(
    pilot_client, offer, media_root
):
    existing = ActionFactory(
        reference="FA-2016-001", orientation=offer["orientations"][1], capacity=4
    )
    before = snapshot()
    text = (
        "Référence;Intitulé;Orientation;Objectif;Opérateur;Territoires;Freins;Places;Début\r\n"
        "FA-2016-001;Bonne ligne;3;3.1;MSL;Roannais;mobilité;12;01/09/2017\r\n"
        "FA-2017-002;Opérateur inconnu;3;;Association fantôme;Roannais;;12;01/09/2017\r\n"
        "FA-2017-003;Date impossible;3;;MSL;Roannais;;12;31/02/2017\r\n"
        "FA-2017-004;Frein inconnu;3;;MSL;Roannais;mobilité, vélo;12;01/09/2017\r\n"
        "\r\n"
        "FA-2017-005;Objectif d'une autre orientation;3;4.1;MSL;Roannais;;12;01/09/2017\r\n"
        "FA-2017-006;Places négatives;3;;MSL;Roannais;;-3;01/09/2017\r\n"
        "FA-2017-007;Places non entières;3;;MSL;Roannais;;2,5;01/09/2017\r\n"
        "FA-2017-008;Sans territoire;3;;MSL;;;12;01/09/2017\r\n"
        "FA-2017-009;Territoire inconnu;3;;MSL;Atlantide;;12;01/09/2017\r\n"
    )

    response = preview(pilot_client, csv_upload(text))

    content = page(response)
    assert "L'import ferait : 0 création, 1 modification, 0 ligne inchangée, 8 lignes " in content
    assert error_lines(response) == [
        "Ligne 3 : Opérateur : Opérateur « Association fantôme » inconnu(e).",
        "Ligne 4 : Début : « 31/02/2017 » : date impossible : le 31/02 n'existe pas.",
        "Ligne 5 : Freins : frein « vélo » inconnu (freins possibles : « mobilité », "
        "« garde d'enfants », « santé », « logement », « numérique », « langue », "
        "« finances, budget », « démarches administratives et juridiques »).",
        "Ligne 7 : Objectif : cet objectif n'appartient pas à l'orientation indiquée.",
        "Ligne 8 : Places : « -3 » n'est pas un nombre entier positif.",
        "Ligne 9 : Places : « 2,5 » n'est pas un nombre entier positif.",
        "Ligne 10 : Territoires : au moins un territoire est obligatoire.",
        "Ligne 11 : Territoires : territoire « Atlantide » inconnu.",
    ]
    assert "Ligne 2 :" not in content
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.title != "Bonne ligne"

    run = confirm(pilot_client, response.context["run"])

    existing.refresh_from_db()
    assert existing.title == "Bonne ligne"
    assert not Action.objects.exclude(pk=existing.pk).exists()
    assert run.analysis["held_count"] == 8


def test_unknown_orientation_and_end_before_start_are_refused(pilot_client, offer):
    text = (
        "Référence;Intitulé;Orientation;Opérateur;Territoires;Places;Début;Fin\r\n"
        "FA-2017-030;Orientation inconnue;9;MSL;Roannais;12;01/09/2017;\r\n"
        "FA-2017-031;Fin avant le début;3;MSL;Roannais;12;01/09/2017;01/01/2017\r\n"
    )

    response = preview(pilot_client, csv_upload(text))

    assert "Fichier refusé : aucune ligne ne peut être importée" in page(response)
    assert error_lines(response) == [
        "Ligne 2 : Orientation : « 9 » n'est pas une orientation du pacte 2016-2020.",
        "Ligne 3 : La fin de l'action doit suivre son début.",
    ]
    assert not Action.objects.exists()


def test_missing_required_column_is_named(pilot_client, offer):
    text = "Référence;Intitulé;Orientation;Opérateur;Début\r\nFA-1;Atelier;3;MSL;01/09/2017\r\n"

    response = preview(pilot_client, csv_upload(text))

    assert "Le traitement a échoué" in page(response)
    assert "Colonne obligatoire absente : « Places »." in page(response)
    assert not Action.objects.exists()


def test_data_changed_between_preview_and_confirmation_writes_nothing(pilot_client, offer):
    run = analysed(pilot_client, xlsx_upload(GOOD_ROWS))
    offer["roannais"].delete()  # the first row's territory disappears before the confirmation

    run = confirm(pilot_client, run)

    content = page(run_page(pilot_client, run))
    assert run.status == RunStatus.FAILED
    assert "Rien n'a été enregistré" in content
    assert "Ligne 2 : Territoires : territoire « Roannais » inconnu." in content
    assert not Action.objects.exists()


# --- Export ------------------------------------------------------------------------------


@pytest.fixture
def exported(offer):
    school = ActionFactory(
        reference="FA-2017-012",
        title="Auto-école sociale",
        description="Préparer le code et la conduite.",
        orientation=offer["orientations"][3],
        objective=offer["objectives"]["3.1"],
        operator=offer["operator"],
        territories=[offer["roannais"], offer["forez"]],
        obstacles=[Obstacle.MOBILITY, Obstacle.CHILDCARE, Obstacle.FINANCES],
        target_public="Allocataires sans permis",
        capacity=12,
        start_date=datetime.date(2017, 9, 1),
        end_date=datetime.date(2018, 6, 30),
        status=ActionStatus.OPEN,
        budget=Decimal("24000.50"),
    )
    for source, year, amount in [
        (FundingSource.DEPARTEMENT, 2017, "10000.00"),
        (FundingSource.DEPARTEMENT, 2018, "5000.25"),
        (FundingSource.FSE_PLUS, 2017, "1234.56"),
    ]:
        ActionFunding.objects.create(action=school, source=source, year=year, amount=amount)
    ActionFactory(
        reference="FA-2017-013",
        title='=HYPERLINK("http://example.org")',
        orientation=offer["orientations"][4],
        operator=offer["other_operator"],
        territories=[offer["forez"]],
        capacity=8,
        start_date=datetime.date(2018, 1, 15),
        status=ActionStatus.PLANNED,
    )
    return school


def obstacles_of(cell):
    """The labels of an exported cell, whatever their order ("finances, budget" is one)."""
    labels = cell.replace("finances, budget", "finances|budget").split(", ")
    return {label.replace("|", ", ") for label in labels}


EXPORT_HEADERS = [
    *HEADERS,
    "Financement Département",
    "Financement État",
    "Financement FSE+",
    "Financement Région",
    "Financement autre",
]


def test_csv_export(pilot_client, exported):
    response = pilot_client.get(reverse("actions:action_export", args=["csv"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="actions-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"]
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == EXPORT_HEADERS
    assert obstacles_of(rows[1][8]) == {"mobilité", "garde d'enfants", "finances, budget"}
    rows[1][8] = "…"
    assert rows[1] == [
        "FA-2017-012",
        "Auto-école sociale",
        "Préparer le code et la conduite.",
        "3",
        "3.1",
        "Mobilité solidaire Loire",
        "Forez, Roannais",
        "Allocataires sans permis",
        "…",
        "12",
        "01/09/2017",
        "30/06/2018",
        "ouverte",
        "24000,50",
        "15000,25",
        "0,00",
        "1234,56",
        "0,00",
        "0,00",
    ]
    # A title that a spreadsheet would run as a formula is shown as text.
    assert rows[2][:2] == ["FA-2017-013", '\'=HYPERLINK("http://example.org")']
    assert rows[2][3:6] == ["4", "", "Pôle petite enfance"]
    assert rows[2][8:14] == ["", "8", "15/01/2018", "", "prévue", "0,00"]


def test_xlsx_export(pilot_client, exported):
    response = pilot_client.get(reverse("actions:action_export", args=["xlsx"]))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.fullmatch(
        r'attachment; filename="actions-\d{4}-\d{2}-\d{2}\.xlsx"', response["Content-Disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == EXPORT_HEADERS
    school = dict(zip(rows[0], rows[1], strict=True))
    assert school["Référence"] == "FA-2017-012"
    assert obstacles_of(school["Freins"]) == {"mobilité", "garde d'enfants", "finances, budget"}
    assert school["Territoires"] == "Forez, Roannais"
    # Dates as dates and amounts as numbers, as Excel computes with them.
    assert school["Début"] == datetime.datetime(2017, 9, 1)
    assert school["Fin"] == datetime.datetime(2018, 6, 30)
    assert school["Places"] == 12
    assert school["Budget"] == 24000.5
    assert school["Financement Département"] == 15000.25
    assert school["Financement FSE+"] == 1234.56
    assert school["Financement Région"] == 0
    assert sheet.title == "Actions"
    assert rows[2][1] == '\'=HYPERLINK("http://example.org")'
    assert sheet["B3"].data_type == "s"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_file_imported_back_changes_nothing(pilot_client, exported, fmt):
    export = pilot_client.get(reverse("actions:action_export", args=[fmt]))
    before = snapshot()
    saved_at = dict(Action.objects.values_list("reference", "updated_at"))

    response = preview(pilot_client, SimpleUploadedFile(f"export.{fmt}", export.content))
    content = page(response)
    assert error_lines(response) == []
    assert "L'import ferait : 0 création, 0 modification" in content
    assert "2 lignes inchangées" in content
    assert content.count("<td>inchangé</td>") == 2
    run = confirm(pilot_client, response.context["run"])

    assert outcome_of(run) == "Import terminé : 0 création, 0 modification, 2 lignes inchangées."
    assert snapshot() == before
    assert dict(Action.objects.values_list("reference", "updated_at")) == saved_at
    assert Action.objects.get(reference="FA-2017-013").title == '=HYPERLINK("http://example.org")'


def test_a_row_changing_only_the_obstacles_is_a_modification(pilot_client, exported):
    text = (
        "Référence;Intitulé;Description;Orientation;Objectif;Opérateur;Territoires;Public;"
        "Freins;Places;Début;Fin;Statut;Budget\r\n"
        "FA-2017-012;Auto-école sociale;Préparer le code et la conduite.;3;3.1;"
        "Mobilité solidaire Loire;Forez, Roannais;Allocataires sans permis;"
        "mobilité, finances, budget, Mobilité;12;01/09/2017;30/06/2018;ouverte;24000,50\r\n"
    )

    response = preview(pilot_client, csv_upload(text))
    assert '<th scope="row">2</th><td>modification</td>' in page(response)
    confirm(pilot_client, response.context["run"])

    # Childcare is gone; "finances, budget" is one obstacle; mobility named twice is one.
    assert set(exported.obstacles.values_list("obstacle", flat=True)) == {
        Obstacle.MOBILITY,
        Obstacle.FINANCES,
    }


def test_a_row_changing_only_the_territories_is_a_modification(pilot_client, offer, exported):
    text = (
        "Référence;Intitulé;Description;Orientation;Objectif;Opérateur;Territoires;Public;"
        "Freins;Places;Début;Fin;Statut;Budget\r\n"
        "FA-2017-012;Auto-école sociale;Préparer le code et la conduite.;3;3.1;"
        "Mobilité solidaire Loire;Roannais;Allocataires sans permis;"
        "mobilité, garde d'enfants, finances, budget;12;01/09/2017;30/06/2018;ouverte;"
        "24000,50\r\n"
    )

    response = preview(pilot_client, csv_upload(text))
    assert '<th scope="row">2</th><td>modification</td>' in page(response)
    confirm(pilot_client, response.context["run"])

    assert list(exported.territories.all()) == [offer["roannais"]]
