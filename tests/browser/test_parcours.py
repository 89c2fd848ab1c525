import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from actions.enums import PrescriptionStatus
from actions.models import Action
from beneficiaries.models import Beneficiary, Prescription
from pti.models import User

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "demo-pti-2026"


def open_form(page, anchor):
    form = page.locator(f"#{anchor}")
    form.locator("summary").click()
    return form


def test_a_referent_logs_a_parcours_and_an_operator_accepts_the_prescription(
    page, live_server, a11y, log_in
):
    call_command("seed_demo", "--beneficiaries", "300", stdout=StringIO())
    referent = User.objects.get(username="referent")
    action = Action.objects.get(title="Location solidaire de scooters")
    person = (
        Beneficiary.objects.assigned_to(referent)
        .active()
        .exclude(prescriptions__action=action)
        # A new contract from today: the person has none running (one would be revised).
        .exclude(contracts__end_date__gt=datetime.date.today())
        .order_by("last_name")
        .first()
    )
    name = f"{person.last_name.upper()} {person.first_name}"

    # The référent finds the person from the portfolio.
    log_in("referent", PASSWORD)
    page.get_by_role("link", name="Mon portefeuille").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon portefeuille")
    a11y.check(name="portefeuille")
    page.get_by_label("Nom, n° d'allocataire ou date de naissance").fill(
        person.first_name + " " + person.last_name
    )
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    a11y.check(name="dossier")
    timeline = page.locator("section[aria-labelledby=historique]")

    # An interview.
    form = open_form(page, "form-entretien")
    form.get_by_label("Type").select_option(label="entretien téléphonique")
    form.get_by_label("Note courte").fill("Point sur la recherche de logement.")
    form.get_by_role("button", name="Enregistrer l'entretien").click()
    expect(page.locator("#retour-saisie")).to_contain_text("L'entretien est enregistré.")
    expect(timeline).to_contain_text("Point sur la recherche de logement.")

    # An obstacle.
    form = open_form(page, "form-frein")
    form.get_by_label("Frein").select_option(label="garde d'enfants")
    form.get_by_role("button", name="Enregistrer le frein").click()
    expect(timeline).to_contain_text("Frein identifié : garde d'enfants")

    # A prescription to an action of the catalogue.
    form = open_form(page, "form-prescription")
    form.get_by_label("Action du catalogue").select_option(value=str(action.pk))
    form.get_by_label("Message à l'opérateur").fill("Disponible dès lundi.")
    form.get_by_role("button", name="Prescrire").click()
    expect(timeline).to_contain_text("Prescription : Location solidaire de scooters")
    a11y.check(name="dossier-apres-saisies")

    # A contract with its plan.
    page.get_by_role("link", name="Nouveau contrat").click()
    a11y.check(name="contrat")
    today = datetime.date.today()
    page.get_by_label("Début").fill(today.isoformat())
    page.get_by_label(re.compile(r"^Fin")).fill((today + datetime.timedelta(days=182)).isoformat())
    page.get_by_label("Signé le").fill(today.isoformat())
    page.get_by_label("Objectifs du plan d'action").fill(
        "Trouver un mode de garde et reprendre un emploi."
    )
    page.get_by_label("Heures d'activité par semaine").fill("10")
    page.get_by_label("Motif si moins de 15 heures").select_option(
        label="parent isolé sans solution de garde"
    )
    page.get_by_label("Nature (ligne 1)").select_option(label="recherche d'emploi")
    page.get_by_label("Action prévue (ligne 1)").fill("Candidatures dans la logistique")
    page.get_by_role("button", name="Enregistrer le contrat").click()
    expect(page.locator(".pti-messages")).to_contain_text("Le contrat est enregistré.")
    expect(page.locator("#contrat")).to_contain_text("10 heures d'activité par semaine")
    expect(timeline).to_contain_text("contrat d'engagement établi")
    page.get_by_role("button", name="Se déconnecter").click()

    # The operator accepts the prescription.
    log_in("operateur", PASSWORD)
    page.get_by_role("link", name="Prescriptions reçues").click()
    a11y.check(name="operateur-prescriptions")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_text("Disponible dès lundi.")).to_be_visible()
    expect(page.get_by_text("Modifier l'identité")).to_have_count(0)
    a11y.check(name="operateur-prescription")
    page.get_by_role("button", name="Accepter la prescription").click()
    expect(page.locator(".pti-messages")).to_contain_text("La prescription est acceptée")
    expect(page.get_by_text("acceptée", exact=True)).to_be_visible()
    a11y.check(name="operateur-prescription-acceptee")
    page.get_by_role("button", name="Se déconnecter").click()
    prescription = Prescription.objects.get(beneficiary=person, action=action)
    assert prescription.status == PrescriptionStatus.ACCEPTED

    # Back to the référent: the answer is in the file; the exit closes the parcours.
    log_in("referent", PASSWORD)
    page.goto(f"{live_server.url}/beneficiaires/{person.pk}/")
    a11y.check(name="dossier-apres-acceptation")
    expect(timeline).to_contain_text("Réponse de l'opérateur : acceptée")
    form = open_form(page, "form-sortie")
    form.get_by_label("Motif de sortie").select_option(label="sortie des droits et devoirs")
    form.get_by_label("Situation à la sortie").select_option(label="CDD")
    form.get_by_label("Durée du contrat (jours)").fill("200")
    form.get_by_role("button", name="Enregistrer la sortie").click()
    expect(page.locator("#retour-saisie")).to_contain_text("La sortie est enregistrée.")
    expect(timeline).to_contain_text("Sortie : sortie des droits et devoirs")
    for entry in (
        "Point sur la recherche de logement.",
        "Frein identifié : garde d'enfants",
        "Prescription : Location solidaire de scooters",
        "contrat d'engagement établi",
    ):
        expect(timeline).to_contain_text(entry)
    expect(page.locator("#form-entretien")).to_have_count(0)
    a11y.check(name="dossier-apres-sortie")


def test_a_quick_entry_with_an_error_keeps_what_was_typed(page, live_server, a11y, log_in):
    call_command("seed_demo", "--beneficiaries", "100", stdout=StringIO())
    referent = User.objects.get(username="referent")
    person = Beneficiary.objects.assigned_to(referent).active().order_by("last_name").first()
    log_in("referent", PASSWORD)
    page.goto(f"{live_server.url}/beneficiaires/{person.pk}/")
    a11y.check(name="dossier-erreur-avant")
    form = open_form(page, "form-entretien")
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    form.get_by_label("Date").fill(tomorrow.isoformat())
    form.get_by_label("Note courte").fill("Texte à ne pas perdre")
    form.get_by_role("button", name="Enregistrer l'entretien").click()
    form = page.locator("#form-entretien")
    expect(form.get_by_role("alert")).to_contain_text("ne peut pas être dans le futur")
    expect(form.get_by_label("Note courte")).to_have_value("Texte à ne pas perdre")
    a11y.check(name="dossier-erreur")
