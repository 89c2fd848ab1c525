#!/usr/bin/env python
"""Django's command-line utility for PTI."""

import os
import sys

# Commands that read only the code (the models and the migration files) and never sign, serve
# nor send anything: a fresh clone runs them as it is, without a secret key nor a server name.
# Every other command keeps the production defaults (pti/settings.py).
CODE_ONLY_COMMANDS = {"makemigrations"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pti.settings")
    if sys.argv[1:2] and sys.argv[1] in CODE_ONLY_COMMANDS:
        os.environ.setdefault("DJANGO_SECRET_KEY", "unused-by-code-only-commands")
        os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 -- loads the settings now, to report a bad value plainly
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration invalide : {exc}")

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
