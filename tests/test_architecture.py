"""The direction of imports between the apps (DESIGN.md): each imports only from its left."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(__file__).resolve().parents[1]
APPS = settings.PTI_APPS


def imported_top_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def python_files(app):
    return sorted((PROJECT / app).rglob("*.py"))


@pytest.mark.parametrize("app", APPS)
def test_app_imports_only_from_apps_on_its_left(app):
    allowed = set(APPS[: APPS.index(app) + 1])
    forbidden = set(APPS) - allowed
    wrong = [
        f"{path.relative_to(PROJECT)}:{line} imports {module}"
        for path in python_files(app)
        for module, line in imported_top_modules(path)
        if module in forbidden or module == "tests"
    ]
    assert wrong == []


def test_every_app_has_its_files():
    for app in APPS:
        assert (PROJECT / app / "apps.py").is_file()
        assert (PROJECT / app / "migrations" / "__init__.py").is_file()


# What a migration may take from the live code, and why: the user manager Django writes into
# the initial migration, and the indicator catalogue, reference data that every migration
# adding an indicator syncs whole (evaluation.catalogue.sync: idempotent, on the fields the
# first migration created).
MIGRATION_IMPORTS_ALLOWED = {("pti/migrations/0001_core.py", "pti")}


def migration_imports(path):
    """The apps a migration imports, at module level or inside its functions."""
    return {module for module, _line in imported_top_modules(path) if module in APPS}


def test_migrations_import_no_computation_of_the_apps():
    """A migration runs on the models and code of its own time: importing a live computation
    (a search key, a rule) would change what an old migration does whenever it changes."""
    wrong = sorted(
        f"{path.relative_to(PROJECT)} imports {module}"
        for app in APPS
        for path in (PROJECT / app / "migrations").glob("*.py")
        for module in migration_imports(path)
        if (str(path.relative_to(PROJECT)), module) not in MIGRATION_IMPORTS_ALLOWED
        and not (app == "evaluation" and module == "evaluation" and _syncs_catalogue(path))
    )
    assert wrong == []


def _syncs_catalogue(path):
    return "from evaluation.catalogue import sync" in path.read_text(encoding="utf-8")
