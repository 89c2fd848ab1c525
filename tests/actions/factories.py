import datetime

import factory
from factory.django import DjangoModelFactory

from actions.enums import ActionStatus, AgreementStatus, ObjectiveMeasure
from actions.models import (
    Action,
    ActionObstacle,
    AgreementObjective,
    Application,
    CallAxis,
    CallForProjects,
    FundingAgreement,
)
from tests.pti.factories import OrganisationFactory, OrientationFactory, TerritoryFactory


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"FA-TEST-{n:04d}")
    title = factory.Sequence(lambda n: f"Action {n}")
    orientation = factory.SubFactory(OrientationFactory)
    operator = factory.SubFactory(OrganisationFactory)
    capacity = 10
    start_date = datetime.date(2017, 1, 1)
    status = ActionStatus.OPEN

    @factory.post_generation
    def territories(self, create, extracted, **kwargs):
        if create:
            self.territories.set(extracted if extracted is not None else [TerritoryFactory()])

    @factory.post_generation
    def obstacles(self, create, extracted, **kwargs):
        if create and extracted:
            ActionObstacle.objects.bulk_create(
                ActionObstacle(action=self, obstacle=obstacle) for obstacle in extracted
            )


class CallForProjectsFactory(DjangoModelFactory):
    class Meta:
        model = CallForProjects

    year = 2017
    title = factory.Sequence(lambda n: f"Appel à projets {n}")
    deadline = datetime.date(2016, 11, 30)


class CallAxisFactory(DjangoModelFactory):
    class Meta:
        model = CallAxis

    call = factory.SubFactory(CallForProjectsFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Axe {n}")


class ApplicationFactory(DjangoModelFactory):
    class Meta:
        model = Application

    call = factory.SubFactory(CallForProjectsFactory)
    axis = factory.SubFactory(CallAxisFactory, call=factory.SelfAttribute("..call"))
    action = factory.SubFactory(ActionFactory)
    requested_amount = 10000


class FundingAgreementFactory(DjangoModelFactory):
    class Meta:
        model = FundingAgreement
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CPO-TEST-{n:03d}")
    title = factory.Sequence(lambda n: f"Convention {n}")
    operator = factory.SubFactory(OrganisationFactory)
    start_year = 2017
    end_year = 2020
    status = AgreementStatus.SIGNED
    signed_on = datetime.date(2017, 1, 20)

    @factory.post_generation
    def actions(self, create, extracted, **kwargs):
        if create and extracted:
            self.actions.set(extracted)


class AgreementObjectiveFactory(DjangoModelFactory):
    class Meta:
        model = AgreementObjective

    agreement = factory.SubFactory(FundingAgreementFactory)
    action = factory.SubFactory(ActionFactory)
    year = 2017
    measure = ObjectiveMeasure.OTHER
    label = "Personnes accompagnées"
    target = 20
