"""What background runs keep of people is forgotten past PTI_RUN_FILE_RETENTION_DAYS
(pti.runs.purge_run_files, called by apply_retention): their files and every list naming
households or showing rows; their counts and French lines stay."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from pti.enums import RunKind, RunStatus
from pti.models import TaskRun
from pti.runs import purge_run_files
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db


def ended_run(days_ago, **found):
    pilot = UserFactory(pilot=True)
    run = TaskRun(
        kind=RunKind.CNAF_FLUX,
        status=RunStatus.DONE,
        created_by=pilot,
        finished_at=timezone.now() - datetime.timedelta(days=days_ago),
        summary={"lines": ["12 foyers créés"], **found},
    )
    run.file.save("flux.xml", ContentFile(b"<flux/>"), save=False)
    run.plan.save("plan.jsonl.gz", ContentFile(b"plan"), save=False)
    run.save()
    return run


def test_an_old_run_forgets_the_households_it_held_listed_or_showed(settings):
    settings.PTI_RUN_FILE_RETENTION_DAYS = 30
    run = ended_run(
        31,
        errors=["Foyer 3 (ligne 40, matricule 0987654) : date de naissance invalide"],
        held=["Foyer 7 (matricule 1234567) : modifié dans PTI depuis l'analyse"],
        to_check=["matricule 7654321"],
        rows=[[12, "création", ["Mme", "Durand", "Hélène"]]],
        counts={"new": 12},
    )
    file_name, plan_name = run.file.name, run.plan.name

    deleted = purge_run_files()

    run.refresh_from_db()
    assert deleted == 2
    assert not run.file
    assert not run.plan
    assert not run.file.storage.exists(file_name)
    assert not run.plan.storage.exists(plan_name)
    assert run.summary == {
        "lines": ["12 foyers créés"],
        "errors": [],
        "held": [],
        "to_check": [],
        "rows": [],
        "counts": {"new": 12},
    }


def test_a_recent_run_keeps_what_it_found(settings):
    settings.PTI_RUN_FILE_RETENTION_DAYS = 30
    run = ended_run(29, held=["Foyer 7 (matricule 1234567) : modifié depuis l'analyse"])

    assert purge_run_files() == 0

    run.refresh_from_db()
    assert run.file
    assert run.plan
    assert run.summary["held"] == ["Foyer 7 (matricule 1234567) : modifié depuis l'analyse"]
