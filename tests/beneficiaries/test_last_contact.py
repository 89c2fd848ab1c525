"""The last contact of a person, defined once (`contact_events`): the latest of every dated
event that shows they are still followed or still in the right, the CNAF flux included."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from beneficiaries.cnaf import cnaf_flux_import
from beneficiaries.enums import ExitCategory, ExitContract
from beneficiaries.models import Beneficiary, FluxListing
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    InterviewFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
SEPTEMBER = FILES / "vrsb0801_2025_09.xml"  # made on 06/10/2025
OCTOBER = FILES / "vrsb0801_2025_10.xml"  # made on 05/11/2025
D = datetime.date


def last_contact(person):
    return Beneficiary.objects.with_last_contact().get(pk=person.pk).last_contact_on


def test_the_last_contact_is_the_latest_of_every_event():
    person = BeneficiaryFactory(right_known_on=D(2021, 2, 3))
    assert last_contact(person) == D(2021, 2, 3)
    steps = [
        (D(2021, 3, 1), lambda day: ReferentAssignmentFactory(beneficiary=person, start_date=day)),
        (
            D(2021, 4, 2),
            lambda day: OrientationDecisionFactory(
                beneficiary=person, decided_on=D(2021, 3, 20), notified_on=day
            ),
        ),
        (
            D(2021, 5, 3),
            lambda day: ContractFactory(
                beneficiary=person,
                start_date=D(2021, 4, 20),
                end_date=D(2021, 10, 20),
                signed_on=day,
            ),
        ),
        (
            D(2021, 6, 4),
            lambda day: ObstacleFactory(
                beneficiary=person, identified_on=D(2021, 4, 1), addressed_on=day
            ),
        ),
        (
            D(2021, 7, 5),
            lambda day: PrescriptionFactory(
                beneficiary=person, prescribed_on=D(2021, 6, 10), started_on=day
            ),
        ),
        (D(2021, 8, 6), lambda day: InterviewFactory(beneficiary=person, date=day)),
        (
            D(2021, 9, 7),
            lambda day: FluxListing.objects.create(beneficiary=person, listed_on=day),
        ),
        (D(2021, 10, 8), lambda day: ExitFactory(beneficiary=person, exit_on=day)),
    ]
    for day, record in steps:
        record(day)
        assert last_contact(person) == day
        # The selection by the last contact says the same, to the day.
        assert not Beneficiary.objects.without_contact_since(day).filter(pk=person.pk).exists()
        after = day + datetime.timedelta(days=1)
        assert Beneficiary.objects.without_contact_since(after).filter(pk=person.pk).exists()
    # An older event changes nothing.
    InterviewFactory(beneficiary=person, date=D(2021, 1, 15))
    assert last_contact(person) == D(2021, 10, 8)


def test_a_closure_for_lack_of_contact_is_no_news_of_the_person():
    person = BeneficiaryFactory(right_known_on=D(2022, 1, 3))
    InterviewFactory(beneficiary=person, date=D(2023, 5, 2))
    ExitFactory(
        beneficiary=person,
        exit_on=D(2025, 5, 1),
        category=ExitCategory.NO_CONTACT,
        contract_type=ExitContract.NONE,
        recorded_by=None,
    )
    assert last_contact(person) == D(2023, 5, 2)
    assert Beneficiary.objects.without_contact_since(D(2023, 5, 3)).filter(pk=person.pk).exists()


def test_the_last_contact_of_a_page_of_people_is_read_in_one_query(django_assert_num_queries):
    for day in (D(2023, 1, 2), D(2024, 3, 4), D(2025, 5, 6)):
        InterviewFactory(beneficiary=BeneficiaryFactory(right_known_on=D(2022, 1, 3)), date=day)
    with django_assert_num_queries(1):
        days = sorted(
            Beneficiary.objects.with_last_contact().values_list("last_contact_on", flat=True)
        )
    assert days == [D(2023, 1, 2), D(2024, 3, 4), D(2025, 5, 6)]


# --- The CNAF flux is news of the people it lists -------------------------------------------------


@pytest.fixture
def pilot():
    territory = TerritoryFactory()
    for code in ("42218", "42095", "42187", "42052", "42147"):
        CommuneFactory(insee_code=code, territory=territory)
    return UserFactory(pilot=True)


def listed_on():
    return dict(Beneficiary.objects.values_list("first_name", "flux_listing__listed_on"))


def test_the_flux_dates_every_person_it_lists_in_an_open_dossier(pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    assert set(listed_on().values()) == {D(2025, 10, 6)}
    by_hand = BeneficiaryFactory(
        household=Beneficiary.objects.get(first_name="Karim").household, first_name="Inconnue"
    )
    versions = dict(Beneficiary.objects.values_list("pk", "lock_version"))

    cnaf_flux_import(source=OCTOBER, user=pilot)

    assert listed_on() == {
        # Open in October: listed again.
        "Karim": D(2025, 11, 5),
        "Sophie": D(2025, 11, 5),
        "Léa": D(2025, 11, 5),
        "Jean-Pierre": D(2025, 11, 5),
        # Their dossiers closed: the flux no longer lists them (their exit is news of them).
        "Nadia": D(2025, 10, 6),
        "Yanis": D(2025, 10, 6),
        "Chantal": D(2025, 10, 6),
        # In a household of the flux, but not in it.
        "Inconnue": None,
    }
    # Being listed is not a change of the file: its version does not move.
    unchanged = Beneficiary.objects.exclude(first_name__in=["Sophie"]).exclude(pk=by_hand.pk)
    assert {p.pk: p.lock_version for p in unchanged} == {p.pk: versions[p.pk] for p in unchanged}
    # A flux replayed later for an earlier month does not move the date back.
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    assert listed_on()["Karim"] == D(2025, 11, 5)


def test_a_dry_run_of_the_flux_dates_no_one(pilot):
    cnaf_flux_import(source=SEPTEMBER, user=pilot)
    cnaf_flux_import(source=OCTOBER, user=pilot, dry_run=True)
    assert set(listed_on().values()) == {D(2025, 10, 6)}
    assert timezone.localdate() > D(2025, 11, 5)
