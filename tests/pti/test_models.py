import pytest
from django.db import IntegrityError, transaction

from pti.enums import Role
from pti.models import Organisation, User
from tests.pti.factories import CommuneFactory, OrganisationFactory, PactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_referent_must_belong_to_an_organisation():
    with pytest.raises(IntegrityError, match="user_organisation_required_for_role"):
        UserFactory(role=Role.REFERENT, organisation=None)


def test_pilots_and_admins_may_have_no_organisation():
    assert UserFactory(pilot=True).organisation is None
    assert UserFactory(admin=True).organisation is None


def test_a_user_needs_a_known_role():
    with pytest.raises(IntegrityError, match="user_role_valid"):
        User.objects.create_user(
            username="sans-role", password="x", organisation=OrganisationFactory()
        )


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser(username="it", password="x")
    assert user.role == Role.ADMIN


def test_pact_period_must_be_ordered():
    with pytest.raises(IntegrityError, match="pact_period_ordered"):
        PactFactory(period_start=2020, period_end=2016)


def test_commune_code_is_checked():
    assert CommuneFactory(insee_code="2A004").insee_code == "2A004"
    with pytest.raises(IntegrityError, match="commune_insee_code_format"), transaction.atomic():
        CommuneFactory(insee_code="4218")


def test_siret_is_fourteen_digits_or_empty():
    OrganisationFactory(siret="")
    OrganisationFactory(siret="12345678901234")
    with pytest.raises(IntegrityError, match="organisation_siret_format"), transaction.atomic():
        OrganisationFactory(siret="1234")


def test_organisation_names_are_unique():
    OrganisationFactory(name="CAF de la Loire")
    with pytest.raises(IntegrityError):
        Organisation.objects.create(name="CAF de la Loire", kind="caf")
