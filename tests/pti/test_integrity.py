"""What is written stays true, whoever writes it.

- A signed pact is frozen everywhere: its pages refuse (test_pact_lifecycle), and so do the
  models (a script, the admin), the admin, which shows it read-only, and the database, for the
  pact, its orientations and objectives, its parties and their commitments.
- Optimistic locking cannot be bypassed: every edit form refuses a post without its version,
  and so does the service below it; the household is versioned too.
- The trail of changes records a new version as a number, not as an SQL expression.
- The technical admin shows no person: no model of people is registered, and the trail of
  changes shows people's objects by number only.
- `next` never sends the user to another site.
"""

import datetime
import importlib.util
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import BaseForm
from django.urls import reverse
from django.utils.html import escape

from evaluation.enums import Scope
from evaluation.models import Target
from pti import services
from pti.enums import PactStatus, RunStatus
from pti.forms import LockVersionFormMixin
from pti.models import Objective, Orientation, Pact, TaskRun
from signatories import services as signatory_services
from signatories.models import Commitment, Signatory
from tests.beneficiaries.factories import (
    ObstacleFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import (
    ObjectiveFactory,
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    UserFactory,
)
from tests.pti.test_pact_lifecycle import adopted_pact, sign, signed_pact
from tests.signatories.factories import partner_indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def it(client_as):
    """IT, in the Django admin (second factor passed: this is not what is tested here)."""
    return client_as(UserFactory(admin=True))


# --- A signed pact is frozen everywhere -------------------------------------------------------


def test_a_signed_pact_is_read_only_in_the_admin_and_a_forged_post_changes_nothing(it):
    pact = signed_pact()
    preamble = pact.preamble
    url = reverse("admin:pti_pact_change", args=[pact.pk])

    page = it.get(url)
    forged = it.post(
        url,
        {
            "code": pact.code,
            "title": "Titre réécrit",
            "department_name": pact.department_name,
            "period_start": pact.period_start,
            "period_end": pact.period_end,
            "preamble": "Préambule réécrit après signature",
            "status": PactStatus.DRAFT,
            "version": pact.version,
        },
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # no save button
    assert forged.status_code == 403
    pact.refresh_from_db()
    assert (pact.preamble, pact.status, pact.title) == (
        preamble,
        PactStatus.SIGNED,
        "Pacte territorial d'insertion",
    )


def test_the_orientations_of_a_signed_pact_are_read_only_in_the_admin(it):
    pact = signed_pact()
    orientation = pact.orientations.first()
    url = reverse("admin:pti_orientation_change", args=[orientation.pk])

    forged = it.post(url, {"pact": pact.pk, "position": 1, "title": "Orientation réécrite"})

    assert forged.status_code == 403
    orientation.refresh_from_db()
    assert orientation.title != "Orientation réécrite"


def test_a_draft_is_still_edited_in_the_admin(it):
    pact = PactFactory()

    page = it.get(reverse("admin:pti_pact_change", args=[pact.pk]))

    assert 'name="_save"' in page.content.decode()


def test_the_models_refuse_to_change_a_signed_pact_whoever_writes():
    pact = signed_pact()
    orientation = pact.orientations.first()

    pact.preamble = "Réécrit par un script"
    with pytest.raises(ValidationError) as refusal:
        pact.full_clean()
    assert refusal.value.messages == [services.FROZEN_MESSAGES[PactStatus.SIGNED]]

    orientation.title = "Réécrite"
    with pytest.raises(ValidationError):
        orientation.full_clean()
    with pytest.raises(ValidationError):
        Orientation(pact=pact, position=9, title="Ajoutée").full_clean()
    with pytest.raises(ValidationError):
        Objective(orientation=orientation, position=9, title="Ajouté").full_clean()
    objective = orientation.objectives.first()
    objective.title = "Réécrit"
    with pytest.raises(ValidationError):
        objective.full_clean()


@pytest.mark.parametrize(
    "write",
    [
        lambda pact: Pact.objects.filter(pk=pact.pk).update(preamble="Réécrit par un script"),
        lambda pact: Pact.objects.filter(pk=pact.pk).update(status=PactStatus.DRAFT),
        lambda pact: Pact.objects.filter(pk=pact.pk).update(period_end=2030),
        lambda pact: Orientation.objects.filter(pact=pact).update(title="Réécrite"),
        lambda pact: Orientation.objects.create(pact=pact, position=9, title="Ajoutée"),
        lambda pact: Objective.objects.filter(orientation__pact=pact).update(title="Réécrit"),
        lambda pact: Objective.objects.create(
            orientation=pact.orientations.first(), position=9, title="Ajouté"
        ),
    ],
    ids=[
        "preamble",
        "back to draft",
        "period",
        "orientation",
        "new orientation",
        "objective",
        "new objective",
    ],
)
def test_the_database_refuses_to_change_a_signed_pact_even_without_the_models(write):
    """A script, a bulk update, a raw save: the database itself refuses (pti/0003)."""
    pact = signed_pact()
    pdf_text = (pact.preamble, list(pact.orientations.values_list("title", flat=True)))

    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        write(pact)

    assert "Ce pacte n'est plus un projet" in str(refusal.value)
    pact.refresh_from_db()
    assert (pact.preamble, list(pact.orientations.values_list("title", flat=True))) == pdf_text
    assert pact.status == PactStatus.SIGNED


def with_a_commitment(signatory, orientation):
    commitment = Commitment.objects.create(
        signatory=signatory, orientation=orientation, title="Orienter 300 allocataires"
    )
    Target.objects.create(
        scope=Scope.COMMITMENT,
        commitment=commitment,
        indicator=partner_indicator(),
        value=300,
        year=2018,
    )


def signed_parties():
    """The parties of a signed pact, their commitments and targets, as the PDF prints them."""
    pact = Pact.objects.get(status=PactStatus.SIGNED)
    return (
        list(pact.signatories.order_by("pk").values_list("signer_name", "status", "signed_on")),
        list(Commitment.objects.filter(signatory__pact=pact).values_list("title", flat=True)),
        list(
            Target.objects.filter(commitment__signatory__pact=pact).values_list(
                "indicator_id", "year", "value"
            )
        ),
    )


def resave(instance, **values):
    for field, value in values.items():
        setattr(instance, field, value)
    instance.save()


@pytest.mark.parametrize(
    "write",
    [
        lambda pact: pact.signatories.update(signer_name="Réécrit par un script"),
        lambda pact: resave(pact.signatories.first(), signer_title="Réécrit"),
        lambda pact: Signatory.objects.create(pact=pact, organisation=OrganisationFactory()),
        lambda pact: Commitment.objects.filter(signatory__pact=pact).update(title="Réécrit"),
        lambda pact: Commitment.objects.create(
            signatory=pact.signatories.first(),
            orientation=pact.orientations.first(),
            title="Ajouté",
        ),
        lambda pact: Target.objects.filter(commitment__signatory__pact=pact).update(value=3),
        lambda pact: Target.objects.create(
            scope=Scope.COMMITMENT,
            commitment=Commitment.objects.get(signatory__pact=pact),
            indicator=partner_indicator(),
            value=1,
            year=2019,
        ),
    ],
    ids=[
        "signer",
        "signatory saved",
        "new signatory",
        "commitment",
        "new commitment",
        "target",
        "new target",
    ],
)
def test_the_database_refuses_to_change_the_parties_of_a_signed_pact(write):
    """The parties, their commitments and targets are what was signed (signatories/0002)."""
    pact = signed_pact(with_a_commitment)
    printed = signed_parties()

    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        write(pact)

    assert "Ce pacte n'est plus un projet" in str(refusal.value)
    assert signed_parties() == printed


def test_the_commitments_of_an_adopted_pact_are_frozen_but_its_signatures_still_recorded():
    pact = adopted_pact(committing=with_a_commitment)

    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(signatory__pact=pact).update(title="Réécrit")
    for day, signatory in enumerate(pact.signatories.all(), start=1):
        sign(signatory, day)
    signatory_services.signature_round_close(pact=pact)

    pact.refresh_from_db()
    assert pact.status == PactStatus.SIGNED
    assert pact.signatories.signed().count() == 2


def test_the_database_lets_the_lifecycle_move_forward():
    pact = signed_pact()

    services.pact_archive(pact=pact)

    pact.refresh_from_db()
    assert pact.status == PactStatus.ARCHIVED


def test_an_orientation_cannot_be_moved_out_of_a_signed_pact():
    signed = signed_pact()
    orientation = signed.orientations.first()
    orientation.pact = PactFactory()  # a draft

    with pytest.raises(ValidationError):
        orientation.full_clean()


def test_a_draft_validates_as_before():
    pact = PactFactory()
    orientation = OrientationFactory(pact=pact, position=1)
    objective = ObjectiveFactory(orientation=orientation, position=1)

    pact.preamble = "Un nouveau préambule"
    pact.full_clean(exclude=["lock_version"])
    orientation.full_clean()
    objective.full_clean()


# --- Optimistic locking cannot be bypassed ------------------------------------------------------


def is_project_app(app):
    """PTI's own apps (pti, beneficiaries, actions…), not Django's or a library's."""
    return Path(app.path).parent == settings.BASE_DIR


def edit_forms():
    """Every form that edits a versioned record, in every app's forms modules (imported here,
    not left to whichever test ran first)."""
    for app in apps.get_app_configs():
        for module in (f"{app.name}.forms", f"{app.name}.account_forms"):
            if is_project_app(app) and importlib.util.find_spec(module):
                importlib.import_module(module)
    found, pending = [], [LockVersionFormMixin]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if issubclass(subclass, BaseForm) and subclass.__module__.split(".")[0] != "tests":
                found.append(subclass)
    return found


def test_every_edit_form_is_known():
    names = {form.__name__ for form in edit_forms()}
    assert {"PactForm", "BeneficiaryForm", "ContractForm", "ActionForm", "SignatoryForm"} <= names


@pytest.mark.parametrize("form_class", edit_forms(), ids=lambda form: form.__name__)
def test_every_edit_form_refuses_a_post_without_its_version(form_class):
    # The mixin's check, on a form of this class editing a saved record, whatever the other
    # fields hold (each form's own clean() is tested with its page).
    form = form_class.__new__(form_class)
    form.instance = type("Saved", (), {"pk": 1, "lock_version": 3})()
    form.cleaned_data = {"lock_version": None}
    with pytest.raises(ValidationError) as refusal:
        LockVersionFormMixin.clean(form)
    assert refusal.value.messages == [services.MISSING_VERSION]
    form.cleaned_data = {"lock_version": 3}
    assert LockVersionFormMixin.clean(form) == {"lock_version": 3}


def test_the_pact_page_refuses_a_post_without_its_version(client_as):
    pact = PactFactory()
    client = client_as(UserFactory(pilot=True))

    response = client.post(
        reverse("pti:pact_update", args=[pact.pk]),
        {
            "title": "Titre changé",
            "department_name": pact.department_name,
            "period_start": pact.period_start,
            "period_end": pact.period_end,
            "preamble": pact.preamble,
        },
    )

    assert response.status_code == 422
    assert "sa version d&#x27;édition manque" in response.content.decode()
    pact.refresh_from_db()
    assert pact.title == "Pacte territorial d'insertion"


def test_the_service_refuses_a_write_that_names_no_version():
    pact = PactFactory()

    with pytest.raises(services.ConcurrentEdit) as refusal:
        services.pact_update(pact=pact, expected_version=None, title="Sans version")

    assert refusal.value.messages == [services.MISSING_VERSION]


def identity(person, **changes):
    household = person.household
    return {
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
        "commune": "",
        "family_situation": household.family_situation,
        "lock_version": person.lock_version,
        "household_lock_version": household.lock_version,
        **changes,
    }


@pytest.fixture
def followed(client_as):
    from tests.pti.factories import CommuneFactory

    assignment = ReferentAssignmentFactory()
    person = assignment.beneficiary
    person.household.commune = CommuneFactory(territory=person.household.territory)
    person.household.save()
    return person, client_as(assignment.referent)


@pytest.mark.parametrize("missing", ["lock_version", "household_lock_version"])
def test_the_identity_form_refuses_a_post_without_either_version(followed, missing):
    person, client = followed
    data = identity(person, phone="06 00 00 00 00", commune=person.household.commune_id)
    del data[missing]

    response = client.post(reverse("beneficiaries:update", args=[person.pk]), data)

    assert response.status_code == 422
    person.refresh_from_db()
    assert person.phone == ""


def test_a_household_changed_from_another_members_file_meanwhile_is_refused(followed):
    person, client = followed
    opened = identity(person, commune=person.household.commune_id)
    household = person.household
    household.lock_version += 1  # someone saved the household from the partner's file
    household.address = "2 rue Ailleurs"
    household.save()

    response = client.post(
        reverse("beneficiaries:update", args=[person.pk]), {**opened, "address": "1 rue Ici"}
    )

    assert response.status_code == 422
    assert "Quelqu&#x27;un d&#x27;autre a enregistré" in response.content.decode()
    household.refresh_from_db()
    assert household.address == "2 rue Ailleurs"


def test_the_trail_records_the_new_version_as_a_number(followed):
    person, client = followed

    client.post(
        reverse("beneficiaries:update", args=[person.pk]),
        identity(person, phone="06 00 00 00 00", commune=person.household.commune_id),
    )

    entry = LogEntry.objects.get_for_object(person).latest("timestamp")
    assert entry.changes_dict["lock_version"] == ["1", "2"]


# --- The technical admin sees no person -----------------------------------------------------------


PERSONAL_APPS = {"beneficiaries"}


def test_no_model_of_people_is_registered_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    personal = {label for label in registered if label.split(".")[0] in PERSONAL_APPS}
    assert personal == set()
    # Nor any model elsewhere whose fields point at a person.
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if field.concrete and field.is_relation:
                assert field.related_model._meta.app_label not in PERSONAL_APPS, (
                    f"{model._meta.label}.{field.name} mène à une personne"
                )


def test_the_trail_shows_people_by_number_only_in_the_admin(it):
    obstacle = ObstacleFactory(
        beneficiary__last_name="Confidentielle", beneficiary__first_name="Aline", kind="health"
    )
    person = obstacle.beneficiary
    person.phone = "06 12 12 12 12"
    person.save()

    listing = it.get(reverse("admin:auditlog_logentry_changelist")).content.decode()
    entry = LogEntry.objects.get_for_object(obstacle).latest("timestamp")
    # An entry has no page of its own: its text would name the object.
    detail = it.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))

    for secret in ("Confidentielle", "Aline", "Santé", "santé", "06 12 12 12 12"):
        assert secret not in listing
    assert detail.status_code == 403
    assert f"bénéficiaire n° {person.pk}" in listing
    assert f"frein n° {obstacle.pk}" in listing
    # Searching the trail by a name finds nothing: it is searched by number and user only.
    found = it.get(reverse("admin:auditlog_logentry_changelist"), {"q": "Confidentielle"})
    assert found.context["cl"].result_count == 0


# --- `next` never leaves the site ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "https:/evil.example", "javascript:alert(1)"],
)
def test_taking_a_snapshot_never_redirects_to_another_site(client_as, target):
    PactFactory()  # the figures are filed under the pact
    client = client_as(UserFactory(pilot=True))

    response = client.post(
        reverse("evaluation:snapshots"),
        {"year": datetime.date.today().year - 1, "note": "", "next": target},
    )

    # The figures are stopped in the background: the run's page leads back to the snapshots.
    run = TaskRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pti:run_detail", args=[run.pk])
    assert run.status == RunStatus.DONE
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="{reverse("evaluation:snapshots")}">Revenir aux chiffres</a>' in page
    assert "evil" not in page


def test_taking_a_snapshot_goes_back_to_a_page_of_the_site(client_as):
    PactFactory()
    client = client_as(UserFactory(pilot=True))
    back = reverse("evaluation:dashboard") + "?year=2025"

    response = client.post(
        reverse("evaluation:snapshots"),
        {"year": datetime.date.today().year - 1, "note": "", "next": back},
    )

    run = TaskRun.objects.get()
    assert response["Location"] == reverse("pti:run_detail", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="{escape(back)}">Revenir aux chiffres</a>' in page
