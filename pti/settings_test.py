"""Settings for the test suite: the real settings, with what tests need on top."""

import os

# The tests set what they need; a developer's .env (DJANGO_DEBUG=true) must not change them.
os.environ["PTI_ENV_FILE"] = os.devnull
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from pti.settings import *  # noqa: F403

# Hashing passwords slowly is the point in production and a waste in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The manifest storage needs collectstatic first; tests read the source files.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Browsers refuse a __Host- cookie that is not Secure, and the live server speaks plain HTTP.
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
# Tests log people in with force_login: the tests of the second factor require it themselves.
PTI_OTP_REQUIRED_ROLES = frozenset()
PTI_DEMO_ALLOWED = True

# Static files are served from the apps' folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run at once, inside the test (a test of the real worker starts its own process:
# tests/pti/test_runs.py); progress is written on the test's own connection.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASES.pop("progress", None)  # noqa: F405
