"""The manager moves three chosen people of a référent to another one, from the labels."""

import pytest
from playwright.sync_api import expect

from beneficiaries.models import Beneficiary
from tests.beneficiaries.factories import BeneficiaryFactory, ReferentAssignmentFactory
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-de-test"


def test_the_manager_moves_three_chosen_people_to_another_referent(page, live_server, a11y, log_in):
    ccas = OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)
    sophie = UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Durand")
    claire = UserFactory(referent=True, organisation=ccas, first_name="Claire", last_name="Martin")
    UserFactory(manager=True, organisation=ccas, username="responsable-test")
    ReferentAssignmentFactory(referent=claire, beneficiary=BeneficiaryFactory(last_name="Garnier"))
    for name in ["Arnaud", "Bernard", "Chevalier", "Dupuis", "Fabre"]:
        ReferentAssignmentFactory(
            referent=sophie, beneficiary=BeneficiaryFactory(last_name=name, first_name="Léa")
        )

    log_in("responsable-test", PASSWORD)
    page.goto(f"{live_server.url}/structure/")
    a11y.check(name="referents")
    page.get_by_role("link", name="Réaffecter des personnes choisies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réaffecter des personnes")
    results = page.locator("#resultats")
    expect(results.get_by_role("status")).to_have_text("6 personnes")
    # Choosing a filter refreshes the list (the « Rechercher » button without JavaScript).
    page.get_by_label("Référent", exact=True).select_option(label="Sophie Durand")
    expect(results.get_by_role("status")).to_have_text("5 personnes")
    a11y.check(name="reaffectation-selection")

    for name in ["ARNAUD Léa", "CHEVALIER Léa", "FABRE Léa"]:
        page.get_by_label(f"Sélectionner {name}").check()
    # Choosing the new référent leaves the list and its boxes as they are.
    page.get_by_label("Nouveau référent").select_option(
        label="Claire Martin – CCAS de Saint-Étienne"
    )
    for name in ["ARNAUD Léa", "CHEVALIER Léa", "FABRE Léa"]:
        expect(page.get_by_label(f"Sélectionner {name}")).to_be_checked()
    page.get_by_role("button", name="Réaffecter les personnes cochées").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer la réaffectation")
    expect(page.get_by_text("3 personnes vont être réaffectées à")).to_be_visible()
    for name in ["ARNAUD Léa", "CHEVALIER Léa", "FABRE Léa"]:
        expect(page.get_by_role("rowheader", name=name)).to_be_visible()
    a11y.check(name="reaffectation-confirmation")
    page.get_by_label("Motif").select_option(label="équilibrage des portefeuilles")
    page.get_by_role("button", name="Confirmer la réaffectation de 3 personnes").click()

    expect(page.locator(".pti-messages")).to_contain_text(
        "3 personnes réaffectées à Claire Martin."
    )
    results = page.locator("#resultats")
    expect(results.get_by_role("status")).to_have_text("2 personnes")
    expect(results.get_by_role("link", name="BERNARD Léa")).to_be_visible()
    expect(results.get_by_role("link", name="ARNAUD Léa")).to_have_count(0)
    a11y.check(name="reaffectation-apres")
    moved = Beneficiary.objects.assigned_to(claire).values_list("last_name", flat=True)
    assert sorted(moved) == ["Arnaud", "Chevalier", "Fabre", "Garnier"]
