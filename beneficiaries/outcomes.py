"""What an exit led to (DOMAIN.md), computed both ways from the contract type and its length:
"6 months or more" (the rule of the département) or "more than 6 months" (the IAE rule)."""

from django.conf import settings
from django.db.models import Case, CharField, Q, Value, When

from beneficiaries.enums import ExitContract, ExitOutcome

ALWAYS_DURABLE = [ExitContract.CDI, ExitContract.PUBLIC_TENURE, ExitContract.BUSINESS_CREATION]
FIXED_TERM = [ExitContract.CDD, ExitContract.TEMP]
POSITIVE = [ExitContract.QUALIFYING_TRAINING, ExitContract.SIAE_HIRING]


def exit_outcome(contract_type, contract_days, *, strictly_more=False):
    durable_days = settings.PTI_DURABLE_EMPLOYMENT_DAYS
    if contract_type in ALWAYS_DURABLE:
        return ExitOutcome.DURABLE_EMPLOYMENT
    if contract_type in FIXED_TERM:
        days = contract_days or 0
        long_enough = days > durable_days if strictly_more else days >= durable_days
        return ExitOutcome.DURABLE_EMPLOYMENT if long_enough else ExitOutcome.TRANSITION_EMPLOYMENT
    if contract_type == ExitContract.SUBSIDISED:
        return ExitOutcome.TRANSITION_EMPLOYMENT
    if contract_type in POSITIVE:
        return ExitOutcome.POSITIVE_EXIT
    return ExitOutcome.OTHER


def exit_outcome_expression(prefix="", *, strictly_more=False):
    """The same rule as a database expression, for counting in queries."""
    durable_days = settings.PTI_DURABLE_EMPLOYMENT_DAYS
    days = {
        f"{prefix}contract_days__gt"
        if strictly_more
        else f"{prefix}contract_days__gte": durable_days
    }
    return Case(
        When(
            Q(**{f"{prefix}contract_type__in": ALWAYS_DURABLE}),
            then=Value(ExitOutcome.DURABLE_EMPLOYMENT),
        ),
        When(
            Q(**{f"{prefix}contract_type__in": FIXED_TERM}) & Q(**days),
            then=Value(ExitOutcome.DURABLE_EMPLOYMENT),
        ),
        When(
            Q(**{f"{prefix}contract_type__in": [*FIXED_TERM, ExitContract.SUBSIDISED]}),
            then=Value(ExitOutcome.TRANSITION_EMPLOYMENT),
        ),
        When(Q(**{f"{prefix}contract_type__in": POSITIVE}), then=Value(ExitOutcome.POSITIVE_EXIT)),
        default=Value(ExitOutcome.OTHER),
        output_field=CharField(),
    )
