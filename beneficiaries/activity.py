"""The hours of activity of a person, week by week, against their contract.

Since 1 January 2025 the contrat d'engagement plans at least 15 hours of activity a week,
lowered or removed for health, disability, a lone parent without childcare or another
particular difficulty, the reason being recorded (CASF art. L262-35 as written by the loi
n° 2023-1196 du 18 décembre 2023 pour le plein emploi; DOMAIN.md). The operators record what
was done (beneficiaries.models.Attendance, one row per prescription and ISO week); this module
sets each week beside the plan of the contract in force that week.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from beneficiaries.enums import ContractKind
from beneficiaries.models import week_start

RULE_HOURS = Decimal(15)  # hours a week a contrat d'engagement plans, unless reduced
FILE_WEEKS = 8  # weeks shown on the person's file


@dataclass
class ActivityWeek:
    """One ISO week of a person's file: `done` the hours recorded (Decimal, 0 when nothing
    was), `planned` the weekly hours of the contract in force (None without one), `reference`
    what the week is measured against (the plan, at most 15 hours unless reduced)."""

    monday: datetime.date
    done: Decimal
    recorded: bool
    contract: object | None
    in_progress: bool
    after_exit: bool = False

    @property
    def sunday(self):
        return self.monday + datetime.timedelta(days=6)

    @property
    def planned(self):
        return None if self.contract is None else self.contract.weekly_hours

    @property
    def reference(self):
        """The hours the week should reach: the plan of a reduced contract, else 15 hours
        (a plan above 15 hours is the person's project, the rule is 15)."""
        return reference_hours(self.contract)

    @property
    def status(self):
        """The week in words (never by colour alone)."""
        if self.after_exit:
            return "après la sortie du dispositif"
        if self.in_progress:
            return "semaine en cours"
        if self.contract is None:
            return "pas de contrat en cours"
        if self.done >= self.reference:
            if self.contract.hours_reduction:
                return "atteint le plan réduit"
            return "15 heures atteintes"
        missing = self.reference - self.done
        if not self.recorded:
            # Counted as 0 h, as the indicator of hours done counts it (nothing was reported).
            return f"aucune heure saisie : {missing.normalize():f} h attendues".replace(".", ",")
        return f"en dessous du plan : {missing.normalize():f} h manquantes".replace(".", ",")

    @property
    def under_plan(self):
        return (
            not self.in_progress
            and not self.after_exit
            and self.contract is not None
            and self.done < self.reference
        )


def reference_hours(contract):
    """The weekly hours a contract's weeks are measured against (Decimal), or None without a
    contract: the planned hours when a reduction is recorded (possibly 0, the hours removed),
    else 15 hours (CASF L262-35), or the plan itself for a contract before 2025 below 15."""
    if contract is None:
        return None
    if contract.hours_reduction or contract.kind != ContractKind.CE:
        return min(contract.weekly_hours, RULE_HOURS)
    return RULE_HOURS


def contract_of_week(contracts, monday):
    """The contract in force during the week of `monday` (signed or not): of those covering
    some day of it, the one that started last (a revision replaces the version it revises)."""
    sunday = monday + datetime.timedelta(days=6)
    covering = [c for c in contracts if c.start_date <= sunday and c.end_date >= monday]
    return max(covering, key=lambda c: (c.start_date, c.pk), default=None)


def activity_weeks(*, contracts, hours_by_week, today, weeks=FILE_WEEKS, exit_on=None):
    """The last `weeks` ISO weeks up to the current one, oldest first, as ActivityWeek:
    `contracts` the person's contracts (all versions), `hours_by_week` {Monday: hours done}
    (AttendanceQuerySet.weekly_hours_of), `today` a date, `exit_on` the day the person left
    the dispositif (the weeks that start after it are said to be after the exit)."""
    current = week_start(today)
    mondays = [current - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    return [
        ActivityWeek(
            monday=monday,
            done=hours_by_week.get(monday, Decimal(0)),
            recorded=monday in hours_by_week,
            contract=contract_of_week(contracts, monday),
            in_progress=monday == current,
            after_exit=exit_on is not None and monday > exit_on,
        )
        for monday in mondays
    ]


def first_of_weeks(today, weeks=FILE_WEEKS):
    """The Monday of the oldest week `activity_weeks` shows."""
    return week_start(today) - datetime.timedelta(weeks=weeks - 1)
