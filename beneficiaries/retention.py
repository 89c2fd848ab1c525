"""How long personal data is kept, and what is left of it afterwards (DOMAIN.md; CNIL,
référentiel relatif aux traitements de données à caractère personnel mis en œuvre dans le cadre
de l'accompagnement social et médico-social, délibération n° 2021-028: active base 2 years
after the last contact, then deletion or anonymisation).

The active base
- The last contact of a person is the latest of the dated events that show they are still
  followed or still in the right (`beneficiaries.models.contact_events`: interviews,
  prescriptions, orientation decisions, contracts, référent designations, obstacles, the exit;
  the day the département learnt of the right; the last monthly CNAF/MSA flux that listed
  them). `Beneficiary.objects.with_last_contact()` gives it; `without_contact_since(day)`
  selects by it.
- A file stays in the active base `PTI_ACTIVE_RETENTION_DAYS` (730) after the last contact:
  its closing day is `deadlines.closing_on(last contact)`.
- A file with no exit is flagged to its référent and the pilots `PTI_RETENTION_NOTICE_DAYS`
  (30) before its closing day (the `no_contact` item of `deadlines.due_items`, the same rule as
  `due_conditions`); any new contact removes the flag. On its closing day it is closed: an
  Exit « clôture faute de contact » dated that day, recorded by no one (the application does
  it: no user's trace), without job nor training (never an outcome of the parcours, a database
  constraint says so), the prescriptions still running abandoned and their places given back,
  the référent's designation ended; then anonymised in the same transaction.
- A file with an exit is anonymised once its last contact is older than the period.

Anonymisation
- `CLASSIFICATION` says, for every column of every personal model (each model of the
  `beneficiaries` app, and any model elsewhere with a relation to one), what anonymisation
  does with it: KEEP (what the statistics count and group by), GENERALISE (kept at the grain
  the statistics need: a birth date becomes its year, an event date its month) or ERASE
  (names, contact details, the CAF number, the address and commune, free texts, who recorded
  what). `anonymise` reads it and nothing else; a test fails when a column is not in it.
- The statistics of a year computed on anonymised people are the same counts per year, month,
  territory, sex, family situation and age band at the end of the year; delays and lengths in
  days become delays between months. The figures sent each year are frozen beforehand
  (`take_snapshot`).
- A household whose members are all anonymised is anonymised by the same table. A person
  whose household still has known members leaves it for an anonymous household made from it
  by the table (same territory, no commune): nothing links them to the others any more.
- The trail of changes (django-auditlog) of every anonymised row is deleted: it names what it
  changed. An anonymised file is never written again (`services._lock_person`).

Logs
- `LOGS`: the traces of accesses to files and lists, the refused attempts and, when
  django-axes is installed, its logins: deleted `PTI_FILE_ACCESS_RETENTION_DAYS` after they
  were written (`purge_logs`), with the trail of changes to personal models.
- An import run (a spreadsheet, the CNAF flux) analysed and never confirmed nor cancelled is
  cancelled after a day, its files deleted: a list of people must not lie on the disk. The
  files of an ended run (the one sent, its plan, its held rows) are deleted after
  PTI_RUN_FILE_RETENTION_DAYS, with the rows and errors it listed (`pti.runs.purge_run_files`).

`python manage.py apply_retention` (`--dry-run` to count) does all of it, every night.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from actions.enums import PLACE_HOLDING_STATUSES, PrescriptionStatus
from actions.services import action_release_place
from beneficiaries.deadlines import active_base_start, closing_on
from beneficiaries.enums import ExitCategory, ExitContract
from beneficiaries.models import (
    Beneficiary,
    Exit,
    HeldHousehold,
    Household,
    Prescription,
    ReferentAssignment,
)
from beneficiaries.search import search_key
from pti.runs import purge_run_files

ANONYMOUS_NAME = "Anonyme"
ERASED = "Effacé (fin de la durée de conservation)"
# What an exit writes in the prescriptions it ends (as `services.exit_record` does).
LEFT_THE_PARCOURS = "sortie du dispositif"
BATCH = 500

# --- The classification ------------------------------------------------------------------------

KEEP, GENERALISE, ERASE = "keep", "generalise", "erase"


@dataclass(frozen=True)
class Rule:
    """What anonymisation does with one column. `new_value(value, row, today)` gives what the
    column holds afterwards, from the row as it was (None: the value stays)."""

    kind: str  # KEEP, GENERALISE or ERASE
    how: str
    new_value: Callable | None = None


def _first_of_month(value, row=None, today=None):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return value.replace(day=1)


def _birth_year(value, row, today):
    return datetime.date(value.year, 7, 1)


def _end_month(value, row, today):
    """The end of a period whose row has a `start_date` (a contract)."""
    end = (value + datetime.timedelta(days=1)).replace(day=1)
    start = row.start_date.replace(day=1)
    return end if end > start else start + relativedelta(months=1)


KEPT = Rule(KEEP, "kept as it is")
NEXT_VERSION = Rule(
    KEEP, "kept, plus one: a form opened before the anonymisation is refused", lambda v, r, t: v + 1
)
STAMPED = Rule(KEEP, "set to the day of the anonymisation", lambda v, r, t: t)
BIRTH_YEAR = Rule(
    GENERALISE,
    "its year, written 1 July of that year (the column is a date): the age bands at the end of "
    "a year are exact, and mid-year is the least wrong day within it",
    _birth_year,
)
MONTH = Rule(
    GENERALISE, "the first day of its month (a time: its month, at midnight)", _first_of_month
)
END_MONTH = Rule(
    GENERALISE,
    "the first day of the month of the next day (a contract valid on 31 December stays valid "
    "at the end of the year), and at least the month after the generalised start",
    _end_month,
)
ERASED_TEXT = Rule(ERASE, f"« {ERASED} » when it was not empty", lambda v, r, t: ERASED if v else v)
EMPTIED = Rule(ERASE, "emptied", lambda v, r, t: "")
NULLED = Rule(ERASE, "emptied (NULL)", lambda v, r, t: None)
ANONYMOUS = Rule(ERASE, f"« {ANONYMOUS_NAME} »", lambda v, r, t: ANONYMOUS_NAME)
ANONYMOUS_KEY = Rule(
    ERASE,
    f"the search key of « {ANONYMOUS_NAME} »",
    lambda v, r, t: search_key(ANONYMOUS_NAME, "", ""),
)

# Every column of every personal model: {model label: {field name: Rule}}. A model added to the
# beneficiaries app, or a model elsewhere pointing to one of them, and any new column of these,
# is classified here (tests/beneficiaries/test_anonymisation.py fails until it is).
CLASSIFICATION = {
    "beneficiaries.Household": {
        "id": KEPT,
        "lock_version": NEXT_VERSION,
        "payer": KEPT,
        "caf_number": EMPTIED,
        "address": EMPTIED,
        "commune": NULLED,  # the territory stays: the statistics' grain
        "territory": KEPT,
        "family_situation": KEPT,
        "homeless": KEPT,
        "anonymised_on": STAMPED,
        "created_at": MONTH,
        "updated_at": MONTH,
    },
    "beneficiaries.Beneficiary": {
        "id": KEPT,
        "lock_version": NEXT_VERSION,
        "household": KEPT,  # then an anonymous household when others are still known
        "household_role": KEPT,
        "last_name": ANONYMOUS,
        "birth_name": EMPTIED,
        "first_name": EMPTIED,
        "birth_date": BIRTH_YEAR,
        "sex": KEPT,
        "email": EMPTIED,
        "phone": EMPTIED,
        "rights_and_duties": KEPT,
        "rsa_requested_on": MONTH,
        "right_opened_on": MONTH,
        "right_known_on": MONTH,
        "search_key": ANONYMOUS_KEY,
        "anonymised_on": STAMPED,
        "created_at": MONTH,
        "updated_at": MONTH,
    },
    "beneficiaries.ReferentAssignment": {
        "id": KEPT,
        "beneficiary": KEPT,
        "referent": KEPT,  # the caseloads per référent
        "structure": KEPT,
        "start_date": MONTH,
        "end_date": MONTH,
        "reason": KEPT,
        "note": ERASED_TEXT,
        "assigned_by": NULLED,
        "created_at": MONTH,
    },
    "beneficiaries.OrientationDecision": {
        "id": KEPT,
        "beneficiary": KEPT,
        "parcours": KEPT,
        "organisme": KEPT,
        "decided_on": MONTH,
        "notified_on": MONTH,
        "decided_by": ERASED_TEXT,
        "is_reorientation": KEPT,
        "reason": ERASED_TEXT,
        "team_consulted": KEPT,
        "is_current": KEPT,
        "recorded_by": NULLED,
        "created_at": MONTH,
    },
    "beneficiaries.Contract": {
        "id": KEPT,
        "lock_version": NEXT_VERSION,
        "beneficiary": KEPT,
        "kind": KEPT,
        "start_date": MONTH,
        "end_date": END_MONTH,
        "signed_on": MONTH,
        "objectives": ERASED_TEXT,
        "weekly_hours": KEPT,
        "hours_reduction": KEPT,
        "hours_reduction_note": ERASED_TEXT,
        "long_review_reason": KEPT,
        "revises": KEPT,
        "revision_reason": ERASED_TEXT,
        "is_current": KEPT,
        "created_by": NULLED,
        "created_at": MONTH,
    },
    "beneficiaries.PlannedAction": {
        "id": KEPT,
        "contract": KEPT,
        "kind": KEPT,
        "description": ERASED_TEXT,
        "action": KEPT,
    },
    "beneficiaries.Interview": {
        "id": KEPT,
        "beneficiary": KEPT,
        "kind": KEPT,
        "date": MONTH,
        "note": ERASED_TEXT,
        "referent": NULLED,
        "created_at": MONTH,
    },
    "beneficiaries.Obstacle": {
        "id": KEPT,
        "beneficiary": KEPT,
        "kind": KEPT,
        "status": KEPT,
        "identified_on": MONTH,
        "addressed_on": MONTH,
        "lifted_on": MONTH,
        "note": ERASED_TEXT,
        "actions": KEPT,
        "created_at": MONTH,
    },
    "beneficiaries.Prescription": {
        "id": KEPT,
        "lock_version": NEXT_VERSION,
        "beneficiary": KEPT,
        "action": KEPT,
        "status": KEPT,
        "prescribed_by": NULLED,
        "prescribed_on": MONTH,
        "note": ERASED_TEXT,
        "answered_on": MONTH,
        "refusal_reason": ERASED_TEXT,
        "refusal_seen_on": MONTH,
        # Staff, not the person; kept, because a refusal taken into account has its date and
        # who together (prescription_refusal_seen_says_who).
        "refusal_seen_by": KEPT,
        "started_on": MONTH,
        "ended_on": MONTH,
        "outcome": ERASED_TEXT,
        "sessions_planned": KEPT,
        "sessions_attended": KEPT,
        "created_at": MONTH,
    },
    "beneficiaries.ReorientationRequest": {
        "id": KEPT,
        "beneficiary": KEPT,
        # Staff, not the person; required (who asked), and who decided goes with the date
        # (reorientation_request_decision_dated).
        "requested_by": KEPT,
        "requested_at": MONTH,
        "reason": ERASED_TEXT,
        "proposed_parcours": KEPT,
        "proposed_organisme": KEPT,
        "status": KEPT,
        "decided_by": KEPT,
        "decided_at": MONTH,
        "decision_note": ERASED_TEXT,
        "orientation": KEPT,  # the reorientations of the year (DREES OARSA indicator 9)
    },
    "beneficiaries.Attendance": {
        "id": KEPT,
        "prescription": KEPT,
        # A week (its Monday) and its hours: the grain the indicator of hours done counts by.
        "week": KEPT,
        "hours": KEPT,
        "sessions": KEPT,
        "recorded_by": NULLED,
        "recorded_at": MONTH,
    },
    "beneficiaries.FluxListing": {
        "beneficiary": KEPT,
        "listed_on": MONTH,
    },
    "beneficiaries.Exit": {
        "id": KEPT,
        "beneficiary": KEPT,
        "exit_on": MONTH,
        "category": KEPT,
        "contract_type": KEPT,
        "contract_days": KEPT,  # durable employment is 6 months or more, counted in days
        "closure_reason": KEPT,  # the CAF's code (MUT, PCG…): what the category was read from
        "note": ERASED_TEXT,
        "recorded_by": NULLED,
        "created_at": MONTH,
    },
    "beneficiaries.ExitFollowUp": {
        "id": KEPT,
        "exit": KEPT,
        "milestone": KEPT,
        "due_on": MONTH,
        "situation": KEPT,  # the indicators « en emploi durable 6 / 12 mois après la sortie »
        "contract_type": KEPT,
        "contract_days": KEPT,  # durable employment is 6 months or more, counted in days
        "note": ERASED_TEXT,
        "recorded_on": MONTH,
        # Staff, not the person (as the référent of a designation); kept, because a recorded
        # follow-up has its date and author together (exit_follow_up_recorded_together).
        "recorded_by": KEPT,
    },
}

# The traces: {model label: its date column}. Whole rows are deleted
# PTI_FILE_ACCESS_RETENTION_DAYS after that date, whoever they name; anonymisation leaves them.
LOGS = {
    "beneficiaries.FileAccess": "at",
    "beneficiaries.ListAccess": "at",
    "beneficiaries.RefusedAccess": "at",
    # Households of the flux set aside (a number and reasons): gone a year after, or sooner
    # once settled (apply_retention).
    "beneficiaries.HeldHousehold": "held_at",
    # django-axes, when installed: logins and failed logins (user names, addresses).
    "axes.AccessLog": "attempt_time",
    "axes.AccessFailureLog": "attempt_time",
}


def columns(model):
    """The fields of `model` that hold data: its columns and its many-to-many relations."""
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def personal_models():
    """Every installed model that holds personal data of the people: each model of the
    beneficiaries app, and any model elsewhere with a relation to one of them."""
    ours = set(apps.get_app_config("beneficiaries").get_models())
    return [
        model
        for model in apps.get_models()
        if model in ours
        or any(field.is_relation and field.related_model in ours for field in columns(model))
    ]


def unclassified_columns():
    """["app.Model.field"] of the personal columns `CLASSIFICATION` does not cover."""
    missing = []
    for model in personal_models():
        label = model._meta.label
        if label in LOGS:
            continue
        rules = CLASSIFICATION.get(label, {})
        missing += [f"{label}.{field.name}" for field in columns(model) if field.name not in rules]
    return missing


def installed_logs():
    """[(model, date column)] of the `LOGS` whose app is installed (django-axes may not be)."""
    return [
        (apps.get_model(label), date_field)
        for label, date_field in LOGS.items()
        if apps.is_installed(label.split(".")[0])
    ]


def path_to_person(model, _seen=()):
    """The lookup from a row of `model` to the person it is about ("beneficiary",
    "contract__beneficiary"), or None (the household, a log, a model that is not about one
    person)."""
    fields = [field for field in model._meta.concrete_fields if field.is_relation]
    for field in fields:
        if field.related_model is Beneficiary:
            return field.name
    personal = set(personal_models()) - {Beneficiary, Household, model, *_seen}
    for field in fields:
        if field.related_model in personal:
            rest = path_to_person(field.related_model, (*_seen, model))
            if rest:
                return f"{field.name}__{rest}"
    return None


def _parcours_models():
    """[(model, path to the person)]: the personal models anonymised with the person."""
    found = []
    for model in personal_models():
        if model in (Beneficiary, Household) or model._meta.label in LOGS:
            continue
        path = path_to_person(model)
        if path:
            found.append((model, path))
    return found


# --- Who leaves the active base ------------------------------------------------------------------


def people_past_retention(today):
    """The people not anonymised yet whose last contact is before the active base of `today`:
    to be anonymised, after being closed for lack of contact if they have no exit."""
    return Beneficiary.objects.filter(anonymised_on__isnull=True).without_contact_since(
        active_base_start(today)
    )


# --- Closing and anonymising ---------------------------------------------------------------------


@dataclass
class RetentionReport:
    closed: int = 0  # files without exit closed for lack of contact
    people: int = 0  # people anonymised (the closed ones included)
    households: int = 0  # households anonymised or created anonymous
    traces: int = 0  # rows of LOGS deleted
    change_entries: int = 0  # entries of the trail of changes deleted
    import_files: int = 0
    held_households: int = 0  # households of the flux set aside, settled long ago, deleted

    def sentence(self):
        """What was done, in French (the command prints it, the run's page shows it)."""
        return (
            f"{self.closed} dossier(s) clos faute de contact ; {self.people} personne(s) et "
            f"{self.households} foyer(s) anonymisés ; {self.traces} trace(s) d'accès et "
            f"{self.change_entries} trace(s) de modification supprimées ; {self.import_files} "
            "fichier(s) d'import abandonné(s) ou ancien(s) supprimé(s) ; "
            f"{self.held_households} foyer(s) du flux mis de côté et réglé(s) depuis longtemps "
            "oublié(s)."
        )


def _close_for_lack_of_contact(people):
    """Close the files of `people` (rows annotated `with_last_contact`, without exit) on their
    closing day: the exit, the prescriptions still running, the référent's designation, as an
    exit recorded on screen does; recorded by no one. Returns how many were closed."""
    closing = {person.pk: closing_on(person.last_contact_on) for person in people}
    Exit.objects.bulk_create(
        Exit(
            beneficiary=person,
            exit_on=closing[person.pk],
            category=ExitCategory.NO_CONTACT,
            contract_type=ExitContract.NONE,
            contract_days=None,
            note="",
            recorded_by=None,
        )
        for person in people
    )
    live = [
        PrescriptionStatus.PROPOSED,
        PrescriptionStatus.SENT,
        PrescriptionStatus.ACCEPTED,
        PrescriptionStatus.STARTED,
    ]
    running = list(
        Prescription.objects.select_for_update(of=("self",))
        .filter(beneficiary_id__in=closing, status__in=live)
        .select_related("action")
    )
    for prescription in running:
        if prescription.status in PLACE_HOLDING_STATUSES:
            action_release_place(action=prescription.action)
        prescription.status = PrescriptionStatus.ABANDONED
        prescription.ended_on = closing[prescription.beneficiary_id]
        prescription.outcome = LEFT_THE_PARCOURS
        prescription.lock_version += 1
    Prescription.objects.bulk_update(
        running, ["status", "ended_on", "outcome", "lock_version"], batch_size=BATCH
    )
    designations = list(
        ReferentAssignment.objects.filter(beneficiary_id__in=closing, end_date__isnull=True)
    )
    for designation in designations:
        designation.end_date = closing[designation.beneficiary_id]
    ReferentAssignment.objects.bulk_update(designations, ["end_date"], batch_size=BATCH)
    return len(people)


def anonymised_values(model, row, today):
    """{attribute: value} that `CLASSIFICATION` gives one row of `model` (as it was)."""
    values = {}
    for name, rule in CLASSIFICATION[model._meta.label].items():
        field = model._meta.get_field(name)
        if rule.new_value is None or field.many_to_many:
            continue
        values[field.attname] = rule.new_value(getattr(row, field.attname), row, today)
    return values


def _anonymise_rows(model, rows, today):
    """Apply the classification to `rows` of `model` and forget their trail of changes."""
    if not rows:
        return
    changed = set()
    for row in rows:
        values = anonymised_values(model, row, today)
        changed.update(values)
        for attname, value in values.items():
            setattr(row, attname, value)
    names = [field.name for field in model._meta.concrete_fields if field.attname in changed]
    model.objects.bulk_update(rows, names, batch_size=BATCH)
    _forget_changes(model, [row.pk for row in rows])


def _forget_changes(model, ids):
    """The trail of changes names the object (e.g. a person's name): it goes with the data."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=[str(pk) for pk in ids],
    ).delete()


def _anonymise_households(people, today):
    """A household whose members are all anonymised is anonymised. A person whose household
    still has known members leaves it for an anonymous household made from it by the
    classification. Returns how many households were anonymised or created anonymous."""
    households = list(
        Household.objects.select_for_update()
        .filter(pk__in={person.household_id for person in people})
        .order_by("pk")
    )
    still_known = set(
        Beneficiary.objects.filter(
            household__in=households, anonymised_on__isnull=True
        ).values_list("household_id", flat=True)
    )
    emptied = [h for h in households if h.pk not in still_known and h.anonymised_on is None]
    _anonymise_rows(Household, emptied, today)
    source = {h.pk: h for h in households if h.pk in still_known}
    leaving = [person for person in people if person.household_id in source]
    stamps = [
        field.attname
        for field in Household._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    anonymous, stamped = [], []
    for person in leaving:
        household = source[person.household_id]
        copy = Household(
            **{
                field.attname: getattr(household, field.attname)
                for field in Household._meta.concrete_fields
                if not field.primary_key
            }
        )
        values = anonymised_values(Household, household, today)
        for attname, value in values.items():
            setattr(copy, attname, value)
        anonymous.append(copy)
        stamped.append({attname: values.get(attname) for attname in stamps})
    Household.objects.bulk_create(anonymous)
    # bulk_create stamps auto_now fields with the time of creation: the generalised ones instead.
    for copy, values in zip(anonymous, stamped, strict=True):
        for attname, value in values.items():
            setattr(copy, attname, value)
    if stamps:
        Household.objects.bulk_update(anonymous, stamps, batch_size=BATCH)
    for person, household in zip(leaving, anonymous, strict=True):
        person.household = household
    Beneficiary.objects.bulk_update(leaving, ["household"], batch_size=BATCH)
    return len(emptied) + len(anonymous)


def _anonymise_people(person_ids, today):
    """Anonymise these people (ids, not anonymised yet, locked by the caller) and what is
    about them. Returns (people, households) counts."""
    people = list(Beneficiary.objects.filter(pk__in=person_ids, anonymised_on__isnull=True))
    ids = [person.pk for person in people]
    for model, path in _parcours_models():
        _anonymise_rows(model, list(model.objects.filter(**{f"{path}__in": ids})), today)
    _anonymise_rows(Beneficiary, people, today)
    return len(people), _anonymise_households(people, today)


def close_and_anonymise(today):
    """Close the files without exit past the active base, then anonymise every file past it,
    a batch at a time (one transaction per batch). Returns (closed, people, households)."""
    closed = people_count = households_count = 0
    ids = list(people_past_retention(today).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            locked = list(
                Beneficiary.objects.select_for_update()
                .filter(pk__in=ids[start : start + BATCH])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Read again once locked: a contact recorded since keeps the file.
            due = people_past_retention(today).filter(pk__in=locked)
            due_ids = list(due.values_list("pk", flat=True))
            closed += _close_for_lack_of_contact(
                list(due.filter(exit__isnull=True).with_last_contact())
            )
            people, households = _anonymise_people(due_ids, today)
            people_count += people
            households_count += households
    return closed, people_count, households_count


# --- Logs ----------------------------------------------------------------------------------------


def purge_logs(now):
    """Delete the rows of `LOGS` and the trail of changes to personal models older than
    `PTI_FILE_ACCESS_RETENTION_DAYS`. Returns (traces, change entries) deleted."""
    limit = now - datetime.timedelta(days=settings.PTI_FILE_ACCESS_RETENTION_DAYS)
    traces = 0
    for model, date_field in installed_logs():
        deleted, _ = model.objects.filter(**{f"{date_field}__lt": limit}).delete()
        traces += deleted
    content_types = ContentType.objects.get_for_models(*personal_models()).values()
    changes, _ = LogEntry.objects.filter(
        content_type__in=list(content_types), timestamp__lt=limit
    ).delete()
    return traces, changes


def apply_retention(*, now=None):
    """Close and anonymise the files past the active base, purge the logs past their period
    and the abandoned import files. Returns a RetentionReport."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = RetentionReport()
    report.closed, report.people, report.households = close_and_anonymise(today)
    report.traces, report.change_entries = purge_logs(now)
    report.import_files = purge_run_files(now)
    settled_before = now - datetime.timedelta(days=settings.PTI_RUN_FILE_RETENTION_DAYS)
    report.held_households, _ = HeldHousehold.objects.filter(
        resolved_at__lt=settled_before
    ).delete()
    return report
