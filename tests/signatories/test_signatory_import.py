"""Importing and exporting the signatories of a pact through the real pages: the file sent
is analysed in the background (at once here), the run's page shows the preview, the
confirmation writes it."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pti.enums import OrganisationKind, PactStatus, RunStatus
from pti.models import TaskRun
from signatories.enums import SignatoryStatus
from signatories.models import Signatory
from tests.import_pages import confirm, error_lines, outcome_of, page, run_of, run_page, send
from tests.pti.factories import OrganisationFactory, PactFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADERS = ["Organisation", "Ordre", "Nom du signataire", "Qualité"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pilot_client(client_as):
    return client_as(UserFactory(pilot=True))


@pytest.fixture
def pact():
    return PactFactory(code="pti-2016-2020", status=PactStatus.DRAFT)


@pytest.fixture
def organisations():
    return {
        "departement": OrganisationFactory(
            name="Département de la Loire", short_name="CD42", departement=True
        ),
        "caf": OrganisationFactory(
            name="Caisse d'allocations familiales de la Loire", short_name="CAF 42", caf=True
        ),
        "mission": OrganisationFactory(
            name="Mission locale du Forez", kind=OrganisationKind.MISSION_LOCALE
        ),
    }


def xlsx_upload(rows, *, headers=HEADERS, name="signataires.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


GOOD_ROWS = [
    ["département de la loire", 1, "Georges Ziegler", "Président du conseil départemental"],
    ["caf 42", 2, "Marie Dupont", "Directrice"],
    [None, None, None, None],
    ["MISSION LOCALE DU FOREZ", None, "", ""],
]


def import_url(pact):
    return reverse("signatories:signatory_import", args=[pact.pk])


def list_url(pact):
    return reverse("signatories:signatory_list", args=[pact.pk])


def preview(client, pact, upload):
    """Send the file: the run's page once analysed (or the page's answer, refused before any
    run)."""
    response = send(client, import_url(pact), upload)
    if response.status_code != 302 or not response["Location"].startswith("/traitements/"):
        return response
    return run_page(client, run_of(response))


def test_preview_then_confirmation_creates_expected_signatories(pilot_client, pact, organisations):
    response = preview(pilot_client, pact, xlsx_upload(GOOD_ROWS))

    content = page(response)
    assert "signataires.xlsx" in content
    run = response.context["run"]
    assert run.parameters == {"pact": pact.pk}
    assert "L'import ferait : 3 créations, 0 modification" in content
    assert '<th scope="row">5</th><td>création</td><td>MISSION LOCALE DU FOREZ</td>' in content
    assert not Signatory.objects.exists()

    run = confirm(pilot_client, run)

    assert run.status == RunStatus.DONE
    assert outcome_of(run) == "Import terminé : 3 créations, 0 modification, 0 ligne inchangée."
    signatories = {s.organisation_id: s for s in Signatory.objects.filter(pact=pact)}
    assert set(signatories) == {org.pk for org in organisations.values()}
    departement = signatories[organisations["departement"].pk]
    assert departement.position == 1
    assert departement.signer_name == "Georges Ziegler"
    assert departement.signer_title == "Président du conseil départemental"
    caf = signatories[organisations["caf"].pk]
    assert caf.position == 2
    assert caf.signer_name == "Marie Dupont"
    mission = signatories[organisations["mission"].pk]
    assert mission.position == 100  # no order given: at the end
    assert mission.signer_name == ""
    for signatory in signatories.values():
        assert signatory.status == SignatoryStatus.EXPECTED
        assert signatory.signed_on is None


def test_import_into_an_adopted_pact_is_allowed(pilot_client, organisations):
    pact = PactFactory(
        code="pti-adopte",
        status=PactStatus.ADOPTED,
        deliberation_date=datetime.date(2016, 3, 21),
    )

    response = preview(pilot_client, pact, xlsx_upload(GOOD_ROWS[:1]))
    confirm(pilot_client, response.context["run"])

    assert Signatory.objects.get(pact=pact).organisation == organisations["departement"]


def test_existing_signatory_is_updated_and_other_pacts_untouched(pilot_client, pact, organisations):
    other_pact = PactFactory(code="autre-pacte")
    other = Signatory.objects.create(
        pact=other_pact, organisation=organisations["caf"], position=7, signer_name="Ancien"
    )
    existing = Signatory.objects.create(
        pact=pact, organisation=organisations["caf"], position=9, signer_name="Ancien"
    )

    response = preview(pilot_client, pact, xlsx_upload(GOOD_ROWS))
    assert "L'import ferait : 2 créations, 1 modification" in page(response)
    confirm(pilot_client, response.context["run"])

    existing.refresh_from_db()
    assert existing.position == 2
    assert existing.signer_name == "Marie Dupont"
    assert Signatory.objects.filter(pact=pact).count() == 3
    other.refresh_from_db()
    assert (other.position, other.signer_name) == (7, "Ancien")


def test_unknown_organisation_is_reported_with_its_line(pilot_client, pact, organisations):
    rows = [
        ["CAF 42", 2, "Marie Dupont", "Directrice"],
        [None, None, None, None],
        ["Association inexistante", 3, "", ""],
    ]

    response = preview(pilot_client, pact, xlsx_upload(rows))

    content = page(response)
    assert "L'import ferait : 1 création, 0 modification, 0 ligne inchangée, 1 ligne retenue." in (
        content
    )
    assert error_lines(response) == [
        "Ligne 4 : Organisation « Association inexistante » inconnu(e)."
    ]
    assert not Signatory.objects.exists()

    run = confirm(pilot_client, response.context["run"])

    assert list(Signatory.objects.values_list("organisation", flat=True)) == [
        organisations["caf"].pk
    ]
    assert f'href="{list_url(pact)}">Voir les signataires</a>' in page(run_page(pilot_client, run))


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ("premier", "Ordre : « premier » n'est pas un nombre entier."),
        ("1,5", "Ordre : « 1,5 » n'est pas un nombre entier."),
        (2.5, "Ordre : « 2.5 » n'est pas un nombre entier."),
        (-1, "Ordre : Assurez-vous que cette valeur est supérieure ou égale à 0."),
    ],
)
def test_bad_order_is_reported_in_french(pilot_client, pact, organisations, order, message):
    rows = [["CAF 42", order, "", ""]]

    response = preview(pilot_client, pact, xlsx_upload(rows))

    content = page(response)
    assert "Fichier refusé : aucune ligne ne peut être importée" in content
    assert f"<li>Ligne 2 : {message}</li>" in content
    assert not Signatory.objects.exists()


@pytest.mark.parametrize("order", ["3", " 3 ", 3, 3.0, "3.0"])
def test_order_written_as_text_or_number_is_read(pilot_client, pact, organisations, order):
    response = preview(pilot_client, pact, xlsx_upload([["CAF 42", order, "", ""]]))
    confirm(pilot_client, response.context["run"])

    assert Signatory.objects.get(pact=pact).position == 3


def test_missing_organisation_column_is_named(pilot_client, pact, organisations):
    upload = xlsx_upload([["Marie Dupont"]], headers=["Nom du signataire"])

    response = preview(pilot_client, pact, upload)

    assert "Le traitement a échoué" in page(response)
    assert "Colonne obligatoire absente : « Organisation »." in page(response)


def test_import_into_a_signed_pact_is_refused(pilot_client, organisations, media_root):
    pact = PactFactory(
        code="pti-signe",
        status=PactStatus.SIGNED,
        deliberation_date=datetime.date(2016, 3, 21),
        signed_on=datetime.date(2016, 6, 1),
    )

    response = pilot_client.post(import_url(pact), {"file": xlsx_upload(GOOD_ROWS)}, follow=True)

    assert response.redirect_chain == [(list_url(pact), 302)]
    assert "Ce pacte est signé : sa liste de signataires ne change plus." in page(response)
    assert not Signatory.objects.filter(pact=pact).exists()
    assert not TaskRun.objects.exists()
    assert pilot_client.get(import_url(pact)).status_code == 302


def test_a_pact_signed_before_the_confirmation_is_not_changed(pilot_client, pact, organisations):
    response = preview(pilot_client, pact, xlsx_upload(GOOD_ROWS))
    PactFactory._meta.model.objects.filter(pk=pact.pk).update(
        status=PactStatus.SIGNED,
        deliberation_date=datetime.date(2016, 3, 21),
        signed_on=datetime.date(2016, 6, 1),
    )

    run = confirm(pilot_client, response.context["run"])

    assert run.status == RunStatus.FAILED
    assert run.error == "Ce pacte est signé : sa liste de signataires ne change plus."
    assert not Signatory.objects.exists()


def test_reimporting_the_same_file_changes_nothing(pilot_client, pact, organisations):
    response = preview(pilot_client, pact, xlsx_upload(GOOD_ROWS))
    run = confirm(pilot_client, response.context["run"])
    before = list(Signatory.objects.order_by("pk").values())

    response = preview(pilot_client, pact, xlsx_upload(GOOD_ROWS))
    content = page(response)
    assert "L'import ferait : 0 création, 0 modification" in content
    assert "3 lignes inchangées" in content
    assert content.count("<td>inchangé</td>") == 3

    run = confirm(pilot_client, response.context["run"])

    assert outcome_of(run) == "Import terminé : 0 création, 0 modification, 3 lignes inchangées."
    assert list(Signatory.objects.order_by("pk").values()) == before


@pytest.fixture
def signed_and_expected(pact, organisations):
    Signatory.objects.create(
        pact=pact,
        organisation=organisations["departement"],
        position=1,
        signer_name="Georges Ziegler",
        signer_title="Président",
        status=SignatoryStatus.SIGNED,
        signed_on=datetime.date(2016, 6, 1),
    )
    Signatory.objects.create(pact=pact, organisation=organisations["caf"], position=2)


def test_csv_export_lists_status_and_signature_date(pilot_client, pact, signed_and_expected):
    response = pilot_client.get(reverse("signatories:signatory_export", args=[pact.pk, "csv"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="signataires-pti-2016-2020-v1.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "Organisation;Ordre;Nom du signataire;Qualité;Statut;Date de signature"
    assert lines[1] == "Département de la Loire;1;Georges Ziegler;Président;signé;01/06/2016"
    assert lines[2] == "Caisse d'allocations familiales de la Loire;2;;;signature attendue;"
    assert lines[3:] == [""]


def test_xlsx_export_lists_status_and_signature_date(pilot_client, pact, signed_and_expected):
    response = pilot_client.get(reverse("signatories:signatory_export", args=[pact.pk, "xlsx"]))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="signataires-pti-2016-2020-v1.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [*HEADERS, "Statut", "Date de signature"]
    assert rows[1][0] == "Département de la Loire"
    assert rows[1][4:] == ["signé", "01/06/2016"]
    assert rows[2][4] == "signature attendue"
    assert rows[2][5] in ("", None)


def test_exported_file_imported_back_changes_nothing(pilot_client, pact, signed_and_expected):
    export = pilot_client.get(reverse("signatories:signatory_export", args=[pact.pk, "xlsx"]))
    before = list(Signatory.objects.order_by("pk").values())

    response = preview(pilot_client, pact, SimpleUploadedFile("export.xlsx", export.content))
    assert "2 lignes inchangées" in page(response)
    confirm(pilot_client, response.context["run"])

    assert list(Signatory.objects.order_by("pk").values()) == before


def test_referent_cannot_import_nor_export_signatories(client_as, pact, organisations):
    client = client_as(UserFactory(referent=True))

    assert client.post(import_url(pact), {"file": xlsx_upload(GOOD_ROWS)}).status_code == 403
    assert (
        client.get(reverse("signatories:signatory_export", args=[pact.pk, "csv"])).status_code
        == 403
    )
    assert not Signatory.objects.exists()
