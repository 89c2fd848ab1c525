"""The follow-ups after an exit (« suivis après sortie »): when they are due, when late.

A person who left the RSA for resources or activity (enums.EXITS_FOR_ACTIVITY: the end of the
right, or activity income that took them out of the rights and duties) is asked again what
became of them 3, 6 and 12 calendar months after the exit (enums.FollowUpMilestone): what
« retour à l'emploi durable » means past the day of the exit. A death, a move out of the
département, a sanction or a closure for lack of contact is never followed: they say nothing of
a job, and nobody is there to ask.

- Due on the exit date plus the milestone's months, counted as the calendar does (a month
  from 31 August is 30 September: `due_on`). `services.exit_follow_ups_plan`, every night,
  writes the follow-ups that have come due; the référent (or a pilot) records the situation
  found on the person's file.
- Late once `FOLLOW_UP_WINDOW` (a month) has passed after the due date without a record.
- Whose: the person's référent at the exit (their last designation, still open after an exit),
  or the pilots when that référent has left (account closed, or no longer a référent).
- A person who comes back into the RSA after an exit keeps their exit (nothing removes one):
  their follow-ups stay due, and the référent records « de retour au RSA », which the
  indicators count as not in durable employment. An anonymised person is no longer followed.
- Only follow-ups due within `CATCH_UP` (a year) are planned: an exit recorded long after it
  happened, or older than this feature, gets only the milestones one can still ask about.

The rule of « emploi durable » is the exit's (beneficiaries.outcomes), applied to the kind of
employment and its length found at the follow-up.
"""

import datetime

from dateutil.relativedelta import relativedelta

from beneficiaries.enums import FollowUpMilestone

ONE_DAY = datetime.timedelta(days=1)
# A follow-up is recorded within a month of its due date; late afterwards.
FOLLOW_UP_WINDOW = relativedelta(months=1)
# How far back the planning goes: follow-ups due more than a year ago are not planned.
CATCH_UP = relativedelta(years=1)


def due_on(exit_on, milestone):
    """The day the follow-up `milestone` (a FollowUpMilestone) of an exit on `exit_on` (a date)
    is due: `exit_on` plus 3, 6 or 12 calendar months, clamped to the end of a shorter month."""
    return exit_on + relativedelta(months=FollowUpMilestone(milestone).months)


def late_on(due):
    """The last day a follow-up due on `due` is on time: a month later; late the day after."""
    return due + FOLLOW_UP_WINDOW


def is_late(due, today):
    return late_on(due) < today


def _latest_start(delta, by):
    """The latest date `start` such that `start + delta` falls on or before `by`: the inverse of
    adding calendar months, which is not one to one at month ends (29, 30 and 31 August plus a
    month all give 30 September). Moved day by day until the addition itself agrees."""
    start = by - delta
    while start + delta > by:
        start -= ONE_DAY
    while (start + ONE_DAY) + delta <= by:
        start += ONE_DAY
    return start


def latest_exit_due(milestone, today):
    """The latest exit date whose `milestone` follow-up is due on or before `today`."""
    return _latest_start(relativedelta(months=FollowUpMilestone(milestone).months), today)


def earliest_exit_planned(milestone, today):
    """The earliest exit date whose `milestone` follow-up is still planned on `today` (due on or
    after `today` less `CATCH_UP`)."""
    return latest_exit_due(milestone, today - CATCH_UP - ONE_DAY) + ONE_DAY


def last_late_due_on(today):
    """The latest due date of a follow-up late on `today` (recorded neither on its due date nor
    within the month after): a due date on or before it is late."""
    return _latest_start(FOLLOW_UP_WINDOW, today - ONE_DAY)
