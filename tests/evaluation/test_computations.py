"""The computed indicators (evaluation/computations.py) on small hand-built data sets.

Every expected figure is worked out by hand next to its assertion, from the definitions of
evaluation/catalogue.py and DOMAIN.md. The year is 2025 and "today" is fixed in 2026, so the
end of the year (31 December 2025) is the date the indicators are read at.
"""

import datetime
from decimal import Decimal

import pytest

from actions.enums import PrescriptionStatus
from actions.models import Action
from beneficiaries.enums import (
    ContractKind,
    ExitContract,
    FamilySituation,
    FollowUpSituation,
    HoursReduction,
    ObstacleStatus,
    Parcours,
    PlannedActionKind,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import Attendance, OrientationDecision, PlannedAction
from evaluation.catalogue import INDICATORS
from evaluation.computations import Cell, Computation, action_results
from evaluation.enums import Breakdown, Source
from pti.enums import OrganisationKind
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    ExitFactory,
    ExitFollowUpFactory,
    HouseholdFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
TODAY = datetime.date(2026, 11, 26)
AS_OF = datetime.date(2025, 12, 31)


def d(text):
    return datetime.date.fromisoformat(text)


def compute(territory=None):
    return Computation(YEAR, territory=territory, today=TODAY)


# --- building the data ---------------------------------------------------------------------


@pytest.fixture
def forez():
    return TerritoryFactory(code="forez", name="Forez")


@pytest.fixture
def roannais():
    return TerritoryFactory(code="roannais", name="Roannais")


def person(
    territory,
    *,
    sex=Sex.FEMALE,
    born="1985-06-15",
    family=FamilySituation.SINGLE,
    sdd=True,
    opened="2024-02-01",
    requested=None,
):
    """A beneficiary alone in a household of `territory` (40 years old at the end of 2025)."""
    household = HouseholdFactory(territory=territory, family_situation=family)
    return BeneficiaryFactory(
        household=household,
        sex=sex,
        birth_date=d(born),
        rights_and_duties=RightsAndDuties.SUBJECT if sdd else RightsAndDuties.NOT_SUBJECT,
        rsa_requested_on=d(requested or opened),
        right_opened_on=d(opened),
        right_known_on=d(opened),
    )


def orient(beneficiary, organisme, decided, parcours=Parcours.SOCIAL, *, reorientation=False):
    """A decision; the earlier ones of the person stop being current (created in date order)."""
    OrientationDecision.objects.filter(beneficiary=beneficiary).update(is_current=False)
    return OrientationDecisionFactory(
        beneficiary=beneficiary,
        organisme=organisme,
        parcours=parcours,
        decided_on=d(decided),
        notified_on=d(decided),
        is_reorientation=reorientation,
        reason="Diagnostic global" if reorientation else "",
    )


def contract(beneficiary, start, end, *, signed="start", kind=ContractKind.CE, hours=15, **extra):
    """A contract (signed on its first day unless told); the earlier ones stop being current."""
    beneficiary.contracts.update(is_current=False)
    if hours < 15 and kind == ContractKind.CE:
        extra.setdefault("hours_reduction", HoursReduction.HEALTH)
    if extra.get("revises") is not None:
        extra.setdefault("revision_reason", "Révision du plan d'action")
    return ContractFactory(
        beneficiary=beneficiary,
        kind=kind,
        start_date=d(start),
        end_date=d(end),
        signed_on=d(start) if signed == "start" else (signed and d(signed)),
        weekly_hours=Decimal(hours),
        **extra,
    )


def plan(contract_, *kinds):
    for kind in kinds:
        PlannedAction.objects.create(contract=contract_, kind=kind, description=f"Action {kind}")


def leave(beneficiary, on, contract_type=ExitContract.NONE, days=None):
    return ExitFactory(
        beneficiary=beneficiary, exit_on=d(on), contract_type=contract_type, contract_days=days
    )


def cell(figure, breakdown, category):
    """(value, numerator, denominator) of one category of a breakdown."""
    cells = {c.category: c for c in figure.cells(breakdown)}
    found = cells[category]
    return found.value, found.numerator, found.denominator


def _cell(category, value, numerator, denominator):
    return Cell(category, Decimal(value), numerator, denominator)


def totals(figure):
    return figure.value, figure.numerator, figure.denominator


# --- the period ------------------------------------------------------------------------------


def test_a_past_year_is_read_at_its_31_december_and_the_current_year_today():
    assert compute().as_of == AS_OF
    assert compute().start == d("2025-01-01")
    # 2026 is not over on 26 November 2026: the figures are read today.
    assert Computation(2026, today=TODAY).as_of == TODAY


def test_all_answers_every_computed_indicator_of_the_catalogue(forez):
    computed = {
        code
        for code, _label, _unit, _direction, source, _oarsa, _definition in INDICATORS
        if source == Source.COMPUTED and not code.startswith("action-")
    }
    assert set(compute().all()) == computed


# --- 1. SDD among the beneficiaries ----------------------------------------------------------


@pytest.fixture
def population(forez, roannais):
    """Four people whose right is open at the end of 2025, and two who are not counted."""
    people = {
        # 40 years old, a year and more in the RSA.
        "anne": person(forez, family=FamilySituation.SINGLE),
        # 24 at the end of 2025 (born 1 January 2001), right opened under 6 months before.
        "bruno": person(
            forez,
            sex=Sex.MALE,
            born="2001-01-01",
            family=FamilySituation.SINGLE_PARENT,
            opened="2025-09-01",
        ),
        # Not SDD; exactly 25 on 31 December 2025; right opened 6 months before to the day.
        "chloe": person(roannais, born="2000-12-31", sdd=False, opened="2025-06-30"),
        # Leaves the RSA after the end of the year: still counted at 31 December.
        "denise": person(roannais, family=FamilySituation.COUPLE),
        # Left before the end of the year: not counted.
        "emile": person(forez, sex=Sex.MALE),
        # Right opened after the end of the year (but before today): not counted.
        "fanny": person(forez, opened="2026-01-15", requested="2026-01-05"),
    }
    leave(people["denise"], "2026-03-01")
    leave(people["emile"], "2025-06-30")
    return people


def test_oarsa_1_share_of_sdd_among_people_whose_right_is_open(population, forez, roannais):
    figure = compute().oarsa_1_subject()
    # Counted: anne, bruno, chloe, denise (emile left, fanny's right opened in 2026);
    # SDD: anne, bruno, denise.
    assert totals(figure) == (Decimal("75.0"), 3, 4)  # 3 SDD of 4 = 75 %

    assert cell(figure, Breakdown.SEX, "femme") == (Decimal("66.7"), 2, 3)  # anne, denise / +chloe
    assert cell(figure, Breakdown.SEX, "homme") == (Decimal("100.0"), 1, 1)  # bruno
    assert cell(figure, Breakdown.AGE, "moins de 25 ans") == (Decimal("100.0"), 1, 1)  # bruno, 24
    assert cell(figure, Breakdown.AGE, "25 à 34 ans") == (Decimal("0.0"), 0, 1)  # chloe, 25
    assert cell(figure, Breakdown.AGE, "35 à 44 ans") == (Decimal("100.0"), 2, 2)  # anne, denise
    assert cell(figure, Breakdown.SENIORITY, "moins de 6 mois") == (Decimal("100.0"), 1, 1)
    assert cell(figure, Breakdown.SENIORITY, "de 6 à 12 mois") == (Decimal("0.0"), 0, 1)  # chloe
    assert cell(figure, Breakdown.SENIORITY, "un an et plus") == (Decimal("100.0"), 2, 2)
    assert cell(figure, Breakdown.FAMILY, "personne seule") == (Decimal("50.0"), 1, 2)  # anne/chloe
    assert cell(figure, Breakdown.FAMILY, "parent isolé") == (Decimal("100.0"), 1, 1)  # bruno
    assert cell(figure, Breakdown.FAMILY, "couple sans enfant") == (Decimal("100.0"), 1, 1)
    assert cell(figure, Breakdown.TERRITORY, "Forez") == (Decimal("100.0"), 2, 2)  # anne, bruno
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal("50.0"), 1, 2)  # denise/chloe

    # Each breakdown adds up to the whole.
    for breakdown in [Breakdown.SEX, Breakdown.AGE, Breakdown.FAMILY, Breakdown.SENIORITY]:
        assert sum(c.denominator for c in figure.cells(breakdown)) == 4

    assert totals(compute(forez).oarsa_1_subject()) == (Decimal("100.0"), 2, 2)  # anne, bruno
    assert totals(compute(roannais).oarsa_1_subject()) == (Decimal("50.0"), 1, 2)  # denise, chloe


# --- 2. SDD oriented -------------------------------------------------------------------------


def test_oarsa_2_share_of_sdd_oriented_by_the_end_of_the_year(forez, roannais):
    organisme = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    # A year and more in the RSA, oriented in March.
    anne = person(forez)
    orient(anne, organisme, "2025-03-01")
    # Under 6 months, oriented in October.
    bea = person(forez, opened="2025-08-01")
    orient(bea, organisme, "2025-10-01")
    # Under 6 months, oriented only in February 2026: not oriented at 31 December.
    carl = person(roannais, sex=Sex.MALE, opened="2025-09-01")
    orient(carl, organisme, "2026-02-01")
    # 6 to 12 months, never oriented.
    person(roannais, opened="2025-03-01")
    # Not SDD though oriented: outside the population.
    orient(person(forez, sdd=False), organisme, "2025-03-01")
    # SDD oriented, but left in May: outside the population.
    emma = person(forez)
    orient(emma, organisme, "2025-03-01")
    leave(emma, "2025-05-01")

    figure = compute().oarsa_2_oriented()
    assert totals(figure) == (Decimal("50.0"), 2, 4)  # anne, bea oriented among 4 SDD
    assert cell(figure, Breakdown.SENIORITY, "moins de 6 mois") == (Decimal("50.0"), 1, 2)  # bea
    assert cell(figure, Breakdown.SENIORITY, "de 6 à 12 mois") == (Decimal("0.0"), 0, 1)
    assert cell(figure, Breakdown.SENIORITY, "un an et plus") == (Decimal("100.0"), 1, 1)  # anne
    assert cell(figure, Breakdown.SEX, "homme") == (Decimal("0.0"), 0, 1)  # carl

    assert totals(compute(forez).oarsa_2_oriented()) == (Decimal("100.0"), 2, 2)  # anne, bea
    assert totals(compute(roannais).oarsa_2_oriented()) == (Decimal("0.0"), 0, 2)


# --- 3. Delay from the request to the first orientation ---------------------------------------


def test_oarsa_3_mean_delay_from_request_to_first_orientation_for_the_years_entrants(
    forez, roannais
):
    organisme = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    # 1 March -> 10 April = 31 + 9 = 40 days; the reorientation of September is not the first.
    anne = person(forez, requested="2025-03-01", opened="2025-03-20")
    orient(anne, organisme, "2025-04-10")
    orient(anne, organisme, "2025-09-01", reorientation=True)
    # 1 June -> 22 July = 30 + 21 = 51 days.
    bea = person(forez, requested="2025-06-01", opened="2025-06-15")
    orient(bea, organisme, "2025-07-22")
    # 1 April -> 1 May = 30 days.
    carl = person(roannais, sex=Sex.MALE, requested="2025-04-01", opened="2025-04-10")
    orient(carl, organisme, "2025-05-01")
    # Entered the RSA in 2024: not an entrant of the year.
    orient(person(forez), organisme, "2025-02-01")
    # Entrant, first oriented after the end of the year: not counted.
    dora = person(forez, requested="2025-11-01", opened="2025-11-15")
    orient(dora, organisme, "2026-01-10")
    # Entrant not SDD: not counted.
    emil = person(forez, sdd=False, requested="2025-02-01", opened="2025-02-10")
    orient(emil, organisme, "2025-12-01")

    figure = compute().oarsa_3_orientation_delay()
    assert figure.value == Decimal("40.3")  # (40 + 51 + 30) / 3 = 121 / 3 = 40.33
    assert figure.denominator == 3
    assert cell(figure, Breakdown.SEX, "femme") == (Decimal("45.5"), None, 2)  # (40 + 51) / 2
    assert cell(figure, Breakdown.SEX, "homme") == (Decimal("30.0"), None, 1)
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal("30.0"), None, 1)

    forez_figure = compute(forez).oarsa_3_orientation_delay()
    assert (forez_figure.value, forez_figure.denominator) == (Decimal("45.5"), 2)  # anne, bea


# --- 4 and 5. Oriented people by organisme and by parcours -----------------------------------


@pytest.fixture
def oriented(forez, roannais):
    """Five SDD people oriented at 31 December 2025 (and two who are not counted)."""
    france_travail = OrganisationFactory(kind=OrganisationKind.FRANCE_TRAVAIL)
    departement = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    mission_locale = OrganisationFactory(kind=OrganisationKind.MISSION_LOCALE)
    ccas = OrganisationFactory(kind=OrganisationKind.CCAS)
    association = OrganisationFactory(kind=OrganisationKind.ASSOCIATION)

    anne = person(forez)
    orient(anne, france_travail, "2025-02-01", Parcours.EMPLOYMENT)
    # Oriented to the département in 2024, reoriented to a mission locale in 2025: the latter.
    bea = person(forez, born="2001-03-01")
    orient(bea, departement, "2024-03-01", Parcours.SOCIAL)
    orient(bea, mission_locale, "2025-06-01", Parcours.SOCIO_PROFESSIONAL, reorientation=True)
    # Reoriented to France Travail after the end of the year: still the département's.
    carl = person(roannais, sex=Sex.MALE)
    orient(carl, departement, "2025-03-01", Parcours.SOCIAL)
    orient(carl, france_travail, "2026-02-01", Parcours.EMPLOYMENT, reorientation=True)
    dora = person(roannais)
    orient(dora, ccas, "2025-04-01", Parcours.SOCIAL)
    emma = person(forez)
    orient(emma, departement, "2025-05-01", Parcours.EMPLOYMENT)
    # Not SDD: not counted.
    orient(person(forez, sdd=False), france_travail, "2025-02-01", Parcours.EMPLOYMENT)
    # Oriented only in 2026: not counted.
    orient(person(forez), association, "2026-01-05", Parcours.SOCIAL)


def test_oarsa_4_oriented_people_by_organisme(oriented, forez, roannais):
    figure = compute().oarsa_4_organisme()
    assert figure.value == Decimal(5)  # anne, bea, carl, dora, emma
    assert figure.numerator == 5
    assert figure.cells(Breakdown.ORGANISME) == [
        # (label, share, people, of)
        _cell("France Travail", "20.0", 1, 5),  # anne: 1 / 5
        _cell("services du Département", "40.0", 2, 5),  # carl (2026 ignored), emma: 2 / 5
        _cell("autres organismes publics de l'emploi", "20.0", 1, 5),  # bea (mission locale)
        _cell("autres organismes (CCAS, associations…)", "20.0", 1, 5),  # dora (CCAS)
    ]
    assert cell(figure, Breakdown.SEX, "femme") == (Decimal(4), 4, None)
    assert cell(figure, Breakdown.SEX, "homme") == (Decimal(1), 1, None)  # carl
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal(2), 2, None)  # carl, dora

    roannais_figure = compute(roannais).oarsa_4_organisme()
    assert roannais_figure.value == Decimal(2)  # carl, dora
    assert roannais_figure.cells(Breakdown.ORGANISME) == [
        _cell("France Travail", "0.0", 0, 2),
        _cell("services du Département", "50.0", 1, 2),  # carl
        _cell("autres organismes publics de l'emploi", "0.0", 0, 2),
        _cell("autres organismes (CCAS, associations…)", "50.0", 1, 2),  # dora
    ]


def test_oarsa_5_oriented_people_by_parcours(oriented, forez):
    figure = compute().oarsa_5_parcours()
    assert figure.value == Decimal(5)
    assert figure.cells(Breakdown.PARCOURS) == [
        _cell("emploi", "40.0", 2, 5),  # anne, emma: 2 / 5
        _cell("socio-professionnel", "20.0", 1, 5),  # bea, after her reorientation of 2025
        _cell("social", "40.0", 2, 5),  # carl (his 2026 reorientation ignored), dora
    ]
    assert cell(figure, Breakdown.AGE, "moins de 25 ans") == (Decimal(1), 1, None)  # bea, 24
    assert cell(figure, Breakdown.AGE, "35 à 44 ans") == (Decimal(4), 4, None)

    forez_figure = compute(forez).oarsa_5_parcours()
    assert forez_figure.value == Decimal(3)  # anne, bea, emma
    assert forez_figure.cells(Breakdown.PARCOURS) == [
        _cell("emploi", "66.7", 2, 3),  # anne, emma: 2 / 3
        _cell("socio-professionnel", "33.3", 1, 3),  # bea
        _cell("social", "0.0", 0, 3),
    ]


# --- 6. Contract rate ------------------------------------------------------------------------


def test_oarsa_6_contract_rate_outside_france_travail(forez, roannais):
    france_travail = OrganisationFactory(kind=OrganisationKind.FRANCE_TRAVAIL)
    departement = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    ccas = OrganisationFactory(kind=OrganisationKind.CCAS)
    association = OrganisationFactory(kind=OrganisationKind.ASSOCIATION)

    # Counted, with a signed contract in force at 31 December.
    anne = person(forez)
    orient(anne, departement, "2025-02-01")
    contract(anne, "2025-03-01", "2026-02-28")
    # Counted, contract ended in November.
    bea = person(forez)
    orient(bea, ccas, "2025-02-01")
    contract(bea, "2025-06-01", "2025-11-30")
    # Counted, contract in force but never signed.
    cora = person(forez)
    orient(cora, association, "2025-02-01")
    contract(cora, "2025-10-01", "2026-03-31", signed=None)
    # Counted, contract signed in December that starts in January.
    iris = person(forez)
    orient(iris, departement, "2025-11-01")
    contract(iris, "2026-01-05", "2026-07-04", signed="2025-12-20")
    # Oriented to France Travail: not counted, contract or not.
    dan = person(roannais)
    orient(dan, france_travail, "2025-02-01")
    contract(dan, "2025-03-01", "2026-02-28")
    # Reoriented to France Travail in June: not counted.
    eve = person(roannais)
    orient(eve, departement, "2024-04-01")
    orient(eve, france_travail, "2025-06-01", reorientation=True)
    # Reoriented from France Travail to the département in June: counted, no contract.
    fred = person(roannais, sex=Sex.MALE)
    orient(fred, france_travail, "2024-04-01")
    orient(fred, departement, "2025-06-01", reorientation=True)
    # Reoriented to France Travail after the end of the year: counted, with a contract.
    gina = person(roannais)
    orient(gina, departement, "2025-03-01")
    contract(gina, "2025-04-01", "2026-03-31")
    orient(gina, france_travail, "2026-02-01", reorientation=True)
    # Not SDD: not counted.
    hugo = person(forez, sdd=False)
    orient(hugo, departement, "2025-02-01")
    contract(hugo, "2025-03-01", "2026-02-28")

    figure = compute().oarsa_6_contract_rate()
    # Counted: anne, bea, cora, iris (Forez), fred, gina (Roannais); with a contract: anne, gina.
    assert totals(figure) == (Decimal("33.3"), 2, 6)  # 2 / 6
    assert cell(figure, Breakdown.TERRITORY, "Forez") == (Decimal("25.0"), 1, 4)  # anne / 4
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal("50.0"), 1, 2)  # gina / 2
    assert cell(figure, Breakdown.SEX, "homme") == (Decimal("0.0"), 0, 1)  # fred

    assert totals(compute(roannais).oarsa_6_contract_rate()) == (Decimal("50.0"), 1, 2)
    assert totals(compute(forez).oarsa_6_contract_rate()) == (Decimal("25.0"), 1, 4)


# --- 7. Delay from the first orientation to the first contract --------------------------------


def test_oarsa_7_mean_delay_from_first_orientation_to_first_contract_signed_in_the_year(
    forez, roannais
):
    organisme = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    # 10 January -> 9 February = 30 days (the reorientation and the second contract ignored).
    anne = person(forez)
    orient(anne, organisme, "2025-01-10")
    contract(anne, "2025-02-09", "2025-08-08")
    orient(anne, organisme, "2025-03-01", reorientation=True)
    contract(anne, "2025-08-09", "2026-02-08")
    # 1 December 2024 -> 15 January 2025 = 31 + 14 = 45 days.
    bea = person(roannais, family=FamilySituation.COUPLE)
    orient(bea, organisme, "2024-12-01")
    contract(bea, "2025-01-15", "2025-07-14")
    # An unsigned draft of 2024 is not a contract: 1 March -> 1 April = 31 days.
    cora = person(forez)
    contract(cora, "2024-11-01", "2025-04-30", signed=None)
    orient(cora, organisme, "2025-03-01")
    contract(cora, "2025-04-01", "2025-09-30")
    # First contract signed in 2024: not counted.
    dan = person(forez, sex=Sex.MALE)
    orient(dan, organisme, "2024-03-01")
    contract(dan, "2024-06-01", "2024-11-30")
    contract(dan, "2025-02-01", "2025-07-31")
    # First contract signed in 2026: not counted.
    eve = person(forez)
    orient(eve, organisme, "2025-11-01")
    contract(eve, "2026-01-10", "2026-07-09")
    # Not SDD: not counted.
    fay = person(forez, sdd=False)
    orient(fay, organisme, "2025-01-01")
    contract(fay, "2025-12-01", "2026-05-31")

    figure = compute().oarsa_7_contract_delay()
    assert figure.value == Decimal("35.3")  # (30 + 45 + 31) / 3 = 106 / 3 = 35.33
    assert figure.denominator == 3
    assert cell(figure, Breakdown.FAMILY, "personne seule") == (Decimal("30.5"), None, 2)  # 61/2
    assert cell(figure, Breakdown.FAMILY, "couple sans enfant") == (Decimal("45.0"), None, 1)

    forez_figure = compute(forez).oarsa_7_contract_delay()
    assert (forez_figure.value, forez_figure.denominator) == (Decimal("30.5"), 2)  # anne, cora


# --- 8. Contract content and length ----------------------------------------------------------


def test_oarsa_8_contract_content_and_length_of_the_contracts_in_force(forez, roannais):
    # 2025-03-01 -> 2026-02-28: 364 days; job search and access to care.
    anne = person(forez)
    plan(
        contract(anne, "2025-03-01", "2026-02-28"),
        PlannedActionKind.JOB_SEARCH,
        PlannedActionKind.CARE,
    )
    # 2025-10-01 -> 2026-04-01: 31 + 30 + 31 + 31 + 28 + 31 = 182 days, under 183.
    bruno = person(forez, sex=Sex.MALE)
    plan(contract(bruno, "2025-10-01", "2026-04-01"), PlannedActionKind.JOB_SEARCH)
    # Revised in July: only the revision (364 days, job search) is in force, not counted twice.
    cora = person(roannais)
    first = contract(cora, "2025-01-01", "2025-12-31")
    plan(first, PlannedActionKind.CARE)
    revision = contract(cora, "2025-07-01", "2026-06-30", revises=first)
    plan(revision, PlannedActionKind.JOB_SEARCH)
    # Revised from February 2026: the first version (364 days, care) is the one in force.
    dora = person(roannais)
    second = contract(dora, "2025-06-01", "2026-05-31")
    plan(second, PlannedActionKind.CARE)
    contract(dora, "2026-02-01", "2026-12-31", signed="2026-01-20", revises=second)
    # 2025-07-01 -> 2025-12-31: 31 + 31 + 30 + 31 + 30 + 30 = 183 days, 6 months.
    emma = person(forez)
    plan(contract(emma, "2025-07-01", "2025-12-31"), PlannedActionKind.TRAINING)
    # Not counted: not SDD, ended before 31 December, never signed.
    plan(
        contract(person(forez, sdd=False), "2025-03-01", "2026-02-28"),
        PlannedActionKind.JOB_SEARCH,
    )
    plan(contract(person(forez), "2025-01-01", "2025-11-30"), PlannedActionKind.JOB_SEARCH)
    plan(contract(person(forez), "2025-06-01", "2026-05-31", signed=None), PlannedActionKind.CARE)

    job_search, care, long = compute().oarsa_8_contract_content()
    # In force: anne, bruno, cora's revision, dora's first version, emma = 5 contracts.
    assert totals(job_search) == (Decimal("60.0"), 3, 5)  # anne, bruno, cora's revision
    assert totals(care) == (Decimal("40.0"), 2, 5)  # anne, dora (not cora's first version)
    assert totals(long) == (Decimal("80.0"), 4, 5)  # all but bruno's 182 days
    assert cell(job_search, Breakdown.SEX, "homme") == (Decimal("100.0"), 1, 1)  # bruno
    assert cell(long, Breakdown.SEX, "femme") == (Decimal("100.0"), 4, 4)
    assert cell(care, Breakdown.TERRITORY, "Roannais") == (Decimal("50.0"), 1, 2)  # dora / 2

    job_search, care, long = compute(roannais).oarsa_8_contract_content()
    assert totals(job_search) == (Decimal("50.0"), 1, 2)  # cora's revision / 2
    assert totals(care) == (Decimal("50.0"), 1, 2)  # dora / 2
    assert totals(long) == (Decimal("100.0"), 2, 2)


# --- 9. Reorientations -----------------------------------------------------------------------


def test_oarsa_9_reorientations_decided_in_the_year(forez, roannais):
    organisme = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    anne = person(forez)
    orient(anne, organisme, "2025-02-01")  # a first orientation, not a reorientation
    orient(anne, organisme, "2025-04-01", reorientation=True)  # counted
    orient(anne, organisme, "2025-11-01", reorientation=True)  # counted
    bruno = person(roannais, sex=Sex.MALE)
    orient(bruno, organisme, "2024-02-01")
    orient(bruno, organisme, "2024-10-01", reorientation=True)  # 2024: not counted
    orient(bruno, organisme, "2026-01-15", reorientation=True)  # 2026: not counted
    # Decided in the year; the person left afterwards: the decision still counts.
    cora = person(roannais)
    orient(cora, organisme, "2024-05-01")
    orient(cora, organisme, "2025-06-01", reorientation=True)
    leave(cora, "2025-12-01")

    figure = compute().oarsa_9_reorientations()
    assert figure.value == Decimal(3)  # anne's two of 2025 + cora's
    assert cell(figure, Breakdown.TERRITORY, "Forez") == (Decimal(2), 2, None)
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal(1), 1, None)
    assert cell(figure, Breakdown.SEX, "femme") == (Decimal(3), 3, None)
    assert compute(roannais).oarsa_9_reorientations().value == Decimal(1)  # cora


# --- The pact's indicators: exits ------------------------------------------------------------


@pytest.fixture
def exits(forez, roannais):
    """Eight exits in 2025 (and two outside the year)."""
    leave(person(forez), "2025-02-01", ExitContract.CDI)  # durable both ways
    # 183 days: "6 months or more" yes, IAE "more than 6 months" no.
    leave(person(forez, sex=Sex.MALE), "2025-03-01", ExitContract.CDD, 183)
    leave(person(roannais), "2025-04-01", ExitContract.CDD, 184)  # durable both ways
    leave(person(forez, sex=Sex.MALE), "2025-05-01", ExitContract.TEMP, 90)  # transition
    leave(person(forez), "2025-06-01", ExitContract.SUBSIDISED, 365)  # transition
    leave(person(forez), "2025-07-01", ExitContract.QUALIFYING_TRAINING)  # positive
    leave(person(forez), "2025-08-01", ExitContract.SIAE_HIRING)  # positive
    leave(person(roannais), "2025-12-31", ExitContract.NONE)  # other
    # Outside the year: not counted.
    leave(person(forez), "2024-12-31", ExitContract.CDI)
    leave(person(forez), "2026-01-10", ExitContract.CDI)


def test_durable_employment_both_ways(exits, forez, roannais):
    durable, durable_iae = compute().durable_employment()
    assert durable.code == "emploi-durable"
    assert durable_iae.code == "emploi-durable-iae"
    # CDI, CDD 183, CDD 184 of 8 exits; IAE: CDI, CDD 184 (183 days is not more than 6 months).
    assert totals(durable) == (Decimal("37.5"), 3, 8)  # 3 / 8
    assert totals(durable_iae) == (Decimal("25.0"), 2, 8)  # 2 / 8
    # The men: the CDD of 183 days and the temp work.
    assert cell(durable, Breakdown.SEX, "homme") == (Decimal("50.0"), 1, 2)
    assert cell(durable_iae, Breakdown.SEX, "homme") == (Decimal("0.0"), 0, 2)
    assert cell(durable, Breakdown.SEX, "femme") == (Decimal("33.3"), 2, 6)  # CDI, CDD 184 / 6

    durable, durable_iae = compute(roannais).durable_employment()
    assert totals(durable) == (Decimal("50.0"), 1, 2)  # CDD 184 / (CDD 184, none)
    assert totals(durable_iae) == (Decimal("50.0"), 1, 2)


def test_durable_employment_days_come_from_the_setting(exits, settings):
    settings.PTI_DURABLE_EMPLOYMENT_DAYS = 184
    durable, durable_iae = compute().durable_employment()
    assert totals(durable) == (Decimal("25.0"), 2, 8)  # CDI, CDD 184 / 8
    assert totals(durable_iae) == (Decimal("12.5"), 1, 8)  # CDI / 8


def test_dynamic_exits_are_durable_transition_and_positive(exits, forez, roannais):
    figure = compute().dynamic_exits()
    # 3 durable + 2 transition (temp 90 days, subsidised) + 2 positive of 8; "none" is not.
    assert totals(figure) == (Decimal("87.5"), 7, 8)  # 7 / 8
    assert figure.cells(Breakdown.KIND) == [
        _cell("emploi durable", "37.5", 3, 8),
        _cell("emploi de transition", "25.0", 2, 8),
        _cell("sortie positive", "25.0", 2, 8),
    ]
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal("50.0"), 1, 2)

    roannais_figure = compute(roannais).dynamic_exits()
    assert totals(roannais_figure) == (Decimal("50.0"), 1, 2)  # CDD 184 / (CDD 184, none)
    assert roannais_figure.cells(Breakdown.KIND) == [
        _cell("emploi durable", "50.0", 1, 2),
        _cell("emploi de transition", "0.0", 0, 2),
        _cell("sortie positive", "0.0", 0, 2),
    ]


# --- Obstacles lifted ------------------------------------------------------------------------


def test_obstacles_lifted_among_those_open_during_the_year(forez, roannais):
    anne, bea = person(forez), person(roannais)
    lifted, addressed = ObstacleStatus.LIFTED, ObstacleStatus.ADDRESSED

    def obstacle(beneficiary, identified, status=ObstacleStatus.IDENTIFIED, **dates):
        ObstacleFactory(
            beneficiary=beneficiary,
            identified_on=d(identified),
            status=status,
            **{name: d(value) for name, value in dates.items()},
        )

    # Open during 2025 and lifted in 2025.
    obstacle(bea, "2024-05-01", lifted, lifted_on="2025-03-01")
    obstacle(anne, "2025-02-01", lifted, lifted_on="2025-10-01")
    # Open during 2025, still there at 31 December.
    obstacle(bea, "2024-01-01")
    obstacle(anne, "2025-06-01", addressed, addressed_on="2025-07-01")
    # Open during 2025, lifted only in 2026: open, not lifted in the year.
    obstacle(anne, "2025-09-01", lifted, lifted_on="2026-02-01")
    # Not open during 2025: lifted in 2024, identified in 2026.
    obstacle(anne, "2023-05-01", lifted, lifted_on="2024-12-15")
    obstacle(anne, "2026-01-10")

    figure = compute().obstacles_lifted()
    assert totals(figure) == (Decimal("40.0"), 2, 5)  # 2 lifted in 2025 of 5 open in 2025
    assert cell(figure, Breakdown.TERRITORY, "Forez") == (Decimal("33.3"), 1, 3)  # anne: 1 / 3
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal("50.0"), 1, 2)  # bea: 1 / 2
    assert totals(compute(roannais).obstacles_lifted()) == (Decimal("50.0"), 1, 2)


# --- Hours of activity done (the 15-hour rule of the contrat d'engagement) -----------------
# 31 December 2025 is a Wednesday: the last whole week counted is that of Monday 22 December
# (to Sunday 28 December).


def hours_done(beneficiary, weeks):
    """Hours recorded by an operator for `beneficiary` in one action: {Monday (text): hours}."""
    prescription = PrescriptionFactory(
        beneficiary=beneficiary,
        status=PrescriptionStatus.STARTED,
        started_on=d("2025-01-06"),
    )
    Attendance.objects.bulk_create(
        Attendance(
            prescription=prescription,
            week=d(week),
            hours=Decimal(hours),
            recorded_by=prescription.prescribed_by,
        )
        for week, hours in weeks.items()
    )


def test_share_of_people_at_15_hours_done(forez, roannais):
    pro = OrganisationFactory(kind=OrganisationKind.FRANCE_TRAVAIL)
    # A (Forez, professionnel): from Monday 1 December, 4 whole weeks, 15 + 15 + 16 + 14 = 60
    # hours = 4 x 15: reached.
    anne = person(forez)
    orient(anne, pro, "2025-10-01", Parcours.EMPLOYMENT)
    contract(anne, "2025-12-01", "2026-05-31", hours=15)
    hours_done(anne, {"2025-12-01": 15, "2025-12-08": 15, "2025-12-15": 16, "2025-12-22": 14})
    # B (Roannais): from Wednesday 3 December, 3 whole weeks (8, 15, 22 December), 15 + 14 +
    # 15 = 44 < 45: not reached (the week of 1 December began before the contract and that of
    # 29 December ends after the year: neither counts).
    bea = person(roannais)
    contract(bea, "2025-12-03", "2026-06-30", hours=20)
    hours_done(
        bea,
        {"2025-12-01": 20, "2025-12-08": 15, "2025-12-15": 14, "2025-12-22": 15, "2025-12-29": 30},
    )
    # C (Forez): reduced to 10 hours for health, from Monday 24 November: 5 weeks, 50 hours
    # due, done in two actions: 10 + 10 + 10 + 10 + (5 + 5) = 50: reached.
    cleo = person(forez)
    contract(cleo, "2025-11-24", "2026-02-28", hours=10)
    hours_done(cleo, {"2025-11-24": 10, "2025-12-01": 10, "2025-12-08": 10, "2025-12-22": 5})
    hours_done(cleo, {"2025-12-15": 10, "2025-12-22": 5})
    # D (Roannais): hours removed (0, disability) from 15 December: reached with nothing done.
    dora = person(roannais)
    contract(dora, "2025-12-15", "2026-06-30", hours=0, hours_reduction=HoursReduction.DISABILITY)
    # F (Roannais): revised on Monday 8 December to 12 hours; only the revision counts: 3 weeks,
    # 36 due, 12 + 12 + 11 = 35: not reached.
    fanny = person(roannais)
    first = contract(fanny, "2025-03-01", "2026-02-28", hours=15)
    contract(fanny, "2025-12-08", "2026-08-31", hours=12, revises=first)
    hours_done(fanny, {"2025-12-08": 12, "2025-12-15": 12, "2025-12-22": 11})
    # Not counted: a CE from Monday 29 December (no whole week in the year), a CER, a CE ended
    # in November, the CE of someone not SDD.
    contract(person(forez), "2025-12-29", "2026-06-30", hours=15)
    hours_done(person(forez), {"2025-12-22": 40})  # hours without a contract
    contract(person(forez), "2025-03-01", "2026-02-28", kind=ContractKind.CER, hours=35)
    contract(person(forez), "2025-01-01", "2025-11-30", hours=15)
    not_sdd = person(forez, sdd=False)
    contract(not_sdd, "2025-12-01", "2026-02-28", hours=15)
    hours_done(not_sdd, {"2025-12-01": 15, "2025-12-08": 15, "2025-12-15": 15, "2025-12-22": 15})

    figure = compute().hours_done()
    assert totals(figure) == (Decimal("60.0"), 3, 5)  # A, C, D of A, B, C, D, F
    assert cell(figure, Breakdown.TERRITORY, "Forez") == (Decimal("100.0"), 2, 2)  # A, C
    assert cell(figure, Breakdown.TERRITORY, "Roannais") == (Decimal("33.3"), 1, 3)  # D of B, D, F
    assert cell(figure, Breakdown.PARCOURS, "emploi") == (Decimal("100.0"), 1, 1)  # A
    assert cell(figure, Breakdown.PARCOURS, "non orienté") == (Decimal("50.0"), 2, 4)  # C, D
    assert totals(compute(forez).hours_done()) == (Decimal("100.0"), 2, 2)
    assert totals(compute(roannais).hours_done()) == (Decimal("33.3"), 1, 3)


# --- Caseload ------------------------------------------------------------------------------


def test_caseload_people_per_referent_at_the_end_of_the_year(forez, roannais, settings):
    settings.PTI_CASELOAD_THRESHOLD = 2
    r1, r2, r3, r4 = (UserFactory(referent=True) for _ in range(4))

    def assign(referent, beneficiary, start, end=None):
        ReferentAssignmentFactory(
            beneficiary=beneficiary,
            referent=referent,
            start_date=d(start),
            end_date=end and d(end),
        )

    # r1 follows 3 people at 31 December, one of them in Roannais.
    assign(r1, person(roannais), "2025-01-01")
    assign(r1, person(forez), "2025-01-01")
    assign(r1, person(forez), "2025-01-01")
    # r2: one SDD person and one not SDD (the caseload counts everyone followed); someone
    # assigned only from January 2026 is not counted.
    assign(r2, person(forez), "2025-01-01")
    assign(r2, person(forez, sdd=False), "2025-01-01")
    assign(r2, person(forez), "2026-01-15")
    # r3: someone who moved to r3 from r2 in November, and an assignment closed in 2026.
    moved = person(forez)
    assign(r2, moved, "2025-01-01", "2025-10-31")
    assign(r3, moved, "2025-11-01")
    assign(r3, person(roannais), "2025-03-01", "2026-02-01")
    # r4 only follows someone who left the RSA in August: r4 is not counted.
    gone = person(forez)
    assign(r4, gone, "2025-01-01")
    leave(gone, "2025-08-01")

    figure = compute().caseload()
    assert figure.value == Decimal("2.3")  # (3 + 2 + 2) / 3 référents = 7 / 3 = 2.33
    assert (figure.numerator, figure.denominator) == (1, 3)  # r1 only follows more than 2

    # Roannais: r1 and r3 follow one person each there.
    assert totals(compute(roannais).caseload()) == (Decimal("1.0"), 0, 2)  # 2 / 2, none above


# --- Per action ------------------------------------------------------------------------------


MEASURES = [
    "accepted",
    "completed",
    "abandoned",
    "accompanied",
    "dynamic",
    "durable",
    "dynamic_rate",
]


def test_action_results(forez):
    action, other, untouched = ActionFactory(), ActionFactory(), ActionFactory()
    accepted, started = PrescriptionStatus.ACCEPTED, PrescriptionStatus.STARTED
    completed, abandoned = PrescriptionStatus.COMPLETED, PrescriptionStatus.ABANDONED

    def prescribe(beneficiary, status, answered=None, started_on=None, ended=None, to=action):
        return PrescriptionFactory(
            beneficiary=beneficiary,
            action=to,
            status=status,
            prescribed_on=d(answered or "2025-01-02") - datetime.timedelta(days=1),
            answered_on=answered and d(answered),
            started_on=started_on and d(started_on),
            ended_on=ended and d(ended),
            refusal_reason="Complet" if status == PrescriptionStatus.REFUSED else "",
        )

    # Accompanied in 2025, completed in June, then came back in July; left for a CDI.
    anne = person(forez)
    prescribe(anne, completed, "2025-02-01", "2025-02-10", "2025-06-30")
    prescribe(anne, started, "2025-07-01", "2025-07-05")
    leave(anne, "2025-09-01", ExitContract.CDI)
    # Accompanied, still in the action; left for 90 days of temp work (transition).
    bea = person(forez)
    prescribe(bea, started, "2025-03-01", "2025-03-10")
    leave(bea, "2025-10-01", ExitContract.TEMP, 90)
    # Refused: neither accepted nor accompanied.
    prescribe(person(forez), PrescriptionStatus.REFUSED, "2025-04-01")
    # Accepted in 2024, abandoned in January 2025: accompanied, abandoned; left with nothing.
    cora = person(forez)
    prescribe(cora, abandoned, "2024-11-01", "2024-11-15", "2025-01-20")
    leave(cora, "2025-03-01", ExitContract.NONE)
    # Left the action at the end of 2024: not accompanied in 2025, her CDI does not count.
    dora = person(forez)
    prescribe(dora, completed, "2024-01-10", "2024-01-15", "2024-12-31")
    leave(dora, "2025-05-01", ExitContract.CDI)
    # Accepted in December, not started: accepted only.
    prescribe(person(forez), accepted, "2025-12-15")
    # Sent, not answered: nothing.
    prescribe(person(forez), PrescriptionStatus.SENT)
    # Accepted and started in 2026: nothing in 2025.
    prescribe(person(forez), started, "2026-01-10", "2026-01-12")
    # Accompanied in 2025, left the RSA for a CDI in 2026: not an exit of 2025.
    fay = person(forez)
    prescribe(fay, started, "2025-04-20", "2025-05-01")
    leave(fay, "2026-02-01", ExitContract.CDI)
    # anne was also in the other action in the first months of 2025.
    prescribe(anne, abandoned, "2025-01-02", "2025-01-05", "2025-04-01", to=other)

    results = action_results(YEAR, today=TODAY)
    result = results[action.pk]
    assert result["accepted"] == 5  # anne twice, bea, fay, December's (not 2024's nor 2026's)
    assert result["completed"] == 1  # anne in June (dora's ended in 2024)
    assert result["abandoned"] == 1  # cora in January
    assert result["accompanied"] == 4  # anne (once), bea, cora, fay
    assert result["dynamic"] == 2  # anne (CDI), bea (temp work of 90 days)
    assert result["durable"] == 1  # anne (CDI)
    assert result["dynamic_rate"] == Decimal("50.0")  # 2 / 4

    assert {key: results[other.pk][key] for key in MEASURES} == {
        "accepted": 1,  # anne, answered on 2 January
        "completed": 0,
        "abandoned": 1,
        "accompanied": 1,
        "dynamic": 1,
        "durable": 1,
        "dynamic_rate": Decimal("100.0"),  # 1 / 1
    }
    assert results[untouched.pk]["accompanied"] == 0
    assert results[untouched.pk]["dynamic_rate"] is None  # nobody accompanied

    only = action_results(YEAR, Action.objects.filter(pk=other.pk), TODAY)
    assert set(only) == {other.pk}
    assert only[other.pk]["durable"] == 1


# --- Queries ---------------------------------------------------------------------------------


def test_all_indicators_take_a_bounded_number_of_queries(
    forez, roannais, assert_constant_queries, django_assert_max_num_queries
):
    departement = OrganisationFactory(kind=OrganisationKind.DEPARTEMENT)
    referent = UserFactory(referent=True)

    def add_people(count):
        for index in range(count):
            beneficiary = person(forez if index % 2 else roannais, opened="2025-02-01")
            orient(beneficiary, departement, "2025-03-01")
            if index % 3:
                orient(beneficiary, departement, "2025-06-01", reorientation=True)
            plan(contract(beneficiary, "2025-04-01", "2026-03-31"), PlannedActionKind.JOB_SEARCH)
            ObstacleFactory(beneficiary=beneficiary, identified_on=d("2025-03-01"))
            ReferentAssignmentFactory(
                beneficiary=beneficiary, referent=referent, start_date=d("2025-03-01")
            )
            if index % 4 == 0:
                leave(person(forez), "2025-07-01", ExitContract.CDD, 200)

    add_people(3)
    queries = assert_constant_queries(
        lambda: compute().all(), lambda: compute().all(), between=lambda: add_people(27)
    )
    assert compute().oarsa_1_subject().denominator == 30  # the 30 people are there
    with django_assert_max_num_queries(queries):
        compute(forez).all()
    # One query per figure, a few more for the distributions: about two dozen in all.
    assert queries <= 30


# --- The follow-ups after an exit ------------------------------------------------------------


def followed(exit_, milestone, situation="", kind="", days=None):
    """The follow-up `milestone` of `exit_`, recorded with `situation` unless it is empty."""
    recorded = {}
    if situation:
        recorded = {"recorded_on": TODAY, "recorded_by": UserFactory(referent=True)}
    return ExitFollowUpFactory(
        exit=exit_,
        milestone=milestone,
        situation=situation,
        contract_type=kind,
        contract_days=days,
        **recorded,
    )


@pytest.fixture
def after_exits(forez, roannais):
    """Follow-ups at 6 and 12 months, due in 2025 or not, recorded or not (see each line)."""
    employed, unknown = FollowUpSituation.EMPLOYED, FollowUpSituation.UNKNOWN
    france_travail = OrganisationFactory(kind=OrganisationKind.FRANCE_TRAVAIL)
    # Anne, parcours emploi at her exit: 6 months (due 2025-03-15) in a CDI, durable; 12 months
    # (due 2025-09-15) in a CDD of 90 days, not durable.
    anne = person(forez)
    orient(anne, france_travail, "2024-03-01", Parcours.EMPLOYMENT)
    anne_exit = leave(anne, "2024-09-15", ExitContract.CDD, 90)
    followed(anne_exit, "6", employed, ExitContract.CDI)
    followed(anne_exit, "12", employed, ExitContract.CDD, 90)
    followed(anne_exit, "3", employed, ExitContract.CDI)  # 3 months: in neither indicator
    # Bruno, parcours social at his exit (reoriented after it): 6 months (due 2025-07-10)
    # unreachable: in the denominator, not durable. His 12 months fall in 2026.
    bruno = person(forez, sex=Sex.MALE)
    orient(bruno, france_travail, "2024-06-01", Parcours.SOCIAL)
    bruno_exit = leave(bruno, "2025-01-10")
    orient(bruno, france_travail, "2025-06-01", Parcours.EMPLOYMENT, reorientation=True)
    followed(bruno_exit, "6", unknown)
    followed(bruno_exit, "12")
    # Chloé, never oriented: 6 months (due 2025-09-01) in 200 days of temp work, durable.
    chloe = person(roannais)
    followed(leave(chloe, "2025-03-01"), "6", employed, ExitContract.TEMP, 200)
    # Denise: 6 months due 2025-11-20, not recorded: in neither count.
    denise = person(roannais)
    orient(denise, france_travail, "2025-01-15", Parcours.EMPLOYMENT)
    followed(leave(denise, "2025-05-20"), "6")
    # Émile: 6 months due in 2024 (not counted); 12 months (due 2025-06-01) back on the RSA.
    emile = leave(person(forez, sex=Sex.MALE), "2024-06-01")
    followed(emile, "6", employed, ExitContract.CDI)
    followed(emile, "12", FollowUpSituation.BACK_ON_RSA)
    # Fanny: 12 months (due 2025-04-30) titularised, durable.
    followed(leave(person(forez), "2024-04-30"), "12", employed, ExitContract.PUBLIC_TENURE)
    return {"anne": anne}


def test_durable_employment_6_and_12_months_after_the_exit(after_exits, forez, roannais):
    six, twelve = compute().durable_after_exit()
    assert six.code == "emploi-durable-6-mois"
    assert twelve.code == "emploi-durable-12-mois"
    # 6 months in 2025, recorded: Anne (CDI), Bruno (unreachable), Chloé (temp 200 days).
    assert totals(six) == (Decimal("66.7"), 2, 3)  # 2 / 3; Denise not recorded
    # 12 months in 2025: Anne (CDD 90 days), Émile (back on the RSA), Fanny (titularised).
    assert totals(twelve) == (Decimal("33.3"), 1, 3)  # 1 / 3
    # By parcours at the exit: Anne's emploi, Bruno's social (not his later reorientation),
    # Chloé none.
    assert six.cells(Breakdown.PARCOURS) == [
        _cell("emploi", "100.0", 1, 1),
        _cell("social", "0.0", 0, 1),
        _cell("sans orientation à la sortie", "100.0", 1, 1),
    ]
    assert cell(six, Breakdown.TERRITORY, "Forez") == (Decimal("50.0"), 1, 2)  # Anne / Bruno
    assert cell(six, Breakdown.TERRITORY, "Roannais") == (Decimal("100.0"), 1, 1)  # Chloé
    assert cell(six, Breakdown.SEX, "homme") == (Decimal("0.0"), 0, 1)  # Bruno
    assert totals(compute(roannais).durable_after_exit()[0]) == (Decimal("100.0"), 1, 1)
    assert totals(compute(roannais).durable_after_exit()[1]) == (None, 0, 0)


def test_durable_after_the_exit_is_the_exits_rule(after_exits, settings):
    settings.PTI_DURABLE_EMPLOYMENT_DAYS = 201
    six, _ = compute().durable_after_exit()
    assert totals(six) == (Decimal("33.3"), 1, 3)  # Chloé's 200 days are no longer durable


def test_action_results_count_the_follow_ups_of_the_people_accompanied_before_their_exit(
    after_exits, forez
):
    action = ActionFactory()
    # Anne started the action before her exit: her two follow-ups of 2025 count.
    PrescriptionFactory(
        beneficiary=after_exits["anne"],
        action=action,
        status=PrescriptionStatus.COMPLETED,
        started_on=d("2024-04-01"),
        ended_on=d("2024-09-15"),
    )
    # Started after her exit: her follow-up does not count.
    late = leave(person(forez), "2025-01-31")
    PrescriptionFactory(
        beneficiary=late.beneficiary,
        action=action,
        status=PrescriptionStatus.STARTED,
        started_on=d("2025-02-10"),
    )
    followed(late, "6", FollowUpSituation.EMPLOYED, ExitContract.CDI)
    result = action_results(YEAR, today=TODAY)[action.pk]
    assert (result["follow_ups_6"], result["durable_6_months"]) == (1, 1)  # Anne's CDI
    assert (result["follow_ups_12"], result["durable_12_months"]) == (1, 0)  # her CDD 90 days
    assert result["durable_6_months_rate"] == Decimal("100.0")
    assert result["durable_12_months_rate"] == Decimal("0.0")
