import datetime

import pytest
from django.urls import reverse

from pti.enums import PactStatus
from pti.models import Objective, Orientation, Pact
from tests.pti.factories import (
    ObjectiveFactory,
    OrientationFactory,
    PactFactory,
    UserFactory,
    frozen,
)
from tests.signatories.factories import CommitmentTargetFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_pilot_creates_a_pact_and_lands_on_it(pilot):
    response = pilot.post(
        reverse("pti:pact_create"),
        {
            "title": "Pacte territorial d'insertion",
            "department_name": "Loire",
            "period_start": 2021,
            "period_end": 2025,
            "preamble": "Premier paragraphe.\n\n- un point\n- un autre",
            "legal_frame": "",
        },
        follow=True,
    )
    pact = Pact.objects.get(code="pti-2021-2025")
    assert response.redirect_chain[-1][0] == reverse("pti:pact_detail", args=[pact.pk])
    content = response.content.decode()
    assert "<p>Premier paragraphe.</p>" in content
    assert "<ul><li>un point</li><li>un autre</li></ul>" in content
    assert "Le pacte est créé en projet" in messages_of(response)[0]


def test_a_bad_period_keeps_what_was_typed_and_says_why(pilot):
    response = pilot.post(
        reverse("pti:pact_create"),
        {
            "title": "Mon pacte",
            "department_name": "Loire",
            "period_start": 2025,
            "period_end": 2021,
            "preamble": "Texte saisi",
            "legal_frame": "",
        },
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert "La dernière année doit suivre la première." in content
    assert 'value="Mon pacte"' in content
    assert "Texte saisi" in content
    assert not Pact.objects.exists()


def test_pilot_edits_an_orientation_of_a_draft(pilot):
    orientation = OrientationFactory(title="Ancien titre")
    response = pilot.post(
        reverse("pti:orientation_update", args=[orientation.pk]),
        {"title": "Nouveau titre", "description": "", "lock_version": orientation.lock_version},
    )
    assert response.status_code == 302
    orientation.refresh_from_db()
    assert orientation.title == "Nouveau titre"


def test_a_concurrent_edit_is_refused_and_the_typed_text_is_kept(pilot):
    orientation = OrientationFactory(title="Titre d'origine")
    stale = orientation.lock_version
    pilot.post(
        reverse("pti:orientation_update", args=[orientation.pk]),
        {"title": "Saisie de Claire", "description": "", "lock_version": stale},
    )
    response = pilot.post(
        reverse("pti:orientation_update", args=[orientation.pk]),
        {"title": "Saisie de Karim", "description": "", "lock_version": stale},
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert "Quelqu&#x27;un d&#x27;autre a enregistré une modification" in content
    assert 'value="Saisie de Karim"' in content
    orientation.refresh_from_db()
    assert orientation.title == "Saisie de Claire"


@pytest.mark.parametrize("status", [PactStatus.ADOPTED, PactStatus.SIGNED, PactStatus.ARCHIVED])
def test_every_edit_of_a_frozen_pact_is_refused_even_by_a_direct_post(pilot, status):
    pact = PactFactory()
    orientation = OrientationFactory(pact=pact, title="Intact", position=1)
    OrientationFactory(pact=pact, title="Second", position=2)
    objective = ObjectiveFactory(orientation=orientation, title="Intact", position=1)
    frozen(pact, status)
    posts = [
        ("pti:pact_update", pact.pk, {"title": "Changé", "period_start": 2016, "period_end": 2020}),
        ("pti:pact_adopt", pact.pk, {"deliberation_date": "2016-06-27"}),
        ("pti:orientation_create", pact.pk, {"title": "Nouvelle"}),
        ("pti:orientation_update", orientation.pk, {"title": "Changé"}),
        ("pti:orientation_delete", orientation.pk, {}),
        ("pti:orientation_move", orientation.pk, {"direction": "down"}),
        ("pti:objective_create", orientation.pk, {"title": "Nouveau"}),
        ("pti:objective_update", objective.pk, {"title": "Changé"}),
        ("pti:objective_delete", objective.pk, {}),
    ]
    for name, pk, data in posts:
        response = pilot.post(reverse(name, args=[pk]), data, follow=True)
        assert response.redirect_chain, name
        assert any("ne peut plus être modifié" in m for m in messages_of(response)), name
    pact.refresh_from_db()
    assert pact.title != "Changé"
    assert list(pact.orientations.values_list("title", flat=True)) == ["Intact", "Second"]
    assert list(
        Objective.objects.filter(orientation__pact=pact).values_list("title", flat=True)
    ) == ["Intact"]


def test_the_edit_form_of_a_signed_pact_is_not_even_shown(pilot):
    pact = PactFactory(
        status=PactStatus.SIGNED,
        deliberation_date=datetime.date(2016, 6, 27),
        signed_on=datetime.date(2016, 10, 1),
    )
    response = pilot.get(reverse("pti:pact_update", args=[pact.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("pti:pact_detail", args=[pact.pk])
    assert "Ce pacte est signé : il ne peut plus être modifié" in messages_of(response)[0]


def test_moving_an_orientation_with_htmx_returns_the_orientations_block(pilot):
    pact = PactFactory()
    first = OrientationFactory(pact=pact, position=1, title="Premier")
    OrientationFactory(pact=pact, position=2, title="Second")
    response = pilot.post(
        reverse("pti:orientation_move", args=[first.pk]),
        {"direction": "down"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith("<section")
    assert "<html" not in content
    assert content.index("Orientation 1 – Second") < content.index("Orientation 2 – Premier")


def test_moving_without_javascript_reloads_the_page_at_the_orientation(pilot):
    pact = PactFactory()
    first = OrientationFactory(pact=pact, position=1)
    OrientationFactory(pact=pact, position=2)
    response = pilot.post(reverse("pti:orientation_move", args=[first.pk]), {"direction": "down"})
    assert response.url == reverse("pti:pact_detail", args=[pact.pk]) + f"#orientation-{first.pk}"
    assert Orientation.objects.get(pk=first.pk).position == 2


def test_adoption_through_the_page(pilot):
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    response = pilot.post(
        reverse("pti:pact_adopt", args=[pact.pk]), {"deliberation_date": "2016-06-27"}, follow=True
    )
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED
    assert "Le pacte est adopté" in messages_of(response)[0]
    assert "Enregistrer les signatures" in response.content.decode()


def test_a_bad_date_of_deliberation_gets_a_french_message(pilot):
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    response = pilot.post(
        reverse("pti:pact_adopt", args=[pact.pk]), {"deliberation_date": "31/02/2016"}
    )
    assert response.status_code == 422
    assert "Saisissez une date valide." in response.content.decode()


def test_readers_see_the_pact_but_no_edit_button(client_as):
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    response = client_as(UserFactory(referent=True)).get(reverse("pti:pact_detail", args=[pact.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Orientation 1" in content
    assert "Modifier le texte" not in content
    assert "Actions sur le pacte" not in content


def build_pact(orientations, signatories):
    pact = PactFactory()
    for position in range(1, orientations + 1):
        orientation = OrientationFactory(pact=pact, position=position)
        ObjectiveFactory(orientation=orientation, position=1)
        ObjectiveFactory(orientation=orientation, position=2)
    for _ in range(signatories):
        signatory = SignatoryFactory(pact=pact)
        CommitmentTargetFactory(
            commitment__signatory=signatory, commitment__orientation=pact.orientations.first()
        )
    return pact


def test_the_pact_page_makes_the_same_number_of_queries_for_1_or_many_rows(
    pilot, assert_constant_queries
):
    small = build_pact(orientations=1, signatories=1)
    large = build_pact(orientations=6, signatories=25)

    def page(pact):
        response = pilot.get(reverse("pti:pact_detail", args=[pact.pk]))
        assert response.status_code == 200
        return response

    assert_constant_queries(lambda: page(small), lambda: page(large))
    assert page(large).content.decode().count('<article class="card mb-3"') == 6


def test_the_signatories_page_makes_the_same_number_of_queries_for_1_or_25(
    pilot, assert_constant_queries
):
    small = build_pact(orientations=2, signatories=1)
    large = build_pact(orientations=2, signatories=25)

    def page(pact):
        assert pilot.get(reverse("signatories:signatory_list", args=[pact.pk])).status_code == 200

    assert_constant_queries(lambda: page(small), lambda: page(large))


def test_the_pact_list_makes_the_same_number_of_queries_for_1_or_many_versions(
    pilot, assert_constant_queries
):
    PactFactory()

    def page():
        assert pilot.get(reverse("pti:pact_list")).status_code == 200

    assert_constant_queries(page, page, between=lambda: PactFactory.create_batch(10))
