"""The monthly CNAF flux from the browser (beneficiaries/runs.py): a pilot drops the file, a
worker analyses it without writing, the pilot reads what it would change and confirms or
cancels. The tasks run at once here (the immediate backend of the test settings)."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from beneficiaries.models import Beneficiary, HeldHousehold, Household
from pti.enums import RunKind, RunStatus
from pti.models import TaskRun
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
SEPTEMBER = FILES / "vrsb0801_2025_09.xml"
WITH_DTD = FILES / "vrsb0801_entite_externe.xml"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def communes():
    territory = TerritoryFactory(code="loire", name="Loire")
    for code, name, postal in [
        ("42218", "Saint-Étienne", "42000"),
        ("42095", "Firminy", "42700"),
        ("42187", "Roanne", "42300"),
        ("42052", "Charlieu", "42190"),
        ("42147", "Montbrison", "42600"),
    ]:
        CommuneFactory(insee_code=code, name=name, postal_code=postal, territory=territory)


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


def drop(client, path, name=None):
    upload = SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/xml")
    return client.post(reverse("beneficiaries:import_flux"), {"file": upload})


def stored_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()]


def test_the_pilot_reads_what_the_flux_would_change_then_confirms(pilot, communes, storage):
    response = drop(pilot, SEPTEMBER)

    run = TaskRun.objects.get()
    assert response["Location"] == reverse("pti:run_detail", args=[run.pk])
    assert (run.kind, run.status, run.file_name) == (
        RunKind.CNAF_FLUX,
        RunStatus.TO_CONFIRM,
        "vrsb0801_2025_09.xml",
    )
    assert not Household.objects.exists()  # the analysis wrote nothing
    page = pilot.get(response["Location"]).content.decode()
    assert "Analyse terminée : rien n'a encore été enregistré" in page
    assert "Foyers : 4 créé(s), 0 modifié(s), 0 inchangé(s), 0 clos" in page
    assert "Personnes : 7 créée(s)" in page
    assert "Confirmer l'import</button>" in page

    pilot.post(reverse("pti:run_confirm", args=[run.pk]))

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.confirmed_by is not None
    assert (Household.objects.count(), Beneficiary.objects.count()) == (4, 7)
    done = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "Foyers : 4 créé(s)" in done
    assert "Voir les bénéficiaires" in done
    # The file and the plan its analysis made, kept until retention deletes them.
    assert len(stored_files(storage)) == 2


def test_a_cancelled_flux_writes_nothing_and_its_file_is_deleted(pilot, communes, storage):
    drop(pilot, SEPTEMBER)
    run = TaskRun.objects.get()
    assert len(stored_files(storage)) == 2  # the file and its analysis's plan

    pilot.post(reverse("pti:run_cancel", args=[run.pk]))

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert not run.file
    assert stored_files(storage) == []
    assert not Household.objects.exists()
    # The next flux may now be dropped.
    drop(pilot, SEPTEMBER)
    assert TaskRun.objects.filter(status=RunStatus.TO_CONFIRM).count() == 1


def test_faulty_households_are_set_aside_and_the_rest_imported(pilot, storage):
    # Saint-Étienne is not in the référentiel: its household is set aside, the others go in.
    territory = TerritoryFactory(code="loire", name="Loire")
    for code, name, postal in [
        ("42187", "Roanne", "42300"),
        ("42095", "Firminy", "42700"),
        ("42052", "Charlieu", "42190"),
        ("42147", "Montbrison", "42600"),
    ]:
        CommuneFactory(insee_code=code, name=name, postal_code=postal, territory=territory)
    drop(pilot, SEPTEMBER)
    run = TaskRun.objects.get()
    assert run.status == RunStatus.TO_CONFIRM
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "Foyers mis de côté « à traiter » (1)" in page
    assert "commune inconnue (code INSEE « 42218 »)" in page
    assert "1 foyer(s) en erreur mis de côté « à traiter »" in page

    pilot.post(reverse("pti:run_confirm", args=[run.pk]))

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert Household.objects.count() == 3
    held = HeldHousehold.objects.get()
    assert (held.run, held.resolved_at) == (run, None)
    assert held.reasons == "commune inconnue (code INSEE « 42218 »)"
    waiting = pilot.get(reverse("beneficiaries:held_households")).content.decode()
    assert "1 foyer en attente" in waiting
    assert "commune inconnue (code INSEE « 42218 »)" in waiting

    # The commune is added; the next flux reads the household without error: settled.
    CommuneFactory(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
    )
    drop(pilot, SEPTEMBER)
    again = TaskRun.objects.latest("pk")
    pilot.post(reverse("pti:run_confirm", args=[again.pk]), {"on_purpose": "oui"})
    held.refresh_from_db()
    assert held.resolved_at is not None
    assert held.resolution == "lu sans erreur dans le flux du 06/10/2025"
    assert Household.objects.count() == 4


def test_a_pilot_marks_a_household_set_aside_as_dealt_with(pilot):
    held = HeldHousehold.objects.create(
        position=3, payer="caf", caf_number="1234567", reasons="commune inconnue"
    )

    pilot.post(
        reverse("beneficiaries:held_household_resolve", args=[held.pk]),
        {"resolution": "dossier corrigé par la CAF"},
    )

    held.refresh_from_db()
    assert held.resolved_at is not None
    assert held.resolution == "dossier corrigé par la CAF"
    page = pilot.get(reverse("beneficiaries:held_households")).content.decode()
    assert "0 foyer en attente" in page
    assert "dossier corrigé par la CAF" in page


def test_a_flux_whose_count_is_wrong_is_refused_as_a_whole(pilot, communes, tmp_path):
    import datetime

    from tests.beneficiaries.cnaf_flux import households, write_flux

    sketches = list(households(2, insee_codes=["42218"]))
    for sketch in sketches:
        sketch.state = "2"
    wrong = tmp_path / "incomplet.xml"
    write_flux(
        wrong,
        sketches,
        created_on=datetime.date(2025, 10, 5),
        reference_on=datetime.date(2025, 9, 30),
        declared=3,
    )

    drop(pilot, wrong)

    run = TaskRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Fichier refusé : 1 erreur(s), listées ci-dessous.")
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "le fichier annonce 3 foyer(s) (NBTOTDOSRSATRANSM) mais en contient 2" in page
    assert not Household.objects.exists()


def test_a_file_that_declares_a_dtd_is_refused_for_good(pilot, communes):
    drop(pilot, WITH_DTD)

    run = TaskRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "DTD" in run.error
    assert run.error.endswith("Rien n'a été enregistré.")
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "Relancer" not in page  # the same file would be refused again
    refused = pilot.post(reverse("pti:run_restart", args=[run.pk]), follow=True)
    assert "Ce fichier a été refusé : le relancer donnerait la même réponse." in (
        refused.content.decode()
    )
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.FAILED, 1)


def test_only_an_xml_file_is_taken(pilot, storage):
    response = drop(pilot, SEPTEMBER, name="flux.csv")

    assert response.status_code == 422
    assert "est un fichier XML (.xml)" in response.content.decode()
    assert not TaskRun.objects.exists()
    assert stored_files(storage) == []


def test_a_second_flux_waits_for_the_first_to_end(pilot, communes, storage):
    drop(pilot, SEPTEMBER)

    response = drop(pilot, SEPTEMBER)

    assert response.status_code == 422
    assert "Un traitement de cette nature n&#x27;est pas terminé" in response.content.decode()
    assert TaskRun.objects.count() == 1
    assert len(stored_files(storage)) == 2  # the first one's file and plan


def test_the_flux_page_is_the_pilots(client_as):
    for role in ("manager", "referent", "operator", "partner", "admin"):
        page = client_as(UserFactory(**{role: True})).get(reverse("beneficiaries:import_flux"))
        assert page.status_code == 403
    assert not default_storage.exists("traitements")


def test_retention_cancels_an_unconfirmed_flux_and_deletes_old_files(pilot, communes, storage):
    from datetime import timedelta

    from django.utils import timezone

    from beneficiaries.retention import apply_retention

    drop(pilot, SEPTEMBER)
    waiting = TaskRun.objects.get()
    later = timezone.now() + timedelta(days=2)

    assert apply_retention(now=later).import_files == 1

    waiting.refresh_from_db()
    assert waiting.status == RunStatus.CANCELLED
    assert stored_files(storage) == []

    drop(pilot, SEPTEMBER)
    done = TaskRun.objects.get(status=RunStatus.TO_CONFIRM)
    pilot.post(reverse("pti:run_confirm", args=[done.pk]))
    assert apply_retention(now=timezone.now() + timedelta(days=29)).import_files == 0
    assert len(stored_files(storage)) == 2

    assert apply_retention(now=timezone.now() + timedelta(days=31)).import_files == 2

    done.refresh_from_db()
    assert not done.file
    assert not done.plan
    assert stored_files(storage) == []
    assert "Foyers : 4 créé(s)" in " ".join(done.summary["lines"])  # the counts stay


def test_a_flux_not_newer_than_the_last_one_is_imported_on_purpose_only(pilot, communes):
    from beneficiaries.cnaf import cnaf_flux_import

    cnaf_flux_import(source=SEPTEMBER, user=UserFactory(pilot=True))  # the month, already in
    drop(pilot, SEPTEMBER)
    run = TaskRun.objects.get()
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    warning = (
        "Ce flux est daté du 06/10/2025 : il n&#x27;est pas plus récent que le dernier flux "
        "importé, du 06/10/2025."
    )
    assert warning in page
    assert 'name="on_purpose" value="oui"' in page

    refused = pilot.post(reverse("pti:run_confirm", args=[run.pk]), follow=True)

    assert "Cochez la case qui confirme l&#x27;import voulu de ce fichier" in (
        refused.content.decode()
    )
    run.refresh_from_db()
    assert run.status == RunStatus.TO_CONFIRM

    pilot.post(reverse("pti:run_confirm", args=[run.pk]), {"on_purpose": "oui"})

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert "Foyers : 0 créé(s), 0 modifié(s), 4 inchangé(s)" in " ".join(run.summary["lines"])


def test_the_report_downloads_as_a_csv_for_french_excel(pilot):
    drop(pilot, SEPTEMBER)  # no commune known: every household set aside
    run = TaskRun.objects.get()

    response = pilot.get(reverse("pti:run_report", args=[run.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        f'filename="traitement-{run.pk}-import-du-flux-caf-ou-msa.csv"'
        in (response["Content-Disposition"])
    )
    content = response.content
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Rubrique", "Texte"]
    assert rows[1][1].startswith("Flux du 06/10/2025, période au 30/09/2025")
    held = [text for kind, text in rows if kind == "Mis de côté"]
    assert len(held) == 4
    assert "commune inconnue (code INSEE « 42218 »)" in held[0]


def test_the_households_absent_from_the_flux_are_listed_to_check(pilot, communes, tmp_path):
    import datetime

    from beneficiaries.cnaf import cnaf_flux_import
    from tests.beneficiaries.cnaf_flux import households, write_flux

    sketches = list(households(3, insee_codes=["42218"]))
    for sketch in sketches:
        sketch.state = "2"
    october, november = tmp_path / "octobre.xml", tmp_path / "novembre.xml"
    write_flux(
        october,
        sketches,
        created_on=datetime.date(2025, 10, 5),
        reference_on=datetime.date(2025, 9, 30),
    )
    write_flux(
        november,
        sketches[1:],
        created_on=datetime.date(2025, 11, 5),
        reference_on=datetime.date(2025, 10, 31),
    )
    cnaf_flux_import(source=october, user=UserFactory(pilot=True))

    drop(pilot, november)

    run = TaskRun.objects.get()
    page = pilot.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "Foyers du flux précédent absents de celui-ci (1)" in page
    assert "<li>CAF " in page
    report = pilot.get(reverse("pti:run_report", args=[run.pk])).content.decode("utf-8-sig")
    assert "À vérifier;CAF " in report


def test_the_households_waiting_come_first_in_the_files_order(pilot):
    from django.utils import timezone

    settled = HeldHousehold.objects.create(
        position=1, payer="caf", caf_number="1111111", reasons="a", resolved_at=timezone.now()
    )
    second = HeldHousehold.objects.create(position=9, payer="caf", caf_number="2", reasons="b")
    first = HeldHousehold.objects.create(position=2, payer="caf", caf_number="3", reasons="c")

    page = pilot.get(reverse("beneficiaries:held_households"))

    assert list(page.context["page"].object_list) == [first, second, settled]


def test_a_household_set_aside_for_its_number_is_named_by_the_number_as_written(pilot, tmp_path):
    """A CAF household whose matricule is no CAF number (15 digits that are not the number
    followed by eight zeros): set aside with the number as the file writes it, so that a
    person can find it."""
    case = tmp_path / "case_caf_number_flux.xml"
    text = (FILES / "case_msa_number_flux.xml").read_text()
    case.write_text(text.replace("900010100000000", "900010112345678"))
    territory = TerritoryFactory(code="loire", name="Loire")
    for code in set(re.findall(r"<NUMCOM>(\d+)", case.read_text())):
        CommuneFactory(insee_code=code, territory=territory)

    drop(pilot, case)

    run = TaskRun.objects.get()
    assert run.status == RunStatus.TO_CONFIRM
    held = run.analysis["held"]
    assert len(held) == 1
    assert "matricule (MATRICULE) « 900010112345678 » qui ne tient pas sur 7 chiffres" in held[0]
