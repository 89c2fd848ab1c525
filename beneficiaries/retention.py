"""How long personal data is kept (DOMAIN.md, CNIL référentiel for social accompaniment).

- A closed file (the person has left the RSA) stays in the active base for
  `PTI_ACTIVE_RETENTION_DAYS` after the last contact (the exit, an interview or a
  prescription, whichever is last); then what identifies the person is erased: names, contact
  details, the day and month of birth, the free texts written about them, and the household's
  number and address once all its members are anonymised. What the statistics need stays:
  the year of birth, sex, dates, parcours, contracts, obstacles, prescriptions and the exit.
- The log of accesses to files and the trail of changes are kept
  `PTI_FILE_ACCESS_RETENTION_DAYS`, then deleted.
- A spreadsheet uploaded for an import and never confirmed nor cancelled is deleted after a
  day (`pti.imports.purge_abandoned_uploads`): a list of people must not lie on the disk.

`python manage.py apply_retention` runs both, meant for a daily or monthly scheduled job.
"""

import datetime
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from beneficiaries.models import (
    Beneficiary,
    Contract,
    Exit,
    FileAccess,
    Household,
    Interview,
    Obstacle,
    OrientationDecision,
    PlannedAction,
    Prescription,
    ReferentAssignment,
)
from beneficiaries.search import search_key
from pti.imports import purge_abandoned_uploads

ANONYMOUS_NAME = "Anonyme"
ERASED = "Effacé (fin de la durée de conservation)"
BATCH = 500


@dataclass
class RetentionReport:
    people: int = 0
    households: int = 0
    file_accesses: int = 0
    change_entries: int = 0
    import_files: int = 0


def active_base_limit(today):
    return today - datetime.timedelta(days=settings.PTI_ACTIVE_RETENTION_DAYS)


def people_past_retention(today):
    """People who left, with no contact since the end of the active-base period."""
    limit = active_base_limit(today)
    recent_interview = Interview.objects.filter(beneficiary=OuterRef("pk"), date__gte=limit)
    recent_prescription = Prescription.objects.filter(beneficiary=OuterRef("pk")).filter(
        Q(prescribed_on__gte=limit)
        | Q(answered_on__gte=limit)
        | Q(started_on__gte=limit)
        | Q(ended_on__gte=limit)
    )
    return Beneficiary.objects.filter(
        anonymised_on__isnull=True,
        pk__in=Exit.objects.filter(exit_on__lt=limit).values("beneficiary_id"),
    ).filter(~Exists(recent_interview), ~Exists(recent_prescription))


def _erase_texts(person_ids):
    """The free texts written about these people: notes, reasons, plans (kept non-empty where
    the database requires a text)."""
    mine = {"beneficiary_id__in": person_ids}
    Interview.objects.filter(**mine).exclude(note="").update(note="")
    Obstacle.objects.filter(**mine).exclude(note="").update(note="")
    Exit.objects.filter(**mine).exclude(note="").update(note="")
    ReferentAssignment.objects.filter(**mine).exclude(note="").update(note="")
    OrientationDecision.objects.filter(**mine).exclude(reason="").update(reason=ERASED)
    Prescription.objects.filter(**mine).exclude(note="").update(note="")
    Prescription.objects.filter(**mine).exclude(outcome="").update(outcome="")
    Prescription.objects.filter(**mine).exclude(refusal_reason="").update(refusal_reason=ERASED)
    contracts = Contract.objects.filter(**mine)
    contracts.update(objectives=ERASED)
    contracts.exclude(hours_reduction_note="").update(hours_reduction_note="")
    contracts.exclude(revision_reason="").update(revision_reason=ERASED)
    PlannedAction.objects.filter(contract__beneficiary_id__in=person_ids).update(description=ERASED)


def _forget_changes(model, ids):
    """The trail of changes names the object (e.g. a person's name): it goes with the data."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=[str(pk) for pk in ids],
    ).delete()


def _anonymise_households(people, today):
    """A household whose members are all anonymised loses its number and address. A person
    whose household still has known members leaves it for an anonymous household of the same
    territory, commune and family situation: nothing links them to the others any more.
    Returns how many households were anonymised or created anonymous."""
    someone_still_known = Beneficiary.objects.filter(
        household=OuterRef("pk"), anonymised_on__isnull=True
    )
    households = Household.objects.filter(
        pk__in={person.household_id for person in people}
    ).annotate(still_known=Exists(someone_still_known))
    still_known = {h.pk: h for h in households if h.still_known}
    emptied = [h.pk for h in households if not h.still_known and h.anonymised_on is None]
    Household.objects.filter(pk__in=emptied).update(
        caf_number="", address="", anonymised_on=today, updated_at=timezone.now()
    )
    _forget_changes(Household, emptied)
    leaving = [person for person in people if person.household_id in still_known]
    anonymous = Household.objects.bulk_create(
        Household(
            payer=still_known[person.household_id].payer,
            caf_number="",
            commune_id=still_known[person.household_id].commune_id,
            territory_id=still_known[person.household_id].territory_id,
            family_situation=still_known[person.household_id].family_situation,
            homeless=still_known[person.household_id].homeless,
            anonymised_on=today,
        )
        for person in leaving
    )
    for person, household in zip(leaving, anonymous, strict=True):
        person.household = household
    Beneficiary.objects.bulk_update(leaving, ["household"])
    return len(emptied) + len(anonymous)


def anonymise(people, today):
    """Erase what identifies `people` (a queryset), a batch at a time. Returns how many people
    and households were anonymised."""
    anonymous_key = search_key(ANONYMOUS_NAME, "", "")
    people_count = households_count = 0
    ids = list(people.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch_ids = ids[start : start + BATCH]
        with transaction.atomic():
            batch = list(
                Beneficiary.objects.select_for_update().filter(
                    pk__in=batch_ids, anonymised_on__isnull=True
                )
            )
            for person in batch:
                person.last_name = ANONYMOUS_NAME
                person.birth_name = ""
                person.first_name = ""
                person.email = ""
                person.phone = ""
                # The year is kept for the age breakdowns; mid-year is the least wrong date.
                person.birth_date = datetime.date(person.birth_date.year, 7, 1)
                person.search_key = anonymous_key
                person.anonymised_on = today
                person.lock_version += 1
            Beneficiary.objects.bulk_update(
                batch,
                [
                    "last_name",
                    "birth_name",
                    "first_name",
                    "email",
                    "phone",
                    "birth_date",
                    "search_key",
                    "anonymised_on",
                    "lock_version",
                ],
            )
            person_ids = [person.pk for person in batch]
            _erase_texts(person_ids)
            _forget_changes(Beneficiary, person_ids)
            households_count += _anonymise_households(batch, today)
            people_count += len(batch)
    return people_count, households_count


def purge_logs(now):
    """Delete the accesses to files and the changes older than their retention period.
    Returns how many of each were deleted."""
    limit = now - datetime.timedelta(days=settings.PTI_FILE_ACCESS_RETENTION_DAYS)
    accesses, _ = FileAccess.objects.filter(at__lt=limit).delete()
    personal_models = ContentType.objects.filter(app_label="beneficiaries")
    changes, _ = LogEntry.objects.filter(
        content_type__in=personal_models, timestamp__lt=limit
    ).delete()
    return accesses, changes


def apply_retention(*, now=None):
    """Anonymise the files past the active base, purge the logs past theirs and the
    abandoned import files."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = RetentionReport()
    report.people, report.households = anonymise(people_past_retention(today), today)
    report.file_accesses, report.change_entries = purge_logs(now)
    report.import_files = purge_abandoned_uploads(now)
    return report
