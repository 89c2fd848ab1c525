"""One timeline of everything that happened in a person's parcours, newest first."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone


@dataclass
class Event:
    """One line of the history. `on` is the day it happened; `recorded_at` (the time its row
    was recorded) and `step` (its rank in the life of that row: identified 0, lifted 1...)
    order the entries of a same day."""

    on: date
    kind: str
    title: str
    detail: str = ""
    recorded_at: datetime | None = None
    step: int = 0


def build_timeline(
    *,
    assignments,
    orientations,
    contracts,
    interviews,
    obstacles,
    prescriptions,
    exit_,
    reorientation_requests=(),
):
    """[Event], newest first: the day of each, then, for a same day, the latest recorded row
    first, and within a row its latest step first (a frein lifted above its identification).
    Takes the rows already read (lists or querysets), reads nothing more."""
    events = []

    def add(row, on, kind, title, detail="", step=0):
        events.append(Event(on, kind, title, detail, getattr(row, "created_at", None), step))

    for asked in reorientation_requests:
        requested_at = timezone.localtime(asked.requested_at)
        events.append(
            Event(
                requested_at.date(),
                "orientation",
                f"Réorientation demandée : parcours {asked.get_proposed_parcours_display()}, "
                f"{asked.proposed_organisme}",
                asked.reason,
                asked.requested_at,
            )
        )
        if asked.decided_at:
            events.append(
                Event(
                    timezone.localtime(asked.decided_at).date(),
                    "orientation",
                    f"Réorientation {asked.get_status_display()}",
                    asked.decision_note,
                    asked.decided_at,
                )
            )
    for assignment in assignments:
        who = assignment.referent.get_full_name() or str(assignment.referent)
        add(
            assignment,
            assignment.start_date,
            "référent",
            f"Référent : {who}",
            assignment.get_reason_display(),
        )
    for orientation in orientations:
        title = "Réorientation" if orientation.is_reorientation else "Orientation"
        add(
            orientation,
            orientation.decided_on,
            "orientation",
            f"{title} : parcours {orientation.get_parcours_display()}, {orientation.organisme}",
            orientation.reason,
        )
    for contract in contracts:
        verb = "révisé" if contract.revises_id else "établi"
        detail = f"{contract.weekly_hours.normalize():f} h par semaine".replace(".", ",")
        if contract.signed_on:
            detail += f", signé le {contract.signed_on:%d/%m/%Y}"
        add(
            contract,
            contract.start_date,
            "contrat",
            f"{contract.get_kind_display()} {verb}",
            detail,
        )
    for interview in interviews:
        add(interview, interview.date, "entretien", interview.get_kind_display(), interview.note)
    for obstacle in obstacles:
        name = obstacle.get_kind_display()
        add(obstacle, obstacle.identified_on, "frein", f"Frein identifié : {name}")
        if obstacle.addressed_on:
            add(
                obstacle,
                obstacle.addressed_on,
                "frein",
                f"Frein en cours de traitement : {name}",
                step=1,
            )
        if obstacle.lifted_on:
            add(obstacle, obstacle.lifted_on, "frein", f"Frein levé : {name}", step=2)
    for prescription in prescriptions:
        title = prescription.action.title
        add(
            prescription,
            prescription.prescribed_on,
            "prescription",
            f"Prescription : {title}",
            prescription.note,
        )
        if prescription.refusal_seen_on:
            add(
                prescription,
                prescription.refusal_seen_on,
                "prescription",
                f"Refus pris en compte : {title}",
                step=2,
            )
        if prescription.answered_on:
            answer = "refusée" if prescription.refusal_reason else "acceptée"
            add(
                prescription,
                prescription.answered_on,
                "prescription",
                f"Réponse de l'opérateur : {answer}",
                prescription.refusal_reason,
                step=1,
            )
        if prescription.started_on:
            add(
                prescription,
                prescription.started_on,
                "prescription",
                f"Entrée en action : {title}",
                step=2,
            )
        if prescription.ended_on:
            add(
                prescription,
                prescription.ended_on,
                "prescription",
                f"Sortie d'action ({prescription.get_status_display()}) : {title}",
                prescription.outcome,
                step=3,
            )
    if exit_ is not None:
        add(
            exit_,
            exit_.exit_on,
            "sortie",
            f"Sortie : {exit_.get_category_display()}",
            exit_.situation_label,
        )
    events.sort(key=_order, reverse=True)
    return events


def _order(event):
    recorded = event.recorded_at.timestamp() if event.recorded_at else 0.0
    return (event.on, recorded, event.step)
