from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"
    verbose_name = "bénéficiaires et parcours"

    def ready(self):
        from beneficiaries.runs import CAF_CONTACTS_IMPORT, FLUX, PEOPLE_IMPORT, RETENTION
        from pti.enums import RunKind
        from pti.runs import register

        register(RunKind.CNAF_FLUX, FLUX)
        register(RunKind.RETENTION, RETENTION)
        register(RunKind.PEOPLE_IMPORT, PEOPLE_IMPORT)
        register(RunKind.CAF_CONTACTS_IMPORT, CAF_CONTACTS_IMPORT)
