from django.db import models


class SignatoryStatus(models.TextChoices):
    EXPECTED = "expected", "signature attendue"
    SIGNED = "signed", "signé"
    DECLINED = "declined", "a décliné"


class ConventionKind(models.TextChoices):
    RIGHTS_AND_DUTIES = "rights_duties", "contrôle des droits et devoirs"
    GLOBAL_SUPPORT = "global_support", "accompagnement global et orientation"
    TRAINING = "training", "accès à la formation"
    SOCIAL_SUPPORT = "social_support", "accompagnement des allocataires"
    OTHER = "other", "autre"


class ConventionStatus(models.TextChoices):
    DRAFT = "draft", "en préparation"
    SIGNED = "signed", "signée"
    ENDED = "ended", "échue"
    TERMINATED = "terminated", "résiliée"


class BodyKind(models.TextChoices):
    STEERING_COMMITTEE = "steering", "comité de pilotage"
    CTIP = "ctip", "commission territoriale d'insertion (CTIP)"
    TECHNICAL_COMMITTEE = "technical", "comité technique"
    OTHER = "other", "autre instance"


class Attendance(models.TextChoices):
    PRESENT = "present", "présent"
    EXCUSED = "excused", "excusé"
    ABSENT = "absent", "absent"
