import datetime
import re

import pytest
from playwright.sync_api import expect

from beneficiaries.models import Contract, Interview
from tests.beneficiaries.factories import BeneficiaryFactory, ReferentAssignmentFactory
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-de-test"


@pytest.fixture
def person():
    sophie = UserFactory(
        referent=True, username="sophie", organisation=OrganisationFactory(ccas=True)
    )
    return ReferentAssignmentFactory(
        referent=sophie,
        structure=sophie.organisation,
        beneficiary=BeneficiaryFactory(
            last_name="Martin",
            first_name="Léa",
            birth_date=datetime.date(1985, 6, 15),
            rsa_requested_on=datetime.date(2024, 1, 10),
        ),
    ).beneficiary


def fill_contract(page, today):
    page.get_by_label("Début").fill(today.isoformat())
    page.get_by_label(re.compile(r"^Fin")).fill((today + datetime.timedelta(days=182)).isoformat())
    page.get_by_label("Objectifs du plan d'action").fill("Reprendre une formation.")
    page.get_by_label("Heures d'activité par semaine").fill("15.5")


def test_a_contract_saved_then_saved_again_after_going_back_is_recorded_once(
    page, live_server, a11y, log_in, person
):
    log_in("sophie", PASSWORD)
    page.goto(f"{live_server.url}/beneficiaires/{person.pk}/")
    a11y.check(name="dossier")
    page.get_by_role("link", name="Nouveau contrat").click()
    a11y.check(name="contrat")
    today = datetime.date.today()
    fill_contract(page, today)
    page.get_by_role("button", name="Enregistrer le contrat").click()
    expect(page.locator(".pti-messages")).to_contain_text("Le contrat est enregistré.")
    expect(page.locator("#contrat")).to_contain_text("15,5 heures d'activité par semaine")
    a11y.check(name="dossier-apres-contrat")

    # Back to the form (the page is not kept in the browser's cache: a new blank form comes),
    # filled and sent again: the contract already covers the period.
    page.go_back()
    expect(page.get_by_role("button", name="Enregistrer le contrat")).to_be_visible()
    fill_contract(page, today)
    page.get_by_role("button", name="Enregistrer le contrat").click()
    end = today + datetime.timedelta(days=182)
    expect(page.get_by_role("alert")).to_contain_text(
        "Un contrat couvre déjà cette période : contrat d'engagement du "
        f"{today:%d/%m/%Y} au {end:%d/%m/%Y}. Révisez-le plutôt que d'en enregistrer un autre."
    )
    a11y.check(name="contrat-envoye-de-nouveau")
    assert Contract.objects.filter(beneficiary=person).count() == 1


def test_an_interview_posted_twice_is_recorded_once(page, live_server, a11y, log_in, person):
    """The same form posted twice (a double click, a post sent again): the second creates
    nothing and says so."""
    log_in("sophie", PASSWORD)
    page.goto(f"{live_server.url}/beneficiaires/{person.pk}/")
    a11y.check(name="dossier")
    form = page.locator("#form-entretien")
    form.locator("summary").click()
    form.get_by_label("Note courte").fill("Premier entretien.")
    # The one-time token of this form, as a second post of the same form would carry it.
    token = form.locator("input[name$=jeton_formulaire]")
    sent = token.input_value()
    form.get_by_role("button", name="Enregistrer l'entretien").click()
    expect(page.locator("#retour-saisie")).to_contain_text("L'entretien est enregistré.")
    form = page.locator("#form-entretien")
    # The form is open again after the save, blank, ready for the next entry.
    form.locator("input[name$=jeton_formulaire]").evaluate(
        "(input, sent) => input.value = sent", sent
    )
    form.get_by_label("Note courte").fill("Premier entretien.")
    form.get_by_role("button", name="Enregistrer l'entretien").click()
    expect(page.locator("#retour-saisie")).to_contain_text(
        "Ce formulaire a déjà été enregistré : rien n'a été créé une seconde fois."
    )
    a11y.check(name="dossier-entretien-envoye-de-nouveau")
    assert Interview.objects.filter(beneficiary=person).count() == 1


def test_an_interview_dated_1900_is_refused_with_the_reason(
    page, live_server, a11y, log_in, person
):
    log_in("sophie", PASSWORD)
    page.goto(f"{live_server.url}/beneficiaires/{person.pk}/")
    a11y.check(name="dossier")
    form = page.locator("#form-entretien")
    form.locator("summary").click()
    form.get_by_label("Date").fill("1900-01-01")
    form.get_by_role("button", name="Enregistrer l'entretien").click()
    expect(page.locator("#form-entretien")).to_contain_text(
        "La date doit être postérieure à la naissance de la personne, le 15/06/1985."
    )
    a11y.check(name="dossier-entretien-refuse")
    assert not Interview.objects.exists()
