import os

import pytest
from django.conf import settings
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's ORM must accept it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class UndefinedTemplateVariable(str):
    """Makes `{{ undefined }}` raise in tests instead of printing nothing."""

    def __mod__(self, name):
        raise NameError(f"variable de gabarit indéfinie : {name}")


def pytest_configure(config):
    settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = UndefinedTemplateVariable("%s")


def pytest_collection_modifyitems(config, items):
    """Speed measurements run only when asked for (`make bench`, i.e. -m benchmark_suite)."""
    if "benchmark_suite" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("benchmark_suite") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def database_server_version():
    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        import psycopg

        # The maintenance database: the configured one may not exist before the tests create it.
        with psycopg.connect(
            dbname="postgres",
            user=database["USER"],
            password=database["PASSWORD"],
            host=database["HOST"],
            port=database["PORT"] or None,
            connect_timeout=5,
        ) as pg:
            return pg.execute("SELECT version()").fetchone()[0]
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def pytest_report_header(config):
    """Which database the tests really talk to (CI reads this line)."""
    try:
        return f"database: {database_server_version()}"
    except Exception as exc:
        return f"database: unreachable ({exc.__class__.__name__})"


@pytest.fixture(scope="session", autouse=True)
def expected_database_vendor(django_db_setup, django_db_blocker):
    """With PTI_EXPECT_DB_VENDOR set (CI sets postgresql), refuse to run on another database."""
    expected = os.environ.get("PTI_EXPECT_DB_VENDOR")
    if expected and connection.vendor != expected:
        pytest.exit(f"tests expected to run on {expected}, got {connection.vendor}", returncode=3)


@pytest.fixture
def client_as(client):
    """`client_as(user)` logs `user` in and returns the test client."""

    def log_in(user):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def assert_constant_queries(django_assert_num_queries):
    """`assert_constant_queries(small, large)`: the page with many rows (large()) makes exactly
    as many queries as the page with one row (small()), so no query runs per row."""
    from django.test.utils import CaptureQueriesContext

    def check(small, large, *, between=None):
        with CaptureQueriesContext(connection) as queries:
            small()
        if between is not None:
            between()  # adds rows, outside the count
        with django_assert_num_queries(len(queries)):
            large()
        return len(queries)

    return check


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Files a test stores (uploads kept for a run, exports, signed PDFs) go to a folder of
    the test's own, never to the checkout's media/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


# The database backend of tasks, as in production: a run is queued, and a worker process
# takes it (tests/pti/worker_settings.py).
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def worker_process(settings):
    """`start(*options)` starts `manage.py db_worker` in a process of its own, on the test's
    database and with its media folder; the test's own code queues tasks for it. Every worker
    started is killed at the end. Skipped on the in-memory SQLite database, which no other
    process can open (the tests then run on PostgreSQL in CI)."""
    import subprocess
    import sys

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("a worker process cannot open the tests' in-memory SQLite database")
    settings.TASKS = DATABASE_TASKS
    started = []

    def start(*options):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.pti.worker_settings",
            "PTI_TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        command = [sys.executable, "manage.py", "db_worker", "--interval", "0.05"]
        command += ["--no-startup-delay", "--no-reload", "-v", "0", *options]
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()
