#!/usr/bin/env python
"""Django's command-line utility for PTI."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pti.settings")
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
