"""The référent's quick entries on a person's file, as a user meets them: the message where
the user is, focused, the form blank and open for the next entry; and every entry saved in a
browser without JavaScript."""

import datetime
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from beneficiaries.models import Beneficiary
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import BeneficiaryFactory, ReferentAssignmentFactory
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-de-test"


@pytest.fixture
def scene():
    ccas = OrganisationFactory(name="CCAS de Saint-Chamond", ccas=True)
    referent = UserFactory(
        username="sophie", referent=True, organisation=ccas, first_name="Sophie", last_name="Durand"
    )
    UserFactory(
        username="marc", referent=True, organisation=ccas, first_name="Marc", last_name="Petit"
    )
    manager = UserFactory(username="claire", manager=True, organisation=ccas)
    person = ReferentAssignmentFactory(
        referent=referent,
        structure=ccas,
        beneficiary=BeneficiaryFactory(first_name="Inès", last_name="Martin"),
        start_date=datetime.date.today() - datetime.timedelta(days=40),
    ).beneficiary
    action = ActionFactory(title="Atelier CV")
    return {"referent": referent, "manager": manager, "person": person, "action": action}


def log_in_on(page, live_server, username):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/**")


def open_form(page, anchor):
    form = page.locator(f"#{anchor}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    return form


def shoot(page, name):
    folder = os.environ.get("PTI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


@pytest.mark.parametrize("width", [1280, 390])
def test_after_an_interview_the_message_is_in_view_focused_and_the_form_blank(
    page, live_server, a11y, log_in, scene, width
):
    page.set_viewport_size({"width": width, "height": 900})
    log_in("sophie", PASSWORD)
    page.goto(f"{live_server.url}/beneficiaires/{scene['person'].pk}/")
    a11y.check(name=f"dossier-saisie-{width}")
    form = open_form(page, "form-entretien")
    form.get_by_label("Type").select_option(label="entretien téléphonique")
    form.get_by_label("Note courte").fill("Point sur la recherche de logement.")
    # The count of characters, as the limit is not set in the browser (it would cut a paste).
    expect(form.get_by_text("35 caractères sur 2000 au plus.")).to_be_visible()
    form.get_by_role("button", name="Enregistrer l'entretien").click()

    message = page.locator("#retour-saisie")
    expect(message).to_have_text("Succès : L'entretien est enregistré.")
    expect(message).to_be_in_viewport()
    expect(message).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "retour-saisie"
    expect(page.locator("#annonce-saisie")).to_have_text("L'entretien est enregistré.")
    expect(page.locator("#annonce-saisie")).to_have_attribute("role", "status")
    form = page.locator("#form-entretien")
    expect(form).to_have_attribute("open", "")
    expect(form.get_by_label("Note courte")).to_have_value("")
    history = page.locator("section[aria-labelledby=historique]")
    expect(history).to_contain_text("Point sur la recherche de logement.")
    shoot(page, f"apres-entretien-{width}")
    a11y.check(name=f"dossier-apres-entretien-{width}")

    # The next entry: a refused one keeps its form open and focuses the error summary.
    form.get_by_label("Date").fill((datetime.date.today() + datetime.timedelta(days=2)).isoformat())
    form.get_by_role("button", name="Enregistrer l'entretien").click()
    summary = page.locator("#form-entretien [data-pti-error-summary]")
    expect(summary).to_contain_text("ne peut pas être dans le futur")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    a11y.check(name=f"dossier-erreur-entretien-{width}")


@pytest.fixture
def page_without_javascript(browser, live_server):
    """A page of a browser with JavaScript off, refusing any request that leaves the server
    as the `page` fixture does (axe needs JavaScript: the same pages are checked with it)."""
    context = browser.new_context(
        java_script_enabled=False,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 900},
    )
    outside = []

    def only_our_server(route):
        url = route.request.url
        if url.startswith((live_server.url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_our_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert outside == [], f"requêtes sorties du serveur : {outside}"


def test_every_quick_entry_is_saved_without_javascript(
    page_without_javascript, page, live_server, a11y, log_in, scene
):
    person = scene["person"]
    file_url = f"{live_server.url}/beneficiaires/{person.pk}/"
    nojs = page_without_javascript
    log_in_on(nojs, live_server, "sophie")
    nojs.goto(file_url)

    def save(anchor, fill, button, message):
        form = open_form(nojs, anchor)
        fill(form)
        form.get_by_role("button", name=button).click()
        feedback = nojs.locator("#retour-saisie")
        expect(feedback).to_have_text(f"Succès : {message}")
        assert nojs.url.endswith("#retour-saisie")
        expect(feedback).to_be_in_viewport()
        expect(nojs.get_by_text("Formulaire expiré")).to_have_count(0)
        shoot(nojs, f"sans-javascript-{anchor}")

    save(
        "form-entretien",
        lambda f: f.get_by_label("Note courte").fill("Entretien sans JavaScript"),
        "Enregistrer l'entretien",
        "L'entretien est enregistré.",
    )
    expect(nojs.locator("#form-entretien")).to_have_attribute("open", "")
    save(
        "form-frein",
        lambda f: f.get_by_label("Frein").select_option(label="logement"),
        "Enregistrer le frein",
        "Le frein est identifié.",
    )
    save(
        "form-prescription",
        lambda f: f.get_by_label("Action du catalogue").select_option(
            value=str(scene["action"].pk)
        ),
        "Prescrire",
        "La prescription est enregistrée.",
    )
    nojs.get_by_label("Nouvel état").select_option(label="levé")
    nojs.get_by_role("button", name="Mettre à jour le frein logement").click()
    expect(nojs.locator("#retour-saisie")).to_have_text("Succès : L'état du frein est mis à jour.")

    # The manager orients the person and names another référent.
    nojs.get_by_role("button", name="Se déconnecter").click()
    log_in_on(nojs, live_server, "claire")
    nojs.goto(file_url)

    def orient(form):
        form.get_by_label("emploi", exact=True).check()
        form.get_by_label("Organisme référent").select_option(label="CCAS de Saint-Chamond")

    decided = "La décision d'orientation est enregistrée."
    save("form-orientation", orient, "Enregistrer la décision", decided)

    def assign(form):
        form.get_by_label(re.compile(r"^Référent")).select_option(
            label="Marc Petit – CCAS de Saint-Chamond"
        )
        form.get_by_label("Motif").select_option(label="équilibrage des portefeuilles")

    save("form-referent", assign, "Désigner", "Le référent est désigné.")

    # The exit closes the quick entries; its message stays where they were.
    def leave(form):
        form.get_by_label("Motif de sortie").select_option(label="sortie des droits et devoirs")
        form.get_by_label("Situation à la sortie").select_option(label="CDI")

    save("form-sortie", leave, "Enregistrer la sortie", "La sortie est enregistrée.")
    expect(nojs.locator("#form-entretien")).to_have_count(0)

    person = Beneficiary.objects.get(pk=person.pk)
    assert person.interviews.get().note == "Entretien sans JavaScript"
    assert person.obstacles.get().status == "lifted"
    assert person.prescriptions.get().action.title == "Atelier CV"
    assert person.assignments.get(end_date__isnull=True).referent.username == "marc"
    assert person.exit.contract_type == "cdi"

    # The same page, with JavaScript on for axe.
    log_in("claire", PASSWORD)
    page.goto(file_url)
    a11y.check(name="dossier-apres-saisies-sans-javascript")
