from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = "évaluation"

    def ready(self):
        from evaluation.runs import OARSA, SNAPSHOT
        from pti.enums import RunKind
        from pti.runs import register

        register(RunKind.SNAPSHOT, SNAPSHOT)
        register(RunKind.OARSA_EXPORT, OARSA)
