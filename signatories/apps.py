from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"
    verbose_name = "signataires et engagements"

    def ready(self):
        from pti.enums import RunKind
        from pti.runs import register
        from signatories.runs import SIGNATORY_IMPORT

        register(RunKind.SIGNATORY_IMPORT, SIGNATORY_IMPORT)
