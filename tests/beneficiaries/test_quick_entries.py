"""The référent's quick entries on a person's file: every form posts with its CSRF token (the
page works without JavaScript), the message of a saved entry is shown next to the form just
used, focused and announced, the history orders a same day's entries as they happened and
invents no step, and an interview note is never cut."""

import datetime
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries import services
from beneficiaries.enums import ObstacleStatus
from beneficiaries.models import Interview
from beneficiaries.views import FEEDBACK_ANCHOR
from tests.actions.factories import ActionFactory
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    InterviewFactory,
    ObstacleFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Chamond", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Durand")


@pytest.fixture
def manager(ccas):
    return UserFactory(manager=True, organisation=ccas)


def follow(referent, **person):
    return ReferentAssignmentFactory(
        referent=referent,
        structure=referent.organisation,
        beneficiary=BeneficiaryFactory(**person),
        start_date=TODAY - datetime.timedelta(days=40),
    ).beneficiary


def csrf_client(user):
    """A client that checks CSRF tokens as a browser without JavaScript meets them."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def token_of(content):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)


def post_forms(content):
    return [(match.group(0)[:160], match.group(1)) for match in POST_FORM.finditer(content)]


# --- Every form posts without JavaScript ----------------------------------------------------------


def test_every_post_form_of_a_full_file_carries_its_csrf_token(client, sophie, manager):
    person = follow(sophie)
    ObstacleFactory(beneficiary=person, identified_on=TODAY - datetime.timedelta(days=3))
    PrescriptionFactory(
        beneficiary=person, action=ActionFactory(), status=PrescriptionStatus.PROPOSED
    )
    client.force_login(manager)
    content = client.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    forms = post_forms(content)
    actions = " ".join(opening for opening, _ in forms)
    for name in (
        "interview_add",
        "obstacle_add",
        "prescription_add",
        "exit_add",
        "orientation_add",
        "referent_assign",
    ):
        assert reverse(f"beneficiaries:{name}", args=[person.pk]) in actions, name
    assert "/freins/" in actions or "obstacle" in actions or len(forms) >= 9
    missing = [opening for opening, body in forms if "csrfmiddlewaretoken" not in body]
    assert missing == []


def test_the_follow_up_forms_after_an_exit_carry_their_csrf_token(client, sophie):
    person = follow(sophie)
    ExitFactory(beneficiary=person, exit_on=TODAY - relativedelta(months=7))
    client.force_login(sophie)
    content = client.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    forms = post_forms(content)
    assert any("suivi" in opening or "/6/" in opening for opening, _ in forms)
    assert [opening for opening, body in forms if "csrfmiddlewaretoken" not in body] == []


def test_a_quick_entry_saved_without_javascript_opens_the_file_on_its_message(sophie):
    person = follow(sophie)
    browser = csrf_client(sophie)
    url = reverse("beneficiaries:file", args=[person.pk])
    token = token_of(browser.get(url).content.decode())
    response = browser.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {
            "csrfmiddlewaretoken": token,
            "entretien-kind": "individual",
            "entretien-date": TODAY.isoformat(),
            "entretien-note": "Premier rendez-vous",
        },
    )
    assert response.status_code == 302
    assert response.url == url + FEEDBACK_ANCHOR
    page = browser.get(url)
    content = page.content.decode()
    # The message is next to the interview form, focused on load, and the form is open, blank.
    feedback = re.search(r'<div class="[^"]*pti-entry-feedback[^"]*"[^>]*>', content).group(0)
    assert 'id="retour-saisie"' in feedback
    assert "autofocus" in feedback
    assert 'tabindex="-1"' in feedback
    column = content[content.index('id="retour-saisie"') : content.index("Identifier un frein")]
    assert "entretien est enregistré." in column
    assert re.search(r'<details class="card" id="form-entretien" open>', content)
    assert "Premier rendez-vous</textarea>" not in content
    # Not drawn again at the top of the page.
    assert "pti-messages" not in content
    assert "entretien est enregistré." not in browser.get(url).content.decode()


@pytest.mark.parametrize(
    ("name", "data", "place", "message"),
    [
        ("obstacle_add", {"frein-kind": "housing", "frein-identified_on": "T"}, "form-frein",
         "Le frein est identifié."),
        ("exit_add", {"sortie-category": "end_of_right", "sortie-contract_type": "cdi",
                      "sortie-exit_on": "T"}, "", "La sortie est enregistrée."),
    ],
)  # fmt: skip
def test_each_quick_entry_without_javascript_shows_its_message_where_it_was_made(
    sophie, name, data, place, message
):
    person = follow(sophie)
    browser = csrf_client(sophie)
    url = reverse("beneficiaries:file", args=[person.pk])
    values = {key: TODAY.isoformat() if value == "T" else value for key, value in data.items()}
    values["csrfmiddlewaretoken"] = token_of(browser.get(url).content.decode())
    response = browser.post(reverse(f"beneficiaries:{name}", args=[person.pk]), values)
    assert response.status_code == 302, response.content.decode()[:2000]
    content = browser.get(url).content.decode()
    assert content.count('id="retour-saisie"') == 1
    assert message.replace("'", "&#x27;") in content or message in content
    if place:
        assert f'id="{place}" open' in content


def test_a_manager_names_the_referent_without_javascript(ccas, sophie, manager):
    person = follow(sophie)
    marc = UserFactory(referent=True, organisation=ccas, first_name="Marc", last_name="Petit")
    browser = csrf_client(manager)
    url = reverse("beneficiaries:file", args=[person.pk])
    token = token_of(browser.get(url).content.decode())
    response = browser.post(
        reverse("beneficiaries:referent_assign", args=[person.pk]),
        {
            "csrfmiddlewaretoken": token,
            "referent-referent": str(marc.pk),
            "referent-start_date": TODAY.isoformat(),
            "referent-reason": "caseload",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    content = browser.get(url).content.decode()
    assert "Le référent est désigné." in content
    assert 'id="form-referent" open' in content
    assert person.assignments.get(end_date__isnull=True).referent == marc


# --- With htmx: the block, the message where the user is, the announcement -----------------------


def test_a_quick_entry_with_htmx_puts_the_message_next_to_its_form_and_announces_it(client, sophie):
    person = follow(sophie)
    client.force_login(sophie)
    response = client.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {
            "entretien-kind": "individual",
            "entretien-date": TODAY.isoformat(),
            "entretien-note": "Premier rendez-vous",
        },
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    # The region that exists before the swap gets the message, out of band.
    assert re.search(
        r'<div id="annonce-saisie" hx-swap-oob="innerHTML">L(&#x27;|\')entretien est enregistré.',
        content,
    )
    # The visible message: first thing of the interview form's column, focused after the swap.
    assert content.index('id="retour-saisie"') < content.index('id="form-entretien"')
    assert content.index('id="retour-saisie"') > content.index('id="saisie"')
    assert 'id="form-entretien" open' in content
    assert "Premier rendez-vous</textarea>" not in content


def test_the_file_page_holds_the_announcement_region_outside_the_swapped_block(client, sophie):
    person = follow(sophie)
    client.force_login(sophie)
    content = client.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    region = content.index('<div id="annonce-saisie" class="visually-hidden" role="status">')
    assert region < content.index('<div id="dossier">')


def test_a_refused_quick_entry_keeps_its_form_open_and_focuses_the_error_summary(client, sophie):
    person = follow(sophie)
    client.force_login(sophie)
    response = client.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {
            "entretien-kind": "individual",
            "entretien-date": (TODAY + datetime.timedelta(days=1)).isoformat(),
            "entretien-note": "Texte à garder",
        },
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert 'id="form-entretien" open' in content
    summary = re.search(r"<div[^>]*data-pti-error-summary[^>]*>", content).group(0)
    assert "autofocus" in summary
    assert "ne peut pas être dans le futur" in content
    assert "Texte à garder</textarea>" in content
    assert 'id="retour-saisie"' not in content


def test_an_obstacle_update_and_a_prescription_sent_show_their_message_in_their_block(
    client, sophie
):
    person = follow(sophie)
    obstacle = ObstacleFactory(beneficiary=person, identified_on=TODAY - datetime.timedelta(days=3))
    prescription = PrescriptionFactory(
        beneficiary=person, action=ActionFactory(), status=PrescriptionStatus.PROPOSED
    )
    client.force_login(sophie)
    response = client.post(
        reverse("beneficiaries:obstacle_progress", args=[obstacle.pk]),
        {"status": "lifted", "on": TODAY.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert "L&#x27;état du frein est mis à jour." in content
    freins = content.index(">Freins</h3>")
    assert freins < content.index('id="retour-saisie"') < content.index(">Prescriptions</h3>")
    response = client.post(
        reverse("beneficiaries:prescription_send", args=[prescription.pk]), HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert content.index(">Prescriptions</h3>") < content.index('id="retour-saisie"')


# --- The history ---------------------------------------------------------------------------------


def history(client, person):
    response = client.get(reverse("beneficiaries:file", args=[person.pk]))
    return [event.title for event in response.context["timeline"]]


def test_the_history_orders_a_same_days_entries_as_they_were_recorded(client, sophie):
    person = follow(sophie)
    day = TODAY - datetime.timedelta(days=2)
    services.interview_add(beneficiary=person, kind="phone", date=day, note="", by=sophie)
    services.obstacle_identify(
        beneficiary=person, kind="housing", identified_on=day, note="", by=sophie
    )
    services.interview_add(beneficiary=person, kind="individual", date=day, note="", by=sophie)
    client.force_login(sophie)
    titles = [t for t in history(client, person) if not t.startswith("Référent")]
    # Newest first, as the history reads: the last one recorded on top.
    assert titles == [
        "entretien individuel",
        "Frein identifié : logement",
        "entretien téléphonique",
    ]


def test_a_frein_lifted_straight_shows_no_step_that_did_not_happen(client, sophie):
    person = follow(sophie)
    obstacle = ObstacleFactory(
        beneficiary=person, kind="housing", identified_on=TODAY - datetime.timedelta(days=9)
    )
    services.obstacle_progress(
        obstacle=obstacle, status=ObstacleStatus.LIFTED, on=TODAY, actions=[], by=sophie
    )
    client.force_login(sophie)
    titles = history(client, person)
    assert "Frein levé : logement" in titles
    assert not [t for t in titles if "en cours de traitement" in t]


def test_a_frein_addressed_then_lifted_the_same_day_reads_in_that_order(client, sophie):
    person = follow(sophie)
    obstacle = ObstacleFactory(beneficiary=person, kind="housing", identified_on=TODAY)
    for status in (ObstacleStatus.ADDRESSED, ObstacleStatus.LIFTED):
        services.obstacle_progress(
            obstacle=obstacle, status=status, on=TODAY, actions=[], by=sophie
        )
    client.force_login(sophie)
    titles = [t for t in history(client, person) if "logement" in t]
    assert titles == [
        "Frein levé : logement",
        "Frein en cours de traitement : logement",
        "Frein identifié : logement",
    ]


# --- Interview notes -----------------------------------------------------------------------------


def test_a_long_interview_note_is_kept_whole(client, sophie):
    person = follow(sophie)
    note = "Recherche d'emploi dans la logistique. " * 40  # 1 560 characters
    client.force_login(sophie)
    response = client.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {
            "entretien-kind": "individual",
            "entretien-date": TODAY.isoformat(),
            "entretien-note": note,
        },
    )
    assert response.status_code == 302
    assert person.interviews.get().note == note.strip()


def test_an_interview_note_over_the_limit_is_refused_with_a_french_message(client, sophie):
    person = follow(sophie)
    client.force_login(sophie)
    response = client.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {
            "entretien-kind": "individual",
            "entretien-date": TODAY.isoformat(),
            "entretien-note": "x" * 2001,
        },
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert "au plus 2000 caractères (actuellement 2001)" in content
    assert "x" * 2001 in content  # nothing lost
    assert not person.interviews.exists()


def test_the_interview_note_field_does_not_cut_pasted_text_and_says_its_limit(client, sophie):
    person = follow(sophie)
    client.force_login(sophie)
    content = client.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    textarea = re.search(r'<textarea name="entretien-note"[^>]*>', content).group(0)
    assert "maxlength" not in textarea
    assert "2 000 caractères au plus" in content


def test_the_database_holds_the_interview_note_limit(sophie):
    person = follow(sophie)
    interview = InterviewFactory(beneficiary=person, note="x" * 2000)
    assert len(Interview.objects.get(pk=interview.pk).note) == 2000
    with pytest.raises(ValidationError):
        Interview(beneficiary=person, kind="individual", date=TODAY, note="x" * 2001).full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        InterviewFactory(beneficiary=person, note="x" * 2001)


@pytest.mark.parametrize(
    ("name", "url_name"),
    [
        ("frein-note", "beneficiaries:obstacle_add"),
        ("prescription-note", "beneficiaries:prescription_add"),
    ],
)
def test_the_frein_and_prescription_notes_are_not_cut_by_the_browser(
    client, sophie, name, url_name
):
    """Their 500 characters are said and refused with a message, never cut by `maxlength`."""
    person = follow(sophie)
    client.force_login(sophie)
    content = client.get(reverse("beneficiaries:file", args=[person.pk])).content.decode()
    field = re.search(rf'<textarea name="{name}"[^>]*>', content).group(0)
    assert "maxlength" not in field
    assert 'data-pti-max="500"' in field
    response = client.post(
        reverse(url_name, args=[person.pk]),
        {"frein-kind": "mobility", "frein-identified_on": TODAY.isoformat(), name: "y" * 501},
    )
    assert response.status_code == 422
    assert "au plus 500 caractères (actuellement 501)" in response.content.decode()
    assert "y" * 501 in response.content.decode()
