"""Settings of a real worker process that a test starts (tests/pti/test_runs.py): the test
settings on the test's own database (PTI_TEST_DATABASE_NAME), with the database backend of
tasks instead of the immediate one, and the kind of run that waits for the test's signal."""

import os

from pti.settings_test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["PTI_TEST_DATABASE_NAME"]  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": os.environ["PTI_TEST_DATABASE_NAME"]}  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
INSTALLED_APPS = [*INSTALLED_APPS, "tests.pti.waiting_runs.WaitingRunsConfig"]  # noqa: F405
