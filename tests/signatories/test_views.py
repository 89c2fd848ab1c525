import datetime

import pytest
from django.urls import reverse

from pti.enums import PactStatus
from pti.models import Pact
from signatories.enums import SignatoryStatus
from signatories.models import Commitment, Convention, GovernanceBody, Meeting, Signatory
from tests.pti.factories import (
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
    frozen,
)
from tests.signatories.factories import (
    CommitmentFactory,
    ConventionFactory,
    GovernanceBodyFactory,
    MeetingFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def adopted_pact(**kwargs):
    return PactFactory(
        status=PactStatus.ADOPTED, deliberation_date=datetime.date(2016, 6, 27), **kwargs
    )


def test_pilot_adds_a_signatory_to_a_draft(pilot):
    pact = PactFactory()
    caf = OrganisationFactory(name="CAF de la Loire", caf=True)
    response = pilot.post(
        reverse("signatories:signatory_list", args=[pact.pk]),
        {"organisation": caf.pk, "signer_name": "", "signer_title": "Directrice", "position": 3},
        follow=True,
    )
    signatory = Signatory.objects.get(pact=pact)
    assert (signatory.organisation, signatory.status) == (caf, SignatoryStatus.EXPECTED)
    assert "CAF de la Loire est ajouté aux signataires." in messages_of(response)


def test_an_organisation_already_party_is_not_offered_again(pilot):
    pact = PactFactory()
    party = SignatoryFactory(pact=pact).organisation
    other = OrganisationFactory()
    response = pilot.get(reverse("signatories:signatory_list", args=[pact.pk]))
    choices = [
        choice for choice, _ in response.context["form"].fields["organisation"].choices if choice
    ]
    assert other.pk in [int(str(choice)) for choice in choices]
    assert party.pk not in [int(str(choice)) for choice in choices]


def test_recording_the_last_signature_leaves_the_pact_in_signature(pilot):
    pact = adopted_pact()
    signatory = SignatoryFactory(pact=pact, signer_name="")
    response = pilot.post(
        reverse("signatories:signature_record", args=[signatory.pk]),
        {"signer_name": "Hélène Brun", "signer_title": "Directrice", "signed_on": "2016-09-12"},
        follow=True,
    )
    signatory.refresh_from_db()
    pact.refresh_from_db()
    assert (signatory.status, signatory.signed_on) == (
        SignatoryStatus.SIGNED,
        datetime.date(2016, 9, 12),
    )
    assert signatory.signer_name == "Hélène Brun"
    assert pact.status == PactStatus.ADOPTED
    assert messages_of(response) == [
        f"Signature de {signatory.organisation} enregistrée "
        "(1 signataire sur 1 partie ; 0 refus ; 0 sans réponse)."
    ]


def test_a_signature_shows_the_count_while_others_are_awaited(pilot):
    pact = adopted_pact()
    first = SignatoryFactory(pact=pact)
    SignatoryFactory(pact=pact)
    response = pilot.post(
        reverse("signatories:signature_record", args=[first.pk]),
        {"signer_name": "Anne Morel", "signer_title": "Préfète", "signed_on": "2016-09-12"},
        follow=True,
    )
    assert "(1 signataire sur 2 parties ; 0 refus ; 1 sans réponse)" in messages_of(response)[0]
    assert "1 signataire sur 2 parties ; 0 refus ; 1 sans réponse" in response.content.decode()


def test_a_signature_dated_in_the_future_is_refused_with_the_form_kept(pilot):
    pact = adopted_pact()
    signatory = SignatoryFactory(pact=pact)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    response = pilot.post(
        reverse("signatories:signature_record", args=[signatory.pk]),
        {"signer_name": "Anne Morel", "signer_title": "Préfète", "signed_on": tomorrow},
    )
    assert response.status_code == 422
    assert "ne peut pas être dans le futur" in response.content.decode()
    assert 'value="Anne Morel"' in response.content.decode()
    signatory.refresh_from_db()
    assert signatory.status == SignatoryStatus.EXPECTED


def test_signatures_are_refused_on_a_draft_even_by_a_direct_post(pilot):
    signatory = SignatoryFactory(pact=PactFactory())
    response = pilot.post(
        reverse("signatories:signature_record", args=[signatory.pk]),
        {"signer_name": "X", "signer_title": "Y", "signed_on": "2016-09-12"},
        follow=True,
    )
    assert "une fois le pacte adopté" in messages_of(response)[0]
    assert Signatory.objects.get(pk=signatory.pk).status == SignatoryStatus.EXPECTED


def test_closing_the_round_asks_first_then_signs(pilot):
    pact = adopted_pact()
    SignatoryFactory(
        pact=pact,
        organisation__departement=True,
        signed=True,
        signed_on=datetime.date(2016, 9, 1),
    )
    SignatoryFactory(pact=pact)
    url = reverse("signatories:signature_round_close", args=[pact.pk])
    page = pilot.get(url).content.decode()
    assert "1 signataire sur 2 parties ; 0 refus ; 1 sans réponse" in page
    pilot.post(url)
    pact.refresh_from_db()
    assert (pact.status, pact.signed_on) == (PactStatus.SIGNED, datetime.date(2016, 9, 1))


def test_pilot_creates_an_amendment_from_the_signed_pact(pilot):
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    frozen(pact)
    response = pilot.post(
        reverse("signatories:pact_amend", args=[pact.pk]),
        {"reason": "Contrat d'engagement"},
        follow=True,
    )
    amendment = Pact.objects.get(code=pact.code, version=2)
    assert response.redirect_chain[-1][0] == reverse("pti:pact_detail", args=[amendment.pk])
    assert "avenant n° 1 est créé en projet" in messages_of(response)[0]
    assert "Objet de l'avenant : Contrat d&#x27;engagement" in response.content.decode()
    signed_page = pilot.get(reverse("pti:pact_detail", args=[pact.pk])).content.decode()
    assert "Ouvrir l'avenant n° 1 en préparation" in signed_page
    assert "Créer un avenant" not in signed_page


def test_a_new_commitment_leads_to_its_indicators(pilot):
    pact = PactFactory()
    orientation = OrientationFactory(pact=pact, position=1)
    signatory = SignatoryFactory(pact=pact)
    response = pilot.post(
        reverse("signatories:commitment_create", args=[signatory.pk]),
        {
            "orientation": orientation.pk,
            "title": "Accompagner les allocataires de moins de 26 ans",
            "description": "",
            "lock_version": "",
        },
    )
    commitment = Commitment.objects.get(signatory=signatory)
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:commitment_indicators", args=[commitment.pk])
    page = pilot.get(reverse("signatories:signatory_detail", args=[signatory.pk]))
    assert (
        "Aucun indicateur : lier un indicateur"
        in " ".join(page.content.decode().replace("<a href", " <a href").split())
        or "lier un indicateur" in page.content.decode()
    )


def test_commitments_of_a_signed_pact_are_not_edited(pilot):
    pact = PactFactory()
    commitment = CommitmentFactory(signatory__pact=pact, title="Intact")
    frozen(pact)
    response = pilot.post(
        reverse("signatories:commitment_update", args=[commitment.pk]),
        {
            "orientation": commitment.orientation_id,
            "title": "Changé",
        },
        follow=True,
    )
    assert "ne se modifient plus" in messages_of(response)[0]
    assert Commitment.objects.get(pk=commitment.pk).title == "Intact"


def test_a_convention_with_dates_in_the_wrong_order_is_refused(pilot):
    partner = OrganisationFactory()
    response = pilot.post(
        reverse("signatories:convention_create"),
        {
            "partner": partner.pk,
            "kind": "training",
            "title": "Formation",
            "start_date": "2020-01-01",
            "end_date": "2019-01-01",
            "status": "draft",
        },
    )
    assert response.status_code == 422
    assert "La fin doit suivre le début." in response.content.decode()
    assert not Convention.objects.exists()


def test_a_convention_is_recorded_and_shown_with_its_amount(pilot):
    partner = OrganisationFactory(name="Région Auvergne-Rhône-Alpes")
    pilot.post(
        reverse("signatories:convention_create"),
        {
            "partner": partner.pk,
            "kind": "training",
            "title": "Accès à la formation",
            "start_date": "2017-01-01",
            "end_date": "2020-12-31",
            "amount": "1250000.5",
            "status": "signed",
            "signed_on": "2016-12-10",
        },
    )
    convention = Convention.objects.get()
    page = pilot.get(reverse("signatories:convention_list")).content.decode()
    assert "1\u202f250\u202f000,50\u00a0€" in page
    assert convention.partner == partner


def test_a_ctip_needs_a_territory(pilot):
    PactFactory()
    response = pilot.post(
        reverse("signatories:body_create"), {"kind": "ctip", "name": "CTIP sans territoire"}
    )
    assert response.status_code == 422
    assert "Une commission territoriale a un territoire." in response.content.decode()
    assert not GovernanceBody.objects.exists()


def test_a_meeting_records_who_attended(pilot):
    body = GovernanceBodyFactory(territory=TerritoryFactory())
    present, excused = OrganisationFactory(name="CAF"), OrganisationFactory(name="MSA")
    pilot.post(
        reverse("signatories:meeting_create", args=[body.pk]),
        {
            "date": "2017-03-14",
            "place": "Roanne",
            "decisions": "- objectifs validés",
            "present": [present.pk],
            "excused": [excused.pk],
        },
    )
    meeting = Meeting.objects.get(body=body)
    assert {(a.organisation.name, a.attendance) for a in meeting.attendance.all()} == {
        ("CAF", "present"),
        ("MSA", "excused"),
    }
    page = pilot.get(reverse("signatories:body_detail", args=[body.pk])).content.decode()
    assert "CAF : présent" in page
    assert "<li>objectifs validés</li>" in page


def test_a_second_meeting_the_same_day_gets_a_french_message(pilot):
    meeting = MeetingFactory(date=datetime.date(2017, 3, 14))
    response = pilot.post(
        reverse("signatories:meeting_create", args=[meeting.body.pk]), {"date": "2017-03-14"}
    )
    assert response.status_code == 422
    assert "Une réunion de cette instance existe déjà à cette date." in response.content.decode()


def test_governance_and_conventions_lists_make_a_fixed_number_of_queries(
    pilot, assert_constant_queries
):
    ConventionFactory()
    MeetingFactory()

    def pages():
        assert pilot.get(reverse("signatories:convention_list")).status_code == 200
        assert pilot.get(reverse("signatories:body_list")).status_code == 200

    def more():
        ConventionFactory.create_batch(20)
        for _ in range(10):
            MeetingFactory()

    assert_constant_queries(pages, pages, between=more)


def test_a_body_page_makes_a_fixed_number_of_queries(pilot, assert_constant_queries):
    body = GovernanceBodyFactory()
    MeetingFactory(body=body)

    def page():
        assert pilot.get(reverse("signatories:body_detail", args=[body.pk])).status_code == 200

    assert_constant_queries(
        page, page, between=lambda: [MeetingFactory(body=body) for _ in range(8)]
    )
