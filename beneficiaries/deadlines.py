"""The legal deadlines of a parcours (DOMAIN.md), computed from the dates recorded, and the
day a file leaves the active base for lack of contact.

The durations are settings (`PTI_DELAYS`, `PTI_ACTIVE_RETENTION_DAYS`,
`PTI_RETENTION_NOTICE_DAYS`). The same rules serve one file (`due_items`, from a person's
annotated row) and the lists (`BeneficiaryQuerySet.due`, the same rules written as database
conditions).
"""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings

from beneficiaries.enums import ContractKind, Parcours

# What can be due or late, in the order the portfolio shows it.
DUE_LABELS = {
    "orientation": "orientation en retard",
    "contract": "contrat en retard",
    "review": "révision du parcours social",
    "expired": "contrat échu à renouveler",
    "ending": "contrat bientôt échu",
    "interview": "pas d'entretien depuis 3 mois",
    "answer": "prescription sans réponse",
    "legacy": "CER ou PPAE à transformer",
    "no_contact": "sans contact : dossier bientôt clos",
}


def delay(name):
    return relativedelta(**settings.PTI_DELAYS[name])


def legacy_deadline():
    return datetime.date.fromisoformat(settings.PTI_LEGACY_CONTRACTS_DEADLINE)


# --- The active base (CNIL référentiel « accompagnement social » 2021: 2 years after the last
# contact). The last contact of a person is `BeneficiaryQuerySet.with_last_contact`.


def closing_on(last_contact_on):
    """The day a file is closed for lack of contact (or, closed already, anonymised): the
    date of the last contact plus `PTI_ACTIVE_RETENTION_DAYS` days. A date."""
    return last_contact_on + datetime.timedelta(days=settings.PTI_ACTIVE_RETENTION_DAYS)


def active_base_start(today):
    """The earliest last contact that keeps a file in the active base on `today`: a file whose
    last contact is older has reached its `closing_on` day."""
    return today - datetime.timedelta(days=settings.PTI_ACTIVE_RETENTION_DAYS - 1)


def notice_start(today):
    """The earliest last contact that spares a file the notice on `today`: a file whose last
    contact is older will be closed within `PTI_RETENTION_NOTICE_DAYS` days."""
    return active_base_start(today) + datetime.timedelta(days=settings.PTI_RETENTION_NOTICE_DAYS)


def active_period_label():
    """`PTI_ACTIVE_RETENTION_DAYS` in words: « 2 ans », « 1 an », « 800 jours »."""
    days = settings.PTI_ACTIVE_RETENTION_DAYS
    if days % 365:
        return f"{days} jours"
    years = days // 365
    return f"{years} an{'s' if years > 1 else ''}"


@dataclass
class Due:
    code: str
    label: str
    date: datetime.date | None
    late: bool
    # The label already says the date (the lists then do not repeat it).
    date_in_label: bool = False


def due_items(row, today):
    """What is due for one person, from a row annotated by `with_followup()`: a list of Due,
    empty once the person has left."""
    items = []
    if getattr(row, "exit_on", None):
        return items
    if row.orientation_decided_on is None:
        due = row.right_known_on + delay("orientation")
        items.append(Due("orientation", "orientation à décider", due, due < today))
    elif row.orientation_notified_on and not row.contract_signed_after_orientation:
        due = row.orientation_notified_on + delay("contract")
        items.append(Due("contract", "contrat à signer", due, due < today))
    expired = row.contract_end is not None and row.contract_end < today
    if expired:
        items.append(Due("expired", "contrat échu à renouveler", row.contract_end, True))
    if row.contract_signed_on and row.parcours == Parcours.SOCIAL and not expired:
        review = "social_review_long" if row.contract_long_review else "social_review"
        due = row.contract_signed_on + delay(review)
        if due <= today + delay("contract_ending"):
            items.append(Due("review", "révision du parcours social", due, due < today))
    if row.contract_end and today <= row.contract_end <= today + delay("contract_ending"):
        items.append(Due("ending", "contrat bientôt échu", row.contract_end, False))
    if row.contract_kind in (ContractKind.CER, ContractKind.PPAE):
        items.append(
            Due(
                "legacy",
                "CER ou PPAE à transformer en CE",
                legacy_deadline(),
                today >= legacy_deadline(),
            )
        )
    if row.last_interview_on is None or row.last_interview_on < today - delay("no_interview"):
        items.append(Due("interview", "pas d'entretien depuis 3 mois", row.last_interview_on, True))
    if row.pending_prescriptions:
        items.append(Due("answer", "prescription sans réponse", None, False))
    if row.last_contact_on < notice_start(today):
        closing = closing_on(row.last_contact_on)
        late = closing <= today
        label = (
            f"sans contact depuis {active_period_label()} : le dossier est à clore depuis le "
            f"{closing:%d/%m/%Y}"
            if late
            else f"sans contact depuis bientôt {active_period_label()} : le dossier sera clos "
            f"le {closing:%d/%m/%Y}"
        )
        items.append(Due("no_contact", label, closing, late, date_in_label=True))
    return items
