"""The signatures page: every party's answer recorded at once, and the round closed by the
pilot once the Département signed."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from pti.enums import PactStatus
from pti.models import Organisation
from signatories.enums import SignatoryStatus
from signatories.models import Signatory
from tests.pti.factories import OrganisationFactory, PactFactory, UserFactory

pytestmark = pytest.mark.django_db

DELIBERATION = datetime.date(2016, 6, 27)


@pytest.fixture
def pilot(client_as):
    return client_as(UserFactory(pilot=True))


def adopted_pact_with(parties):
    """An adopted pact with `parties` parties, the Département first."""
    pact = PactFactory(status=PactStatus.ADOPTED, deliberation_date=DELIBERATION)
    for number in range(parties):
        name = "Conseil départemental de la Loire" if number == 0 else f"Partenaire {number}"
        organisation = Organisation.objects.filter(name=name).first() or OrganisationFactory(
            name=name, departement=number == 0
        )
        Signatory.objects.create(
            pact=pact,
            organisation=organisation,
            position=number + 1,
            signer_name="" if number else "Bernard Vial",
        )
    return pact


def page_data(pact, changes=None):
    """The page's form as posted, every row as shown, with `changes` {row: {field: value}}."""
    data = {"reponses-TOTAL_FORMS": 0, "reponses-INITIAL_FORMS": 0}
    for row, signatory in enumerate(pact.signatories.order_by("position")):
        values = {
            "signatory_id": signatory.pk,
            "lock_version": signatory.lock_version,
            "status": signatory.status,
            "signed_on": signatory.signed_on.isoformat() if signatory.signed_on else "",
            "signer_name": signatory.signer_name,
            "signer_title": signatory.signer_title,
            "decline_reason": signatory.decline_reason,
            **(changes or {}).get(row, {}),
        }
        data.update({f"reponses-{row}-{field}": value for field, value in values.items()})
        data["reponses-TOTAL_FORMS"] = data["reponses-INITIAL_FORMS"] = row + 1
    return data


def signed(day, name, title="Directrice"):
    return {
        "status": "signed",
        "signed_on": (DELIBERATION + datetime.timedelta(days=day)).isoformat(),
        "signer_name": name,
        "signer_title": title,
    }


def statuses(pact):
    return list(pact.signatories.order_by("position").values_list("status", flat=True))


def test_the_page_lists_every_party_with_its_answer(pilot, django_assert_max_num_queries):
    pact = adopted_pact_with(22)
    url = reverse("signatories:signatures_edit", args=[pact.pk])
    with django_assert_max_num_queries(20):
        page = pilot.get(url).content.decode()
    assert page.count('name="reponses-') >= 22 * 7
    assert "Partenaire 21" in page
    assert "0 signataire sur 22 parties ; 0 refus ; 22 sans réponse" in page
    assert 'for="id_reponses-0-status">Réponse – Conseil départemental de la Loire' in page


def test_the_page_makes_as_many_queries_with_one_party_as_with_many(pilot):
    counts = []
    for parties in (1, 15):
        pact = adopted_pact_with(parties)
        with CaptureQueriesContext(connection) as queries:
            pilot.get(reverse("signatories:signatures_edit", args=[pact.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_pilot_records_several_answers_at_once_and_the_pact_stays_in_signature(pilot):
    pact = adopted_pact_with(4)
    data = page_data(
        pact,
        {
            0: signed(3, "Bernard Vial", "Président du conseil départemental"),
            1: signed(5, "Hélène Brun"),
            2: {"status": "declined", "decline_reason": "Pas de mandat"},
        },
    )

    response = pilot.post(reverse("signatories:signatures_edit", args=[pact.pk]), data, follow=True)

    assert statuses(pact) == ["signed", "signed", "declined", "expected"]
    caf = pact.signatories.get(position=2)
    assert (caf.signer_name, caf.signer_title, caf.signed_on) == (
        "Hélène Brun",
        "Directrice",
        DELIBERATION + datetime.timedelta(days=5),
    )
    assert pact.signatories.get(position=3).decline_reason == "Pas de mandat"
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED
    assert (
        "3 réponses enregistrées. 2 signataires sur 4 parties ; 1 refus ; 1 sans réponse."
        in response.content.decode()
    )


def test_every_party_signed_still_leaves_the_closing_to_the_pilot(pilot):
    pact = adopted_pact_with(2)
    data = page_data(pact, {0: signed(1, "Bernard Vial"), 1: signed(2, "Anne Morel")})
    pilot.post(reverse("signatories:signatures_edit", args=[pact.pk]), data)
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"status": "signed", "signed_on": "2099-01-01", "signer_title": "Directrice"},
            "signed_on",
            "La date de signature ne peut pas être dans le futur.",
        ),
        (
            {"status": "signed", "signed_on": "2016-01-02", "signer_title": "Directrice"},
            "signed_on",
            "La date de signature ne peut pas précéder la délibération qui a adopté le pacte "
            "(27/06/2016).",
        ),
        (
            {"status": "signed", "signed_on": "", "signer_title": "Directrice"},
            "signed_on",
            "Indiquez la date de la signature.",
        ),
        (
            {"status": "signed", "signed_on": "2016-09-01", "signer_name": "  "},
            "signer_name",
            "Indiquez le nom de la personne qui a signé.",
        ),
        (
            {"status": "signed", "signed_on": "2016-09-01", "signer_title": ""},
            "signer_title",
            "Indiquez la qualité de la personne qui a signé.",
        ),
        (
            {"status": "declined", "signed_on": "2016-09-01"},
            "signed_on",
            "Une date ne s'indique que pour une signature : effacez-la.",
        ),
    ],
    ids=["future", "before deliberation", "no date", "no name", "no quality", "date on refusal"],
)
def test_a_wrong_row_saves_nothing_and_says_why_on_its_row(pilot, change, field, message):
    pact = adopted_pact_with(3)
    Signatory.objects.filter(pact=pact, position=3).update(signer_name="Luc Garnier")
    data = page_data(pact, {0: signed(3, "Bernard Vial", "Président"), 2: change})

    response = pilot.post(reverse("signatories:signatures_edit", args=[pact.pk]), data)

    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="id_reponses-2-{field}-erreur"' in page
    assert escape(message) in page
    assert "Rien n'a été enregistré" in page
    assert f'aria-describedby="id_reponses-2-{field}-erreur"' in page
    assert statuses(pact) == ["expected", "expected", "expected"]
    # What was typed is kept.
    assert 'value="Bernard Vial"' in page


def test_an_unreadable_date_saves_nothing(pilot):
    pact = adopted_pact_with(2)
    data = page_data(pact, {0: signed(3, "Bernard Vial"), 1: {"signed_on": "31/02/2016"}})
    response = pilot.post(reverse("signatories:signatures_edit", args=[pact.pk]), data)
    assert response.status_code == 422
    assert "Saisissez une date valide." in response.content.decode()
    assert statuses(pact) == ["expected", "expected"]


def test_a_concurrent_edit_is_refused_and_nothing_saved(pilot):
    pact = adopted_pact_with(2)
    opened = page_data(pact, {0: signed(3, "Bernard Vial"), 1: signed(4, "Anne Morel")})
    # Someone else records the second party's refusal in between.
    other = pact.signatories.get(position=2)
    Signatory.objects.filter(pk=other.pk).update(
        status=SignatoryStatus.DECLINED, lock_version=other.lock_version + 1
    )

    response = pilot.post(reverse("signatories:signatures_edit", args=[pact.pk]), opened)

    assert response.status_code == 422
    assert "Quelqu&#x27;un d&#x27;autre a enregistré une modification" in response.content.decode()
    assert statuses(pact) == ["expected", "declined"]


def test_the_page_is_refused_once_the_pact_is_signed(pilot):
    pact = adopted_pact_with(1)
    PactFactory._meta.model.objects.filter(pk=pact.pk).update(
        status=PactStatus.SIGNED, signed_on=DELIBERATION
    )
    url = reverse("signatories:signatures_edit", args=[pact.pk])
    response = pilot.get(url, follow=True)
    assert "une fois le pacte adopté, avant sa clôture" in response.content.decode()
    response = pilot.post(url, page_data(pact, {0: {"status": "declined"}}), follow=True)
    assert statuses(pact) == ["expected"]


# --- Closing the round -------------------------------------------------------------------


def test_closing_is_not_offered_before_the_departement_signed(pilot):
    pact = adopted_pact_with(3)
    page = pilot.get(reverse("pti:pact_detail", args=[pact.pk])).content.decode()
    assert "Enregistrer les signatures" in page
    assert "Clôturer la signature" not in page
    assert "une fois celle du Département enregistrée" in page


def test_closing_without_the_departement_is_refused_with_a_french_message(pilot):
    pact = adopted_pact_with(3)
    pilot.post(
        reverse("signatories:signatures_edit", args=[pact.pk]),
        page_data(pact, {1: signed(2, "Hélène Brun")}),
    )
    url = reverse("signatories:signature_round_close", args=[pact.pk])

    page = pilot.get(url).content.decode()
    assert "Le Département n&#x27;a pas signé" in page
    assert "Clôturer et déclarer le pacte signé" not in page

    response = pilot.post(url, follow=True)
    assert "Le Département n&#x27;a pas signé" in response.content.decode()
    pact.refresh_from_db()
    assert pact.status == PactStatus.ADOPTED


def test_closing_lists_who_did_not_answer_and_who_refused_then_signs(pilot):
    pact = adopted_pact_with(4)
    pilot.post(
        reverse("signatories:signatures_edit", args=[pact.pk]),
        page_data(
            pact,
            {
                0: signed(3, "Bernard Vial"),
                1: signed(9, "Hélène Brun"),
                2: {"status": "declined", "decline_reason": "Pas de mandat"},
            },
        ),
    )
    url = reverse("signatories:signature_round_close", args=[pact.pk])

    page = pilot.get(url).content.decode()
    assert "2 signataires sur 4 parties ; 1 refus ; 1 sans réponse." in page
    assert "Sans réponse (1)" in page
    assert "<li>Partenaire 3</li>" in page
    assert "Refus (1)" in page
    assert "Partenaire 2 – motif : Pas de mandat" in page
    assert "Clôturer et déclarer le pacte signé" in page

    pilot.post(url)
    pact.refresh_from_db()
    assert (pact.status, pact.signed_on) == (
        PactStatus.SIGNED,
        DELIBERATION + datetime.timedelta(days=9),
    )
