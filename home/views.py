"""The home page: what the user has to do, counted, each count leading to its list."""

from django.shortcuts import render
from django.utils import timezone

from home.counters import counters_for, structure_figures
from pti.enums import PactStatus, Role
from pti.models import Pact, TaskRun


def home(request):
    """Each role's home page: its counters (home.counters), the pact in force for a pilot or
    a partner (and its signatures for a pilot), the structure's indicators for a manager, the
    background runs not ended for those who start them. A constant number of queries."""
    user = request.user
    today = timezone.localdate()
    context = {"role": user.role, "today": today, "counters": counters_for(user, today)}
    if user.role in (Role.PILOT, Role.PARTNER):
        # The pact in force first (what the partners report on), else the one being prepared.
        in_force = Pact.objects.in_force().order_by("-period_start", "-version").first()
        context["current_pact"] = pact = in_force or Pact.objects.current().first()
        context["signatures"] = (
            pact.signatories.status_summary() if pact and user.role == Role.PILOT else None
        )
        context["draft"] = (
            Pact.objects.current().exclude(status=PactStatus.SIGNED).first()
            if in_force and user.role == Role.PILOT
            else None
        )
    if user.role == Role.MANAGER and user.organisation_id:
        context["year"] = today.year
        context["structure_figures"] = structure_figures(user.organisation, today.year, today)
    if user.role in (Role.PILOT, Role.MANAGER):
        context["active_runs"] = list(
            TaskRun.objects.visible_to(user).active().select_related("created_by")[:5]
        )
    return render(request, "home/home.html", context)
