from django.db import models


class Unit(models.TextChoices):
    PEOPLE = "people", "personnes"
    COUNT = "count", "nombre"
    PERCENT = "percent", "%"
    DAYS = "days", "jours"
    HOURS = "hours", "heures par semaine"
    RATIO = "ratio", "personnes par référent"


class Direction(models.TextChoices):
    HIGHER = "higher", "plus c'est haut, mieux c'est"
    LOWER = "lower", "plus c'est bas, mieux c'est"


class Source(models.TextChoices):
    COMPUTED = "computed", "calculé par l'application"
    DEPARTMENT = "department", "saisi par le Département"
    PARTNER = "partner", "saisi par le partenaire engagé"


class Scope(models.TextChoices):
    PACT = "pact", "le pacte"
    ORIENTATION = "orientation", "une orientation"
    TERRITORY = "territory", "un territoire"
    ACTION = "action", "une action"
    COMMITMENT = "commitment", "un engagement de signataire"
    AGREEMENT_OBJECTIVE = "agreement_objective", "un objectif de convention pluriannuelle"


class Breakdown(models.TextChoices):
    NONE = "", "ensemble"
    AGE = "age", "âge"
    SEX = "sex", "sexe"
    FAMILY = "family", "situation familiale"
    SENIORITY = "seniority", "ancienneté dans le RSA"
    TERRITORY = "territory", "territoire"
    ORGANISME = "organisme", "organisme référent"
    PARCOURS = "parcours", "parcours"
    KIND = "kind", "nature"
