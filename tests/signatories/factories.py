import datetime

import factory
from factory.django import DjangoModelFactory

from evaluation.enums import Scope, Source, Unit
from evaluation.models import Indicator, Target
from signatories.enums import BodyKind, ConventionKind, SignatoryStatus
from signatories.models import (
    Commitment,
    Convention,
    GovernanceBody,
    Meeting,
    Signatory,
)
from tests.pti.factories import (
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
)


class SignatoryFactory(DjangoModelFactory):
    class Meta:
        model = Signatory

    pact = factory.SubFactory(PactFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    signer_name = factory.Sequence(lambda n: f"Signataire {n}")
    signer_title = "Directeur"

    class Params:
        signed = factory.Trait(status=SignatoryStatus.SIGNED, signed_on=datetime.date(2016, 9, 12))


class CommitmentFactory(DjangoModelFactory):
    class Meta:
        model = Commitment

    signatory = factory.SubFactory(SignatoryFactory)
    # An orientation of the signatory's pact: its first one when it has some (a pact that is
    # no longer a draft takes no new orientation), else a new one.
    orientation = factory.LazyAttribute(
        lambda commitment: (
            commitment.signatory.pact.orientations.order_by("position").first()
            or OrientationFactory(pact=commitment.signatory.pact)
        )
    )
    title = factory.Sequence(lambda n: f"Engagement {n}")


def partner_indicator():
    """An indicator the partner reports (the catalogue's are emptied by some tests)."""
    indicator, _ = Indicator.objects.get_or_create(
        code="test-chiffre-partenaire",
        defaults={
            "label": "Allocataires accompagnés par le partenaire",
            "definition": "Déclaré par le partenaire.",
            "unit": Unit.PEOPLE,
            "source": Source.PARTNER,
        },
    )
    return indicator


class CommitmentTargetFactory(DjangoModelFactory):
    """A commitment's target: an indicator and a year of its pact's period (build it while
    the pact is a draft: the database freezes a signed pact's targets)."""

    class Meta:
        model = Target

    scope = Scope.COMMITMENT
    commitment = factory.SubFactory(CommitmentFactory)
    indicator = factory.LazyFunction(partner_indicator)
    value = 100
    year = 2018


class ConventionFactory(DjangoModelFactory):
    class Meta:
        model = Convention

    partner = factory.SubFactory(OrganisationFactory)
    kind = ConventionKind.RIGHTS_AND_DUTIES
    title = factory.Sequence(lambda n: f"Convention {n}")
    start_date = datetime.date(2017, 1, 1)


class GovernanceBodyFactory(DjangoModelFactory):
    class Meta:
        model = GovernanceBody

    pact = factory.SubFactory(PactFactory)
    kind = BodyKind.CTIP
    name = factory.Sequence(lambda n: f"CTIP {n}")
    territory = factory.SubFactory(TerritoryFactory)


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    body = factory.SubFactory(GovernanceBodyFactory)
    date = factory.Sequence(lambda n: datetime.date(2017, 1, 1) + datetime.timedelta(days=n))
