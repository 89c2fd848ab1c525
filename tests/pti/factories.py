import factory
from factory.django import DjangoModelFactory

from pti.enums import OrganisationKind, PactStatus, Role
from pti.models import Commune, Objective, Organisation, Orientation, Pact, Territory, User


class TerritoryFactory(DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"territoire-{n}")
    name = factory.Sequence(lambda n: f"Territoire {n}")


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune

    insee_code = factory.Sequence(lambda n: f"{10000 + n % 90000:05d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    postal_code = "42000"
    territory = factory.SubFactory(TerritoryFactory)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.ASSOCIATION

    class Params:
        departement = factory.Trait(kind=OrganisationKind.DEPARTEMENT)
        ccas = factory.Trait(kind=OrganisationKind.CCAS)
        caf = factory.Trait(kind=OrganisationKind.CAF)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    role = Role.REFERENT
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password("mot-de-passe-de-test")

    class Params:
        pilot = factory.Trait(role=Role.PILOT, organisation=None)
        manager = factory.Trait(role=Role.MANAGER)
        referent = factory.Trait(role=Role.REFERENT)
        operator = factory.Trait(role=Role.OPERATOR)
        partner = factory.Trait(role=Role.PARTNER)
        admin = factory.Trait(role=Role.ADMIN, organisation=None, is_staff=True, is_superuser=True)


class PactFactory(DjangoModelFactory):
    class Meta:
        model = Pact

    code = factory.Sequence(lambda n: f"pti-test-{n}")
    title = "Pacte territorial d'insertion"
    department_name = "Loire"
    period_start = 2016
    period_end = 2020
    preamble = "Le pacte organise la politique d'insertion du Département."
    status = PactStatus.DRAFT


class OrientationFactory(DjangoModelFactory):
    class Meta:
        model = Orientation

    pact = factory.SubFactory(PactFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Orientation {n}")


class ObjectiveFactory(DjangoModelFactory):
    class Meta:
        model = Objective

    orientation = factory.SubFactory(OrientationFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Objectif {n}")
