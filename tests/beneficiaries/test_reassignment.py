"""A manager (or a pilot) moves a chosen set of people to another référent: the selection on
the list, the confirmation page, the service; the référents who have left; the organisme of
the orientation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from beneficiaries import forms as people_forms
from beneficiaries import services
from beneficiaries.enums import AssignmentReason, FileOperation
from beneficiaries.models import Beneficiary, FileAccess, ReferentAssignment
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    OrientationDecisionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def name_of(person):
    return f"{person.last_name.upper()} {person.first_name}"


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Durand")


@pytest.fixture
def claire(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Claire", last_name="Martin")


@pytest.fixture
def manager(ccas):
    return UserFactory(manager=True, organisation=ccas)


def follow(referent, **person):
    return ReferentAssignmentFactory(
        referent=referent, beneficiary=BeneficiaryFactory(**person)
    ).beneficiary


def current_referent(person):
    return ReferentAssignment.objects.get(beneficiary=person, end_date__isnull=True).referent


def reassign(people, to, by, **kwargs):
    return services.referent_reassign_people(
        people_ids=[p.pk for p in people],
        to_referent=to,
        start_date=kwargs.pop("start_date", TODAY),
        reason=AssignmentReason.CASELOAD,
        by=by,
        **kwargs,
    )


# --- The service -------------------------------------------------------------------------------


def test_the_service_moves_only_the_people_chosen_and_traces_each(sophie, claire, manager):
    chosen = [follow(sophie) for _ in range(3)]
    left = follow(sophie)
    FileAccess.objects.all().delete()

    assert reassign(chosen, claire, manager) == 3

    assert all(current_referent(p) == claire for p in chosen)
    assert current_referent(left) == sophie
    assert set(FileAccess.objects.values_list("beneficiary_id", "operation", "what")) == {
        (p.pk, FileOperation.UPDATE, "référent réaffecté") for p in chosen
    }


def test_someone_outside_the_managers_scope_is_never_moved(sophie, claire, manager):
    mine = follow(sophie)
    elsewhere = follow(UserFactory(referent=True))

    with pytest.raises(ValidationError) as excinfo:
        reassign([mine, elsewhere], claire, manager)

    assert excinfo.value.messages == [
        "1 des personnes choisies n’est pas dans votre périmètre : personne n'a été réaffecté."
    ]
    assert current_referent(mine) == sophie
    assert current_referent(elsewhere) != claire


def test_someone_who_left_the_dispositif_is_refused_by_name(sophie, claire, manager):
    staying, gone = follow(sophie), follow(sophie)
    ExitFactory(beneficiary=gone)

    with pytest.raises(ValidationError) as excinfo:
        reassign([staying, gone], claire, manager)

    assert excinfo.value.messages == [
        f"Ces personnes ont quitté le dispositif : {name_of(gone)}. Retirez-les de la sélection."
    ]
    assert current_referent(staying) == sophie


def test_a_departed_referent_cannot_receive_anyone(sophie, claire, manager):
    person = follow(sophie)
    claire.departed_on = TODAY
    claire.save()

    with pytest.raises(ValidationError) as excinfo:
        reassign([person], claire, manager)

    assert excinfo.value.messages == [
        "Claire Martin a quitté sa structure : choisissez un référent en poste."
    ]
    with pytest.raises(ValidationError):
        services.referent_assign(
            beneficiary=person,
            referent=claire,
            start_date=TODAY,
            reason=AssignmentReason.OTHER,
            by=manager,
        )
    assert current_referent(person) == sophie


def test_the_assignment_forms_do_not_offer_a_departed_referent(sophie, claire, manager):
    claire.departed_on = TODAY - datetime.timedelta(days=3)
    claire.save()
    for form in (
        people_forms.AssignmentForm(user=manager),
        people_forms.ReassignTargetForm(user=manager),
    ):
        choices = list(form.fields["referent" if "referent" in form.fields else "vers"].queryset)
        assert choices == [sophie]
    everyone = people_forms.ReassignAllForm(user=manager)
    assert set(everyone.fields["de"].queryset) == {sophie, claire}  # their people are to move
    assert list(everyone.fields["vers"].queryset) == [sophie]


def test_a_referent_of_another_organisme_than_the_orientation_is_refused(sophie):
    pilot = UserFactory(pilot=True)
    france_travail = OrganisationFactory(name="France Travail Loire")
    oriented = follow(sophie)
    OrientationDecisionFactory(beneficiary=oriented, organisme=sophie.organisation)
    adviser = UserFactory(referent=True, organisation=france_travail, first_name="Léo")

    with pytest.raises(ValidationError) as excinfo:
        reassign([oriented], adviser, pilot)

    assert excinfo.value.messages == [
        f"{adviser} n'est pas un référent de l'organisme vers lequel ces personnes sont "
        f"orientées : {name_of(oriented)}. Retirez-les de la sélection ou choisissez un autre "
        "référent."
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.referent_assign(
            beneficiary=oriented,
            referent=adviser,
            start_date=TODAY,
            reason=AssignmentReason.OTHER,
            by=pilot,
        )
    assert excinfo.value.messages == [
        f"{adviser} n'est pas un référent de l'organisme vers lequel la personne est orientée "
        f": {oriented}."
    ]
    assert current_referent(oriented) == sophie


def test_the_file_offers_only_referents_of_the_orientations_organisme_to_a_pilot(sophie):
    other = UserFactory(referent=True)
    person = follow(sophie)
    OrientationDecisionFactory(beneficiary=person, organisme=sophie.organisation)
    form = people_forms.AssignmentForm(
        user=UserFactory(pilot=True), organisations={sophie.organisation_id}
    )
    assert list(form.fields["referent"].queryset) == [sophie]
    assert other not in form.fields["referent"].queryset


def test_a_selection_above_the_bound_is_refused(sophie, claire, manager, monkeypatch):
    monkeypatch.setattr(services, "REASSIGN_MAX_PEOPLE", 2)
    people = [follow(sophie) for _ in range(3)]

    with pytest.raises(ValidationError) as excinfo:
        reassign(people, claire, manager)

    assert "on ne peut en réaffecter que 2 à la fois" in excinfo.value.messages[0]
    assert all(current_referent(p) == sophie for p in people)


# --- The pages ---------------------------------------------------------------------------------


def test_the_count_of_the_message_is_the_count_of_the_caseload(client_as, sophie, claire, manager):
    followed = [follow(sophie) for _ in range(3)]
    ExitFactory(beneficiary=follow(sophie))  # left: the designation stays open, not counted
    client = client_as(manager)
    caseload = client.get(reverse("beneficiaries:caseload"))
    [row] = [r for r in caseload.context["referents"] if r.pk == sophie.pk]
    assert row.caseload == 3

    confirmation = client.get(
        reverse("beneficiaries:reassign_confirm"), {"de": sophie.pk, "vers": claire.pk}
    )
    assert confirmation.context["count"] == 3
    assert "3 personnes vont être réaffectées à" in confirmation.content.decode()
    assert not ReferentAssignment.objects.filter(referent=claire).exists()  # nothing yet

    response = client.post(
        reverse("beneficiaries:reassign_confirm"),
        {
            "vers": claire.pk,
            "personne": confirmation.context["ids"],
            "retour": confirmation.context["retour"],
            "start_date": TODAY.isoformat(),
            "reason": "departure",
        },
        follow=True,
    )
    assert messages_of(response) == ["3 personnes réaffectées à Claire Martin."]
    assert {p.pk for p in Beneficiary.objects.assigned_to(claire)} == {p.pk for p in followed}
    assert response.context["page"].paginator.count == 0  # the list of Sophie's people, now empty


def test_checked_people_go_to_the_confirmation_and_are_moved_without_javascript(
    client_as, sophie, claire, manager
):
    chosen, other = follow(sophie, last_name="Arnaud"), follow(sophie, last_name="Bernard")
    client = client_as(manager)
    listing = client.get(reverse("beneficiaries:reassign"), {"referent": sophie.pk})
    content = listing.content.decode()
    assert '<form method="get" action="/structure/reaffectation/confirmation/"' in content
    assert (
        f'<label class="visually-hidden" for="choisir-{chosen.pk}">Sélectionner ARNAUD' in content
    )
    assert "Sélectionner les 2 personnes de la liste filtrée" in content

    confirmation = client.get(
        reverse("beneficiaries:reassign_confirm"),
        {"referent": sophie.pk, "personne": [chosen.pk], "vers": claire.pk, "selection": "cochees"},
    )
    page = confirmation.content.decode()
    assert "1 personne va être réaffectée à" in page
    assert "csrfmiddlewaretoken" in page
    response = client.post(
        reverse("beneficiaries:reassign_confirm"),
        {
            "vers": claire.pk,
            "personne": [chosen.pk],
            "retour": confirmation.context["retour"],
            "start_date": TODAY.isoformat(),
            "reason": "caseload",
        },
        follow=True,
    )
    assert messages_of(response) == ["1 personne réaffectée à Claire Martin."]
    assert response.redirect_chain[-1][0].endswith(f"?referent={sophie.pk}")
    assert current_referent(chosen) == claire
    assert current_referent(other) == sophie


def test_tout_selectionner_checks_every_row_of_the_page(client_as, sophie, claire, manager):
    people = [follow(sophie) for _ in range(2)]
    page = client_as(manager).get(
        reverse("beneficiaries:reassign"), {"referent": sophie.pk, "cocher": "page"}
    )
    content = page.content.decode()
    for person in people:
        assert f'value="{person.pk}" id="choisir-{person.pk}" checked' in content
    assert "Tout désélectionner" in content


def test_the_whole_filtered_list_beyond_the_page_is_selected(client_as, sophie, claire, manager):
    for _ in range(51):
        follow(sophie)
    follow(claire)
    response = client_as(manager).get(
        reverse("beneficiaries:reassign_confirm"),
        {"referent": sophie.pk, "selection": "liste", "vers": claire.pk},
    )
    assert response.context["count"] == 51
    assert len(response.context["shown"]) == 50
    assert "et 1 autre." in response.content.decode()


def test_an_id_outside_the_scope_is_refused_at_confirmation(client_as, sophie, claire, manager):
    mine, elsewhere = follow(sophie), follow(UserFactory(referent=True))
    client = client_as(manager)
    response = client.get(
        reverse("beneficiaries:reassign_confirm"),
        {"personne": [mine.pk, elsewhere.pk], "vers": claire.pk},
        follow=True,
    )
    assert messages_of(response) == [
        "1 des personnes choisies n’est pas dans votre périmètre : personne n'a été réaffecté."
    ]
    posted = client.post(
        reverse("beneficiaries:reassign_confirm"),
        {
            "vers": claire.pk,
            "personne": [mine.pk, elsewhere.pk],
            "retour": "",
            "start_date": TODAY.isoformat(),
            "reason": "caseload",
        },
    )
    assert posted.status_code == 422
    assert "n’est pas dans votre périmètre" in posted.content.decode()
    assert current_referent(mine) == sophie
    assert not ReferentAssignment.objects.filter(referent=claire).exists()


def test_no_person_checked_says_so(client_as, sophie, claire, manager):
    follow(sophie)
    response = client_as(manager).get(
        reverse("beneficiaries:reassign_confirm"), {"vers": claire.pk}, follow=True
    )
    assert messages_of(response) == [
        "Cochez au moins une personne, ou sélectionnez toute la liste filtrée."
    ]


def test_no_referent_chosen_says_so(client_as, sophie, manager):
    person = follow(sophie)
    response = client_as(manager).get(
        reverse("beneficiaries:reassign_confirm"), {"personne": [person.pk]}, follow=True
    )
    assert messages_of(response) == ["Choisissez le nouveau référent."]


def test_a_bad_date_on_the_confirmation_is_refused_and_keeps_the_selection(
    client_as, sophie, claire, manager
):
    person = follow(sophie)
    response = client_as(manager).post(
        reverse("beneficiaries:reassign_confirm"),
        {
            "vers": claire.pk,
            "personne": [person.pk],
            "retour": "",
            "start_date": (TODAY + datetime.timedelta(days=2)).isoformat(),
            "reason": "caseload",
        },
    )
    assert response.status_code == 422
    assert "La date de réaffectation ne peut pas être dans le futur." in response.content.decode()
    assert response.context["ids"] == [person.pk]
    assert current_referent(person) == sophie


def test_the_caseload_shows_departed_referents_who_still_follow_people(
    client_as, ccas, sophie, claire, manager
):
    follow(sophie)
    sophie.departed_on = TODAY
    sophie.save()
    gone_empty = UserFactory(referent=True, organisation=ccas, is_active=False)
    page = client_as(manager).get(reverse("beneficiaries:caseload"))
    listed = {r.pk for r in page.context["referents"]}
    assert sophie.pk in listed
    assert gone_empty.pk not in listed
    assert "départ le" in page.content.decode()


def test_the_selection_and_confirmation_pages_make_constant_queries(
    client_as, sophie, claire, manager, assert_constant_queries
):
    follow(sophie)
    client = client_as(manager)

    def pages():
        assert (
            client.get(reverse("beneficiaries:reassign"), {"referent": sophie.pk}).status_code
            == 200
        )
        ids = list(Beneficiary.objects.assigned_to(sophie).values_list("pk", flat=True))
        confirmation = client.get(
            reverse("beneficiaries:reassign_confirm"),
            {"personne": ids, "vers": claire.pk},
        )
        assert confirmation.status_code == 200
        listed = client.get(
            reverse("beneficiaries:reassign_confirm"),
            {"referent": sophie.pk, "selection": "liste", "vers": claire.pk},
        )
        assert listed.status_code == 200

    assert_constant_queries(pages, pages, between=lambda: [follow(sophie) for _ in range(30)])


# --- Departures --------------------------------------------------------------------------------


def test_a_manager_records_a_departure_and_the_referent_receives_no_one(
    client_as, ccas, sophie, claire, manager
):
    person = follow(claire)
    client = client_as(manager)
    response = client.post(
        reverse("beneficiaries:referent_departure"),
        {"depart-referent": sophie.pk, "depart-departed_on": TODAY.isoformat()},
        follow=True,
    )
    assert messages_of(response)[0].startswith("Départ de Sophie Durand enregistré")
    sophie.refresh_from_db()
    assert sophie.departed_on == TODAY
    refused = client.get(
        reverse("beneficiaries:reassign_confirm"),
        {"personne": [person.pk], "vers": sophie.pk},
        follow=True,
    )
    assert messages_of(refused) == [
        "Ce référent ne peut pas recevoir de personnes : choisissez-en un autre, en poste."
    ]
    assert current_referent(person) == claire


def test_a_manager_cannot_record_the_departure_of_another_structures_referent(client_as, manager):
    other = UserFactory(referent=True)
    response = client_as(manager).post(
        reverse("beneficiaries:referent_departure"),
        {"depart-referent": other.pk, "depart-departed_on": TODAY.isoformat()},
    )
    assert response.status_code == 422
    other.refresh_from_db()
    assert other.departed_on is None


def test_a_departure_without_a_referent_says_so(client_as, manager):
    response = client_as(manager).post(
        reverse("beneficiaries:referent_departure"), {"depart-departed_on": TODAY.isoformat()}
    )
    assert response.status_code == 422
    assert "Choisissez le référent qui part." in response.content.decode()


def test_the_caseload_tool_without_a_new_referent_goes_back_to_the_caseload(
    client_as, sophie, manager
):
    follow(sophie)
    response = client_as(manager).get(
        reverse("beneficiaries:reassign_confirm"), {"de": sophie.pk, "vers": ""}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("beneficiaries:caseload")
    assert messages_of(response) == ["Choisissez le nouveau référent."]
