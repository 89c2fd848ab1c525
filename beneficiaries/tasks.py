"""The beneficiaries' work that a worker may run (Django's tasks framework, pti.tasks_framework)."""

from beneficiaries.services import exit_follow_ups_plan
from pti.tasks_framework import task


@task()
def plan_exit_follow_ups():
    """The nightly planning of the follow-ups after an exit (`services.exit_follow_ups_plan`),
    for a scheduler that enqueues tasks rather than running commands. Returns {months: number
    of follow-ups written}, the months as text (JSON)."""
    written = exit_follow_ups_plan()
    return {milestone.value: count for milestone, count in written.items()}
