"""The people's pages: the référent's portfolio, the lists, the file and its quick entries,
the managers' caseloads and the operators' prescriptions.

Every lookup goes through `Beneficiary.objects.visible_to(user)` (or the operator's own
prescriptions): a URL guessed for someone else's file answers 404.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions.enums import PrescriptionStatus
from actions.models import Action
from beneficiaries import forms as people_forms
from beneficiaries import people_export, quality, services, traces
from beneficiaries.activity import FILE_WEEKS, activity_weeks, first_of_weeks
from beneficiaries.deadlines import DUE_LABELS, active_base_start, due_count_label, due_items
from beneficiaries.enums import (
    EXITS_FOR_ACTIVITY,
    FileOperation,
    FollowUpMilestone,
    ObstacleStatus,
    Parcours,
    PeopleView,
    RefusedTarget,
    ReorientationStatus,
)
from beneficiaries.filters import BeneficiaryFilter, ListTraceFilter, TraceFilter
from beneficiaries.follow_ups import due_on, is_late, last_late_due_on, late_on
from beneficiaries.models import (
    Attendance,
    Beneficiary,
    ExitFollowUp,
    FileAccess,
    HeldHousehold,
    ListAccess,
    Obstacle,
    Prescription,
    ReferentAssignment,
    RefusedAccess,
    ReorientationRequest,
    referents_with_caseload,
    week_start,
)
from beneficiaries.resources import caf_contacts_import_spec, people_import_spec
from beneficiaries.retention import people_past_retention
from beneficiaries.timeline import build_timeline
from pti import searches
from pti.enums import Role, RunKind
from pti.imports import import_view
from pti.models import TaskRun
from pti.pages import form_error_status, form_page, refuse
from pti.permissions import PILOTS, role_required
from pti.runs import run_start
from pti.submissions import ALREADY_SAVED, AlreadySaved, submission_save
from pti.tabular import french_number

PAGE_SIZE = 50
FILE_READERS = frozenset({Role.PILOT, Role.MANAGER, Role.REFERENT})
ASSIGNERS = frozenset({Role.PILOT, Role.MANAGER})
OPERATORS = frozenset({Role.OPERATOR})


def people_of(user):
    return Beneficiary.objects.visible_to(user)


def file_url(person):
    return reverse("beneficiaries:file", args=[person.pk])


def _person(request, pk):
    return get_object_or_404(
        people_of(request.user).select_related(
            "household__territory", "household__commune", "exit"
        ),
        pk=pk,
    )


def _page(request, queryset, params=None):
    """A page of `queryset` and the query string of the other pages (`params`, default the
    request's GET, without its page number)."""
    params = request.GET if params is None else params
    page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    if searches.HANDLE_PARAMETER in request.GET:
        query[searches.HANDLE_PARAMETER] = request.GET[searches.HANDLE_PARAMETER]
        query.pop("q", None)
    return page, query.urlencode()


def _rows_with_dues(page, today):
    for person in page.object_list:
        person.dues = due_items(person, today)
        person.parcours_label = Parcours(person.parcours).label if person.parcours else ""
    return page


def _people_listing(
    request,
    *,
    people,
    view,
    template,
    extra=None,
    partial="beneficiaries/includes/people_table.html",
    ignored=(),
):
    """A list of people with the search and filters of BeneficiaryFilter, traced. A search is
    posted and answered by a redirection to a URL that carries a handle instead of the text
    (pti.searches): no name, CAF number or birth date ever travels in a URL. `partial` is the
    fragment an htmx request gets; `ignored` the parameters of the URL that are not filters
    (left out of the pages' links and of `query_fields`, the filters as (name, value) pairs)."""
    if request.method == "POST":
        fields = [*BeneficiaryFilter.base_filters, "page"]
        query = searches.redirect_query(request, text_field="q", fields=fields)
        return redirect(f"{request.path}?{query}" if query else request.path, permanent=False)
    today = timezone.localdate()
    params, expired = searches.resolved_query(request, text_field="q")
    if expired:
        messages.info(request, "Cette recherche n'est plus disponible : saisissez-la à nouveau.")
    for name in ignored:
        params.pop(name, None)
    filterset = BeneficiaryFilter(
        params or None, queryset=people.with_followup(), user=request.user, today=today
    )
    page, query = _page(request, filterset.qs, params)
    traces.record_list_access(
        user=request.user,
        view=view,
        criteria=filterset.criteria(),
        search_text=filterset.search_text,
        shown=len(page.object_list),
        total=page.paginator.count,
    )
    context = {
        "filter": filterset,
        "page": _rows_with_dues(page, today),
        "query": query,
        "query_fields": [
            (name, value) for name, values in QueryDict(query).lists() for value in values
        ],
        "selectable": False,
        "check_all": False,
    }
    context.update(extra or {})
    return render(request, partial if request.htmx else template, context)


# --- Lists -------------------------------------------------------------------------------------


@role_required({Role.REFERENT})
@require_http_methods(["GET", "POST"])
def portfolio(request):
    """Mon portefeuille: the référent's people, what is due or late, counts at the top."""
    today = timezone.localdate()
    mine = people_of(request.user)
    counts = mine.filter(exit__isnull=True).due_counts(today)
    return _people_listing(
        request,
        people=mine,
        view=PeopleView.PORTFOLIO,
        template="beneficiaries/portfolio.html",
        extra={
            "counts": [
                (code, due_count_label(code, counts[code]), counts[code]) for code in DUE_LABELS
            ],
            "active_total": counts["total"],
            "today": today,
            "follow_ups_due": ExitFollowUp.objects.visible_to(request.user).due(today).count(),
        },
    )


def percent_or_none(part, whole):
    """`part` of `whole` in percent, rounded to a whole number; None when `whole` is 0."""
    return round(part * 100 / whole) if whole else None


@role_required(FILE_READERS)
@require_GET
def exit_follow_ups(request):
    """« Suivis après sortie »: the follow-ups after an exit due and not recorded, within the
    user's scope (a référent their people's, a manager their structure's, a pilot all of them,
    those whose référent has left first: the pilots record them). `?etat=retard` keeps the late
    ones. A constant number of queries whatever the number of rows; traced as a list."""
    today = timezone.localdate()
    user = request.user
    scoped = ExitFollowUp.objects.visible_to(user).due(today).with_referent()
    late_by = last_late_due_on(today)
    counts = scoped.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Q(due_on__lte=late_by)),
        gone=Count("pk", filter=Q(referent_gone=True)),
    )
    state = request.GET.get("etat", "")
    rows = scoped.filter(due_on__lte=late_by) if state == "retard" else scoped
    order = ["due_on", "pk"]
    if user.role == Role.PILOT:
        order = ["-referent_gone", *order]
    rows = rows.select_related("exit__beneficiary__household__territory").order_by(*order)
    page, query = _page(request, rows)
    for row in page.object_list:
        row.late = is_late(row.due_on, today)
        row.late_on = late_on(row.due_on)
    # The follow-ups due this year so far, recorded or not: how complete the indicators are.
    year_start = today.replace(month=1, day=1)
    coverage = (
        ExitFollowUp.objects.visible_to(user)
        .filter(due_on__gte=year_start, due_on__lte=today)
        .by_milestone()
    )
    traces.record_list_access(
        user=user,
        view=PeopleView.EXIT_FOLLOW_UPS,
        criteria={"état": "en retard" if state == "retard" else "à faire"},
        shown=len(page.object_list),
        total=page.paginator.count,
    )
    return render(
        request,
        "beneficiaries/exit_follow_ups.html",
        {
            "page": page,
            "query": query,
            "counts": counts,
            "state": state,
            "is_pilot": user.role == Role.PILOT,
            "today": today,
            "coverage": [
                (milestone, counts_, percent_or_none(counts_["unknown"], counts_["recorded"]))
                for milestone, counts_ in coverage.items()
            ],
        },
    )


@role_required(FILE_READERS)
@require_http_methods(["GET", "POST"])
def beneficiary_list(request):
    return _people_listing(
        request,
        people=people_of(request.user),
        view=PeopleView.LIST,
        template="beneficiaries/list.html",
        extra={"exportable": True},
    )


@role_required(FILE_READERS)
@require_GET
def beneficiary_export(request, fmt):
    """The list, with its filters and search (a handle, as on the page), as CSV or XLSX
    (`fmt`): the people of the user's scope, traced as an export of each of them before any
    row leaves (beneficiaries.people_export). The CSV is streamed; the XLSX is written to a
    temporary file first, and refused past people_export.XLSX_MAX_ROWS people (back to the
    list, with its filters, and a message saying to export as CSV)."""
    params, expired = searches.resolved_query(request, text_field="q")
    if expired:
        messages.info(request, "Cette recherche n'est plus disponible : saisissez-la à nouveau.")
        return redirect("beneficiaries:list")
    today = timezone.localdate()
    filterset = BeneficiaryFilter(
        params or None,
        queryset=people_of(request.user).with_followup(),
        user=request.user,
        today=today,
    )
    people = filterset.qs
    if fmt == "xlsx":
        count = people.count()
        if count > people_export.XLSX_MAX_ROWS:
            messages.error(
                request,
                f"La liste compte {french_number(count)} personnes : au-delà de "
                f"{french_number(people_export.XLSX_MAX_ROWS)}, l'export XLSX serait trop "
                "long. Exportez-la en CSV, ou filtrez-la.",
            )
            query = request.GET.urlencode()
            return redirect(
                f"{reverse('beneficiaries:list')}?{query}" if query else "beneficiaries:list"
            )
    people_export.record_export(
        user=request.user,
        people=people,
        criteria={**filterset.criteria(), "Format": fmt.upper()},
        search_text=filterset.search_text,
    )
    filename = f"beneficiaires-{today.isoformat()}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            people_export.csv_chunks(people, request.user, today),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        people_export.xlsx_file(people, request.user, today),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- The file ----------------------------------------------------------------------------------


def file_context(request, person, bound=None):
    """Everything the file shows, in a fixed number of queries; `bound` replaces blank forms."""
    today = timezone.localdate()
    followup = Beneficiary.objects.with_followup().get(pk=person.pk)
    assignments = list(person.assignments.select_related("referent", "structure"))
    orientations = list(person.orientations.select_related("organisme"))
    contracts = list(
        person.contracts.prefetch_related(
            Prefetch("planned_actions__action"),
        )
    )
    interviews = list(person.interviews.all())
    obstacles = list(person.obstacles.prefetch_related("actions"))
    prescriptions = list(person.prescriptions.select_related("action__operator", "refusal_seen_by"))
    refusals_to_see = set(
        Prescription.objects.refusals_to_see()
        .filter(beneficiary=person)
        .values_list("pk", flat=True)
    )
    for prescription in prescriptions:
        prescription.refusal_to_see = prescription.pk in refusals_to_see
    requests = list(
        person.reorientation_requests.select_related(
            "requested_by", "proposed_organisme", "decided_by"
        )
    )
    pending_request = next((r for r in requests if r.status == ReorientationStatus.PENDING), None)
    exit_ = getattr(person, "exit", None)
    hours_by_week = Attendance.objects.weekly_hours_of(
        person, first_of_weeks(today), week_start(today)
    )
    user = request.user
    is_own_referent = any(a.end_date is None and a.referent_id == user.pk for a in assignments)
    forms = {
        "interview_form": people_forms.InterviewForm(),
        "obstacle_form": people_forms.ObstacleForm(),
        "prescription_form": people_forms.PrescriptionForm(),
        "exit_form": people_forms.ExitForm(
            prescriptions=[p for p in prescriptions if p.status == PrescriptionStatus.STARTED]
        ),
        "orientation_form": people_forms.OrientationForm(),
        "assignment_form": people_forms.AssignmentForm(
            user=user,
            # A pilot names a référent of the organisme the person is oriented to; a manager
            # one of their structure (AssignmentForm), which follows the person.
            organisations={o.organisme_id for o in orientations if o.is_current}
            if user.role == Role.PILOT
            else None,
        )
        if user.role in ASSIGNERS
        else None,
        "progress_form": people_forms.ObstacleProgressForm(),
        "reorientation_form": people_forms.ReorientationRequestForm(),
        "decision_form": people_forms.ReorientationDecisionForm(),
    }
    forms.update(bound or {})
    orientation = next((o for o in orientations if o.is_current), None)
    return {
        "follow_ups": _follow_ups(person, exit_, today, bound or {}),
        "person": person,
        "household_members": person.household.members.exclude(pk=person.pk).order_by("birth_date"),
        "dues": due_items(followup, today),
        "assignments": assignments,
        "current_assignment": next((a for a in assignments if a.end_date is None), None),
        "orientation": orientation,
        "pending_reorientation": pending_request,
        # A refused request's form stays shown with its errors.
        "can_request_reorientation": forms["reorientation_form"].is_bound
        or bool(orientation and not exit_ and not pending_request and not person.anonymised_on),
        "can_decide_reorientation": user.role in ASSIGNERS,
        "contract": next((c for c in contracts if c.is_current), None),
        "earlier_contracts": [c for c in contracts if not c.is_current],
        "open_obstacles": [o for o in obstacles if o.status != ObstacleStatus.LIFTED],
        "lifted_obstacles": [o for o in obstacles if o.status == ObstacleStatus.LIFTED],
        "prescriptions": prescriptions,
        "activity_weeks": activity_weeks(
            contracts=contracts,
            hours_by_week=hours_by_week,
            today=today,
            exit_on=exit_.exit_on if exit_ else None,
        ),
        "exit": exit_,
        "timeline": build_timeline(
            assignments=assignments,
            orientations=orientations,
            contracts=contracts,
            interviews=interviews,
            obstacles=obstacles,
            prescriptions=prescriptions,
            exit_=exit_,
            reorientation_requests=requests,
        ),
        # Health is special-category data: its notes are shown to the person's référent only.
        "sees_health_notes": is_own_referent,
        "can_orient": user.role in ASSIGNERS,
        "can_assign": user.role in ASSIGNERS,
        "entry_feedback": NO_FEEDBACK,
        "announce_entry": False,
        **forms,
    }


def _follow_ups(person, exit_, today, bound):
    """The three follow-ups after an exit for resources or activity, as the file shows them:
    [{milestone, due_on, late_on, row (the ExitFollowUp or None), state, late, form}], a form
    for each one due and not recorded; [] for an exit that is not followed, or no exit."""
    if exit_ is None or exit_.category not in EXITS_FOR_ACTIVITY:
        return []
    rows = {row.milestone: row for row in exit_.follow_ups.select_related("recorded_by")}
    found = []
    for milestone in FollowUpMilestone:
        row = rows.get(milestone)
        due = row.due_on if row else due_on(exit_.exit_on, milestone)
        recorded = bool(row and row.situation)
        late = not recorded and is_late(due, today)
        if recorded:
            state = "renseigné"
        elif due > today:
            state = "à venir"
        else:
            state = "en retard" if late else "à faire"
        form = None
        if not recorded and due <= today and not person.anonymised_on:
            form = bound.get(f"follow_up_form_{milestone.value}") or (
                people_forms.ExitFollowUpForm(milestone=milestone.value)
            )
        found.append(
            {
                "milestone": milestone,
                "due_on": due,
                "late_on": late_on(due),
                "row": row if recorded else None,
                "state": state,
                "late": late,
                "form": form,
            }
        )
    return found


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
def beneficiary_file(request, pk):
    person = _person(request, pk)
    services.record_access(
        user=request.user, beneficiary=person, operation=FileOperation.READ, what="dossier"
    )
    context = file_context(request, person)
    context["entry_feedback"], context["messages"] = _entry_feedback(request)
    return render(request, "beneficiaries/file.html", context)


# The message of a quick entry is shown next to the form just used (its place: the anchor of
# that form, or of the block the button was in), not at the top of the page.
# `level` is "success", or "info" when nothing was saved (a form posted a second time).
NO_FEEDBACK = {"text": "", "place": "", "level": "success"}
ENTRY_TAG = "saisie"
# Where the page opens after a quick entry saved without JavaScript: the message itself.
FEEDBACK_ANCHOR = "#retour-saisie"
FEEDBACK_PLACES = {
    "interview_form": "form-entretien",
    "obstacle_form": "form-frein",
    "prescription_form": "form-prescription",
    "exit_form": "form-sortie",
    "orientation_form": "form-orientation",
    "assignment_form": "form-referent",
    "progress_form": "freins",
    "reorientation_form": "orientation",  # the form goes once a request is pending
    "decision_form": "orientation",
}


def _entry_feedback(request):
    """({text, place, level} of the quick entry just saved, or NO_FEEDBACK; [the others]),
    reading the messages left by a redirect after a quick entry saved without JavaScript."""
    feedback, others = NO_FEEDBACK, []
    for message in messages.get_messages(request):
        tags = message.extra_tags.split()
        if ENTRY_TAG in tags:
            feedback = {"text": message.message, "place": tags[-1], "level": message.level_tag}
        else:
            others.append(message)
    return feedback, others


def _after_entry(
    request, person, *, success, place, form_key=None, form=None, level=messages.SUCCESS
):
    """The answer to a quick entry: the file's block (htmx) or the page (a redirect to the
    message without JavaScript). Saved: the message `success` is shown at `place` (an anchor
    of the file), focused, and announced to screen readers; the forms are blank again
    (`level` messages.INFO when nothing was saved: a form posted a second time).
    Refused (`form` bound with errors): the form stays open with its errors, HTTP 422."""
    person = _person(request, person.pk)  # read again: the entry may have changed it
    if form is None:
        if request.htmx:
            context = file_context(request, person)
            context["entry_feedback"] = {
                "text": success,
                "place": place,
                "level": messages.DEFAULT_TAGS[level],
            }
            context["announce_entry"] = True
            return render(request, "beneficiaries/includes/file_body.html", context)
        messages.add_message(request, level, success, extra_tags=f"{ENTRY_TAG} {place}")
        return redirect(file_url(person) + FEEDBACK_ANCHOR)
    context = file_context(request, person, bound={form_key: form})
    context["announce_entry"] = bool(request.htmx)  # empties the last announcement
    template = (
        "beneficiaries/includes/file_body.html" if request.htmx else "beneficiaries/file.html"
    )
    return render(request, template, context, status=422)


def _quick_entry(request, pk, *, form_class, form_key, save, success, form_kwargs=None):
    person = _person(request, pk)
    if callable(form_kwargs):
        form_kwargs = form_kwargs(person)
    form = form_class(request.POST, **(form_kwargs or {}))
    if form.is_valid():
        try:
            submission_save(
                getattr(form, "submission_token", None),
                user=request.user,
                save=lambda: save(person, form.cleaned_data),
                url_of=lambda _: file_url(person),
            )
        except AlreadySaved:
            # Posted again (back button, double click): the file shows what the first saved.
            return _after_entry(
                request,
                person,
                success=ALREADY_SAVED,
                place=FEEDBACK_PLACES[form_key],
                level=messages.INFO,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _after_entry(request, person, success=success, place=FEEDBACK_PLACES[form_key])
    return _after_entry(
        request,
        person,
        success=success,
        place=FEEDBACK_PLACES[form_key],
        form_key=form_key,
        form=form,
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_POST
def interview_add(request, pk):
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.InterviewForm,
        form_key="interview_form",
        success="L'entretien est enregistré.",
        save=lambda person, data: services.interview_add(
            beneficiary=person, by=request.user, **data
        ),
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_POST
def obstacle_add(request, pk):
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.ObstacleForm,
        form_key="obstacle_form",
        success="Le frein est identifié.",
        save=lambda person, data: services.obstacle_identify(
            beneficiary=person, by=request.user, **data
        ),
    )


@traces.refusals_traced(RefusedTarget.OBSTACLE)
@role_required(FILE_READERS)
@require_POST
def obstacle_progress(request, pk):
    obstacle = get_object_or_404(
        Obstacle.objects.filter(beneficiary__in=people_of(request.user)).select_related(
            "beneficiary"
        ),
        pk=pk,
    )
    return _quick_entry(
        request,
        obstacle.beneficiary_id,
        form_class=people_forms.ObstacleProgressForm,
        form_key="progress_form",
        success="L'état du frein est mis à jour.",
        save=lambda person, data: services.obstacle_progress(
            obstacle=obstacle, by=request.user, **data
        ),
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_POST
def prescription_add(request, pk):
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.PrescriptionForm,
        form_key="prescription_form",
        success="La prescription est enregistrée.",
        save=lambda person, data: services.prescription_create(
            beneficiary=person, by=request.user, **data
        ),
    )


def _own_prescription(request, pk):
    return get_object_or_404(
        Prescription.objects.filter(beneficiary__in=people_of(request.user)).select_related(
            "beneficiary", "action"
        ),
        pk=pk,
    )


def _prescription_step(request, pk, *, act, success):
    """A référent's step on one of their prescriptions (`act(prescription)` calls the
    service): the file with `success` in its « Prescriptions » block, or the refusal's
    French message."""
    prescription = _own_prescription(request, pk)
    try:
        act(prescription)
    except ValidationError as error:
        return refuse(request, error, file_url(prescription.beneficiary))
    return _after_entry(request, prescription.beneficiary, success=success, place="prescriptions")


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(FILE_READERS)
@require_POST
def prescription_send(request, pk):
    return _prescription_step(
        request,
        pk,
        act=lambda prescription: services.prescription_send(
            prescription=prescription, by=request.user
        ),
        success="La prescription est envoyée à l'opérateur.",
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(FILE_READERS)
@require_POST
def prescription_cancel(request, pk):
    return _prescription_step(
        request,
        pk,
        act=lambda prescription: services.prescription_end(
            prescription=prescription,
            completed=False,
            ended_on=timezone.localdate(),
            outcome=request.POST.get("outcome", "annulée par le référent"),
            by=request.user,
        ),
        success="La prescription est annulée.",
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(FILE_READERS)
@require_POST
def prescription_refusal_seen(request, pk):
    """« Prise en compte »: the référent has read the operator's refusal."""
    return _prescription_step(
        request,
        pk,
        act=lambda prescription: services.prescription_refusal_acknowledge(
            prescription=prescription, by=request.user
        ),
        success="Le refus de l'opérateur est pris en compte.",
    )


def _started_prescriptions(person):
    """The actions the person has started, asked about at their exit."""
    return person.prescriptions.filter(status=PrescriptionStatus.STARTED).select_related("action")


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_POST
def exit_add(request, pk):
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.ExitForm,
        form_key="exit_form",
        form_kwargs=lambda person: {"prescriptions": _started_prescriptions(person)},
        success="La sortie est enregistrée.",
        save=lambda person, data: services.exit_record(beneficiary=person, by=request.user, **data),
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_POST
def exit_follow_up_record(request, pk, milestone):
    """Record the situation found at a follow-up after the exit (3, 6 or 12 months) from the
    person's file: the person's référent, their structure's manager or a pilot."""
    if milestone not in FollowUpMilestone.values:
        raise Http404("Pas de suivi à cette échéance.")
    person = _person(request, pk)
    exit_ = getattr(person, "exit", None)
    form = people_forms.ExitFollowUpForm(request.POST, milestone=milestone)
    success = "Le suivi après sortie est enregistré."
    if form.is_valid():
        if exit_ is None:
            form.add_error(None, "La sortie de cette personne n'est pas enregistrée.")
        else:
            try:
                submission_save(
                    form.submission_token,
                    user=request.user,
                    save=lambda: services.exit_follow_up_record(
                        exit_=exit_, milestone=milestone, by=request.user, **form.cleaned_data
                    ),
                    url_of=lambda _: file_url(person) + "#suivis",
                )
            except AlreadySaved:
                return _after_entry(
                    request, person, success=ALREADY_SAVED, place="suivis", level=messages.INFO
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _after_entry(request, person, success=success, place="suivis")
    return _after_entry(
        request,
        person,
        success=success,
        place="suivis",
        form_key=f"follow_up_form_{milestone}",
        form=form,
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(ASSIGNERS)
@require_POST
def orientation_add(request, pk):
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.OrientationForm,
        form_key="orientation_form",
        success="La décision d'orientation est enregistrée.",
        save=lambda person, data: services.orientation_decide(
            beneficiary=person, by=request.user, **data
        ),
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_POST
def reorientation_request_add(request, pk):
    """« Demander une réorientation »: the référent (or a manager, a pilot) proposes a
    parcours and an organisme, with a reason; a manager or a pilot decides."""
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.ReorientationRequestForm,
        form_key="reorientation_form",
        success="La demande de réorientation est envoyée : un responsable la décidera.",
        save=lambda person, data: services.reorientation_request(
            beneficiary=person, by=request.user, **data
        ),
    )


def _reorientation_decision(request, pk, *, accept):
    reorientation = get_object_or_404(
        ReorientationRequest.objects.visible_to(request.user).select_related("beneficiary"),
        pk=pk,
    )
    person = _person(request, reorientation.beneficiary_id)
    form = people_forms.ReorientationDecisionForm(request.POST)
    success = "La réorientation est acceptée : la nouvelle orientation est enregistrée."
    if not accept:
        success = "La demande de réorientation est refusée."
    if form.is_valid():
        try:
            services.reorientation_decide(
                request=reorientation, accept=accept, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _after_entry(request, person, success=success, place="orientation")
    return _after_entry(
        request,
        person,
        success=success,
        place="orientation",
        form_key="decision_form",
        form=form,
    )


@traces.refusals_traced(RefusedTarget.REORIENTATION)
@role_required(ASSIGNERS)
@require_POST
def reorientation_accept(request, pk):
    return _reorientation_decision(request, pk, accept=True)


@traces.refusals_traced(RefusedTarget.REORIENTATION)
@role_required(ASSIGNERS)
@require_POST
def reorientation_refuse(request, pk):
    return _reorientation_decision(request, pk, accept=False)


# How long the decided requests stay on « Demandes de réorientation ».
RECENT_DECISIONS_DAYS = 60


@role_required(ASSIGNERS)
@require_GET
def reorientation_list(request):
    """« Demandes de réorientation »: those of the people the manager or the pilot sees,
    pending first (oldest first, with their age in days), then those decided in the last
    RECENT_DECISIONS_DAYS days (newest first). Three queries whatever the number of rows."""
    now = timezone.now()
    today = timezone.localdate()
    requests = ReorientationRequest.objects.visible_to(request.user).select_related(
        "beneficiary", "requested_by", "proposed_organisme", "decided_by"
    )
    pending = list(requests.pending().order_by("requested_at", "pk"))
    for row in pending:
        row.age_days = (today - timezone.localtime(row.requested_at).date()).days
    decided = list(
        requests.exclude(status=ReorientationStatus.PENDING)
        .filter(decided_at__gte=now - datetime.timedelta(days=RECENT_DECISIONS_DAYS))
        .order_by("-decided_at", "-pk")
    )
    traces.record_list_access(
        user=request.user,
        view=PeopleView.REORIENTATIONS,
        shown=len(pending) + len(decided),
        total=len(pending) + len(decided),
    )
    return render(
        request,
        "beneficiaries/reorientation_list.html",
        {"pending": pending, "decided": decided, "recent_days": RECENT_DECISIONS_DAYS},
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(ASSIGNERS)
@require_POST
def referent_assign(request, pk):
    return _quick_entry(
        request,
        pk,
        form_class=people_forms.AssignmentForm,
        form_kwargs={"user": request.user},
        form_key="assignment_form",
        success="Le référent est désigné.",
        save=lambda person, data: services.referent_assign(
            beneficiary=person, by=request.user, **data
        ),
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_http_methods(["GET", "POST"])
def contract_edit(request, pk, revise=False):
    """A new contract, or (revise=True) a revision of the current one."""
    person = _person(request, pk)
    current = person.contracts.filter(is_current=True).prefetch_related("planned_actions").first()
    if revise and current is None:
        return refuse(
            request,
            ValidationError("Il n'y a pas de contrat en cours à réviser."),
            file_url(person),
        )
    initial = {}
    planned_initial = []
    if revise:
        initial = {
            field: getattr(current, field)
            for field in (
                "kind",
                "start_date",
                "end_date",
                "signed_on",
                "objectives",
                "weekly_hours",
                "hours_reduction",
                "hours_reduction_note",
                "long_review_reason",
            )
        }
        planned_initial = [
            {"kind": p.kind, "description": p.description, "action": p.action_id}
            for p in current.planned_actions.all()
        ]
    if request.method == "GET":
        services.record_access(
            user=request.user, beneficiary=person, operation=FileOperation.READ, what="contrat"
        )
    form = people_forms.ContractForm(
        request.POST or None, revising=current if revise else None, initial=initial
    )
    planned = people_forms.PlannedActionFormSet(
        request.POST or None, initial=planned_initial, prefix="plan"
    )
    if revise and request.method == "POST" and form.is_valid():
        # Revise the version the form was opened on, even if another revision came since.
        current = get_object_or_404(person.contracts, pk=form.cleaned_data["contract_id"])
    if request.method == "POST" and form.is_valid() and planned.is_valid():
        lines = [
            (line["kind"], line["description"], line["action"])
            for line in planned.cleaned_data
            if line and not line.get("DELETE")
        ]
        try:
            submission_save(
                form.submission_token,
                user=request.user,
                save=lambda: (
                    services.contract_revise(
                        contract=current,
                        expected_version=form.cleaned_data["lock_version"],
                        values=form.values(),
                        planned=lines,
                        reason=form.cleaned_data["revision_reason"],
                        by=request.user,
                    )
                    if revise
                    else services.contract_create(
                        beneficiary=person, values=form.values(), planned=lines, by=request.user
                    )
                ),
                url_of=lambda _: file_url(person) + "#contrat",
            )
        except AlreadySaved as done:
            messages.info(request, ALREADY_SAVED)
            return redirect(done.url or file_url(person) + "#contrat")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Le contrat révisé est enregistré ; la version précédente est conservée."
                if revise
                else "Le contrat est enregistré.",
            )
            return redirect(file_url(person) + "#contrat")
    title = "Réviser le contrat" if revise else "Nouveau contrat"
    return form_page(
        request,
        form,
        title=f"{title} de {person}",
        breadcrumb=[
            ("Bénéficiaires", reverse("beneficiaries:list")),
            (str(person), file_url(person)),
        ],
        submit_label="Enregistrer le contrat",
        cancel_url=file_url(person),
        status=422 if request.method == "POST" else 200,
        extra={"planned": planned},
        template="beneficiaries/contract_form.html",
    )


@role_required(ASSIGNERS)
@require_http_methods(["GET", "POST"])
def beneficiary_create(request):
    """A new file. The same person in the same household is refused, naming their file; a
    probable homonym (same names and birth date, another household) is shown with a box to
    tick, and the form, kept as typed, creates the file once it is ticked."""
    form = people_forms.BeneficiaryForm(request.POST or None, user=request.user)
    existing, is_homonym = [], False
    if form.is_valid():
        try:
            person = submission_save(
                form.submission_token,
                user=request.user,
                save=lambda: services.beneficiary_create(
                    household_values=form.household_values(),
                    person_values=form.person_values(),
                    territory=form.cleaned_data["commune"].territory,
                    user=request.user,
                    referent=form.cleaned_data.get("referent"),
                    homonyms_confirmed=form.homonyms_confirmed,
                ),
                url_of=file_url,
            )
        except AlreadySaved as done:
            messages.info(request, ALREADY_SAVED)
            return redirect(done.url or reverse("beneficiaries:list"))
        except services.OutOfScope as refusal:
            services.record_refusal(user=request.user, refusal=refusal, page="beneficiaries:create")
            form.add_error(None, refusal)
        except services.DuplicatePerson as duplicate:
            form.add_error(None, duplicate)
            existing = [duplicate.person]
        except services.ProbableHomonym as homonym:
            form.ask_homonym_confirmation(homonym)
            existing, is_homonym = homonym.visible, True
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Le dossier de {person} est créé.")
            return redirect(file_url(person))
    return form_page(
        request,
        form,
        title="Nouveau dossier",
        breadcrumb=[("Bénéficiaires", reverse("beneficiaries:list"))],
        submit_label="Créer le dossier",
        cancel_url=reverse("beneficiaries:list"),
        status=form_error_status(form),
        extra={"existing": existing, "homonym": is_homonym},
        template="beneficiaries/beneficiary_create.html",
    )


@role_required(ASSIGNERS)
@require_http_methods(["GET", "POST"])
def beneficiary_import(request):
    """A list of people from a spreadsheet: preview, then all or nothing (pti.imports). A
    manager brings people into their own structure only (the resource checks each row)."""
    return import_view(
        request,
        people_import_spec(request.user),
        trail=[("Bénéficiaires", reverse("beneficiaries:list"))],
        back_url=reverse("beneficiaries:list"),
    )


@role_required({Role.PILOT})
@require_http_methods(["GET", "POST"])
def contacts_import(request):
    """The CNAF contacts file: the phones and e-mails of people already followed, for the
    département's staff who receive it. Preview, then all or nothing (pti.imports)."""
    return import_view(
        request,
        caf_contacts_import_spec(request.user),
        trail=[("Bénéficiaires", reverse("beneficiaries:list"))],
        back_url=reverse("beneficiaries:list"),
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def flux_import(request):
    """The monthly CNAF or MSA flux, dropped by a pilot: analysed in the background, then
    written once the pilot confirms what it would change (beneficiaries/runs.py)."""
    form = people_forms.FluxUploadForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            run = run_start(
                kind=RunKind.CNAF_FLUX, user=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("pti:run_detail", pk=run.pk)
    return form_page(
        request,
        form,
        title="Importer le flux CAF ou MSA",
        breadcrumb=[("Bénéficiaires", reverse("beneficiaries:list"))],
        submit_label="Analyser le fichier",
        cancel_url=reverse("beneficiaries:list"),
        intro=(
            "Déposez le flux mensuel « bénéficiaires » (VRSB0801) reçu de la CAF ou de la MSA. "
            "Il est d'abord analysé en arrière-plan, sans rien enregistrer : vous lisez ce qu'il "
            "changerait (foyers créés, modifiés, clos, erreurs), puis vous confirmez l'import "
            "ou l'annulez."
        ),
        status=form_error_status(form),
        enctype="multipart/form-data",
    )


@role_required(PILOTS)
@require_http_methods(["GET", "POST"])
def retention(request):
    """The retention periods: what tonight's run would close and anonymise, counted now, and
    a button to apply them at once (a background run)."""
    if request.method == "POST":
        if request.POST.get("confirm") != "oui":
            messages.error(
                request,
                "Cochez la case qui confirme que l'anonymisation est définitive : rien n'a été "
                "appliqué.",
            )
            return redirect("beneficiaries:retention")
        try:
            run = run_start(kind=RunKind.RETENTION, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("beneficiaries:retention")
        return redirect("pti:run_detail", pk=run.pk)
    today = timezone.localdate()
    past = people_past_retention(today)
    return render(
        request,
        "beneficiaries/retention.html",
        {
            "to_close": past.filter(exit__isnull=True).count(),
            "to_anonymise": past.count(),
            "since": active_base_start(today),
            "active_days": settings.PTI_ACTIVE_RETENTION_DAYS,
            "trace_days": settings.PTI_FILE_ACCESS_RETENTION_DAYS,
            "recent_runs": TaskRun.objects.filter(kind=RunKind.RETENTION).select_related(
                "created_by"
            )[:5],
            "trail": [("Bénéficiaires", reverse("beneficiaries:list"))],
        },
    )


@role_required(PILOTS)
def data_quality(request):
    """The data-quality board: what to put right in the people's files (late orientations,
    people without référent, expired contracts, households without a sure territory, likely
    duplicates, households the last flux no longer lists, items of imports set aside), each
    count leading to the list of the same people (beneficiaries.quality)."""
    today = timezone.localdate()
    counts = quality.data_quality_counts(request.user, today)
    return render(
        request,
        "beneficiaries/data_quality.html",
        {
            "counts": counts,
            "rows": quality.board_rows(counts),
            "today": today,
            "trail": [("Bénéficiaires", reverse("beneficiaries:list"))],
        },
    )


@role_required(PILOTS)
def held_households(request):
    """The households of the CNAF or MSA flux set aside for a person to deal with: those
    waiting first, then those settled (by hand, or by a later flux)."""
    queryset = HeldHousehold.objects.select_related("resolved_by", "run")
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    waiting = HeldHousehold.objects.filter(resolved_at__isnull=True).count()
    return render(
        request,
        "beneficiaries/held_households.html",
        {
            "page": page,
            "waiting": waiting,
            "trail": [("Bénéficiaires", reverse("beneficiaries:list"))],
        },
    )


@role_required(PILOTS)
@require_POST
def held_household_resolve(request, pk):
    held = get_object_or_404(HeldHousehold, pk=pk, resolved_at__isnull=True)
    form = people_forms.HeldResolutionForm(request.POST)
    if form.is_valid():
        services.held_household_resolve(
            held=held, user=request.user, resolution=form.cleaned_data["resolution"]
        )
        messages.success(request, f"{held} : marqué comme traité.")
    return redirect("beneficiaries:held_households")


@traces.refusals_traced(RefusedTarget.FILE)
@role_required(FILE_READERS)
@require_http_methods(["GET", "POST"])
def beneficiary_update(request, pk):
    person = _person(request, pk)
    if person.anonymised_on:
        return refuse(request, ValidationError(services.ANONYMISED), file_url(person))
    if request.method == "GET":
        services.record_access(
            user=request.user, beneficiary=person, operation=FileOperation.READ, what="identité"
        )
    form = people_forms.BeneficiaryForm(request.POST or None, instance=person)
    if form.is_valid():
        household_values = form.household_values()
        household_values.pop("payer")
        household_values.pop("caf_number")
        try:
            services.beneficiary_update(
                beneficiary=person,
                expected_version=form.cleaned_data["lock_version"],
                values=form.person_values(),
                household_values=household_values,
                expected_household_version=form.cleaned_data["household_lock_version"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "L'identité et le foyer sont enregistrés.")
            return redirect(file_url(person))
    return form_page(
        request,
        form,
        title=f"Modifier le dossier de {person}",
        breadcrumb=[
            ("Bénéficiaires", reverse("beneficiaries:list")),
            (str(person), file_url(person)),
        ],
        submit_label="Enregistrer",
        cancel_url=file_url(person),
        status=form_error_status(form),
    )


@traces.refusals_traced(RefusedTarget.FILE)
@role_required({Role.PILOT})
def file_accesses(request, pk):
    """Who opened or changed this file, and when (pilot only)."""
    person = _person(request, pk)
    services.record_access(
        user=request.user,
        beneficiary=person,
        operation=FileOperation.READ,
        what="journal des accès",
    )
    accesses = FileAccess.objects.filter(beneficiary=person).select_related("user__organisation")
    page, query = _page(request, accesses)
    context = {
        "person": person,
        "page": page,
        "query": query,
        "retention_days": settings.PTI_FILE_ACCESS_RETENTION_DAYS,
    }
    return render(request, "beneficiaries/accesses.html", context)


# --- Managers ----------------------------------------------------------------------------------


@role_required(ASSIGNERS)
@require_GET
def caseload(request):
    return _caseload_page(request)


def _caseload_page(request, departure_form=None):
    """The structure's référents with how many people each follows (those who have left too,
    while they still follow someone), and who is not assigned. The tool « Réaffecter toutes les
    personnes d'un référent » goes to the confirmation page of `reassign_confirm`."""
    user = request.user
    referents = list(referents_with_caseload(user).select_related("organisation"))
    threshold = settings.PTI_CASELOAD_THRESHOLD
    unassigned = (
        people_of(user)
        .unassigned()
        .select_related("household__territory")
        .order_by("right_known_on")
    )
    page, query = _page(request, unassigned)
    traces.record_list_access(
        user=user,
        view=PeopleView.CASELOAD,
        shown=len(page.object_list),
        total=page.paginator.count,
    )
    context = {
        "referents": referents,
        "threshold": threshold,
        "over_threshold": sum(1 for referent in referents if referent.caseload > threshold),
        "form": people_forms.ReassignAllForm(user=user),
        "departure_form": departure_form or people_forms.DepartureForm(user=user),
        "page": page,
        "query": query,
    }
    return render(
        request,
        "beneficiaries/caseload.html",
        context,
        status=form_error_status(departure_form) if departure_form else 200,
    )


@role_required(ASSIGNERS)
@require_POST
def referent_departure(request):
    """Record that a référent of the structure leaves (services.referent_record_departure):
    back to the caseload, where they stay listed while they follow people, to be moved."""
    form = people_forms.DepartureForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            referent = services.referent_record_departure(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Départ de {referent} enregistré : plus personne ne lui sera confié. "
                "Réaffectez les personnes qu'il ou elle suit encore.",
            )
            return redirect("beneficiaries:caseload")
    return _caseload_page(request, departure_form=form)


# Not filters: the selection and the choices of the reassignment pages.
SELECTION_PARAMETERS = ("cocher", "vers", "personne", "selection", "de")
# The confirmation page names this many people, then « et N autres ».
CONFIRMATION_SHOWN = 50


@role_required(ASSIGNERS)
@require_http_methods(["GET", "POST"])
def reassign_select(request):
    """« Réaffecter des personnes »: the people list with its filters and search, a box per
    row (all of the page's checked with ?cocher=page), the new référent; the selection goes by
    GET to `reassign_confirm`, the checked people or the whole filtered list."""
    return _people_listing(
        request,
        people=people_of(request.user),
        view=PeopleView.REASSIGNMENT,
        template="beneficiaries/reassign_select.html",
        partial="beneficiaries/includes/reassign_results.html",
        ignored=SELECTION_PARAMETERS,
        extra={
            "selectable": True,
            "check_all": request.GET.get("cocher") == "page",
            "exportable": False,
            "breadcrumb": [("Référents", reverse("beneficiaries:caseload"))],
            "target_form": people_forms.ReassignTargetForm(
                initial={"vers": request.GET.get("vers")}, user=request.user
            ),
        },
    )


def _ids(values):
    """The whole numbers of `values` (strings), anything else left out."""
    return {int(value) for value in values if value.isdigit()}


def _filters_query(request):
    """The filters of the request (the search as its handle), without the selection."""
    query = request.GET.copy()
    for name in (*SELECTION_PARAMETERS, "page"):
        query.pop(name, None)
    return query.urlencode()


class _Refused(Exception):
    """The selection cannot be confirmed: `message` says why, `url` where to go back."""

    def __init__(self, message, url):
        super().__init__(message)
        self.url = url


def _chosen_people(request, target):
    """The people chosen on the list (GET): ?de=<référent> all those the référent follows now,
    ?selection=liste the whole filtered list, otherwise the ids checked (?personne=). Returns
    (ids to move, how many were set aside: left the dispositif or followed by `target`
    already, the query string of the list to go back to). Raises _Refused."""
    user = request.user
    people = people_of(user)
    back = reverse("beneficiaries:reassign")
    if "de" in request.GET:
        form = people_forms.ReassignAllForm(request.GET, user=user)
        if not form.is_valid():
            errors = [str(e) for field in form.errors.values() for e in field]
            raise _Refused(" ".join(errors), reverse("beneficiaries:caseload"))
        origin = form.cleaned_data["de"]
        chosen = people.followed_by(origin)
        query = QueryDict(mutable=True)
        query["referent"] = origin.pk
        filters = query.urlencode()
    elif request.GET.get("selection") == "liste":
        params, expired = searches.resolved_query(request, text_field="q")
        filters = _filters_query(request)
        if expired:
            raise _Refused("Cette recherche n'est plus disponible : saisissez-la à nouveau.", back)
        for name in SELECTION_PARAMETERS:
            params.pop(name, None)
        filterset = BeneficiaryFilter(
            params, queryset=people.with_followup(), user=user, today=timezone.localdate()
        )
        chosen = people.filter(pk__in=filterset.qs.order_by().values("pk"))
    else:
        filters = _filters_query(request)
        ids = _ids(request.GET.getlist("personne"))
        if not ids:
            raise _Refused(
                "Cochez au moins une personne, ou sélectionnez toute la liste filtrée.",
                f"{back}?{filters}",
            )
        chosen = people.filter(pk__in=ids)
        outside = len(ids) - chosen.count()
        if outside:
            raise _Refused(
                f"{outside} des personnes choisies "
                f"{'ne sont' if outside > 1 else 'n’est'} pas dans votre périmètre : "
                "personne n'a été réaffecté.",
                f"{back}?{filters}",
            )
    total = chosen.count()
    moving = chosen.filter(exit__isnull=True).exclude(
        pk__in=ReferentAssignment.objects.open().filter(referent=target).values("beneficiary_id")
    )
    count = moving.count()
    if count > services.REASSIGN_MAX_PEOPLE:
        raise _Refused(
            f"La sélection compte {french_number(count)} personnes : on ne peut en réaffecter "
            f"que {services.REASSIGN_MAX_PEOPLE} à la fois. Filtrez la liste (par territoire, "
            "par parcours…) pour la réduire.",
            f"{back}?{filters}",
        )
    if not count:
        raise _Refused(
            f"Aucune personne à réaffecter : celles choisies sont sorties du dispositif ou "
            f"déjà suivies par {target}.",
            f"{back}?{filters}",
        )
    return list(moving.values_list("pk", flat=True)), total - count, filters


@role_required(ASSIGNERS)
@require_http_methods(["GET", "POST"])
def reassign_confirm(request):
    """The confirmation of a reassignment: how many people, who (the first
    CONFIRMATION_SHOWN, then « et N autres »), from when and why. GET comes from the list
    (`reassign_select`) or the caseload (`?de=`); POST moves exactly the people listed, ids
    scoped again by the service (services.referent_reassign_people), and says how many."""
    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    target_form = people_forms.ReassignTargetForm(data, user=user)
    if not target_form.is_valid():
        messages.error(request, target_form.errors["vers"][0])
        if "de" in data:  # from the caseload's tool
            return redirect("beneficiaries:caseload")
        return redirect(f"{reverse('beneficiaries:reassign')}?{_filters_query(request)}")
    target = target_form.cleaned_data["vers"]
    form = people_forms.ReassignConfirmForm(request.POST or None)
    if request.method == "POST":
        ids = _ids(request.POST.getlist("personne"))
        set_aside = 0
        filters = QueryDict(request.POST.get("retour", "")).urlencode()
        if form.is_valid():
            try:
                moved = services.referent_reassign_people(
                    people_ids=ids, to_referent=target, by=user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"{moved} personne{'s' if moved > 1 else ''} "
                    f"réaffectée{'s' if moved > 1 else ''} à {target}.",
                )
                return redirect(f"{reverse('beneficiaries:reassign')}?{filters}")
    else:
        try:
            ids, set_aside, filters = _chosen_people(request, target)
        except _Refused as refusal:
            messages.error(request, str(refusal))
            return redirect(refusal.url)
    people = people_of(user).filter(pk__in=ids)
    shown = list(
        people.select_related("household__territory").order_by("last_name", "first_name", "pk")[
            :CONFIRMATION_SHOWN
        ]
    )
    count = len(ids)
    traces.record_list_access(
        user=user, view=PeopleView.REASSIGNMENT, shown=len(shown), total=max(count, len(shown))
    )
    context = {
        "target": target,
        "ids": sorted(ids),
        "count": count,
        "shown": shown,
        "others": max(count - len(shown), 0),
        "set_aside": set_aside,
        "form": form,
        "retour": filters,
        "back_url": f"{reverse('beneficiaries:reassign')}?{filters}",
        "breadcrumb": [
            ("Référents", reverse("beneficiaries:caseload")),
            ("Réaffecter des personnes", f"{reverse('beneficiaries:reassign')}?{filters}"),
        ],
    }
    return render(
        request, "beneficiaries/reassign_confirm.html", context, status=form_error_status(form)
    )


# --- Operators ---------------------------------------------------------------------------------


@role_required(OPERATORS)
def operator_inbox(request):
    status_choices = [
        (code, label)
        for code, label in PrescriptionStatus.choices
        if code != PrescriptionStatus.PROPOSED
    ]
    status = request.GET.get("etat", "sent")
    if status not in {"all", *dict(status_choices)}:
        status = PrescriptionStatus.SENT  # an unknown state shows the default tab
    prescriptions = Prescription.objects.for_operator(request.user).select_related(
        "action", "beneficiary"
    )
    counts = dict(prescriptions.order_by().values_list("status").annotate(n=Count("pk")))
    if status != "all":
        prescriptions = prescriptions.filter(status=status)
    page, query = _page(request, prescriptions.order_by("prescribed_on", "pk"))
    traces.record_list_access(
        user=request.user,
        view=PeopleView.OPERATOR_INBOX,
        criteria={"état": "tous" if status == "all" else dict(status_choices)[status]},
        shown=len(page.object_list),
        total=page.paginator.count,
    )
    return render(
        request,
        "beneficiaries/operator_inbox.html",
        {
            "page": page,
            "query": query,
            "counts": counts,
            "status": status,
            "status_choices": status_choices,
        },
    )


def _operator_prescription(request, pk):
    return get_object_or_404(
        Prescription.objects.for_operator(request.user).select_related("action", "beneficiary"),
        pk=pk,
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
def operator_prescription(request, pk):
    """What an operator needs of the person: name, contact, the prescription; never the file."""
    prescription = _operator_prescription(request, pk)
    services.record_access(
        user=request.user,
        beneficiary=prescription.beneficiary,
        operation=FileOperation.READ,
        what="prescription (opérateur)",
    )
    return render(
        request, "beneficiaries/operator_prescription.html", _operator_context(prescription)
    )


def _operator_context(prescription, **bound):
    # Whom the operator calls about the person: their référent (name, structure, e-mail).
    assignment = (
        ReferentAssignment.objects.open()
        .filter(beneficiary_id=prescription.beneficiary_id)
        .select_related("referent", "structure")
        .first()
    )
    context = {
        "referent_assignment": assignment,
        "prescription": prescription,
        "person": prescription.beneficiary,
        "refusal_form": people_forms.RefusalForm(),
        "start_form": people_forms.StartForm(),
        "attendance_form": people_forms.AttendanceForm(
            initial={
                "sessions_planned": prescription.sessions_planned,
                "sessions_attended": prescription.sessions_attended,
            }
        ),
        "end_form": people_forms.EndForm(),
        # The last full week: what an operator records most often.
        "hours_form": people_forms.WeekHoursForm(
            initial={"week": week_start(timezone.localdate()) - datetime.timedelta(weeks=1)}
        ),
        "weeks": list(prescription.attendances.select_related("recorded_by")[:FILE_WEEKS]),
    }
    context.update(bound)
    return context


def _operator_step(request, pk, *, form_class=None, form_key=None, save, success):
    prescription = _operator_prescription(request, pk)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        try:
            save(prescription, form.cleaned_data if form else {})
        except ValidationError as error:
            if form is None:
                return refuse(
                    request, error, reverse("beneficiaries:operator_prescription", args=[pk])
                )
            form.add_error(None, error)
        else:
            messages.success(request, success)
            return redirect("beneficiaries:operator_prescription", pk=pk)
    context = _operator_context(prescription, **{form_key: form})
    return render(request, "beneficiaries/operator_prescription.html", context, status=422)


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
@require_POST
def operator_accept(request, pk):
    return _operator_step(
        request,
        pk,
        save=lambda p, data: services.prescription_accept(prescription=p, by=request.user),
        success="La prescription est acceptée : une place est réservée.",
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
@require_POST
def operator_refuse(request, pk):
    return _operator_step(
        request,
        pk,
        form_class=people_forms.RefusalForm,
        form_key="refusal_form",
        save=lambda p, data: services.prescription_refuse(prescription=p, by=request.user, **data),
        success="La prescription est refusée ; le référent en est informé dans le dossier.",
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
@require_POST
def operator_start(request, pk):
    return _operator_step(
        request,
        pk,
        form_class=people_forms.StartForm,
        form_key="start_form",
        save=lambda p, data: services.prescription_start(prescription=p, by=request.user, **data),
        success="L'entrée dans l'action est enregistrée.",
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
@require_POST
def operator_attendance(request, pk):
    return _operator_step(
        request,
        pk,
        form_class=people_forms.AttendanceForm,
        form_key="attendance_form",
        save=lambda p, data: services.prescription_attendance(
            prescription=p, by=request.user, **data
        ),
        success="Les présences sont enregistrées.",
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
@require_POST
def operator_hours(request, pk):
    """The hours done by the person in one week of the action (recorded or corrected)."""
    return _operator_step(
        request,
        pk,
        form_class=people_forms.WeekHoursForm,
        form_key="hours_form",
        save=lambda p, data: services.attendance_record(prescription=p, by=request.user, **data),
        success="Les heures de la semaine sont enregistrées.",
    )


def _week_asked(request, today):
    """The Monday of the week asked by `?semaine=` (a date of it, aaaa-mm-jj), by default the
    last full week; never a week still to come."""
    current = week_start(today)
    try:
        asked = week_start(datetime.date.fromisoformat(request.GET.get("semaine", "")))
    except ValueError:
        asked = current - datetime.timedelta(weeks=1)
    return min(asked, current)


@traces.refusals_traced(RefusedTarget.ACTION)
@role_required(OPERATORS)
@require_http_methods(["GET", "POST"])
def operator_week(request, pk):
    """The hours of an action's whole group in one week: one row per person who had entered
    the action by the end of the week and is still in it. Only the operator's own actions."""
    action = get_object_or_404(Action.objects.visible_to(request.user), pk=pk)
    today = timezone.localdate()
    week = _week_asked(request, today)
    sunday = week + datetime.timedelta(days=6)
    prescriptions = list(
        Prescription.objects.for_operator(request.user)
        .filter(action=action, status=PrescriptionStatus.STARTED, started_on__lte=sunday)
        .select_related("beneficiary")
        .order_by("beneficiary__last_name", "beneficiary__first_name", "pk")
    )
    recorded = dict(
        Attendance.objects.filter(prescription__in=[p.pk for p in prescriptions], week=week)
        .values_list("prescription_id", "hours")
        .order_by()
    )
    form = people_forms.GroupWeekForm(
        request.POST or None, prescriptions=prescriptions, initial_hours=recorded
    )
    here = f"{reverse('beneficiaries:operator_week', args=[action.pk])}?semaine={week:%Y-%m-%d}"
    if request.method == "POST" and form.is_valid():
        try:
            written = services.attendance_record_week(
                prescriptions=prescriptions, week=week, hours=form.hours(), by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Heures de la semaine enregistrées pour {written} "
                f"personne{'s' if written > 1 else ''}.",
            )
            return redirect(here)
    traces.record_list_access(
        user=request.user,
        view=PeopleView.OPERATOR_WEEK,
        criteria={"action": action.title, "semaine": f"{week:%d/%m/%Y}"},
        shown=len(prescriptions),
        total=len(prescriptions),
    )
    previous_week = week - datetime.timedelta(weeks=1)
    next_week = week + datetime.timedelta(weeks=1)
    context = {
        "action": action,
        "week": week,
        "sunday": sunday,
        "form": form,
        "recorded": recorded,
        "previous_week": previous_week,
        "next_week": next_week if next_week <= week_start(today) else None,
    }
    return render(
        request, "beneficiaries/operator_week.html", context, status=form_error_status(form)
    )


@traces.refusals_traced(RefusedTarget.PRESCRIPTION)
@role_required(OPERATORS)
@require_POST
def operator_end(request, pk):
    return _operator_step(
        request,
        pk,
        form_class=people_forms.EndForm,
        form_key="end_form",
        save=lambda p, data: services.prescription_end(prescription=p, by=request.user, **data),
        success="La sortie de l'action est enregistrée ; la place est libérée.",
    )


# --- The pilot's traces ------------------------------------------------------------------------

JOURNAL_NATURES = {
    "dossiers": "consultations et modifications de dossiers",
    "listes": "listes et recherches",
}


@role_required({Role.PILOT})
@require_http_methods(["GET", "POST"])
def journal(request):
    """Every look at people, for the pilot (CNIL): the files read or written, and the lists and
    searches (by user, dates, and the person searched for, typed here and matched by
    fingerprint). A search typed here is posted, like the people's (pti.searches)."""
    nature = request.GET.get("nature")
    nature = nature if nature in JOURNAL_NATURES else "dossiers"
    if request.method == "POST":
        query = searches.redirect_query(
            request, text_field="q", fields=["user", "since", "until", "q", "nature"]
        )
        return redirect(f"{request.path}?{query}")
    params, expired = searches.resolved_query(request, text_field="q")
    if expired:
        messages.info(request, "Cette recherche n'est plus disponible : saisissez-la à nouveau.")
    if nature == "listes":
        traced = ListAccess.objects.select_related("user__organisation")
        filterset = ListTraceFilter(params or None, queryset=traced)
    else:
        traced = FileAccess.objects.select_related("user__organisation", "beneficiary")
        filterset = TraceFilter(params or None, queryset=traced)
    page, query = _page(request, filterset.qs, params)
    return render(
        request,
        "beneficiaries/journal.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "nature": nature,
            "natures": JOURNAL_NATURES,
            "retention_days": settings.PTI_FILE_ACCESS_RETENTION_DAYS,
        },
    )


@role_required({Role.PILOT})
def refused_accesses(request):
    """The attempts to open a file, a prescription or an obstacle outside scope or role: who
    tried which id, when, and what they were answered."""
    filterset = TraceFilter(
        request.GET or None, queryset=RefusedAccess.objects.select_related("user__organisation")
    )
    page, query = _page(request, filterset.qs)
    return render(
        request,
        "beneficiaries/refused_accesses.html",
        {
            "trail": [("Journal des accès", reverse("beneficiaries:journal"))],
            "filter": filterset,
            "page": page,
            "query": query,
            "retention_days": settings.PTI_FILE_ACCESS_RETENTION_DAYS,
        },
    )
