"""A signed or archived pact offers no form that would change its parties or commitments,
and refuses such a post anyway."""

import pytest
from django.urls import reverse

from pti.enums import PactStatus
from signatories.models import Commitment, Signatory
from tests.pti.factories import OrientationFactory, PactFactory, UserFactory, frozen
from tests.signatories.factories import CommitmentFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


@pytest.fixture(params=[PactStatus.SIGNED, PactStatus.ARCHIVED])
def closed_pact(request):
    """A pact signed (or archived) with one party and its commitment."""
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    signatory = SignatoryFactory(pact=pact, signer_name="Hélène Brun")
    CommitmentFactory(signatory=signatory, title="Transmettre le flux")
    return frozen(pact, request.param)


def edit_urls(pact):
    signatory = pact.signatories.get()
    commitment = signatory.commitments.get()
    return {
        "Modifier": reverse("signatories:signatory_update", args=[signatory.pk]),
        "Retirer": reverse("signatories:signatory_remove", args=[signatory.pk]),
        "Refus": reverse("signatories:signatory_decline", args=[signatory.pk]),
        "Supprimer": reverse("signatories:commitment_delete", args=[commitment.pk]),
        "Enregistrer la signature": reverse("signatories:signature_record", args=[signatory.pk]),
    }


def test_the_pages_of_a_closed_pact_show_no_edit_or_remove_button(pilot, closed_pact):
    signatory = closed_pact.signatories.get()
    pages = [
        reverse("pti:pact_detail", args=[closed_pact.pk]),
        reverse("signatories:signatory_list", args=[closed_pact.pk]),
        reverse("signatories:signatory_detail", args=[signatory.pk]),
    ]
    for url in pages:
        content = pilot.get(url).content.decode()
        for href in edit_urls(closed_pact).values():
            assert href not in content, (url, href)
        assert "Ajouter un engagement" not in content
        assert "Ajouter le signataire" not in content


@pytest.mark.parametrize("label", ["Modifier", "Retirer", "Refus", "Supprimer"])
def test_the_edit_pages_of_a_closed_pact_are_not_offered(pilot, closed_pact, label):
    url = edit_urls(closed_pact)[label]

    response = pilot.get(url, follow=True)

    content = response.content.decode()
    assert response.redirect_chain, "the form page is not offered"
    assert "pti-form" not in content
    assert any(
        phrase in content
        for phrase in ("ne peut plus être modifié", "ne peuvent plus être modifiés", "Un refus")
    )


@pytest.mark.parametrize("label", ["Modifier", "Retirer", "Refus", "Supprimer"])
def test_a_post_to_change_a_closed_pact_is_refused_and_changes_nothing(pilot, closed_pact, label):
    signatory = closed_pact.signatories.get()
    before = (
        Signatory.objects.filter(pk=signatory.pk).values().get(),
        list(Commitment.objects.filter(signatory=signatory).values()),
    )

    response = pilot.post(
        edit_urls(closed_pact)[label],
        {
            "signer_name": "Réécrit",
            "signer_title": "Réécrit",
            "position": 9,
            "lock_version": signatory.lock_version,
            "reason": "Réécrit",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain
    assert (
        Signatory.objects.filter(pk=signatory.pk).values().get(),
        list(Commitment.objects.filter(signatory=signatory).values()),
    ) == before
