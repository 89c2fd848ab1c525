"""What an action financed by an agreement achieved, against the agreement's objectives.

Each objective names what it measures. The figures are those the evaluation arrêta in its
latest snapshot of the year (reached through the objective's `measurements`, see
evaluation/); before any snapshot, the places occupied today; an objective the application
cannot measure shows the operator's own figure.
"""

from dataclasses import dataclass
from decimal import Decimal

from actions.enums import ObjectiveMeasure


@dataclass
class ObjectiveResult:
    objective: object
    achieved: Decimal | None
    source: str

    @property
    def attainment(self):
        """Share of the target reached, in percent (None when nothing is measured)."""
        if self.achieved is None or not self.objective.target:
            return None
        return (Decimal(self.achieved) * 100 / self.objective.target).quantize(Decimal("0.1"))

    @property
    def is_met(self):
        return self.attainment is not None and self.attainment >= 100


def agreement_results(agreement):
    """One ObjectiveResult per objective of the agreement, in a fixed number of queries."""
    objectives = list(
        agreement.objectives.select_related("action")
        .prefetch_related("measurements__snapshot")
        .order_by("year", "action__title")
    )
    return [measure(objective) for objective in objectives]


def measure(objective):
    if objective.measure == ObjectiveMeasure.OTHER:
        if objective.reported_value is not None:
            return ObjectiveResult(
                objective, objective.reported_value, "chiffre déclaré par l'opérateur"
            )
        return ObjectiveResult(objective, None, "à déclarer par l'opérateur")
    snapshots = [m for m in objective.measurements.all() if m.snapshot_id is not None]
    latest = max(snapshots, key=lambda m: m.snapshot.taken_at, default=None)
    if latest is not None and latest.value is not None:
        return ObjectiveResult(
            objective, latest.value, f"mesuré le {latest.snapshot.taken_at:%d/%m/%Y}"
        )
    if objective.measure == ObjectiveMeasure.PLACES_USED:
        return ObjectiveResult(
            objective, Decimal(objective.action.places_taken), "places occupées à ce jour"
        )
    return ObjectiveResult(objective, None, "pas encore mesuré : arrêtez les chiffres de l'année")
