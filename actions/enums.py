from django.db import models


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "prévue"
    OPEN = "open", "ouverte"
    FULL = "full", "complète"
    CLOSED = "closed", "close"


class Obstacle(models.TextChoices):
    """The obstacles (freins) an action addresses and a person may face."""

    MOBILITY = "mobility", "mobilité"
    CHILDCARE = "childcare", "garde d'enfants"
    HEALTH = "health", "santé"
    HOUSING = "housing", "logement"
    DIGITAL = "digital", "numérique"
    LANGUAGE = "language", "langue"
    FINANCES = "finances", "finances, budget"
    ADMINISTRATIVE = "administrative", "démarches administratives et juridiques"


class FundingSource(models.TextChoices):
    DEPARTEMENT = "departement", "Département"
    ETAT = "etat", "État"
    FSE_PLUS = "fse_plus", "FSE+"
    REGION = "region", "Région"
    OTHER = "other", "autre"


class CallStatus(models.TextChoices):
    OPEN = "open", "ouvert"
    CLOSED = "closed", "clos, en instruction"
    DECIDED = "decided", "décidé"


class ApplicationDecision(models.TextChoices):
    PENDING = "pending", "en instruction"
    ACCEPTED = "accepted", "retenue"
    REJECTED = "rejected", "non retenue"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "en préparation"
    SIGNED = "signed", "signée"
    ENDED = "ended", "échue"


class RenewalDecision(models.TextChoices):
    RENEWED = "renewed", "renouvelée"
    RENEWED_WITH_CONDITIONS = "conditional", "renouvelée sous conditions"
    NOT_RENEWED = "not_renewed", "non renouvelée"


class ObjectiveMeasure(models.TextChoices):
    """What an agreement's objective counts, so that its result can be measured."""

    PEOPLE_ACCOMPANIED = "people_accompanied", "personnes accompagnées"
    PLACES_USED = "places_used", "places occupées"
    PRESCRIPTIONS_COMPLETED = "prescriptions_completed", "parcours menés à terme"
    DYNAMIC_EXIT_RATE = "dynamic_exit_rate", "taux de sorties dynamiques (%)"
    DURABLE_EMPLOYMENT = "durable_employment", "retours à l'emploi durable"
    OTHER = "other", "autre (déclaré par l'opérateur)"


class PrescriptionStatus(models.TextChoices):
    """The life of a prescription to an action: it is what occupies a place."""

    PROPOSED = "proposed", "proposée"
    SENT = "sent", "envoyée à l'opérateur"
    ACCEPTED = "accepted", "acceptée"
    REFUSED = "refused", "refusée"
    STARTED = "started", "commencée"
    COMPLETED = "completed", "terminée"
    ABANDONED = "abandoned", "abandonnée"
    # Left for a job found at the exit from the RSA: neither completed nor given up.
    INTERRUPTED = "interrupted", "interrompue par un emploi"


# A place is held from the operator's acceptance until the person leaves the action.
PLACE_HOLDING_STATUSES = (PrescriptionStatus.ACCEPTED, PrescriptionStatus.STARTED)
