from django.db import models


class Role(models.TextChoices):
    PILOT = "pilot", "pilote du pacte"
    MANAGER = "manager", "responsable de structure"
    REFERENT = "referent", "référent unique"
    OPERATOR = "operator", "opérateur d'actions"
    PARTNER = "partner", "partenaire signataire"
    ADMIN = "admin", "administrateur technique"


class OrganisationKind(models.TextChoices):
    DEPARTEMENT = "departement", "conseil départemental"
    ETAT = "etat", "services de l'État"
    REGION = "region", "conseil régional"
    CAF = "caf", "caisse d'allocations familiales"
    MSA = "msa", "mutualité sociale agricole"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    CAP_EMPLOI = "cap_emploi", "Cap emploi"
    PLIE = "plie", "PLIE"
    MISSION_LOCALE = "mission_locale", "mission locale"
    CCAS = "ccas", "CCAS ou CIAS"
    EPCI = "epci", "intercommunalité"
    ASSOCIATION = "association", "association"
    SIAE = "siae", "structure d'insertion par l'activité économique"
    CHAMBRE_CONSULAIRE = "chambre_consulaire", "chambre consulaire"
    HEALTH = "health", "organisme de santé"
    OTHER = "other", "autre"


class PactStatus(models.TextChoices):
    DRAFT = "draft", "projet"
    ADOPTED = "adopted", "adopté"
    SIGNED = "signed", "signé"
    ARCHIVED = "archived", "archivé"


class RunKind(models.TextChoices):
    """What a background run does (pti.runs: each kind registers how it runs)."""

    SNAPSHOT = "snapshot", "instantané des indicateurs"
    CNAF_FLUX = "cnaf_flux", "import du flux CAF ou MSA"
    OARSA_EXPORT = "oarsa_export", "tableau OARSA"
    RETENTION = "retention", "application des durées de conservation"
    # The table imports (pti.import_runs): a spreadsheet analysed, then written once confirmed.
    PEOPLE_IMPORT = "people_import", "import de bénéficiaires"
    CAF_CONTACTS_IMPORT = "caf_contacts_import", "import des coordonnées CAF"
    ORGANISATION_IMPORT = "organisation_import", "import d'organisations"
    ACTION_IMPORT = "action_import", "import d'actions"
    SIGNATORY_IMPORT = "signatory_import", "import de signataires"


class RunStatus(models.TextChoices):
    """Where a background run stands. An import is analysed, waits for confirmation, then
    writes; other work goes from « en attente » to « en cours » to its end. A run whose worker
    died is not a status: it is seen (TaskRun.is_interrupted) and shown « interrompu »."""

    QUEUED = "queued", "en attente"
    ANALYSING = "analysing", "analyse"
    TO_CONFIRM = "to_confirm", "à valider"
    RUNNING = "running", "en cours"
    DONE = "done", "terminé"
    FAILED = "failed", "échoué"
    CANCELLED = "cancelled", "annulé"
