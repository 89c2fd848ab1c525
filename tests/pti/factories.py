import datetime

import factory
from factory.django import DjangoModelFactory

from pti.enums import OrganisationKind, PactStatus, Role
from pti.models import (
    Commune,
    Objective,
    Organisation,
    Orientation,
    Pact,
    PostalCode,
    Territory,
    User,
)


class TerritoryFactory(DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"territoire-{n}")
    name = factory.Sequence(lambda n: f"Territoire {n}")


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune
        skip_postgeneration_save = True

    insee_code = factory.Sequence(lambda n: f"{10000 + n % 90000:05d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    postal_code = "42000"
    territory = factory.SubFactory(TerritoryFactory)
    # The main postal code is one of the commune's postal codes, as in the database.
    main_postal_code = factory.RelatedFactory(
        "tests.pti.factories.PostalCodeFactory",
        factory_related_name="commune",
        code=factory.SelfAttribute("..postal_code"),
    )


class PostalCodeFactory(DjangoModelFactory):
    class Meta:
        model = PostalCode

    code = "42000"
    commune = factory.SubFactory(CommuneFactory)


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


def frozen(
    pact,
    status=PactStatus.SIGNED,
    *,
    deliberation_date=datetime.date(2016, 6, 27),
    signed_on=datetime.date(2016, 10, 1),
    archived_on=datetime.date(2024, 1, 1),
):
    """Give a draft built by the factories, with its orientations and objectives, the status of
    a version that is no longer a draft. The database freezes such a version (migration
    pti/0003): what it holds is built while it is a draft, then it leaves the draft in one
    step, as only a draft may. Returns the pact, read again."""
    values = {"status": status, "deliberation_date": deliberation_date}
    if status in (PactStatus.SIGNED, PactStatus.ARCHIVED):
        values["signed_on"] = signed_on
    if status == PactStatus.ARCHIVED:
        values["archived_on"] = archived_on
    Pact.objects.filter(pk=pact.pk, status=PactStatus.DRAFT).update(**values)
    pact.refresh_from_db()
    return pact
