"""Importing and exporting organisations through the real pages, as a pilot: the file sent
is analysed in the background (at once here), the run's page shows the preview, the
confirmation writes it."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pti.enums import OrganisationKind, RunKind, RunStatus
from pti.models import Organisation, TaskRun
from pti.runs import ALREADY_ACTIVE, purge_run_files
from tests.import_pages import (
    cancel,
    confirm,
    form_errors,
    outcome_of,
    page,
    run_of,
    run_page,
    send,
)
from tests.pti.factories import OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("pti:organisation_import")
LIST_URL = reverse("pti:organisation_list")

GOOD_CSV = (
    "Nom;Sigle;Type;Territoire;SIRET;Code postal;Ville;Courriel;Téléphone\r\n"
    "CCAS d’Étréchy;CCAS;CCAS ou CIAS;Roannais;214 201 877 00011;42300;Roanne;"
    "contact@ccas.fr;04 77 00 00 00\r\n"
    "\r\n"
    "MISSION LOCALE DU FOREZ;MLF;mission locale;forez;;42600;Montbrison;;\r\n"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pilot_client(client_as):
    return client_as(UserFactory(pilot=True))


@pytest.fixture
def territories():
    return [
        TerritoryFactory(code="roannais", name="Roannais"),
        TerritoryFactory(code="forez", name="Forez"),
    ]


def csv_upload(text, *, encoding="cp1252", name="organisations.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def stored_files(media_root):
    return sorted(path.name for path in media_root.rglob("*") if path.is_file())


def preview(client, upload):
    """Send the file: the run's page once analysed (or the form, refused before any run)."""
    response = send(client, IMPORT_URL, upload)
    if response.status_code != 302:
        return response
    return run_page(client, run_of(response))


def analysed(client, upload):
    return run_of(send(client, IMPORT_URL, upload))


def import_file(client, upload):
    run = analysed(client, upload)
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors"))
    return confirm(client, run)


# --- Access ------------------------------------------------------------------------------


def test_import_page_lists_the_expected_columns(pilot_client):
    response = pilot_client.get(IMPORT_URL)

    content = page(response)
    assert response.status_code == 200
    assert "Importer des organisations" in content
    assert "Colonnes attendues" in content
    assert "CCAS de Roanne" in content  # an example value


def test_referent_cannot_import_nor_export(client_as, territories):
    client = client_as(UserFactory(referent=True))

    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": csv_upload(GOOD_CSV)}).status_code == 403
    assert client.get(reverse("pti:organisation_export", args=["csv"])).status_code == 403
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()


# --- Preview then confirmation -----------------------------------------------------------


def test_preview_shows_rows_and_counts_and_writes_nothing(pilot_client, territories):
    before = Organisation.objects.count()

    response = preview(pilot_client, csv_upload(GOOD_CSV))

    content = page(response)
    assert response.status_code == 200
    assert "Import d'organisations n° " in content
    assert "organisations.csv" in content
    assert "Analyse terminée : rien n'a encore été enregistré" in content
    assert "L'import ferait : 2 créations, 0 modification, 0 ligne inchangée." in content
    assert "CCAS d’Étréchy" in content
    assert "MISSION LOCALE DU FOREZ" in content
    assert '<th scope="row">2</th><td>création</td>' in content
    assert '<th scope="row">4</th><td>création</td>' in content  # line 3 was blank
    assert "Confirmer l'import" in content
    assert Organisation.objects.count() == before


def test_confirmation_creates_the_organisations(pilot_client, territories, media_root):
    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    assert stored_files(media_root) != []

    run = confirm(pilot_client, run)

    assert run.status == RunStatus.DONE
    assert outcome_of(run) == "Import terminé : 2 créations, 0 modification, 0 ligne inchangée."
    assert f'href="{LIST_URL}">Voir les organisations</a>' in page(run_page(pilot_client, run))
    ccas = Organisation.objects.get(name="CCAS d’Étréchy")
    assert ccas.short_name == "CCAS"
    assert ccas.kind == OrganisationKind.CCAS
    assert ccas.territory == territories[0]
    assert ccas.siret == "21420187700011"
    assert ccas.postal_code == "42300"
    assert ccas.email == "contact@ccas.fr"
    assert ccas.phone == "04 77 00 00 00"
    assert ccas.is_active is True
    mission = Organisation.objects.get(name="MISSION LOCALE DU FOREZ")
    assert mission.kind == OrganisationKind.MISSION_LOCALE
    assert mission.territory == territories[1]  # matched by its code
    assert mission.siret == ""


def test_a_run_cannot_be_confirmed_twice(pilot_client, territories):
    run = import_file(pilot_client, csv_upload(GOOD_CSV))

    response = pilot_client.post(reverse("pti:run_confirm", args=[run.pk]), follow=True)

    assert "Ce traitement n'attend pas de confirmation." in page(response)
    assert Organisation.objects.filter(name="CCAS d’Étréchy").count() == 1


def test_existing_organisation_with_another_case_is_updated_not_duplicated(
    pilot_client, territories
):
    existing = OrganisationFactory(
        name="Mission locale du Forez", kind=OrganisationKind.ASSOCIATION, city="Feurs"
    )
    before = Organisation.objects.count()

    response = preview(pilot_client, csv_upload(GOOD_CSV))
    content = page(response)
    assert "L'import ferait : 1 création, 1 modification, 0 ligne inchangée." in content
    assert '<th scope="row">4</th><td>modification</td>' in content

    run = confirm(pilot_client, response.context["run"])

    assert outcome_of(run) == "Import terminé : 1 création, 1 modification, 0 ligne inchangée."
    assert Organisation.objects.count() == before + 1
    existing.refresh_from_db()
    assert existing.kind == OrganisationKind.MISSION_LOCALE
    assert existing.city == "Montbrison"
    assert existing.territory == territories[1]


def test_reimporting_the_same_file_changes_nothing(pilot_client, territories):
    import_file(pilot_client, csv_upload(GOOD_CSV))
    saved = dict(Organisation.objects.values_list("name", "updated_at"))

    response = preview(pilot_client, csv_upload(GOOD_CSV))
    content = page(response)
    assert "L'import ferait : 0 création, 0 modification, 2 lignes inchangées." in content
    assert content.count("<td>inchangé</td>") == 2

    run = confirm(pilot_client, response.context["run"])

    assert outcome_of(run) == "Import terminé : 0 création, 0 modification, 2 lignes inchangées."
    assert dict(Organisation.objects.values_list("name", "updated_at")) == saved


def test_xlsx_file_with_aliases_is_imported(pilot_client):
    workbook = openpyxl.Workbook()
    workbook.active.append(["RAISON SOCIALE", "Catégorie", "CP", "N° SIRET", "Actif"])
    workbook.active.append(["CAF de la Loire", "caf", 42000, 53427837000015, "non"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("orgs.xlsx", buffer.getvalue())

    import_file(pilot_client, upload)

    caf = Organisation.objects.get(name="CAF de la Loire")
    assert caf.kind == OrganisationKind.CAF
    assert caf.postal_code == "42000"
    assert caf.siret == "53427837000015"
    assert caf.is_active is False


# --- Faulty rows and refusals ---------------------------------------------------------------


def test_bad_rows_are_all_reported_with_their_line_held_and_the_good_one_is_written(
    pilot_client, territories, media_root
):
    text = (
        "Nom;Type;SIRET;Courriel;Territoire\r\n"
        "Bonne association;association;;;\r\n"
        "Association inconnue;Club de foot;;;\r\n"
        "Siret trop court;association;12345;;\r\n"
        "\r\n"
        "Courriel faux;association;;pas-une-adresse;\r\n"
        "Territoire inconnu;association;;;Atlantide\r\n"
    )
    before = Organisation.objects.count()

    response = preview(pilot_client, csv_upload(text))

    content = page(response)
    assert "L'import ferait : 1 création, 0 modification, 0 ligne inchangée, 4 lignes " in content
    assert "4 erreurs" in content
    assert "Ligne 3 : Type : « Club de foot » n'est pas une valeur possible" in content
    assert "Ligne 4 : Le SIRET compte quatorze chiffres." in content
    assert "Ligne 6 : Courriel : Saisissez une adresse de courriel valide." in content
    assert "Ligne 7 : Territoire : Territoire « Atlantide » inconnu(e)." in content
    assert "Ligne 2 :" not in content
    assert "Télécharger les lignes retenues (CSV)" in content
    assert Organisation.objects.count() == before

    run = confirm(pilot_client, response.context["run"])

    assert Organisation.objects.count() == before + 1
    assert Organisation.objects.filter(name="Bonne association").exists()
    assert run.result_name == "lignes-retenues-import-dorganisations.csv"


def test_a_file_of_bad_rows_only_is_refused(pilot_client, territories):
    text = "Nom;Type\r\nAssociation inconnue;Club de foot\r\n"

    response = preview(pilot_client, csv_upload(text))

    content = page(response)
    assert "Le traitement a échoué" in content
    assert "Fichier refusé : aucune ligne ne peut être importée (1 erreur, listée ci-dessous)" in (
        content
    )
    assert "Ligne 2 : Type : « Club de foot » n'est pas une valeur possible" in content
    assert "Confirmer l'import" not in content
    assert "Relancer" not in content
    assert not Organisation.objects.filter(name="Association inconnue").exists()


def test_missing_required_column_is_named_on_the_run_page(pilot_client):
    response = preview(pilot_client, csv_upload("Nom;Ville\r\nCCAS de Roanne;Roanne\r\n"))

    content = page(response)
    assert "Le traitement a échoué" in content
    assert "Colonne obligatoire absente : « Type »." in content
    assert not Organisation.objects.filter(name="CCAS de Roanne").exists()


def test_utf16_file_is_refused_on_the_run_page(pilot_client, media_root):
    response = preview(pilot_client, csv_upload(GOOD_CSV, encoding="utf-16"))

    content = page(response)
    assert "Le fichier est encodé en UTF-16, que l'application ne lit pas" in content
    assert "Confirmer l'import" not in content
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_empty_file_is_refused(pilot_client):
    response = preview(pilot_client, csv_upload("\r\n;;\r\n"))

    assert "Le fichier est vide." in page(response)
    response = send(pilot_client, IMPORT_URL, csv_upload(""))
    assert response.status_code == 422
    assert form_errors(response) == ["Fichier à importer : Le fichier soumis est vide."]


def test_pdf_is_refused_on_the_form_before_any_run(pilot_client, media_root):
    upload = SimpleUploadedFile("organisations.pdf", b"%PDF-1.4")

    response = preview(pilot_client, upload)

    assert response.status_code == 422
    assert "Format non pris en charge" in page(response)
    assert not TaskRun.objects.exists()
    assert stored_files(media_root) == []


def test_a_second_import_while_one_waits_is_refused_on_the_form(pilot_client, territories):
    waiting = analysed(pilot_client, csv_upload(GOOD_CSV))

    response = send(pilot_client, IMPORT_URL, csv_upload(GOOD_CSV))

    assert response.status_code == 422
    shown = f"{waiting}, {waiting.get_status_display()}"
    assert form_errors(response) == [ALREADY_ACTIVE.format(run=shown)]
    assert TaskRun.objects.count() == 1
    # Once the first one is cancelled, the file goes.
    cancel(pilot_client, waiting)
    assert run_of(send(pilot_client, IMPORT_URL, csv_upload(GOOD_CSV))).status == "to_confirm"


def test_a_manager_cannot_see_nor_confirm_a_pilots_import(client_as, pilot_client, territories):
    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    client = client_as(UserFactory(manager=True, organisation=OrganisationFactory()))

    assert client.get(reverse("pti:run_detail", args=[run.pk])).status_code == 404
    assert client.post(reverse("pti:run_confirm", args=[run.pk])).status_code == 404
    assert client.get(reverse("pti:run_report", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.TO_CONFIRM
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_cancelling_the_preview_deletes_the_stored_files(pilot_client, territories, media_root):
    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    assert len(stored_files(media_root)) == 2  # the file and its plan

    response = pilot_client.post(reverse("pti:run_cancel", args=[run.pk]), follow=True)

    assert "Le traitement est annulé : rien n'en a été enregistré." in page(response)
    assert stored_files(media_root) == []
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()
    # Cancelled: confirming it imports nothing.
    response = pilot_client.post(reverse("pti:run_confirm", args=[run.pk]), follow=True)
    assert "Ce traitement n'attend pas de confirmation." in page(response)
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_previews_left_unconfirmed_are_cancelled_after_a_day(pilot_client, territories, media_root):
    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    TaskRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(days=1, minutes=1)
    )

    assert purge_run_files() == 1

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert stored_files(media_root) == []
    assert purge_run_files() == 0
    # The next file goes through.
    import_file(pilot_client, csv_upload(GOOD_CSV))
    assert Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_data_changed_between_preview_and_confirmation_writes_nothing(pilot_client, territories):
    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    territories[1].delete()  # "forez" disappears before the confirmation

    run = confirm(pilot_client, run)

    assert run.status == RunStatus.FAILED
    content = page(run_page(pilot_client, run))
    assert "Rien n'a été enregistré" in content
    assert "Ligne 4 : Territoire : Territoire « forez » inconnu(e)." in content
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()
    assert run.kind == RunKind.ORGANISATION_IMPORT


# --- Export ------------------------------------------------------------------------------


@pytest.fixture
def exported_organisations():
    territory = TerritoryFactory(code="roannais", name="Roannais")
    OrganisationFactory(
        name="CCAS d’Étréchy",
        kind=OrganisationKind.CCAS,
        territory=territory,
        siret="21420187700011",
        postal_code="42300",
    )
    OrganisationFactory(name='=HYPERLINK("http://x")', kind=OrganisationKind.OTHER)


def test_csv_export(pilot_client, exported_organisations):
    response = pilot_client.get(reverse("pti:organisation_export", args=["csv"]))

    stamp = timezone.localdate().isoformat()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (f'attachment; filename="organisations-{stamp}.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content[3:].decode("utf-8").split("\r\n")
    assert lines[0] == (
        "Nom;Sigle;Type;Territoire;SIRET;Adresse;Code postal;Ville;Courriel;Téléphone;Active"
    )
    assert lines[1] == '"\'=HYPERLINK(""http://x"")";;autre;;;;;;;;oui'
    assert lines[2] == "CCAS d’Étréchy;;CCAS ou CIAS;Roannais;21420187700011;;42300;;;;oui"


def test_xlsx_export(pilot_client, exported_organisations):
    response = pilot_client.get(reverse("pti:organisation_export", args=["xlsx"]))

    stamp = timezone.localdate().isoformat()
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (f'attachment; filename="organisations-{stamp}.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["Nom", "Sigle", "Type", "Territoire", "SIRET"]
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert sheet["A2"].data_type == "s"
    assert rows[2][0] == "CCAS d’Étréchy"
    assert rows[2][3] == "Roannais"


def test_unknown_export_format_is_not_found(pilot_client):
    response = pilot_client.get("/organisations/export.pdf")

    assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_file_imported_back_changes_nothing(pilot_client, exported_organisations, fmt):
    OrganisationFactory(
        name="Mission locale", kind=OrganisationKind.MISSION_LOCALE, phone="+33 4 77 00 00 00"
    )
    export = pilot_client.get(reverse("pti:organisation_export", args=[fmt]))
    before = sorted(Organisation.objects.values_list("name", "phone", "updated_at"))

    response = preview(pilot_client, SimpleUploadedFile(f"export.{fmt}", export.content))
    content = page(response)
    assert "L'import ferait : 0 création, 0 modification, 3 lignes inchangées." in content

    confirm(pilot_client, response.context["run"])

    assert sorted(Organisation.objects.values_list("name", "phone", "updated_at")) == before


def test_the_runs_list_gives_no_progress_to_a_cancelled_import(pilot_client, territories):
    run = analysed(pilot_client, csv_upload(GOOD_CSV))
    cancel(pilot_client, run)

    content = page(pilot_client.get(reverse("pti:run_list")))

    row = content.split(f'<a href="{reverse("pti:run_detail", args=[run.pk])}">')[1]
    row = row.split("</tr>")[0]
    assert "annulé" in row
    assert "%" not in row
    assert "<td>—</td>" in row
