from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"
    verbose_name = "bénéficiaires et parcours"

    def ready(self):
        from beneficiaries.runs import FLUX, RETENTION
        from pti.enums import RunKind
        from pti.runs import register

        register(RunKind.CNAF_FLUX, FLUX)
        register(RunKind.RETENTION, RETENTION)
