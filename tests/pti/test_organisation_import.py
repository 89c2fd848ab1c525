"""Importing and exporting organisations through the real pages, as a pilot."""

import io
import os
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pti.enums import OrganisationKind
from pti.imports import purge_abandoned_uploads
from pti.models import Organisation
from tests.import_pages import messages_of, page, token_of
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
    folder = media_root / "imports"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def preview(client, upload):
    return client.post(IMPORT_URL, {"file": upload})


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
    assert "Aperçu de « organisations.csv »" in content
    assert "Rien n'est encore enregistré" in content
    assert "<strong>2 créations</strong>, <strong>0 modification</strong>" in content
    assert "CCAS d’Étréchy" in content
    assert "MISSION LOCALE DU FOREZ" in content
    assert '<th scope="row">2</th><td>création</td>' in content
    assert '<th scope="row">4</th><td>création</td>' in content  # line 3 was blank
    assert "Confirmer l'import" in content
    assert token_of(response)
    assert Organisation.objects.count() == before


def test_confirmation_creates_the_organisations(pilot_client, territories, media_root):
    token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    assert stored_files(media_root) != []

    response = pilot_client.post(IMPORT_URL, {"token": token})

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert messages_of(response) == [
        "Import terminé : 2 création(s), 0 modification(s), 0 ligne(s) inchangée(s)."
    ]
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
    # The stored file is gone once imported.
    assert stored_files(media_root) == []


def test_confirmed_token_cannot_be_used_twice(pilot_client, territories):
    token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    pilot_client.post(IMPORT_URL, {"token": token})

    response = pilot_client.post(IMPORT_URL, {"token": token}, follow=True)

    assert "Ce fichier n'est plus disponible : envoyez-le à nouveau." in page(response)
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
    assert "<strong>1 création</strong>, <strong>1 modification</strong>" in content
    assert '<th scope="row">4</th><td>modification</td>' in content

    response = pilot_client.post(IMPORT_URL, {"token": token_of(response)})

    assert messages_of(response) == [
        "Import terminé : 1 création(s), 1 modification(s), 0 ligne(s) inchangée(s)."
    ]
    assert Organisation.objects.count() == before + 1
    existing.refresh_from_db()
    assert existing.kind == OrganisationKind.MISSION_LOCALE
    assert existing.city == "Montbrison"
    assert existing.territory == territories[1]


def test_reimporting_the_same_file_changes_nothing(pilot_client, territories):
    pilot_client.post(IMPORT_URL, {"token": token_of(preview(pilot_client, csv_upload(GOOD_CSV)))})
    saved = dict(Organisation.objects.values_list("name", "updated_at"))

    response = preview(pilot_client, csv_upload(GOOD_CSV))
    content = page(response)
    assert "<strong>0 création</strong>, <strong>0 modification</strong>" in content
    assert "2 lignes inchangées" in content
    assert content.count("<td>inchangé</td>") == 2

    response = pilot_client.post(IMPORT_URL, {"token": token_of(response)})

    assert messages_of(response) == [
        "Import terminé : 0 création(s), 0 modification(s), 2 ligne(s) inchangée(s)."
    ]
    assert dict(Organisation.objects.values_list("name", "updated_at")) == saved


def test_xlsx_file_with_aliases_is_imported(pilot_client):
    workbook = openpyxl.Workbook()
    workbook.active.append(["RAISON SOCIALE", "Catégorie", "CP", "N° SIRET", "Actif"])
    workbook.active.append(["CAF de la Loire", "caf", 42000, 53427837000015, "non"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("orgs.xlsx", buffer.getvalue())

    response = preview(pilot_client, upload)
    assert response.status_code == 200
    pilot_client.post(IMPORT_URL, {"token": token_of(response)})

    caf = Organisation.objects.get(name="CAF de la Loire")
    assert caf.kind == OrganisationKind.CAF
    assert caf.postal_code == "42000"
    assert caf.siret == "53427837000015"
    assert caf.is_active is False


# --- Refusals ----------------------------------------------------------------------------


def test_bad_rows_are_all_reported_with_their_line_and_nothing_is_written(
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
    assert response.status_code == 422
    assert "Le fichier contient 4 erreurs : rien n'a été enregistré." in content
    assert "Ligne 3 : Type : « Club de foot » n'est pas une valeur possible" in content
    assert "Ligne 4 : Le SIRET compte quatorze chiffres." in content
    assert "Ligne 6 : Courriel : Saisissez une adresse de courriel valide." in content
    assert "Ligne 7 : Territoire : Territoire « Atlantide » inconnu(e)." in content
    assert "Ligne 2 :" not in content
    assert 'name="token"' not in content
    assert "Confirmer l'import" not in content
    assert Organisation.objects.count() == before
    assert stored_files(media_root) == []


def test_missing_required_column_is_named_on_the_form(pilot_client):
    response = preview(pilot_client, csv_upload("Nom;Ville\r\nCCAS de Roanne;Roanne\r\n"))

    content = page(response)
    assert response.status_code == 422
    assert "Colonne obligatoire absente : « Type »." in content
    assert not Organisation.objects.filter(name="CCAS de Roanne").exists()


def test_utf16_file_is_refused_on_the_form(pilot_client, media_root):
    response = preview(pilot_client, csv_upload(GOOD_CSV, encoding="utf-16"))

    content = page(response)
    assert response.status_code == 422
    assert "Le fichier est encodé en UTF-16, que l'application ne lit pas" in content
    assert "Aperçu de" not in content
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()
    assert stored_files(media_root) == []


def test_empty_file_is_refused_on_the_form(pilot_client):
    response = preview(pilot_client, csv_upload("\r\n;;\r\n"))

    assert response.status_code == 422
    assert "Le fichier est vide." in page(response)


def test_pdf_is_refused_on_the_form(pilot_client):
    upload = SimpleUploadedFile("organisations.pdf", b"%PDF-1.4")

    response = preview(pilot_client, upload)

    assert response.status_code == 422
    assert "Format non pris en charge" in page(response)


def test_token_from_another_session_is_refused(pilot_client, territories, media_root):
    token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    other = Client()
    other.force_login(UserFactory(pilot=True))

    response = other.post(IMPORT_URL, {"token": token}, follow=True)

    assert response.redirect_chain == [(IMPORT_URL, 302)]
    assert "Ce fichier n'est plus disponible : envoyez-le à nouveau." in page(response)
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()
    # The owner can still confirm their own import.
    pilot_client.post(IMPORT_URL, {"token": token})
    assert Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_cancelling_the_preview_deletes_the_stored_file(pilot_client, territories, media_root):
    token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    assert len(stored_files(media_root)) == 1

    response = pilot_client.post(IMPORT_URL, {"token": token, "cancel": "1"})

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert messages_of(response) == ["Import annulé : rien n'a été enregistré."]
    assert stored_files(media_root) == []
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()
    # The token is spent: confirming after cancelling imports nothing.
    response = pilot_client.post(IMPORT_URL, {"token": token}, follow=True)
    assert "Ce fichier n'est plus disponible : envoyez-le à nouveau." in page(response)
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_abandoned_previews_are_purged_after_a_day(pilot_client, territories, media_root):
    old_token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    recent_token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    old_file = next((media_root / "imports").glob(f"{old_token}.*"))
    day_and_a_minute_ago = time.time() - 24 * 3600 - 60
    os.utime(old_file, (day_and_a_minute_ago, day_and_a_minute_ago))

    assert purge_abandoned_uploads() == 1

    assert stored_files(media_root) == [f"{recent_token}.csv"]
    response = pilot_client.post(IMPORT_URL, {"token": old_token}, follow=True)
    assert "Ce fichier n'est plus disponible : envoyez-le à nouveau." in page(response)
    pilot_client.post(IMPORT_URL, {"token": recent_token})
    assert Organisation.objects.filter(name="CCAS d’Étréchy").exists()


def test_purge_without_any_upload_deletes_nothing(media_root):
    assert purge_abandoned_uploads() == 0


@pytest.mark.parametrize("token", ["bidon", "", "../../settings"])
def test_bogus_token_is_refused(pilot_client, token):
    before = Organisation.objects.count()

    response = pilot_client.post(IMPORT_URL, {"token": token}, follow=True)

    assert response.redirect_chain == [(IMPORT_URL, 302)]
    assert "Ce fichier n'est plus disponible : envoyez-le à nouveau." in page(response)
    assert Organisation.objects.count() == before


def test_data_changed_between_preview_and_confirmation_writes_nothing(pilot_client, territories):
    token = token_of(preview(pilot_client, csv_upload(GOOD_CSV)))
    territories[1].delete()  # "forez" disappears before the confirmation

    response = pilot_client.post(IMPORT_URL, {"token": token})

    content = page(response)
    assert response.status_code == 422
    assert "L'import a été refusé : rien n'a été enregistré." in content
    assert "Ligne 4 : Territoire : Territoire « forez » inconnu(e)." in content
    assert not Organisation.objects.filter(name="CCAS d’Étréchy").exists()


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
    assert response.status_code == 200
    assert "<strong>0 création</strong>, <strong>0 modification</strong>" in content
    assert "3 lignes inchangées" in content

    pilot_client.post(IMPORT_URL, {"token": token_of(response)})

    assert sorted(Organisation.objects.values_list("name", "phone", "updated_at")) == before
