"""The header's navigation: one entry marked as the current page at a time."""

import pytest

from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db


def current_entries(content):
    """The header's entries marked as the current page (the page's own tabs are not)."""
    header = content.split("</header>")[0]
    return [
        line.split('aria-current="page">')[1].split("<")[0]
        for line in header.splitlines()
        if 'aria-current="page">' in line
    ]


def test_a_partner_on_its_commitments_sees_only_that_entry_marked(client_as):
    partner = UserFactory(partner=True)
    content = client_as(partner).get("/evaluation/engagements/").content.decode()
    assert current_entries(content) == ["Mes engagements"]


def test_a_partner_on_the_evaluation_sees_only_that_entry_marked(client_as):
    partner = UserFactory(partner=True)
    content = client_as(partner).get("/evaluation/").content.decode()
    assert current_entries(content) == ["Évaluation"]


def test_the_home_entry_is_marked_on_the_home_page_only(client_as):
    pilot = UserFactory(pilot=True)
    assert current_entries(client_as(pilot).get("/").content.decode()) == ["Accueil"]
    assert current_entries(client_as(pilot).get("/evaluation/cibles/").content.decode()) == [
        "Évaluation"
    ]


def test_a_referent_on_a_persons_file_sees_the_portfolio_marked(client_as):
    from tests.beneficiaries.factories import ReferentAssignmentFactory

    referent = UserFactory(referent=True)
    person = ReferentAssignmentFactory(referent=referent).beneficiary
    content = client_as(referent).get(f"/beneficiaires/{person.pk}/").content.decode()
    assert current_entries(content) == ["Mon portefeuille"]
    content = client_as(referent).get("/suivis-apres-sortie/").content.decode()
    assert current_entries(content) == ["Mon portefeuille"]


def test_a_pilot_on_the_data_quality_board_sees_the_people_list_marked(client_as):
    pilot = UserFactory(pilot=True)
    content = client_as(pilot).get("/beneficiaires/qualite/").content.decode()
    assert current_entries(content) == ["Bénéficiaires"]
