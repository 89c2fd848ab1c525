from django.apps import AppConfig


class PtiConfig(AppConfig):
    name = "pti"
    verbose_name = "pacte territorial d'insertion"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from pti import authentication
        from pti.enums import RunKind
        from pti.organisation_imports import ORGANISATION_IMPORT
        from pti.runs import register

        # Every login (the login page, the admin's, a test client's) starts the session's clock.
        user_logged_in.connect(authentication.start_session, dispatch_uid="pti_start_session")
        checks.register(authentication.check_second_factor_roles, checks.Tags.security, deploy=True)
        register(RunKind.ORGANISATION_IMPORT, ORGANISATION_IMPORT)
