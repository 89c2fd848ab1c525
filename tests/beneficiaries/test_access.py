"""Who sees whose file, and the trace of every read and write."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from beneficiaries.enums import FileOperation
from beneficiaries.models import Beneficiary, FileAccess, Interview
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ObstacleFactory,
    OrientationDecisionFactory,
    PrescriptionFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import CommuneFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def people(ccas):
    """Two people followed at the CCAS (by two référents), one elsewhere, one oriented to the
    CCAS and not yet assigned, one oriented elsewhere and not assigned."""
    sophie = UserFactory(referent=True, organisation=ccas, username="sophie")
    marc = UserFactory(referent=True, organisation=ccas, username="marc")
    elsewhere = UserFactory(referent=True, username="ailleurs")
    return {
        "sophie": sophie,
        "marc": marc,
        "of_sophie": ReferentAssignmentFactory(referent=sophie).beneficiary,
        "of_marc": ReferentAssignmentFactory(referent=marc).beneficiary,
        "elsewhere": ReferentAssignmentFactory(referent=elsewhere).beneficiary,
        "to_assign": OrientationDecisionFactory(organisme=ccas).beneficiary,
        "oriented_elsewhere": OrientationDecisionFactory().beneficiary,
    }


def visible(user):
    return set(Beneficiary.objects.visible_to(user))


def test_a_referent_sees_only_the_people_assigned_to_them(people):
    assert visible(people["sophie"]) == {people["of_sophie"]}


def test_a_former_referent_loses_sight_of_the_person(people, ccas):
    from beneficiaries.services import referent_assign

    manager = UserFactory(manager=True, organisation=ccas)
    referent_assign(
        beneficiary=people["of_sophie"],
        referent=people["marc"],
        start_date=datetime.date.today(),
        reason="leave",
        by=manager,
    )
    assert visible(people["sophie"]) == set()
    assert visible(people["marc"]) == {people["of_sophie"], people["of_marc"]}


def test_a_manager_sees_the_structure_and_the_people_oriented_to_it(people, ccas):
    manager = UserFactory(manager=True, organisation=ccas)
    assert visible(manager) == {people["of_sophie"], people["of_marc"], people["to_assign"]}


def test_a_pilot_sees_everyone_and_other_roles_no_one(people):
    assert len(visible(UserFactory(pilot=True))) == 5
    for role in ("operator", "partner", "admin"):
        assert visible(UserFactory(**{role: True})) == set()


def test_a_guessed_file_url_answers_404(client_as, people):
    client = client_as(people["sophie"])
    for name in ("beneficiaries:file", "beneficiaries:update", "beneficiaries:contract_create"):
        assert client.get(reverse(name, args=[people["of_marc"].pk])).status_code == 404
    assert (
        client.get(reverse("beneficiaries:file", args=[people["of_sophie"].pk])).status_code == 200
    )


def test_a_guessed_quick_entry_writes_nothing(client_as, people):
    client = client_as(people["sophie"])
    target = people["of_marc"]
    response = client.post(
        reverse("beneficiaries:interview_add", args=[target.pk]),
        {"entretien-kind": "individual", "entretien-date": "2026-01-05", "entretien-note": "x"},
    )
    assert response.status_code == 404
    obstacle = ObstacleFactory(beneficiary=target)
    response = client.post(
        reverse("beneficiaries:obstacle_progress", args=[obstacle.pk]),
        {"status": "lifted", "on": "2026-01-05"},
    )
    assert response.status_code == 404
    assert Interview.objects.count() == 0
    obstacle.refresh_from_db()
    assert obstacle.status == "identified"


def test_an_operator_sees_the_minimum_of_a_prescription_to_its_action_and_never_the_file(client_as):
    prescription = PrescriptionFactory(
        beneficiary=BeneficiaryFactory(
            first_name="Nadia", last_name="Haddad", phone="06 11 22 33 44"
        )
    )
    ObstacleFactory(beneficiary=prescription.beneficiary, kind="health", note="Suivi en CMP")
    operator = UserFactory(operator=True, organisation=prescription.action.operator)
    client = client_as(operator)
    page = client.get(reverse("beneficiaries:operator_prescription", args=[prescription.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "HADDAD Nadia" in content
    assert "06 11 22 33 44" in content
    assert prescription.beneficiary.household.caf_number not in content
    assert "15/06/1985" not in content  # birth date
    assert "Suivi en CMP" not in content
    assert (
        client.get(reverse("beneficiaries:file", args=[prescription.beneficiary.pk])).status_code
        == 403
    )
    other = PrescriptionFactory()
    assert (
        client.get(reverse("beneficiaries:operator_prescription", args=[other.pk])).status_code
        == 404
    )


def test_a_health_note_is_shown_to_the_persons_referent_only(client_as, people, ccas):
    ObstacleFactory(beneficiary=people["of_sophie"], kind="health", note="Suivi en CMP")
    url = reverse("beneficiaries:file", args=[people["of_sophie"].pk])
    assert "Suivi en CMP" in client_as(people["sophie"]).get(url).content.decode()
    manager_page = client_as(UserFactory(manager=True, organisation=ccas)).get(url).content.decode()
    assert "Suivi en CMP" not in manager_page
    assert "Note réservée au référent de la personne." in manager_page


def test_reading_a_file_is_traced(client_as, people):
    client = client_as(people["sophie"])
    client.get(reverse("beneficiaries:file", args=[people["of_sophie"].pk]))
    access = FileAccess.objects.get()
    assert (access.user, access.beneficiary, access.operation) == (
        people["sophie"],
        people["of_sophie"],
        FileOperation.READ,
    )


def test_every_quick_entry_is_traced_without_personal_data(client_as, people):
    person = people["of_sophie"]
    client = client_as(people["sophie"])
    client.post(
        reverse("beneficiaries:interview_add", args=[person.pk]),
        {"entretien-kind": "phone", "entretien-date": "2026-01-05", "entretien-note": "Appel"},
    )
    client.post(
        reverse("beneficiaries:obstacle_add", args=[person.pk]),
        {"frein-kind": "mobility", "frein-identified_on": "2026-01-05"},
    )
    accesses = list(FileAccess.objects.filter(beneficiary=person).order_by("pk"))
    assert [(a.operation, a.what) for a in accesses] == [
        (FileOperation.CREATE, "entretien"),
        (FileOperation.CREATE, "frein"),
    ]
    for access in accesses:
        assert person.last_name.lower() not in access.what.lower()


def test_a_pilot_lists_who_accessed_a_file(client_as, people):
    client_as(people["sophie"]).get(reverse("beneficiaries:file", args=[people["of_sophie"].pk]))
    pilot = client_as(UserFactory(pilot=True, first_name="Claire", last_name="Martin"))
    page = pilot.get(
        reverse("beneficiaries:accesses", args=[people["of_sophie"].pk])
    ).content.decode()
    assert "Camille Agent" in page or people["sophie"].get_full_name() in page
    assert "consultation" in page
    assert "référent unique, CCAS de Saint-Étienne" in page


def test_a_change_of_identity_leaves_an_audit_entry_naming_the_field_not_the_value(
    client_as, people
):
    person = people["of_sophie"]
    person.household.commune = CommuneFactory(territory=person.household.territory)
    person.household.save()
    client = client_as(people["sophie"])
    response = client.post(
        reverse("beneficiaries:update", args=[person.pk]),
        identity_form(person, phone="07 81 00 00 00"),
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get_for_object(Beneficiary.objects.get(pk=person.pk)).latest(
        "timestamp"
    )
    assert entry.actor == people["sophie"]
    assert "phone" in entry.changes_dict
    assert "07 81 00 00 00" not in str(entry.changes_dict)


def identity_form(person, **changes):
    household = person.household
    data = {
        "last_name": person.last_name,
        "birth_name": person.birth_name,
        "first_name": person.first_name,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "household_role": person.household_role,
        "email": person.email,
        "phone": person.phone,
        "rights_and_duties": person.rights_and_duties,
        "rsa_requested_on": person.rsa_requested_on.isoformat(),
        "right_opened_on": person.right_opened_on.isoformat(),
        "right_known_on": person.right_known_on.isoformat(),
        "address": household.address,
        "commune": household.commune_id or "",
        "family_situation": household.family_situation,
        "lock_version": person.lock_version,
        "household_lock_version": household.lock_version,
    }
    data.update(changes)
    return data


def test_opening_the_identity_and_contract_forms_is_traced_as_a_read(client_as, people):
    person = people["of_sophie"]
    client = client_as(people["sophie"])
    client.get(reverse("beneficiaries:update", args=[person.pk]))
    client.get(reverse("beneficiaries:contract_create", args=[person.pk]))
    assert list(FileAccess.objects.values_list("operation", "what").order_by("pk")) == [
        (FileOperation.READ, "identité"),
        (FileOperation.READ, "contrat"),
    ]
