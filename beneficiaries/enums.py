from django.db import models


class Payer(models.TextChoices):
    CAF = "caf", "CAF"
    MSA = "msa", "MSA"


class FamilySituation(models.TextChoices):
    SINGLE = "single", "personne seule"
    SINGLE_PARENT = "single_parent", "parent isolé"
    COUPLE = "couple", "couple sans enfant"
    COUPLE_WITH_CHILDREN = "couple_children", "couple avec enfants"


class Sex(models.TextChoices):
    FEMALE = "F", "femme"
    MALE = "M", "homme"


class HouseholdRole(models.TextChoices):
    APPLICANT = "applicant", "demandeur"
    PARTNER = "partner", "conjoint"
    CHILD = "child", "enfant"
    OTHER = "other", "autre"


class RightsAndDuties(models.TextChoices):
    SUBJECT = "subject", "soumis aux droits et devoirs"
    NOT_SUBJECT = "not_subject", "non soumis aux droits et devoirs"


class Parcours(models.TextChoices):
    EMPLOYMENT = "employment", "emploi"
    SOCIO_PROFESSIONAL = "socio_professional", "socio-professionnel"
    SOCIAL = "social", "social"


# The kinds of organisation (pti.enums.OrganisationKind) that can be named organisme référent
# by an orientation (CASF L262-29: France Travail, the département, a délégataire, a mission
# locale, Cap emploi...).
REFERENT_ORGANISME_KINDS = [
    "france_travail",
    "departement",
    "ccas",
    "mission_locale",
    "cap_emploi",
    "plie",
    "association",
]


class AssignmentReason(models.TextChoices):
    FIRST = "first", "première désignation"
    REORIENTATION = "reorientation", "réorientation"
    LEAVE = "leave", "congé du référent"
    DEPARTURE = "departure", "départ du référent"
    CASELOAD = "caseload", "équilibrage des portefeuilles"
    OTHER = "other", "autre"


class ContractKind(models.TextChoices):
    CE = "ce", "contrat d'engagement"
    CER = "cer", "CER (contrat d'engagement réciproque)"
    PPAE = "ppae", "PPAE (projet personnalisé d'accès à l'emploi)"


class HoursReduction(models.TextChoices):
    """Why the 15 weekly hours of activity are lowered or removed (recorded with the contract)."""

    HEALTH = "health", "santé"
    DISABILITY = "disability", "handicap"
    LONE_PARENT = "lone_parent", "parent isolé sans solution de garde"
    OTHER = "other", "autre difficulté particulière"


class LongReviewReason(models.TextChoices):
    """A social parcours reviewed after 12 months instead of 6."""

    HEALTH = "health", "santé"
    DISABILITY = "disability", "handicap"
    HOUSING = "housing", "logement"
    FAMILY = "family", "situation familiale"


class PlannedActionKind(models.TextChoices):
    JOB_SEARCH = "job_search", "recherche d'emploi"
    CARE = "care", "accès aux soins"
    TRAINING = "training", "formation"
    SOCIAL = "social", "insertion sociale"
    OTHER = "other", "autre"


class InterviewKind(models.TextChoices):
    INDIVIDUAL = "individual", "entretien individuel"
    COLLECTIVE = "collective", "atelier collectif"
    PHONE = "phone", "entretien téléphonique"
    HOME_VISIT = "home_visit", "visite à domicile"


class ObstacleStatus(models.TextChoices):
    IDENTIFIED = "identified", "identifié"
    ADDRESSED = "addressed", "en cours de traitement"
    LIFTED = "lifted", "levé"


class ExitCategory(models.TextChoices):
    END_OF_RIGHT = "end_of_right", "fin de droit"
    OUT_OF_DUTIES = "out_of_duties", "sortie des droits et devoirs"
    MOVED = "moved", "déménagement hors du département"
    SANCTION = "sanction", "sanction"
    DEATH = "death", "décès"
    # Recorded by `apply_retention` alone, never by a person: no contact for the active-base
    # period (beneficiaries.retention). Never an outcome of the parcours (no job, no training).
    NO_CONTACT = "no_contact", "clôture faute de contact"


# The exit categories a référent or the CNAF flux records; a closure for lack of contact is not.
RECORDED_EXITS = [c for c in ExitCategory if c != ExitCategory.NO_CONTACT]

# The exits after which the person may hold a job or a training: the right ended for resources,
# or activity income took them out of the rights and duties. Only these say what the person
# left for (ExitContract); a move, a sanction, a death or a closure for lack of contact say
# nothing of a job and are recorded « sans emploi ni formation », so that no indicator counts
# them as a sortie dynamique.
EXITS_FOR_ACTIVITY = [ExitCategory.END_OF_RIGHT, ExitCategory.OUT_OF_DUTIES]


class ExitContract(models.TextChoices):
    """What the person left for: the contract type, read with its length in days."""

    CDI = "cdi", "CDI"
    CDD = "cdd", "CDD"
    TEMP = "temp", "intérim"
    SUBSIDISED = "subsidised", "contrat aidé chez un employeur ordinaire"
    PUBLIC_TENURE = "public_tenure", "titularisation dans la fonction publique"
    BUSINESS_CREATION = "business_creation", "création d'entreprise"
    QUALIFYING_TRAINING = "qualifying_training", "formation qualifiante ou préqualifiante"
    SIAE_HIRING = "siae_hiring", "embauche par une autre SIAE"
    NONE = "none", "sans emploi ni formation"


# The situations at exit that are a job: an action « interrompue par l'emploi » goes with one.
EXIT_JOBS = [
    c for c in ExitContract if c not in (ExitContract.QUALIFYING_TRAINING, ExitContract.NONE)
]


class FollowUpMilestone(models.TextChoices):
    """When a person is asked again what became of them after an exit for resources or
    activity: 3, 6 and 12 calendar months after the exit (`beneficiaries.follow_ups`)."""

    THREE_MONTHS = "3", "3 mois après la sortie"
    SIX_MONTHS = "6", "6 mois après la sortie"
    TWELVE_MONTHS = "12", "12 mois après la sortie"

    @property
    def months(self):
        return int(self.value)


class FollowUpSituation(models.TextChoices):
    """The situation found at a follow-up after the exit."""

    EMPLOYED = "employed", "en emploi"
    TRAINING = "training", "en formation"
    BACK_ON_RSA = "back_on_rsa", "de retour au RSA"
    NO_JOB = "no_job", "sans emploi ni formation"
    UNKNOWN = "unknown", "injoignable / situation inconnue"


# The kinds of employment a follow-up « en emploi » names (ExitContract, read with its length
# in days for a fixed term): a training is its own situation, « sans emploi » too.
FOLLOW_UP_EMPLOYMENT = [
    ExitContract.CDI,
    ExitContract.CDD,
    ExitContract.TEMP,
    ExitContract.SUBSIDISED,
    ExitContract.PUBLIC_TENURE,
    ExitContract.BUSINESS_CREATION,
    ExitContract.SIAE_HIRING,
]
# The kinds read with their length in days (as for an exit: `exit_fixed_term_has_length`).
FIXED_TERM_CONTRACTS = [ExitContract.CDD, ExitContract.TEMP, ExitContract.SUBSIDISED]


class PrescriptionAtExit(models.TextChoices):
    """What became of an action the person had started, as the référent says at the exit."""

    COMPLETED = "completed", "terminée"
    INTERRUPTED = "interrupted", "interrompue par l'emploi"
    CONTINUES = "continues", "se poursuit"


class ExitOutcome(models.TextChoices):
    DURABLE_EMPLOYMENT = "durable", "emploi durable"
    TRANSITION_EMPLOYMENT = "transition", "emploi de transition"
    POSITIVE_EXIT = "positive", "sortie positive"
    OTHER = "other", "autre sortie"


class FileOperation(models.TextChoices):
    READ = "read", "consultation"
    CREATE = "create", "création"
    UPDATE = "update", "modification"
    EXPORT = "export", "export"


class PeopleView(models.TextChoices):
    """The pages and exports that show several people at once: each look is traced."""

    PORTFOLIO = "portfolio", "mon portefeuille"
    LIST = "list", "liste des bénéficiaires"
    CASELOAD = "caseload", "référents et personnes à désigner"
    OPERATOR_INBOX = "operator_inbox", "prescriptions reçues"
    OPERATOR_WEEK = "operator_week", "heures d'un groupe (opérateur)"
    IMPORT_PREVIEW = "import_preview", "aperçu d'un import"
    EXIT_FOLLOW_UPS = "exit_follow_ups", "suivis après sortie"
    EXPORT = "export", "export"
    REORIENTATIONS = "reorientations", "demandes de réorientation"
    REASSIGNMENT = "reassignment", "réaffectation de personnes"


class RefusedTarget(models.TextChoices):
    """What a refused attempt tried to open."""

    FILE = "file", "dossier"
    HOUSEHOLD = "household", "foyer"
    PRESCRIPTION = "prescription", "prescription"
    ACTION = "action", "groupe d'une action"
    OBSTACLE = "obstacle", "frein"
    REORIENTATION = "reorientation", "demande de réorientation"


class ReorientationStatus(models.TextChoices):
    """Where a référent's request for a reorientation stands: the manager or the pilot decides
    (for the président du conseil départemental, CASF L262-31 and L262-39)."""

    PENDING = "pending", "en attente"
    ACCEPTED = "accepted", "acceptée"
    REFUSED = "refused", "refusée"
