"""Bad configuration stops start-up with one clear French line, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from pti.settings import contrast_ratio_with_white, database_from_url, env_bool

PROJECT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "PTI_", "ALLOWED_HOSTS"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        # No .env either: each test says the whole configuration.
        env={
            **clean_env,
            "DJANGO_SETTINGS_MODULE": "pti.settings",
            "PTI_ENV_FILE": os.devnull,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_secret_key_with_debug_off_stops_start_up_clearly():
    result = manage("check", ALLOWED_HOSTS="pti.example.org")
    assert result.returncode == 1
    assert "Configuration invalide : DJANGO_SECRET_KEY n'est pas définie" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_development_env_file_lets_manage_py_run_without_a_secret_key(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# Poste de développement\nDJANGO_DEBUG=true\n")
    result = manage("makemigrations", "--check", "--dry-run", PTI_ENV_FILE=str(env_file))
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_a_fresh_clone_checks_its_migrations_without_any_configuration():
    # makemigrations reads only the code: no secret key, no server name, no .env needed.
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    # What serves or signs still refuses to start without its secret.
    assert manage("check").returncode == 1


def test_malformed_database_url_stops_start_up_clearly():
    result = manage("check", DJANGO_DEBUG="true", DATABASE_URL="pas-une-adresse")
    assert result.returncode == 1
    assert "Configuration invalide : DATABASE_URL n'est pas une adresse" in result.stderr
    assert "Traceback" not in result.stderr


def test_unsupported_database_is_named():
    with pytest.raises(ImproperlyConfigured, match="« mysql » n'est pas pris en charge"):
        database_from_url("mysql://root@localhost/pti")


def test_database_url_without_a_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="ne nomme pas de base"):
        database_from_url("postgres://postgres@127.0.0.1:5432/")


def test_postgresql_url_is_read():
    config = database_from_url("postgres://pti:secret@db.example.org:5433/pti")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example.org", 5433, "pti")
    assert config["ATOMIC_REQUESTS"] is True


def test_a_wrong_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "peut-être")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG doit valoir"):
        env_bool("DJANGO_DEBUG", False)


def test_production_without_allowed_hosts_stops_clearly():
    result = manage("check", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 1
    assert "ALLOWED_HOSTS n'est pas définie" in result.stderr


def test_a_light_brand_colour_is_refused_for_its_contrast():
    assert contrast_ratio_with_white("#1d4f7c") >= 4.5
    result = manage("check", DJANGO_DEBUG="true", PTI_BRAND_COLOUR="#ffcc00")
    assert result.returncode == 1
    assert "trop claire" in result.stderr


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "k" * 40,
        ALLOWED_HOSTS="pti.departement.example",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'pti.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
