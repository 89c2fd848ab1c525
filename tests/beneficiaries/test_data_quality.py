"""The data-quality board: every count on a hand-counted data set, each count's link leading
to a list (and an export) of the same number of people, the scope, and constant queries."""

import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from beneficiaries.enums import RightsAndDuties
from beneficiaries.models import FluxListing, HeldHousehold
from beneficiaries.quality import board_rows, data_quality_counts
from pti.enums import RunKind, RunStatus
from pti.models import TaskRun
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    HouseholdFactory,
    OrientationDecisionFactory,
    ReferentAssignmentFactory,
)
from tests.beneficiaries.test_people_export import csv_rows
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_FLUX = datetime.date(2026, 11, 5)
PREVIOUS_FLUX = datetime.date(2026, 10, 5)


@pytest.fixture
def forez():
    return TerritoryFactory(name="Forez")


@pytest.fixture
def roannais():
    return TerritoryFactory(name="Roannais")


@pytest.fixture
def pilot():
    return UserFactory(pilot=True)


def household(territory, *, commune=True):
    return HouseholdFactory(
        territory=territory, commune=CommuneFactory(territory=territory) if commune else None
    )


def person(territory, *, in_household=None, orientation=True, referent=True, contract=True, **kw):
    """A person whose file is right: a commune in their household's territory, an orientation,
    a référent, a contract running; each keyword leaves one thing out."""
    someone = BeneficiaryFactory(household=in_household or household(territory), **kw)
    if orientation:
        OrientationDecisionFactory(beneficiary=someone)
    if referent:
        ReferentAssignmentFactory(beneficiary=someone)
    if contract:
        ContractFactory(
            beneficiary=someone,
            start_date=TODAY - datetime.timedelta(days=30),
            signed_on=TODAY - datetime.timedelta(days=30),
            end_date=TODAY + datetime.timedelta(days=150),
        )
    return someone


def listed(someone, on):
    FluxListing.objects.create(beneficiary=someone, listed_on=on)


@pytest.fixture
def departement(forez, roannais, pilot):
    build_departement(forez, roannais, pilot)


def build_departement(forez, roannais, pilot):
    """Hand-counted: 2 late orientations, 1 without référent, 1 expired contract, 3 people in
    2 households without a sure territory, 2 duplicates, 2 people of 1 household absent from
    the last flux; people exited or not concerned beside each."""
    person(forez)
    person(roannais)
    # Orientation late: the right known in 2024 (the factory's), no orientation.
    person(forez, orientation=False, last_name="Tardif")
    person(roannais, orientation=False, last_name="Retard")
    # Not late: the right known today.
    person(forez, orientation=False, right_known_on=TODAY, right_opened_on=TODAY)
    # Without référent: one subject to rights and duties; not one who is not, nor one exited.
    person(forez, referent=False, last_name="Seul")
    person(forez, referent=False, rights_and_duties=RightsAndDuties.NOT_SUBJECT)
    ExitFactory(beneficiary=person(forez, referent=False))
    # Expired contract: one still here; one exited.
    for exited in (False, True):
        someone = person(forez, contract=False, last_name="Echu")
        ContractFactory(
            beneficiary=someone,
            start_date=TODAY - datetime.timedelta(days=200),
            end_date=TODAY - datetime.timedelta(days=1),
        )
        if exited:
            ExitFactory(beneficiary=someone)
    # Households without a sure territory: no commune (two members); a commune of elsewhere.
    homeless = household(forez, commune=False)
    person(forez, in_household=homeless)
    person(forez, in_household=homeless)
    elsewhere = HouseholdFactory(territory=forez, commune=CommuneFactory(territory=roannais))
    person(forez, in_household=elsewhere)
    # Duplicates: same name and birth date in two households; not a third born another day,
    # nor a fourth who has left.
    born = datetime.date(1990, 4, 2)
    person(forez, last_name="Double", first_name="Léa", birth_date=born)
    person(roannais, last_name="DOUBLE", first_name="Lea", birth_date=born)
    person(forez, last_name="Double", first_name="Léa", birth_date=datetime.date(1991, 4, 2))
    ExitFactory(beneficiary=person(forez, last_name="Double", first_name="Lea", birth_date=born))
    # The flux: a household listed last month and not this one (two members, one listed);
    # households listed this month; a household closed last month (its person exited).
    gone = household(forez)
    listed(person(forez, in_household=gone), PREVIOUS_FLUX)
    person(forez, in_household=gone)
    listed(person(forez), LAST_FLUX)
    moved = household(roannais)
    listed(person(roannais, in_household=moved), PREVIOUS_FLUX)
    listed(person(roannais, in_household=moved), LAST_FLUX)
    closed = person(forez)
    listed(closed, PREVIOUS_FLUX)
    ExitFactory(beneficiary=closed)
    # Held items: two households of the flux waiting, one dealt with; the last people import
    # held 3 rows (an older one 5), the last contacts import none.
    for resolved in (None, None, timezone.now()):
        HeldHousehold.objects.create(
            position=1, payer="CAF", reasons="commune", resolved_at=resolved
        )
    for held, kind in (
        (5, RunKind.PEOPLE_IMPORT),
        (3, RunKind.PEOPLE_IMPORT),
        (0, RunKind.CAF_CONTACTS_IMPORT),
    ):
        TaskRun.objects.create(
            kind=kind, status=RunStatus.DONE, created_by=pilot, summary={"held_count": held}
        )


EXPECTED = {
    "orientation": 2,
    "no_referent": 1,
    "expired": 1,
    "no_territory": 3,
    "no_territory_households": 2,
    "duplicate": 2,
    "absent_from_flux": 2,
    "absent_from_flux_households": 1,
    "held_households": 2,
    "held_rows": 3,
}


def test_every_count_of_the_board_on_a_hand_counted_departement(departement, pilot):
    counts = data_quality_counts(pilot, TODAY)
    assert {code: counts[code] for code in EXPECTED} == EXPECTED
    assert (counts["last_flux_on"], counts["previous_flux_on"]) == (LAST_FLUX, PREVIOUS_FLUX)
    assert [(run.kind, held) for run, held in counts["held_runs"]] == [(RunKind.PEOPLE_IMPORT, 3)]


def test_each_count_leads_to_a_list_and_an_export_of_as_many_people(departement, pilot, client_as):
    client = client_as(pilot)
    counts = data_quality_counts(pilot, TODAY)
    people_rows = [row for row in board_rows(counts) if row[2] == "personne"]
    assert len(people_rows) == 6
    for label, number, _unit, url, _detail in people_rows:
        path, query = url.split("?")
        assert path == reverse("beneficiaries:list")
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == number, label
        export = client.get(
            reverse("beneficiaries:list_export", args=["csv"]), dict(parse_qsl(query))
        )
        assert len(csv_rows(export)) - 1 == number, label
    held = [row for row in board_rows(counts) if row[2] == "foyer"]
    assert [(number, urlsplit(url).path) for _, number, _, url, _ in held] == [
        (2, reverse("beneficiaries:held_households"))
    ]


def test_the_board_shows_each_count_with_its_link(departement, pilot, client_as):
    response = client_as(pilot).get(reverse("beneficiaries:data_quality"))
    assert response.status_code == 200
    text = response.text
    assert "Doublon probable" in text
    assert "2 personnes" in text
    assert "?anomaly=duplicate&amp;sort=nom" in text
    assert "?due=orientation" in text
    assert "flux du 05/11/2026 comparé à celui du 05/10/2026" in text
    assert "3 lignes retenues" in text
    assert (
        reverse("pti:run_detail", args=[TaskRun.objects.filter(summary__held_count=3).get().pk])
        in text
    )


def test_a_manager_counts_only_the_people_of_the_structure_and_no_held_item(departement):
    someone = person(TerritoryFactory(), orientation=False)
    structure = someone.assignments.get().structure
    manager = UserFactory(manager=True, organisation=structure)
    counts = data_quality_counts(manager, TODAY)
    assert counts["active"] == 1
    assert counts["orientation"] == 1
    assert counts["duplicate"] == 0
    assert (counts["held_households"], counts["held_rows"]) == (None, None)


def test_no_flux_comparison_before_two_fluxes(pilot, forez, client_as):
    listed(person(forez), LAST_FLUX)
    counts = data_quality_counts(pilot, TODAY)
    assert (counts["absent_from_flux"], counts["previous_flux_on"]) == (0, None)
    response = client_as(pilot).get(reverse("beneficiaries:data_quality"))
    assert "il faut deux flux mensuels importés pour les comparer" in response.text


def test_the_board_makes_as_many_queries_for_one_person_as_for_the_departement(
    pilot, forez, roannais, client_as, assert_constant_queries
):
    # Two people, one in each of two fluxes (before two, no household is looked for).
    listed(person(forez), PREVIOUS_FLUX)
    FluxListing.objects.update(listed_on=LAST_FLUX)
    listed(person(forez), PREVIOUS_FLUX)
    client = client_as(pilot)

    def page():
        assert client.get(reverse("beneficiaries:data_quality")).status_code == 200

    assert_constant_queries(page, page, between=lambda: build_departement(forez, roannais, pilot))
