"""One timeline of everything that happened in a person's parcours, newest first."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone


@dataclass
class Event:
    on: date
    kind: str
    title: str
    detail: str = ""


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
    events = []
    # Newest first within a day too (the sort is stable): a decision, then the orientation it
    # recorded, then the request.
    for asked in reorientation_requests:
        if asked.decided_at:
            events.append(
                Event(
                    timezone.localtime(asked.decided_at).date(),
                    "orientation",
                    f"Réorientation {asked.get_status_display()}",
                    asked.decision_note,
                )
            )
    for assignment in assignments:
        who = assignment.referent.get_full_name() or str(assignment.referent)
        events.append(
            Event(
                assignment.start_date,
                "référent",
                f"Référent : {who}",
                assignment.get_reason_display(),
            )
        )
    for orientation in orientations:
        title = "Réorientation" if orientation.is_reorientation else "Orientation"
        events.append(
            Event(
                orientation.decided_on,
                "orientation",
                f"{title} : parcours {orientation.get_parcours_display()}, {orientation.organisme}",
                orientation.reason,
            )
        )
    for asked in reorientation_requests:
        events.append(
            Event(
                timezone.localtime(asked.requested_at).date(),
                "orientation",
                f"Réorientation demandée : parcours {asked.get_proposed_parcours_display()}, "
                f"{asked.proposed_organisme}",
                asked.reason,
            )
        )
    for contract in contracts:
        verb = "révisé" if contract.revises_id else "établi"
        detail = f"{contract.weekly_hours.normalize():f} h par semaine".replace(".", ",")
        if contract.signed_on:
            detail += f", signé le {contract.signed_on:%d/%m/%Y}"
        events.append(
            Event(contract.start_date, "contrat", f"{contract.get_kind_display()} {verb}", detail)
        )
    for interview in interviews:
        events.append(
            Event(interview.date, "entretien", interview.get_kind_display(), interview.note)
        )
    for obstacle in obstacles:
        events.append(
            Event(
                obstacle.identified_on, "frein", f"Frein identifié : {obstacle.get_kind_display()}"
            )
        )
        if obstacle.addressed_on:
            events.append(
                Event(
                    obstacle.addressed_on,
                    "frein",
                    f"Frein en cours de traitement : {obstacle.get_kind_display()}",
                )
            )
        if obstacle.lifted_on:
            events.append(
                Event(obstacle.lifted_on, "frein", f"Frein levé : {obstacle.get_kind_display()}")
            )
    for prescription in prescriptions:
        events.append(
            Event(
                prescription.prescribed_on,
                "prescription",
                f"Prescription : {prescription.action.title}",
                prescription.note,
            )
        )
        if prescription.refusal_seen_on:
            events.append(
                Event(
                    prescription.refusal_seen_on,
                    "prescription",
                    f"Refus pris en compte : {prescription.action.title}",
                )
            )
        if prescription.answered_on:
            answer = "refusée" if prescription.refusal_reason else "acceptée"
            detail = prescription.refusal_reason
            events.append(
                Event(
                    prescription.answered_on,
                    "prescription",
                    f"Réponse de l'opérateur : {answer}",
                    detail,
                )
            )
        if prescription.started_on:
            events.append(
                Event(
                    prescription.started_on,
                    "prescription",
                    f"Entrée en action : {prescription.action.title}",
                )
            )
        if prescription.ended_on:
            events.append(
                Event(
                    prescription.ended_on,
                    "prescription",
                    f"Sortie d'action ({prescription.get_status_display()}) : "
                    f"{prescription.action.title}",
                    prescription.outcome,
                )
            )
    if exit_ is not None:
        events.append(
            Event(
                exit_.exit_on,
                "sortie",
                f"Sortie : {exit_.get_category_display()}",
                exit_.situation_label,
            )
        )
    events.sort(key=lambda event: event.on, reverse=True)
    return events
