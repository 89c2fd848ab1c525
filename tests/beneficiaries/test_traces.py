"""Every look at people is traced, and no personal data reaches a URL or a log line.

- a search is posted and answered by a URL with a handle, never the text;
- lists, searches, the caseload and the operator inbox leave a `ListAccess` with the criteria,
  the number of people shown, and a searched text only as a keyed fingerprint;
- a refused attempt to open a file (outside scope: 404, outside role: 403) leaves a
  `RefusedAccess`, although the request failed;
- the pilot reads the traces, filtered by user, dates and person searched for;
- every answer carries `Cache-Control: no-store, private`;
- a NUL character in a parameter is a 400, never a 500;
- the log lines of a search, an import and a failing write hold no name, birth date, CAF
  number, phone or e-mail.
"""

import datetime
import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone

from actions.enums import PrescriptionStatus
from beneficiaries.enums import PeopleView, RefusedTarget
from beneficiaries.models import Household, ListAccess, RefusedAccess
from beneficiaries.traces import search_fingerprint
from tests.beneficiaries.factories import (
    ObstacleFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# A person whose identity must appear in no URL, no trace and no log line.
NAME, FIRST_NAME, BORN, CAF, PHONE, EMAIL = (
    "Quintanilla",
    "Bérénice",
    datetime.date(1983, 7, 19),
    "8765432",
    "06 55 44 33 22",
    "berenice.quintanilla@exemple.fr",
)
PERSONAL = [
    NAME,
    NAME.lower(),
    NAME.upper(),
    FIRST_NAME,
    "Berenice",
    "19/07/1983",
    "1983-07-19",
    CAF,
    PHONE,
    PHONE.replace(" ", ""),
    EMAIL,
]


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Roux")


@pytest.fixture
def berenice(sophie):
    return ReferentAssignmentFactory(
        referent=sophie,
        beneficiary__last_name=NAME,
        beneficiary__first_name=FIRST_NAME,
        beneficiary__birth_date=BORN,
        beneficiary__phone=PHONE,
        beneficiary__email=EMAIL,
        beneficiary__household__caf_number=CAF,
    ).beneficiary


@pytest.fixture
def elsewhere():
    return ReferentAssignmentFactory().beneficiary


def search(client, text, url_name="beneficiaries:list", **filters):
    return client.post(reverse(url_name), {"q": text, "state": "active", **filters}, follow=True)


# --- Searches never travel in a URL ------------------------------------------------------------


@pytest.mark.parametrize("text", [f"{FIRST_NAME} {NAME}", "19/07/1983", CAF])
def test_a_search_is_posted_and_the_url_carries_a_handle_only(client_as, sophie, berenice, text):
    response = search(client_as(sophie), text)

    assert [p.pk for p in response.context["page"].object_list] == [berenice.pk]
    ((url, _),) = response.redirect_chain
    for personal in PERSONAL:
        assert personal not in url
    assert "recherche=" in url
    # The page shows the text back to its author, and its pages keep the handle.
    assert f'value="{text}"' in response.content.decode()


def test_a_search_typed_in_the_url_is_not_read(client_as, sophie, berenice):
    ReferentAssignmentFactory(referent=sophie, beneficiary__last_name="Autre")

    response = client_as(sophie).get(reverse("beneficiaries:list"), {"q": NAME})

    assert response.context["page"].paginator.count == 2


def test_a_handle_of_another_session_finds_nothing_and_says_so(client, client_as, sophie, berenice):
    handle = search(client_as(sophie), NAME).redirect_chain[0][0].split("recherche=")[1]
    other = Client()
    other.force_login(sophie)

    response = other.get(reverse("beneficiaries:list"), {"recherche": handle}, follow=True)

    assert "Cette recherche n&#x27;est plus disponible" in response.content.decode()
    assert response.context["page"].paginator.count == 1  # the list, unsearched


def test_htmx_search_answers_the_fragment_and_pushes_the_handle_url(client_as, sophie, berenice):
    response = client_as(sophie).post(
        reverse("beneficiaries:portfolio"),
        {"q": NAME, "state": "active"},
        HTTP_HX_REQUEST="true",
        follow=True,
    )

    content = response.content.decode()
    assert "<html" not in content
    assert NAME.upper() in content
    assert "recherche=" in response.redirect_chain[0][0]


# --- Looks at lists are traced -----------------------------------------------------------------


def test_a_search_leaves_a_trace_with_its_kind_and_fingerprint_not_the_text(
    client_as, sophie, berenice
):
    search(client_as(sophie), f"{FIRST_NAME.upper()} {NAME}", territory="")

    trace = ListAccess.objects.get()
    assert (trace.user, trace.view, trace.shown, trace.total) == (
        sophie,
        PeopleView.LIST,
        1,
        1,
    )
    assert trace.filters["recherche"] == "nom"
    assert trace.filters["Situation"] == "dans le dispositif"
    # The same person typed another way gives the same fingerprint.
    assert trace.search_fingerprint == search_fingerprint(f"{NAME.lower()} berenice")
    stored = str(trace.filters) + trace.search_fingerprint
    for personal in PERSONAL:
        assert personal not in stored


def test_every_page_that_shows_people_leaves_a_trace(client_as, ccas, sophie, berenice):
    operator_org = OrganisationFactory()
    PrescriptionFactory(
        beneficiary=berenice, action__operator=operator_org, status=PrescriptionStatus.SENT
    )
    manager = UserFactory(manager=True, organisation=ccas)
    operator = UserFactory(operator=True, organisation=operator_org)

    client_as(sophie).get(reverse("beneficiaries:portfolio"))
    client_as(manager).get(reverse("beneficiaries:list"), {"due": "interview"})
    client_as(manager).get(reverse("beneficiaries:caseload"))
    client_as(operator).get(reverse("beneficiaries:operator_inbox"), {"etat": "all"})

    assert [
        (t.user, t.view, t.shown, t.total, t.filters) for t in ListAccess.objects.order_by("pk")
    ] == [
        (
            sophie,
            PeopleView.PORTFOLIO,
            1,
            1,
            {"Situation": "dans le dispositif", "Trier par": "nom (A à Z)"},
        ),
        (
            manager,
            PeopleView.LIST,
            1,
            1,
            {
                "À faire": "pas d'entretien depuis 3 mois",
                "Situation": "dans le dispositif",
                "Trier par": "nom (A à Z)",
            },
        ),
        (manager, PeopleView.CASELOAD, 0, 0, {}),
        (operator, PeopleView.OPERATOR_INBOX, 1, 1, {"état": "tous"}),
    ]


def test_the_preview_of_an_import_of_people_is_traced(client_as, settings, tmp_path, berenice):
    settings.MEDIA_ROOT = tmp_path
    CommuneFactory(postal_code="42000", name="Saint-Étienne", insee_code="42218")
    pilot = UserFactory(pilot=True)
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF\r\n"
        f"Mme;{NAME};{FIRST_NAME};19/07/1983;42000 Saint-Étienne;{CAF}\r\n"
        "M.;Nouveau;Jean;01/01/1980;42000 Saint-Étienne;1234567\r\n"
    )

    client_as(pilot).post(
        reverse("beneficiaries:import"),
        {"file": SimpleUploadedFile("liste.csv", text.encode("cp1252"), content_type="text/csv")},
    )

    trace = ListAccess.objects.get()
    assert (trace.user, trace.view, trace.shown, trace.total, trace.filters) == (
        pilot,
        PeopleView.IMPORT_PREVIEW,
        2,
        2,
        {"import": "liste de bénéficiaires"},
    )


# --- Refused attempts are traced ---------------------------------------------------------------


def test_a_file_outside_scope_answers_404_and_the_attempt_is_kept(client_as, sophie, elsewhere):
    response = client_as(sophie).get(reverse("beneficiaries:file", args=[elsewhere.pk]))

    assert response.status_code == 404
    attempt = RefusedAccess.objects.get()
    assert (attempt.user, attempt.target, attempt.object_id, attempt.page, attempt.status) == (
        sophie,
        RefusedTarget.FILE,
        elsewhere.pk,
        "beneficiaries:file",
        404,
    )


def test_a_guessed_id_that_names_nobody_is_kept_too(client_as, sophie):
    client_as(sophie).post(reverse("beneficiaries:interview_add", args=[999999]), {})

    assert RefusedAccess.objects.get().object_id == 999999


def test_a_refusal_by_role_is_kept_with_its_403(client_as, elsewhere):
    partner = UserFactory(partner=True)

    response = client_as(partner).get(reverse("beneficiaries:update", args=[elsewhere.pk]))

    assert response.status_code == 403
    attempt = RefusedAccess.objects.get()
    assert (attempt.user, attempt.target, attempt.status) == (partner, RefusedTarget.FILE, 403)


def test_prescriptions_and_obstacles_outside_scope_are_kept_with_their_kind(
    client_as, sophie, elsewhere
):
    obstacle = ObstacleFactory(beneficiary=elsewhere)
    prescription = PrescriptionFactory(beneficiary=elsewhere)
    operator = UserFactory(operator=True)
    client = client_as(sophie)

    client.post(reverse("beneficiaries:obstacle_progress", args=[obstacle.pk]), {})
    client.post(reverse("beneficiaries:prescription_send", args=[prescription.pk]))
    client_as(operator).get(reverse("beneficiaries:operator_prescription", args=[prescription.pk]))

    assert sorted(
        (a.target, a.object_id, a.user_id) for a in RefusedAccess.objects.all()
    ) == sorted(
        [
            (RefusedTarget.OBSTACLE, obstacle.pk, sophie.pk),
            (RefusedTarget.PRESCRIPTION, prescription.pk, sophie.pk),
            (RefusedTarget.PRESCRIPTION, prescription.pk, operator.pk),
        ]
    )


# --- The pilot reads the traces ----------------------------------------------------------------


def test_the_pilot_finds_who_searched_for_a_person_without_the_trace_holding_the_name(
    client_as, sophie, berenice
):
    other = UserFactory(referent=True, organisation=sophie.organisation, last_name="Autre")
    search(client_as(sophie), f"{NAME} {FIRST_NAME}")
    search(client_as(other), "Dupont")
    pilot = client_as(UserFactory(pilot=True))

    response = pilot.post(
        reverse("beneficiaries:journal") + "?nature=listes",
        {"nature": "listes", "q": f"bérénice {NAME.upper()}"},
        follow=True,
    )

    traces = list(response.context["page"].object_list)
    assert [t.user for t in traces] == [sophie]
    content = response.content.decode()
    assert "Roux" in content
    assert "1 trace" in content


def test_the_journal_filters_by_user_and_date(client_as, sophie, berenice):
    client_as(sophie).get(reverse("beneficiaries:file", args=[berenice.pk]))
    pilot = client_as(UserFactory(pilot=True))

    mine = pilot.get(reverse("beneficiaries:journal"), {"user": sophie.pk})
    tomorrow = pilot.get(
        reverse("beneficiaries:journal"),
        {"since": (TODAY + datetime.timedelta(days=1)).isoformat()},
    )

    assert [(a.user, a.what) for a in mine.context["page"].object_list] == [(sophie, "dossier")]
    assert list(tomorrow.context["page"].object_list) == []
    assert "Aucune trace ne correspond" in tomorrow.content.decode()


def test_reversed_dates_are_said_beside_the_field(client_as, sophie, berenice):
    client_as(sophie).get(reverse("beneficiaries:file", args=[berenice.pk]))
    pilot = client_as(UserFactory(pilot=True))

    response = pilot.get(
        reverse("beneficiaries:journal"), {"since": "2026-06-01", "until": "2026-05-01"}
    )

    assert list(response.context["page"].object_list) == []
    assert "Cette date précède celle du début" in response.content.decode()


def test_the_pilot_lists_the_refused_attempts(client_as, sophie, elsewhere):
    client_as(sophie).get(reverse("beneficiaries:file", args=[elsewhere.pk]))
    pilot = client_as(UserFactory(pilot=True))

    response = pilot.get(reverse("beneficiaries:refused_accesses"), {"user": sophie.pk})

    content = response.content.decode()
    assert response.status_code == 200
    assert "1 tentative" in content
    assert f"<td>{elsewhere.pk}</td>" in content
    assert f"<code>/beneficiaires/{elsewhere.pk}/</code>" in content
    assert "introuvable (hors périmètre)" in content
    journal = reverse("beneficiaries:journal")
    assert f'<li class="breadcrumb-item"><a href="{journal}">Journal des accès</a></li>' in content


@pytest.mark.parametrize("url_name", ["beneficiaries:journal", "beneficiaries:refused_accesses"])
@pytest.mark.parametrize("role", ["manager", "referent", "operator", "partner", "admin"])
def test_only_the_pilot_reads_the_traces(client_as, url_name, role):
    assert client_as(UserFactory(**{role: True})).get(reverse(url_name)).status_code == 403


# --- No cache keeps an answer --------------------------------------------------------------------


def test_every_answer_is_no_store(client_as, sophie, berenice):
    client = client_as(sophie)
    for response in (
        client.get(reverse("beneficiaries:file", args=[berenice.pk])),
        client.get(reverse("beneficiaries:portfolio"), HTTP_HX_REQUEST="true"),
        client.get(reverse("pti:home")),
    ):
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control
        assert "private" in cache_control


# --- NUL characters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("beneficiaries:operator_inbox", "etat=%00"),
        ("beneficiaries:list", "territory=%00"),
        ("beneficiaries:list", "recherche=a%00b"),
        ("evaluation:dashboard", "year=%00"),
        ("actions:catalogue", "q=%00"),
        ("actions:catalogue", "page=1&%00=1"),
    ],
)
def test_a_nul_character_in_a_parameter_is_a_400_not_a_500(client_as, url_name, query):
    user = UserFactory(
        **{
            "beneficiaries:operator_inbox": {"operator": True},
            "evaluation:dashboard": {"pilot": True},
        }.get(url_name, {"pilot": True})
    )
    response = client_as(user).get(f"{reverse(url_name)}?{query}")

    assert response.status_code == 400
    assert "Requête invalide" in response.content.decode()


def test_a_nul_character_in_a_posted_field_is_a_400(client_as, sophie, berenice):
    prescription = PrescriptionFactory(beneficiary=berenice, status=PrescriptionStatus.SENT)

    response = client_as(sophie).post(
        reverse("beneficiaries:prescription_cancel", args=[prescription.pk]),
        {"outcome": "annulée\x00"},
    )

    assert response.status_code == 400
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.SENT


# --- No personal data in any log line ------------------------------------------------------------


@pytest.fixture
def captured_logs():
    """What the configured handlers write (their own filters applied), for the test's time."""
    stream = io.StringIO()
    handlers = {
        handler
        for logger in [
            logging.getLogger(),
            *map(logging.getLogger, logging.root.manager.loggerDict),
        ]
        for handler in getattr(logger, "handlers", [])
        if isinstance(handler, logging.StreamHandler)
    }
    assert handlers, "aucun gestionnaire de journal configuré"
    previous = {handler: handler.setStream(stream) for handler in handlers}
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    yield stream
    logging.getLogger().setLevel(root_level)
    for handler, old in previous.items():
        handler.setStream(old)


def failing_household_write(request):
    """A write that breaks a database constraint, as a bug would: the error's detail quotes
    the CAF number."""
    from beneficiaries.models import Household as Model

    existing = Model.objects.get(caf_number=request.GET["n"])
    Model.objects.create(
        payer=existing.payer,
        caf_number=existing.caf_number,
        territory=existing.territory,
        family_situation=existing.family_situation,
        address=f"chez {NAME}",
    )


urlpatterns = [path("ecriture-en-echec/", failing_household_write)]
handler500 = "pti.views.server_error"


def test_no_personal_data_reaches_a_log_line(
    client_as, settings, sophie, berenice, captured_logs, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    pilot = UserFactory(pilot=True)
    client = client_as(pilot)
    # A search by name, by birth date, by CAF number.
    for text in (f"{FIRST_NAME} {NAME}", "19/07/1983", CAF):
        search(client, text)
    # An import naming the person (with a phone and an e-mail).
    commune = CommuneFactory(postal_code="42000", name="Saint-Étienne", insee_code="42218")
    text = (
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF;Téléphone;Courriel\r\n"
        f"Mme;{NAME};{FIRST_NAME};19/07/1983;42000 Saint-Étienne;{CAF};{PHONE};{EMAIL}\r\n"
        f"Mme;{NAME}son;{FIRST_NAME};19/07/1983;{commune.postal_code} Nulle-Part;{CAF};x;y\r\n"
    )
    client.post(
        reverse("beneficiaries:import"),
        {"file": SimpleUploadedFile("liste.csv", text.encode("cp1252"), content_type="text/csv")},
    )
    # A write that fails in the database, answered by the 500 page and logged.
    settings.ROOT_URLCONF = __name__
    failing = Client(raise_request_exception=False)
    failing.force_login(pilot)
    response = failing.get(f"/ecriture-en-echec/?n={CAF}")
    assert response.status_code == 500

    logged = captured_logs.getvalue()
    assert "Internal Server Error" in logged  # the failure itself is logged...
    for personal in PERSONAL:
        assert personal not in logged  # ...without what identifies the person
    if connection.vendor == "postgresql":
        assert "Key (payer, caf_number)=(•••)" in logged
    assert Household.objects.filter(caf_number=CAF).count() == 1
