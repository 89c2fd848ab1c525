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
