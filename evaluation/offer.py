"""Where the pact's offer falls short: for each territory and each kind of obstacle (frein),
the need (the open obstacles of the people still in the parcours) against the offer (the free
places of the actions that treat that kind of obstacle on that territory), with the
prescriptions waiting for a place.

Three GROUP BY queries and one of the territories, whatever the number of people, actions or
territories (`offer_and_need`).

What is counted, on a day:
- open obstacles: `Obstacle` identified or being addressed (not lifted), of a person with no
  exit recorded, on the territory of the person's household;
- free places: the places left of an action as the catalogue counts them
  (`ActionQuerySet.in_catalogue().with_places_left()`: capacity less the places held, a place
  being held from the operator's acceptance until the person leaves the action), for the
  actions not ended that day; an action on several territories or treating several kinds of
  obstacles offers its free places on each pair (the same place may answer several needs: the
  sum of a column over the territories may exceed the action's capacity);
- waiting prescriptions: proposed, sent to the operator, or accepted and not started, of a
  person with no exit, to an action treating that kind of obstacle, on the person's territory;
- the gap: free places less open obstacles; below zero, the need is not covered.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from actions.enums import Obstacle as ObstacleKind
from actions.enums import PrescriptionStatus
from actions.models import Action
from beneficiaries.enums import ObstacleStatus
from beneficiaries.models import Exit, Obstacle, Prescription
from pti.models import Territory

OPEN_OBSTACLES = (ObstacleStatus.IDENTIFIED, ObstacleStatus.ADDRESSED)
# Waiting for a place: proposed or sent, or accepted by the operator and not started.
WAITING = (PrescriptionStatus.PROPOSED, PrescriptionStatus.SENT, PrescriptionStatus.ACCEPTED)
UNCOVERED = "besoin non couvert : ouvrir une action ou un appel à projets"

SORTS = {
    "ecart": "écart (besoin le moins couvert d'abord)",
    "territoire": "territoire puis frein",
    "besoin": "freins ouverts (les plus nombreux d'abord)",
}


@dataclass(frozen=True)
class OfferNeed:
    """One territory and one kind of obstacle: people (open obstacles), places, prescriptions."""

    territory: Territory
    kind: str
    open_obstacles: int
    free_places: int
    waiting: int

    @property
    def kind_label(self):
        return ObstacleKind(self.kind).label

    @property
    def gap(self):
        """Free places less open obstacles: negative when the need is not covered."""
        return self.free_places - self.open_obstacles

    @property
    def uncovered(self):
        return self.open_obstacles > self.free_places


def offer_and_need(today, *, territory=None, sort="ecart"):
    """[OfferNeed] on `today` (a date), one per territory (only `territory` when given) and
    kind of obstacle with any need, place or waiting prescription; sorted by `sort` (a key of
    SORTS: the least covered need first by default). Four queries."""
    # People with no exit, written as NOT IN (exits): PostgreSQL then estimates them well.
    people = ~Q(beneficiary_id__in=Exit.objects.values("beneficiary_id"))
    needs = Obstacle.objects.filter(people, status__in=OPEN_OBSTACLES)
    actions = (
        Action.objects.in_catalogue()
        .with_places_left()
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    )
    waiting = Prescription.objects.filter(people, status__in=WAITING)
    if territory is not None:
        needs = needs.filter(beneficiary__household__territory=territory)
        actions = actions.filter(territories=territory)
        waiting = waiting.filter(beneficiary__household__territory=territory)
    figures = {}

    def add(rows, index):
        for territory_id, kind, number in rows:
            if territory_id is None or kind is None:
                continue
            if territory is not None and territory_id != territory.pk:
                continue
            figures.setdefault((territory_id, kind), [0, 0, 0])[index] += number or 0

    add(
        needs.order_by()
        .values_list("beneficiary__household__territory_id", "kind")
        .annotate(number=Count("pk")),
        0,
    )
    add(
        actions.order_by()
        .values_list("territories", "obstacles__obstacle")
        .annotate(number=Sum("places_left")),
        1,
    )
    add(
        waiting.order_by()
        .values_list("beneficiary__household__territory_id", "action__obstacles__obstacle")
        .annotate(number=Count("pk")),
        2,
    )
    territories = Territory.objects.in_bulk(list({pk for pk, _ in figures}))
    order = {kind: index for index, kind in enumerate(ObstacleKind.values)}
    rows = [
        OfferNeed(territories[pk], kind, *numbers)
        for (pk, kind), numbers in figures.items()
        if kind in order
    ]
    keys = {
        "territoire": lambda row: (row.territory.name, order[row.kind]),
        "besoin": lambda row: (-row.open_obstacles, row.territory.name, order[row.kind]),
    }
    default = lambda row: (row.gap, row.territory.name, order[row.kind])  # noqa: E731
    return sorted(rows, key=keys.get(sort, default))


def totals(rows):
    """{kind label: (open obstacles, free places, waiting)} over `rows`, in the obstacles'
    order: what the chart draws, one pair of bars per kind of obstacle."""
    summed = {}
    for kind in ObstacleKind:
        chosen = [row for row in rows if row.kind == kind.value]
        if chosen:
            summed[kind.label] = (
                sum(row.open_obstacles for row in chosen),
                sum(row.free_places for row in chosen),
                sum(row.waiting for row in chosen),
            )
    return summed
