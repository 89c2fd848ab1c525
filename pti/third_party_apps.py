"""The apps of other packages, as INSTALLED_APPS names them: their sections of the Django
admin in French (their models keep their own names). Kept apart from pti/apps.py, whose one
AppConfig Django takes as the project's."""

from auditlog import apps as auditlog_apps
from django_otp.plugins.otp_static import apps as otp_static_apps
from django_otp.plugins.otp_totp import apps as otp_totp_apps
from django_tasks_db import apps as tasks_db_apps


class AuditlogConfig(auditlog_apps.AuditlogConfig):
    verbose_name = "journal des modifications"


class TotpConfig(otp_totp_apps.DefaultConfig):
    verbose_name = "double authentification : applications"


class StaticCodesConfig(otp_static_apps.DefaultConfig):
    verbose_name = "double authentification : codes de secours"


class TasksDatabaseConfig(tasks_db_apps.TasksAppConfig):
    verbose_name = "tâches du worker"
