"""Closures of the CNAF flux: each closure reason (MOTICLORSA) recorded as its exit category
(beneficiaries.closures), the raw code kept, an unknown code named in the report; only the
applicant and the partner leave; the households the import cannot decide about are held for a
person, never merged nor refusing the file; the exits by category right in the indicators."""

import datetime
import importlib
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from beneficiaries.closures import CLOSURE_REASONS, closure_exit
from beneficiaries.cnaf import cnaf_flux_import
from beneficiaries.enums import ExitCategory, ExitContract, HouseholdRole, Payer
from beneficiaries.models import Beneficiary, Exit, HeldHousehold, Household
from evaluation.computations import Computation
from evaluation.enums import Breakdown
from pti.models import TaskRun
from tests.beneficiaries.cnaf_flux import Household as FluxHouseholdSketch
from tests.beneficiaries.cnaf_flux import Person as FluxPerson
from tests.beneficiaries.cnaf_flux import write_flux
from tests.beneficiaries.factories import BeneficiaryFactory, ExitFactory, HouseholdFactory
from tests.pti.factories import (
    CommuneFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
    frozen,
)

FILES = Path(__file__).parent / "files"
# Two demo households closed by the flux of 28/11/2026: 9000008 for MUT, 9000006 for PCG.
CASE = FILES / "closure-reasons-flux.xml"
# The day the case was written: the demo's right-opening dates are drawn back from the day
# the demo is built, and those of its households must come before the case's closures.
CASE_WRITTEN_ON = datetime.date(2026, 12, 1)

DATES = {"created_on": datetime.date(2025, 11, 5), "reference_on": datetime.date(2025, 10, 31)}
CLOSED_ON = datetime.date(2025, 10, 31)


@pytest.fixture
def communes():
    saint_etienne = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    roannais = TerritoryFactory(code="roannais", name="Roannais")
    return {
        "42218": CommuneFactory(
            insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=saint_etienne
        ),
        "42187": CommuneFactory(
            insee_code="42187", name="Roanne", postal_code="42300", territory=roannais
        ),
    }


@pytest.fixture
def pilot():
    return UserFactory(pilot=True, username="pilote")


def someone(first_name, sex, role, birth_date, last_name="BENALI"):
    return FluxPerson(
        last_name=last_name,
        birth_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        sex=sex,
        role=role,
        subject=True if role in ("DEM", "CJT") else None,
    )


KARIM = someone("KARIM", "1", "DEM", datetime.date(1984, 5, 17))
NADIA = someone("NADIA", "2", "CJT", datetime.date(1987, 11, 3))
YANIS = someone("YANIS", "1", "ENF", datetime.date(2012, 2, 9))
GRANDMOTHER = someone("FATIMA", "2", "AUT", datetime.date(1950, 8, 1))
STRANGER = someone("LUCIE", "2", "DEM", datetime.date(1979, 3, 30), last_name="FAURE")


def dossier(matricule, *people, state="2", payer="CAF", insee_code="42218"):
    return FluxHouseholdSketch(
        matricule=matricule,
        payer=payer,
        requested_on=datetime.date(2024, 3, 1),
        sitfam="MAR" if len(people) > 1 else "SEF",
        insee_code=insee_code,
        street_number=12,
        street="RUE MICHELET",
        homeless=False,
        state=state,
        closed_on=CLOSED_ON if state == "5" else None,
        people=list(people),
    )


def flux(tmp_path, name, *dossiers, codes=()):
    """A flux of these dossiers; the closed ones (state 5) get the `codes`, in order, as their
    closure reason (None: no MOTICLORSA at all)."""
    path = tmp_path / name
    write_flux(path, dossiers, **DATES)
    text = path.read_text(encoding="utf-8")
    for code in codes:
        written = "<MOTICLORSA>RFD</MOTICLORSA>"
        assert written in text
        text = text.replace(written, f"<MOTICLORSA>{code}</MOTICLORSA>" if code else "", 1)
    path.write_text(text, encoding="utf-8")
    return path


def exits():
    """{first name: (category, closure reason)} of every exit."""
    return {
        e.beneficiary.first_name: (e.category, e.closure_reason)
        for e in Exit.objects.select_related("beneficiary")
    }


def import_family_then_close(tmp_path, pilot, code, **closed):
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, NADIA, YANIS)),
        user=pilot,
    )
    return cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM, NADIA, YANIS, state="5", **closed),
            codes=[code],
        ),
        user=pilot,
    )


# --- The table -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("ECH", ExitCategory.END_OF_RIGHT),
        ("RFD", ExitCategory.END_OF_RIGHT),
        ("RAU", ExitCategory.END_OF_RIGHT),
        ("EFF", ExitCategory.END_OF_RIGHT),
        ("RST", ExitCategory.END_OF_RIGHT),
        ("RSO", ExitCategory.END_OF_RIGHT),
        ("RGD", ExitCategory.END_OF_RIGHT),
        ("MUT", ExitCategory.MOVED),
        ("PCG", ExitCategory.SANCTION),
        (" mut ", ExitCategory.MOVED),  # as a hand-made file may write it
    ],
)
def test_each_known_closure_reason_has_its_category(code, category):
    found, label, known = closure_exit(code)
    assert (found, known) == (category, True)
    assert label
    assert label[0] == label[0].lower()  # a French label, lowercase first


def test_an_unknown_or_missing_reason_is_an_end_of_right_said_to_be_unknown():
    assert closure_exit("ZZZ") == (ExitCategory.END_OF_RIGHT, "motif « ZZZ » inconnu", False)
    assert closure_exit("") == (ExitCategory.END_OF_RIGHT, "motif non précisé", False)


def test_every_category_of_the_table_is_one_a_flux_may_record():
    recorded = {c for c in ExitCategory if c != ExitCategory.NO_CONTACT}
    assert {reason.category for reason in CLOSURE_REASONS.values()} <= recorded


# --- The case, by the command, on the demo -------------------------------------------------


def seed_demo_as_of(monkeypatch, day):
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        call_command("seed_demo", "--no-snapshots", stdout=StringIO())


def run_import(*args):
    out = StringIO()
    call_command("import_cnaf", str(CASE), "--user", "pilote", *args, stdout=out)
    return out.getvalue()


def by_category(year):
    figure = Computation(year).exits_by_category()
    return {cell.category: cell.numerator for cell in figure.cells(Breakdown.KIND)}


@pytest.mark.django_db
def test_the_case_records_a_move_and_a_sanction_with_their_codes(monkeypatch):
    seed_demo_as_of(monkeypatch, CASE_WRITTEN_ON)
    before = by_category(2026)
    exits_before = Exit.objects.count()

    dry = run_import("--dry-run")

    assert (
        "Sorties à enregistrer (dossiers clos) : 2, dont déménagement hors du département : 1, "
        "sanction : 1." in dry
    )
    assert "Simulation (--dry-run) : rien n'a été enregistré." in dry
    assert Exit.objects.count() == exits_before

    out = run_import()

    assert "Foyers : 0 créé(s), 0 modifié(s), 0 inchangé(s), 2 clos" in out
    assert (
        "Sorties enregistrées (dossiers clos) : 2, dont déménagement hors du département : 1, "
        "sanction : 1." in out
    )
    assert "inconnu" not in out
    recorded = {
        e.beneficiary.household.caf_number: (e.exit_on, e.category, e.closure_reason, e.note)
        for e in Exit.objects.filter(
            beneficiary__household__caf_number__in=["9000006", "9000008"]
        ).select_related("beneficiary__household")
    }
    assert recorded == {
        "9000008": (
            datetime.date(2026, 11, 15),
            ExitCategory.MOVED,
            "MUT",
            "Clôture du dossier signalée par le flux CAF : mutation du dossier vers un autre "
            "organisme (motif MUT).",
        ),
        "9000006": (
            datetime.date(2026, 11, 20),
            ExitCategory.SANCTION,
            "PCG",
            "Clôture du dossier signalée par le flux CAF : décision du président du conseil "
            "départemental (motif PCG).",
        ),
    }
    assert not HeldHousehold.objects.exists()
    # The indicator of the exits by category counts one move and one sanction more, and no
    # end of right more.
    after = by_category(2026)
    moved, sanction = ExitCategory.MOVED.label, ExitCategory.SANCTION.label
    end_of_right = ExitCategory.END_OF_RIGHT.label
    assert after.get(moved, 0) == before.get(moved, 0) + 1
    assert after.get(sanction, 0) == before.get(sanction, 0) + 1
    assert after.get(end_of_right, 0) == before.get(end_of_right, 0)
    # The same flux again records nothing more.
    assert "Sorties enregistrées (dossiers clos) : 0." in run_import()


@pytest.mark.django_db
def test_the_demo_people_are_born_the_same_days_whatever_day_it_is_built(monkeypatch):
    seed_demo_as_of(monkeypatch, datetime.date(2027, 9, 15))

    born = dict(
        Beneficiary.objects.filter(household__caf_number__in=["9000006", "9000008"]).values_list(
            "household__caf_number", "birth_date"
        )
    )

    # As the case file has them, written a year before.
    assert born == {"9000006": datetime.date(1984, 7, 18), "9000008": datetime.date(1963, 4, 8)}


# --- Every reason, every state, every payer ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "category"), [(c, r.category) for c, r in CLOSURE_REASONS.items()]
)
def test_each_reason_of_the_flux_is_recorded_as_its_category_with_its_code(
    tmp_path, communes, pilot, code, category
):
    report = import_family_then_close(tmp_path, pilot, code)

    assert report.exits_recorded == 2
    assert report.exits_by_category == {category: 2}
    assert exits() == {"Karim": (category, code), "Nadia": (category, code)}
    assert report.closure_codes_unknown == {}
    exit_ = Exit.objects.get(beneficiary__first_name="Karim")
    assert (exit_.exit_on, exit_.contract_type, exit_.recorded_by) == (
        CLOSED_ON,
        ExitContract.NONE,
        pilot,
    )
    assert exit_.note.endswith(f"{CLOSURE_REASONS[code].label} (motif {code}).")


@pytest.mark.django_db
def test_only_the_applicant_and_the_partner_leave_not_the_child_nor_another_person(
    tmp_path, communes, pilot
):
    cnaf_flux_import(
        source=flux(
            tmp_path, "septembre.xml", dossier("0000001", KARIM, NADIA, YANIS, GRANDMOTHER)
        ),
        user=pilot,
    )

    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM, NADIA, YANIS, GRANDMOTHER, state="5"),
            codes=["MUT"],
        ),
        user=pilot,
    )

    assert report.exits_recorded == 2
    assert set(exits()) == {"Karim", "Nadia"}
    roles = dict(Beneficiary.objects.values_list("first_name", "household_role"))
    assert (roles["Yanis"], roles["Fatima"]) == (HouseholdRole.CHILD, HouseholdRole.OTHER)


@pytest.mark.django_db
def test_an_unknown_reason_is_an_end_of_right_and_the_report_names_it(tmp_path, communes, pilot):
    cnaf_flux_import(
        source=flux(
            tmp_path,
            "septembre.xml",
            dossier("0000001", KARIM),
            dossier("0000002", NADIA),
            dossier("0000003", STRANGER),
        ),
        user=pilot,
    )

    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM, state="5"),
            dossier("0000002", NADIA, state="5"),
            dossier("0000003", STRANGER, state="5"),
            codes=["ZZZ", "PCG", "ZZZ"],
        ),
        user=pilot,
    )

    assert exits() == {
        "Karim": (ExitCategory.END_OF_RIGHT, "ZZZ"),
        "Nadia": (ExitCategory.SANCTION, "PCG"),
        "Lucie": (ExitCategory.END_OF_RIGHT, "ZZZ"),
    }
    assert report.closure_codes_unknown == {"ZZZ": [1, 3]}
    assert (
        "Motif de clôture (MOTICLORSA) « ZZZ » inconnu pour 2 foyer(s) (n°1, n°3) : sorties "
        "enregistrées comme « fin de droit », à vérifier." in report.lines()
    )
    assert (
        "Sorties enregistrées (dossiers clos) : 3, dont fin de droit : 2, sanction : 1."
        in report.lines()
    )
    assert Exit.objects.get(beneficiary__first_name="Karim").note == (
        "Clôture du dossier signalée par le flux CAF : motif « ZZZ » inconnu (motif ZZZ)."
    )


@pytest.mark.django_db
def test_a_closure_without_reason_is_an_end_of_right_and_the_report_says_so(
    tmp_path, communes, pilot
):
    report = import_family_then_close(tmp_path, pilot, None)

    assert exits() == {
        "Karim": (ExitCategory.END_OF_RIGHT, ""),
        "Nadia": (ExitCategory.END_OF_RIGHT, ""),
    }
    assert (
        "Motif de clôture (MOTICLORSA) absent pour 1 foyer(s) (n°1) : sorties enregistrées "
        "comme « fin de droit », à vérifier." in report.lines()
    )
    assert Exit.objects.get(beneficiary__first_name="Karim").note == (
        "Clôture du dossier signalée par le flux CAF : motif non précisé."
    )


@pytest.mark.django_db
def test_a_closure_of_an_earlier_month_keeps_its_reason_too(tmp_path, communes, pilot):
    cnaf_flux_import(source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM)), user=pilot)
    path = flux(tmp_path, "octobre.xml", dossier("0000001", KARIM, state="5"), codes=["PCG"])
    text = path.read_text(encoding="utf-8")
    text = text.replace("<ETATDOSRSA>5</ETATDOSRSA>", "<ETATDOSRSA>6</ETATDOSRSA>")
    text = text.replace("FinDroit>", "FinDroitMoisAnterieur>")
    path.write_text(text, encoding="utf-8")

    cnaf_flux_import(source=path, user=pilot)

    assert exits() == {"Karim": (ExitCategory.SANCTION, "PCG")}


@pytest.mark.django_db
def test_an_msa_closure_says_so_in_the_exit(tmp_path, communes, pilot):
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, payer="MSA")), user=pilot
    )

    cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", KARIM, state="5", payer="MSA"),
            codes=["MUT"],
        ),
        user=pilot,
    )

    exit_ = Exit.objects.get()
    assert (exit_.category, exit_.closure_reason) == (ExitCategory.MOVED, "MUT")
    assert exit_.note.startswith("Clôture du dossier signalée par le flux MSA : mutation")


@pytest.mark.django_db
def test_the_run_page_shows_the_categories_and_the_unknown_code(
    tmp_path, communes, client_as, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    pilot = UserFactory(pilot=True)
    cnaf_flux_import(
        source=flux(
            tmp_path, "septembre.xml", dossier("0000001", KARIM), dossier("0000002", NADIA)
        ),
        user=pilot,
    )
    path = flux(
        tmp_path,
        "octobre.xml",
        dossier("0000001", KARIM, state="5"),
        dossier("0000002", NADIA, state="5"),
        codes=["MUT", "XQ9"],
    )
    client = client_as(pilot)
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/xml")
    client.post(reverse("beneficiaries:import_flux"), {"file": upload})
    run = TaskRun.objects.get()

    page = client.get(reverse("pti:run_detail", args=[run.pk])).content.decode()

    assert (
        "Sorties à enregistrer (dossiers clos) : 2, dont fin de droit : 1, déménagement hors du "
        "département : 1." in page
    )
    assert "Motif de clôture (MOTICLORSA) « XQ9 » inconnu pour 1 foyer(s) (n°2)" in page
    # Both test fluxes bear the same date: the second is confirmed on purpose.
    client.post(reverse("pti:run_confirm", args=[run.pk]), {"on_purpose": "oui"})
    done = client.get(reverse("pti:run_detail", args=[run.pk])).content.decode()
    assert "Sorties enregistrées (dossiers clos) : 2, dont fin de droit : 1" in done
    assert "« XQ9 » inconnu pour 1 foyer(s) (n°2) : sorties enregistrées comme" in done
    assert exits() == {
        "Karim": (ExitCategory.MOVED, "MUT"),
        "Nadia": (ExitCategory.END_OF_RIGHT, "XQ9"),
    }


# --- Households held for a person to decide ------------------------------------------------


@pytest.mark.django_db
def test_a_child_listed_twice_holds_the_household_not_the_file(tmp_path, communes, pilot):
    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "septembre.xml",
            dossier("0000001", KARIM, YANIS, YANIS),
            dossier("0000002", NADIA),
        ),
        user=pilot,
    )

    assert report.errors == []
    assert [str(held) for held in report.held] == [
        "Foyer n°1 (ligne 3), matricule 0000001 : personnes n°2 et n°3 identiques (mêmes nom, "
        "prénom et date de naissance) : le même enfant inscrit deux fois ? Rien n'est écrit pour "
        "ce foyer, à vérifier avec la CAF ou la MSA"
    ]
    # The other household is imported; nothing of the held one is written, never merged.
    assert list(Household.objects.values_list("caf_number", flat=True)) == ["0000002"]
    assert not Beneficiary.objects.filter(first_name__in=["Karim", "Yanis"]).exists()
    held = HeldHousehold.objects.get()
    assert (held.caf_number, held.payer, held.resolved_at) == ("0000001", Payer.CAF, None)
    assert "le même enfant inscrit deux fois" in held.reasons


@pytest.mark.django_db
def test_a_known_household_listing_a_child_twice_is_left_as_it_was(tmp_path, communes, pilot):
    cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, YANIS)), user=pilot
    )

    report = cnaf_flux_import(
        source=flux(
            tmp_path, "octobre.xml", dossier("0000001", KARIM, YANIS, YANIS, insee_code="42187")
        ),
        user=pilot,
    )

    assert (report.errors, len(report.held)) == ([], 1)
    assert Household.objects.get().commune.insee_code == "42218"  # not moved to Roanne
    assert Beneficiary.objects.count() == 2


@pytest.mark.django_db
def test_an_adult_listed_twice_is_held_too(tmp_path, communes, pilot):
    report = cnaf_flux_import(
        source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM, KARIM)), user=pilot
    )

    assert report.errors == []
    assert "la même personne inscrite deux fois" in str(report.held[0])
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_a_number_known_here_for_other_people_is_held_not_merged(tmp_path, communes, pilot):
    cnaf_flux_import(source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM)), user=pilot)

    report = cnaf_flux_import(
        source=flux(
            tmp_path,
            "octobre.xml",
            dossier("0000001", STRANGER, insee_code="42187"),
            dossier("0000002", NADIA),
        ),
        user=pilot,
    )

    assert report.errors == []
    assert [str(held) for held in report.held] == [
        "Foyer n°1 (ligne 3), matricule 0000001 : matricule 0000001 déjà connu ici pour un foyer "
        "dont aucune personne ne figure dans ce dossier du flux (mêmes noms, prénoms et dates de "
        "naissance) : autre famille sous le même numéro, ou numéro mal saisi ? Rien n'est écrit "
        "pour ce foyer, à vérifier"
    ]
    household = Household.objects.get(caf_number="0000001")
    assert list(household.members.values_list("first_name", flat=True)) == ["Karim"]
    assert household.commune.insee_code == "42218"
    assert not Beneficiary.objects.filter(first_name="Lucie").exists()
    assert Beneficiary.objects.filter(first_name="Nadia").exists()
    assert HeldHousehold.objects.get().caf_number == "0000001"


@pytest.mark.django_db
def test_a_closure_of_a_number_known_for_other_people_records_no_exit(tmp_path, communes, pilot):
    # A household entered here by hand under the number the CAF gave to another family.
    household = HouseholdFactory(caf_number="0000001", commune=communes["42218"])
    BeneficiaryFactory(
        household=household, household_role=HouseholdRole.APPLICANT, first_name="Hugo"
    )

    report = cnaf_flux_import(
        source=flux(
            tmp_path, "octobre.xml", dossier("0000001", STRANGER, state="5"), codes=["MUT"]
        ),
        user=pilot,
    )

    assert (report.errors, report.exits_recorded, len(report.held)) == ([], 0, 1)
    assert not Exit.objects.exists()
    assert (
        "déjà connu ici pour un foyer dont aucune personne" in HeldHousehold.objects.get().reasons
    )


@pytest.mark.django_db
def test_a_household_with_one_of_its_people_is_no_stranger(tmp_path, communes, pilot):
    cnaf_flux_import(source=flux(tmp_path, "septembre.xml", dossier("0000001", KARIM)), user=pilot)

    report = cnaf_flux_import(
        source=flux(tmp_path, "octobre.xml", dossier("0000001", KARIM, NADIA)), user=pilot
    )

    assert (report.held, report.people_created) == ([], 1)
    assert Household.objects.get().members.count() == 2


# --- The indicator by exit category --------------------------------------------------------


@pytest.mark.django_db
def test_the_exits_of_the_year_are_counted_by_category_in_each_territory(communes):
    saint_etienne, roanne = communes["42218"], communes["42187"]

    def leave(commune, category, on="2025-06-30"):
        household = HouseholdFactory(commune=commune, territory=commune.territory)
        ExitFactory(
            beneficiary=BeneficiaryFactory(household=household),
            category=category,
            exit_on=datetime.date.fromisoformat(on),
            contract_type=ExitContract.NONE,
        )

    leave(saint_etienne, ExitCategory.MOVED)
    leave(saint_etienne, ExitCategory.SANCTION)
    leave(saint_etienne, ExitCategory.END_OF_RIGHT)
    leave(roanne, ExitCategory.MOVED)
    leave(roanne, ExitCategory.MOVED, on="2024-12-31")  # another year

    computation = Computation(2025, today=datetime.date(2026, 3, 1))
    figure = computation.exits_by_category()

    assert (figure.code, figure.value, figure.numerator) == ("sorties-par-motif", 4, 4)
    cells = {cell.category: cell.numerator for cell in figure.cells(Breakdown.KIND)}
    assert cells == {"fin de droit": 1, "déménagement hors du département": 2, "sanction": 1}
    territories = computation.territory_figures({"sorties-par-motif": figure})
    roannais = territories[roanne.territory_id]["sorties-par-motif"]
    assert roannais.numerator == 1
    assert [(c.category, c.numerator) for c in roannais.cells(Breakdown.KIND)] == [
        ("déménagement hors du département", 1)
    ]
    assert "sorties-par-motif" in computation.all()


@pytest.mark.django_db
def test_the_dashboard_shows_the_exits_by_category(client_as, communes):
    year = timezone.localdate().year - 1
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    frozen(pact)
    household = HouseholdFactory(commune=communes["42218"])
    ExitFactory(
        beneficiary=BeneficiaryFactory(household=household),
        category=ExitCategory.MOVED,
        closure_reason="MUT",
        exit_on=datetime.date(year, 5, 2),
        contract_type=ExitContract.NONE,
    )

    response = client_as(UserFactory(pilot=True)).get(
        reverse("evaluation:dashboard"), {"annee": year}
    )

    content = response.content.decode()
    assert "Sorties par motif" in content
    assert "déménagement hors du département" in content
    row = next(r for r in response.context["rows"] if r.indicator.code == "sorties-par-motif")
    assert row.numerator == 1


# --- The exits recorded before ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_exits_the_flux_recorded_before_get_their_code_and_category_back():
    migration = importlib.import_module("beneficiaries.migrations.0012_exit_closure_reason")
    moved = ExitFactory(
        category=ExitCategory.END_OF_RIGHT,
        contract_type=ExitContract.NONE,
        note="Clôture du droit signalée par le flux CNAF (motif MUT).",
    )
    ended = ExitFactory(
        category=ExitCategory.END_OF_RIGHT,
        contract_type=ExitContract.NONE,
        note="Clôture du droit signalée par le flux CNAF (motif ECH).",
    )
    unknown = ExitFactory(
        category=ExitCategory.END_OF_RIGHT,
        contract_type=ExitContract.NONE,
        note="Clôture du droit signalée par le flux CNAF (motif non précisé).",
    )
    by_hand = ExitFactory(category=ExitCategory.END_OF_RIGHT, note="Parti sans laisser d'adresse")

    migration.keep_the_codes(apps, None)

    for exit_ in (moved, ended, unknown, by_hand):
        exit_.refresh_from_db()
    assert (moved.category, moved.closure_reason) == (ExitCategory.MOVED, "MUT")
    assert (ended.category, ended.closure_reason) == (ExitCategory.END_OF_RIGHT, "ECH")
    assert (unknown.category, unknown.closure_reason) == (ExitCategory.END_OF_RIGHT, "")
    assert (by_hand.category, by_hand.closure_reason) == (ExitCategory.END_OF_RIGHT, "")


@pytest.mark.django_db
def test_the_file_shows_the_exit_category_and_the_cafs_code(tmp_path, communes, pilot, client_as):
    import_family_then_close(tmp_path, pilot, "MUT")
    karim = Beneficiary.objects.get(first_name="Karim")

    page = client_as(pilot).get(reverse("beneficiaries:file", args=[karim.pk])).content.decode()

    assert "déménagement hors du département" in page
    assert (
        "Dossier clos par la CAF ou la MSA, motif : mutation du dossier vers un autre organisme "
        "(MUT)."
    ) in page
