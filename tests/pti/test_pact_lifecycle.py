"""The pact's lifecycle: draft -> adopted -> signed -> archived, and amendments."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from pti import services
from pti.enums import PactStatus
from pti.models import Objective, Orientation, Pact
from signatories import services as signatory_services
from signatories.enums import SignatoryStatus
from signatories.models import Commitment, Signatory
from tests.pti.factories import ObjectiveFactory, OrientationFactory, PactFactory
from tests.signatories.factories import CommitmentTargetFactory, SignatoryFactory

pytestmark = pytest.mark.django_db

DELIBERATION = datetime.date(2016, 6, 27)


def draft_pact(orientations=2):
    pact = PactFactory()
    for position in range(1, orientations + 1):
        orientation = OrientationFactory(pact=pact, position=position)
        ObjectiveFactory(orientation=orientation, position=1)
    return pact


def adopted_pact(signatories=2, committing=None):
    """A pact adopted with its parties, the Département first; `committing(signatory,
    orientation)` gives the first party a commitment while the pact is still a draft, as only
    a draft may."""
    pact = draft_pact()
    for number in range(signatories):
        # The first party is the Département, whose signature the round needs to close.
        SignatoryFactory(pact=pact, organisation__departement=number == 0)
    if committing:
        committing(pact.signatories.order_by("pk").first(), pact.orientations.first())
    return services.pact_adopt(pact=pact, deliberation_date=DELIBERATION)


def sign(signatory, day=1):
    return signatory_services.signature_record(
        signatory=signatory,
        signer_name=signatory.signer_name or "Marie Dupont",
        signer_title="Directrice",
        signed_on=DELIBERATION + datetime.timedelta(days=day),
    )


def signed_pact(committing=None):
    pact = adopted_pact(committing=committing)
    for day, signatory in enumerate(pact.signatories.all(), start=1):
        sign(signatory, day)
    return signatory_services.signature_round_close(pact=pact)


# --- Draft ------------------------------------------------------------------------------


def test_a_new_pact_is_a_draft_with_its_period_code():
    pact = services.pact_create(
        title="Pacte territorial d'insertion",
        department_name="Loire",
        period_start=2021,
        period_end=2025,
    )
    assert pact.status == PactStatus.DRAFT
    assert pact.code == "pti-2021-2025"
    assert pact.version == 1


def test_a_second_pact_for_the_same_period_is_refused():
    services.pact_create(title="PTI", department_name="Loire", period_start=2021, period_end=2025)
    with pytest.raises(ValidationError, match="existe déjà pour la période 2021-2025"):
        services.pact_create(
            title="PTI bis", department_name="Loire", period_start=2021, period_end=2025
        )


def test_a_draft_is_edited():
    pact = draft_pact()
    services.pact_update(pact=pact, expected_version=pact.lock_version, preamble="Nouveau texte")
    pact.refresh_from_db()
    assert pact.preamble == "Nouveau texte"
    assert pact.lock_version == 2


def test_a_stale_form_is_refused_and_overwrites_nothing():
    pact = draft_pact()
    opened_version = pact.lock_version
    services.pact_update(pact=pact, expected_version=opened_version, preamble="Première saisie")
    with pytest.raises(services.ConcurrentEdit, match="Quelqu'un d'autre a enregistré"):
        services.pact_update(pact=pact, expected_version=opened_version, preamble="Seconde saisie")
    pact.refresh_from_db()
    assert pact.preamble == "Première saisie"


def test_orientations_are_numbered_moved_and_renumbered_on_delete():
    pact = PactFactory()
    first = services.orientation_create(pact=pact, title="Connaissance")
    second = services.orientation_create(pact=pact, title="Santé")
    third = services.orientation_create(pact=pact, title="Emploi")
    assert [first.position, second.position, third.position] == [1, 2, 3]

    services.orientation_move(orientation=third, offset=-1)
    assert list(pact.orientations.values_list("title", flat=True)) == [
        "Connaissance",
        "Emploi",
        "Santé",
    ]
    services.orientation_move(orientation=first, offset=-1)  # already first: nothing moves
    assert pact.orientations.get(pk=first.pk).position == 1

    services.orientation_delete(orientation=first)
    assert list(pact.orientations.values_list("position", "title")) == [(1, "Emploi"), (2, "Santé")]


def test_objectives_move_within_their_orientation():
    orientation = OrientationFactory()
    a = services.objective_create(orientation=orientation, title="A")
    services.objective_create(orientation=orientation, title="B")
    services.objective_move(objective=a, offset=1)
    assert list(orientation.objectives.values_list("title", flat=True)) == ["B", "A"]


# --- Adoption -----------------------------------------------------------------------------


def test_adoption_freezes_the_text():
    pact = adopted_pact()
    assert pact.status == PactStatus.ADOPTED
    assert pact.deliberation_date == DELIBERATION
    with pytest.raises(services.PactFrozen, match="a été adopté"):
        services.pact_update(pact=pact, expected_version=None, preamble="Changement")
    with pytest.raises(services.PactFrozen):
        services.orientation_create(pact=pact, title="Nouvelle")
    with pytest.raises(services.PactFrozen):
        services.objective_update(
            objective=Objective.objects.filter(orientation__pact=pact).first(),
            expected_version=None,
            title="Changé",
            description="",
        )


def test_a_pact_without_orientation_is_not_adopted():
    pact = PactFactory()
    with pytest.raises(ValidationError, match="sans orientation"):
        services.pact_adopt(pact=pact, deliberation_date=DELIBERATION)
    pact.refresh_from_db()
    assert pact.status == PactStatus.DRAFT


def test_a_deliberation_in_the_future_is_refused():
    pact = draft_pact()
    with pytest.raises(ValidationError, match="dans le futur"):
        services.pact_adopt(
            pact=pact, deliberation_date=datetime.date.today() + datetime.timedelta(days=1)
        )


def test_no_signature_before_adoption():
    pact = draft_pact()
    signatory = SignatoryFactory(pact=pact)
    with pytest.raises(ValidationError, match="une fois le pacte adopté"):
        sign(signatory)
    signatory.refresh_from_db()
    assert signatory.status == SignatoryStatus.EXPECTED


# --- Signature -----------------------------------------------------------------------------


def test_the_pact_stays_in_signature_when_every_party_signed_until_the_pilot_closes():
    pact = adopted_pact(signatories=3)
    first, second, third = pact.signatories.order_by("pk")
    sign(first, 1)
    sign(second, 5)
    sign(third, 3)
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED
    assert pact.signatories.status_summary() == {
        "total": 3,
        "signed": 3,
        "expected": 0,
        "declined": 0,
        "awaited": 3,
        "departement_signed": True,
        "label": "3 signataires sur 3 parties ; 0 refus ; 0 sans réponse",
    }
    signed = signatory_services.signature_round_close(pact=pact)
    assert signed.status == PactStatus.SIGNED
    assert signed.signed_on == DELIBERATION + datetime.timedelta(days=5)


def test_a_signature_before_the_deliberation_is_refused():
    pact = adopted_pact()
    signatory = pact.signatories.first()
    with pytest.raises(ValidationError, match="ne peut pas précéder la délibération"):
        sign(signatory, day=-3)


def test_a_party_cannot_sign_twice():
    pact = adopted_pact(signatories=2)
    signatory = pact.signatories.first()
    sign(signatory)
    with pytest.raises(ValidationError, match="déjà enregistrée"):
        sign(Signatory.objects.get(pk=signatory.pk))


def test_a_decline_by_the_last_party_leaves_the_round_to_the_pilot():
    pact = adopted_pact(signatories=2)
    first, second = pact.signatories.order_by("pk")
    sign(first)
    signatory_services.signatory_decline(signatory=second, reason="Pas de mandat de son conseil")
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED
    assert pact.signatories.status_summary()["label"] == (
        "1 signataire sur 2 parties ; 1 refus ; 0 sans réponse"
    )


def test_the_pilot_closes_the_round_with_the_signatures_gathered():
    pact = adopted_pact(signatories=3)
    sign(pact.signatories.first(), 2)
    signed = signatory_services.signature_round_close(pact=pact)
    assert signed.status == PactStatus.SIGNED
    assert signed.signed_on == DELIBERATION + datetime.timedelta(days=2)
    assert signed.signatories.status_summary()["expected"] == 2


def test_the_round_is_not_closed_without_any_signature():
    pact = adopted_pact()
    with pytest.raises(ValidationError, match="Le Département n'a pas signé"):
        signatory_services.signature_round_close(pact=pact)
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED


def test_the_round_is_not_closed_while_the_departement_has_not_signed():
    pact = adopted_pact(signatories=3)
    departement, caf, region = pact.signatories.order_by("pk")
    sign(caf, 1)
    sign(region, 2)
    with pytest.raises(ValidationError, match="Le Département n'a pas signé"):
        signatory_services.signature_round_close(pact=pact)
    sign(departement, 3)
    assert signatory_services.signature_round_close(pact=pact).status == PactStatus.SIGNED


def test_no_party_is_added_to_a_signed_pact():
    pact = signed_pact()
    with pytest.raises(ValidationError, match="Créez un avenant"):
        signatory_services.signatory_add(pact=pact, organisation=SignatoryFactory().organisation)


def test_a_signed_pact_refuses_every_edit():
    pact = signed_pact()
    orientation = pact.orientations.first()
    objective = Objective.objects.filter(orientation__pact=pact).first()
    attempts = [
        lambda: services.pact_update(pact=pact, expected_version=None, title="Autre"),
        lambda: services.orientation_create(pact=pact, title="Nouvelle"),
        lambda: services.orientation_update(
            orientation=orientation, expected_version=None, title="X", description=""
        ),
        lambda: services.orientation_move(orientation=orientation, offset=1),
        lambda: services.orientation_delete(orientation=orientation),
        lambda: services.objective_create(orientation=orientation, title="X"),
        lambda: services.objective_delete(objective=objective),
        lambda: signatory_services.commitment_save(
            signatory=pact.signatories.first(),
            orientation=orientation,
            title="X",
            description="",
        ),
        lambda: signatory_services.signatory_remove(signatory=pact.signatories.first()),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="signé"):
            attempt()
    assert pact.orientations.count() == 2
    assert Orientation.objects.get(pk=orientation.pk).title == orientation.title


# --- Amendments and archives -----------------------------------------------------------------


def test_an_amendment_is_a_draft_copy_and_the_signed_version_stays_intact():
    def committing(signatory, orientation):
        commitment = Commitment.objects.create(
            signatory=signatory, orientation=orientation, title="Engagement"
        )
        CommitmentTargetFactory(commitment=commitment, value=300, year=2018)

    pact = signed_pact(committing)

    amendment = signatory_services.pact_amend(pact=pact, reason="Contrat d'engagement")

    assert amendment.status == PactStatus.DRAFT
    assert (amendment.code, amendment.version, amendment.amends) == (pact.code, 2, pact)
    assert list(amendment.orientations.values_list("key", "title")) == list(
        pact.orientations.values_list("key", "title")
    )
    assert Objective.objects.filter(orientation__pact=amendment).count() == 2
    copies = amendment.signatories.all()
    assert copies.count() == 2
    assert {s.status for s in copies} == {SignatoryStatus.EXPECTED}
    copied = Commitment.objects.get(signatory__pact=amendment)
    assert copied.orientation.pact == amendment
    assert list(copied.indicator_targets.values_list("indicator__code", "year", "value")) == [
        ("test-chiffre-partenaire", 2018, 300)
    ]
    assert copied.carried_from == Commitment.objects.get(signatory__pact=pact)

    pact.refresh_from_db()
    assert pact.status == PactStatus.SIGNED
    assert pact.signatories.signed().count() == 2


def test_only_one_amendment_at_a_time():
    pact = signed_pact()
    signatory_services.pact_amend(pact=pact, reason="Premier")
    with pytest.raises(ValidationError, match="déjà en préparation"):
        signatory_services.pact_amend(pact=pact, reason="Second")
    assert Pact.objects.filter(code=pact.code).count() == 2


def test_no_amendment_without_a_reason_or_before_signature():
    with pytest.raises(ValidationError, match="objet de l'avenant"):
        signatory_services.pact_amend(pact=signed_pact(), reason="  ")
    with pytest.raises(ValidationError, match="version signée"):
        signatory_services.pact_amend(pact=draft_pact(), reason="Trop tôt")


def test_a_signed_amendment_archives_the_version_it_replaces():
    pact = signed_pact()
    amendment = signatory_services.pact_amend(pact=pact, reason="Avenant")
    amendment = services.pact_adopt(pact=amendment, deliberation_date=DELIBERATION)
    for day, signatory in enumerate(amendment.signatories.all(), start=10):
        sign(signatory, day)
    signatory_services.signature_round_close(pact=amendment)
    amendment.refresh_from_db()
    pact.refresh_from_db()
    assert amendment.status == PactStatus.SIGNED
    assert pact.status == PactStatus.ARCHIVED
    assert pact.archived_on == amendment.signed_on
    assert list(Pact.objects.in_force()) == [amendment]


def test_only_a_signed_pact_is_archived():
    with pytest.raises(ValidationError, match="Seul un pacte signé"):
        services.pact_archive(pact=adopted_pact())
    archived = services.pact_archive(pact=signed_pact())
    assert archived.status == PactStatus.ARCHIVED
    assert archived.archived_on == datetime.date.today()
