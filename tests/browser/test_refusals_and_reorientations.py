import re

import pytest
from playwright.sync_api import expect

from actions.enums import PrescriptionStatus
from beneficiaries.enums import Parcours
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-de-test"


@pytest.fixture
def world():
    ccas = OrganisationFactory(name="CCAS de Montbrison", ccas=True)
    OrganisationFactory(name="France Travail Loire", kind="france_travail")
    operator_org = OrganisationFactory(name="Atelier Mobilité")
    referent = UserFactory(
        username="referente",
        referent=True,
        organisation=ccas,
        first_name="Sophie",
        last_name="Durand",
        email="sophie.durand@ccas.example.org",
    )
    UserFactory(username="responsable", manager=True, organisation=ccas)
    UserFactory(username="operateur", operator=True, organisation=operator_org)
    person = BeneficiaryFactory(last_name="Martin", first_name="Léa")
    ReferentAssignmentFactory(referent=referent, structure=ccas, beneficiary=person)
    OrientationDecisionFactory(beneficiary=person, parcours=Parcours.SOCIAL, organisme=ccas)
    PrescriptionFactory(
        beneficiary=person,
        action=ActionFactory(title="Location solidaire de scooters", operator=operator_org),
        status=PrescriptionStatus.SENT,
        note="Disponible dès lundi.",
    )
    return person


def test_a_refusal_reaches_the_referent_who_asks_for_a_reorientation_the_manager_accepts(
    page, live_server, a11y, log_in, world
):
    name = "MARTIN Léa"

    # The operator refuses; the page names the référent to call.
    log_in("operateur", PASSWORD)
    page.get_by_role("link", name="Prescriptions reçues").click()
    a11y.check(name="operateur-prescriptions")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_text("Sophie Durand (CCAS de Montbrison)")).to_be_visible()
    a11y.check(name="operateur-prescription")
    page.get_by_label("Motif du refus").fill("Plus de scooter disponible")
    page.get_by_role("button", name="Refuser la prescription").click()
    expect(page.locator(".pti-messages")).to_contain_text("La prescription est refusée")
    page.get_by_role("button", name="Se déconnecter").click()

    # The référent sees the counter on the home page, then the due item.
    log_in("referente", PASSWORD)
    counter = page.get_by_role("link", name=re.compile(r"1 personne : prescription refusée"))
    counter.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon portefeuille")
    expect(page.get_by_label("À faire", exact=True)).to_have_value("refused")
    table = page.locator("#resultats")
    expect(table).to_contain_text(
        "Location solidaire de scooters (motif : Plus de scooter disponible)"
    )
    a11y.check(name="portefeuille-refus")
    table.get_by_role("link", name=name).click()
    due = page.locator("section[aria-labelledby=a-faire]")
    expect(due).to_contain_text("prescription refusée le")
    a11y.check(name="dossier-refus")
    page.get_by_role(
        "button", name="Prise en compte du refus : Location solidaire de scooters"
    ).click()
    expect(page.locator("#retour-saisie")).to_contain_text(
        "Le refus de l'opérateur est pris en compte."
    )
    expect(due).not_to_contain_text("prescription refusée")
    expect(page.get_by_text(re.compile("Refus pris en compte le"))).to_be_visible()

    # The référent asks for a reorientation.
    form = page.locator("#form-demande-reorientation")
    form.locator("summary").click()
    form.get_by_label("Motif de la demande").fill("Le diagnostic montre un projet d'emploi prêt.")
    form.get_by_label("emploi", exact=True).check()
    form.get_by_label("Organisme référent proposé").select_option(label="France Travail Loire")
    form.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("#retour-saisie")).to_contain_text(
        "La demande de réorientation est envoyée"
    )
    card = page.locator("section[aria-labelledby=orientation]")
    expect(card).to_contain_text("Réorientation demandée le")
    expect(card).to_contain_text("En attente de la décision d'un responsable.")
    a11y.check(name="dossier-demande")
    page.get_by_role("button", name="Se déconnecter").click()

    # The manager finds it from the home page and accepts it.
    log_in("responsable", PASSWORD)
    page.get_by_role("link", name=re.compile(r"1 demande de réorientation à décider")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes de réorientation")
    expect(page.get_by_text("aujourd'hui")).to_be_visible()
    a11y.check(name="reorientations")
    page.get_by_role("link", name=name).click()
    card = page.locator("section[aria-labelledby=orientation]")
    a11y.check(name="dossier-decision")
    card.get_by_role("button", name="Accepter").click()
    expect(page.locator("#retour-saisie")).to_contain_text("La réorientation est acceptée")
    expect(card).to_contain_text("Parcours emploi, organisme référent : France Travail Loire.")
    timeline = page.locator("section[aria-labelledby=historique]")
    expect(timeline).to_contain_text("Réorientation acceptée")
    expect(timeline).to_contain_text(
        "Réorientation demandée : parcours emploi, France Travail Loire"
    )
    a11y.check(name="dossier-reoriente")

    # The same pages on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Réorientations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes de réorientation")
    expect(page.get_by_text("Acceptée", exact=False).first).to_be_visible()
    a11y.check(name="reorientations-mobile")
    page.get_by_role("link", name=name).click()
    a11y.check(name="dossier-mobile")
