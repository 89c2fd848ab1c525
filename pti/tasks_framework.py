"""Django's tasks framework: built into Django from 6.0 (django.tasks), the django-tasks
backport before. PTI imports `task` and `TaskResultStatus` from here, so that the move to
Django 6 changes this module only."""

try:
    from django.tasks import TaskResultStatus, default_task_backend, task
except ImportError:  # Django 5.2
    from django_tasks import TaskResultStatus, default_task_backend, task

__all__ = ["TaskResultStatus", "default_task_backend", "task"]
