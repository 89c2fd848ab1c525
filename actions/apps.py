from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "offre d'insertion"

    def ready(self):
        from actions.runs import ACTION_IMPORT
        from pti.enums import RunKind
        from pti.runs import register

        register(RunKind.ACTION_IMPORT, ACTION_IMPORT)
