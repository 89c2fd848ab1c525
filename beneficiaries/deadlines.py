"""The legal deadlines of a parcours (DOMAIN.md), computed from the dates recorded, and the
day a file leaves the active base for lack of contact.

The durations are settings (`PTI_DELAYS`, `PTI_ACTIVE_RETENTION_DAYS`,
`PTI_RETENTION_NOTICE_DAYS`). The same rules serve one file (`due_items`, from a person's
annotated row) and the lists (`BeneficiaryQuerySet.due`, the same rules written as database
conditions).

One definition of each deadline: `deadline(start, name)` is the due date, the start plus the
delay as the calendar counts it (a month from 31 January is 28 or 29 February, from 29 February
is 29 March); it is past, and the thing late, the day after (`is_late`). The lists never subtract
a delay from today (31 March less a month is 28 February, while a month from 28 February is
28 March: the two disagree for up to three days at the end of a short month); they compare the
start with a threshold computed here from `deadline` itself (`latest_start`, `last_late_start`),
so that a file and a list say the same thing on every day of the year.
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
    "refused": "prescription refusée",
    "legacy": "CER ou PPAE à transformer",
    "no_contact": "sans contact : dossier bientôt clos",
}

# The same items counted, as « Mon portefeuille » writes them after a number: the singular
# for 0 and 1, the plural from 2 (« 1 contrat en retard », « 4 contrats en retard »).
DUE_COUNT_LABELS = {
    "orientation": ("orientation en retard", "orientations en retard"),
    "contract": ("contrat en retard", "contrats en retard"),
    "review": ("révision du parcours social", "révisions du parcours social"),
    "expired": ("contrat échu à renouveler", "contrats échus à renouveler"),
    "ending": ("contrat bientôt échu", "contrats bientôt échus"),
    "interview": (
        "personne sans entretien depuis 3 mois",
        "personnes sans entretien depuis 3 mois",
    ),
    "answer": ("prescription sans réponse", "prescriptions sans réponse"),
    "refused": ("prescription refusée", "prescriptions refusées"),
    "legacy": ("CER ou PPAE à transformer", "CER ou PPAE à transformer"),
    "no_contact": (
        "sans contact : dossier bientôt clos",
        "sans contact : dossiers bientôt clos",
    ),
}


def due_count_label(code, count):
    """The words after `count` (0 or more items due) for the due item `code` of DUE_LABELS,
    agreed in number as French does: singular for 0 and 1, plural from 2. KeyError for an
    unknown code."""
    one, many = DUE_COUNT_LABELS[code]
    return one if count <= 1 else many


ONE_DAY = datetime.timedelta(days=1)


def delay(name):
    """The delay `name` of `PTI_DELAYS` (« orientation », « contract », « social_review »,
    « social_review_long », « contract_ending », « no_interview »), a relativedelta."""
    return relativedelta(**settings.PTI_DELAYS[name])


def deadline(start, name):
    """The due date of the deadline `name` for something that started on `start` (a date): the
    start plus the delay, months counted as the calendar does and clamped to the last day of a
    shorter month (31/01 + 1 month = 28/02, or 29/02 in a leap year). The thing is done on time
    on that day still (`is_late`). The delays (DOMAIN.md, legal deadlines): orientation 6 weeks
    after the département learns the right is open, contract 1 month after the orientation is
    notified (a reorientation restarts it), social parcours reviewed 6 months after signing (12
    for health, disability, housing or family reasons); no interview for 3 months is flagged."""
    return start + delay(name)


def is_late(due, today):
    """True when the due date `due` is past on `today`: late from the day after it."""
    return due < today


def latest_start(name, due_by):
    """The latest start date whose `name` deadline falls on or before `due_by` (a date): a start
    is due by then if and only if it is on or before this day. The inverse of `deadline`, which
    never goes back in time (a later start never has an earlier due date) but is not one to one
    at month ends: 29, 30 and 31 January all give 28 February, and no start gives 29 to 31 March
    after a month. Found from `due_by - delay`, then moved day by day (three days at most) until
    `deadline` itself agrees, so that it can never disagree with `deadline`."""
    start = due_by - delay(name)
    while deadline(start, name) > due_by:
        start -= ONE_DAY
    while deadline(start + ONE_DAY, name) <= due_by:
        start += ONE_DAY
    return start


def last_late_start(name, today):
    """The latest start date whose `name` deadline is past on `today`: a start on or before it is
    late (`is_late(deadline(start, name), today)`), a later one is not."""
    return latest_start(name, today - ONE_DAY)


def ending_horizon(today):
    """The last day of the window that announces what comes soon (a contract ending, a review),
    `contract_ending` after `today`."""
    return today + delay("contract_ending")


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
    # What the badge says when the item is not late (« À venir » by default).
    badge: str = "À venir"


def refused_due(row):
    """The Due « prescription refusée » of a row annotated by `with_followup()`: the latest
    refusal not yet dealt with (`PrescriptionQuerySet.refusals_to_see`), its action and the
    operator's reason, and how many there are when more than one."""
    count = row.refused_prescriptions
    latest = (
        f"prescription refusée le {row.refused_on:%d/%m/%Y} : {row.refused_action} "
        f"(motif : {row.refused_reason})"
    )
    label = latest if count == 1 else f"{count} prescriptions refusées, dont la dernière : {latest}"
    return Due("refused", label, row.refused_on, False, date_in_label=True, badge="À traiter")


def due_items(row, today):
    """What is due for one person, from a row annotated by `with_followup()`: a list of Due,
    empty once the person has left (nothing is due from someone who has left the RSA). The
    same rules as `beneficiaries.models.due_conditions`, which the lists and counters use."""
    items = []
    if getattr(row, "exit_on", None):
        return items
    horizon = ending_horizon(today)
    if row.orientation_decided_on is None:
        due = deadline(row.right_known_on, "orientation")
        items.append(Due("orientation", "orientation à décider", due, is_late(due, today)))
    elif row.orientation_notified_on and not row.contract_signed_after_orientation:
        due = deadline(row.orientation_notified_on, "contract")
        items.append(Due("contract", "contrat à signer", due, is_late(due, today)))
    expired = row.contract_end is not None and row.contract_end < today
    if expired:
        items.append(Due("expired", "contrat échu à renouveler", row.contract_end, True))
    if row.contract_signed_on and row.parcours == Parcours.SOCIAL and not expired:
        review = "social_review_long" if row.contract_long_review else "social_review"
        due = deadline(row.contract_signed_on, review)
        if due <= horizon:
            items.append(Due("review", "révision du parcours social", due, is_late(due, today)))
    if row.contract_end and today <= row.contract_end <= horizon:
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
    if row.last_interview_on is None or is_late(
        deadline(row.last_interview_on, "no_interview"), today
    ):
        items.append(Due("interview", "pas d'entretien depuis 3 mois", row.last_interview_on, True))
    if row.pending_prescriptions:
        items.append(Due("answer", "prescription sans réponse", None, False))
    if row.refused_prescriptions:
        items.append(refused_due(row))
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
