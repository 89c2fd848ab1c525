"""Demo data of the evaluation: targets for the two last years (the pact, each territory, the
actions), indicators linked to the partners' commitments with their own figures, the
département's own figures, and the figures of last year arrêtés in a snapshot."""

import argparse
from decimal import Decimal

from django.utils import timezone

from actions.models import Action
from evaluation import services
from evaluation.catalogue import sync
from evaluation.computations import Computation
from evaluation.dashboard import available_years
from evaluation.enums import Scope
from evaluation.models import Indicator, Measurement, Snapshot, Target
from pti.models import Territory, User
from signatories.enums import BodyKind
from signatories.models import BodyObjective, CommitmentTarget, GovernanceBody

PACT_TARGETS = {
    "oarsa-2-orientes": 95,
    "oarsa-3-delai-orientation": 42,
    "oarsa-6-taux-contrat": 60,
    "oarsa-7-delai-contrat": 30,
    "oarsa-8a-recherche-emploi": 50,
    "oarsa-8c-six-mois": 70,
    "emploi-durable": 30,
    "emploi-durable-iae": 28,
    "sorties-dynamiques": 60,
    "freins-leves": 15,
    "heures-activite": 60,
    "charge-referent": 50,
    "budget-pdi": 1800000,
}
TERRITORY_TARGETS = {"oarsa-6-taux-contrat": 60, "sorties-dynamiques": 60}
# Commitment targets followed by an entered indicator: (organisation, target label, indicator).
COMMITMENT_LINKS = [
    ("Caisse d'allocations familiales de la Loire", "Fichiers transmis", "flux-allocataires"),
    (
        "Préfecture de la Loire – DDETS",
        "Parcours emploi compétences prescrits à des allocataires",
        "contrats-aides",
    ),
    ("Région Auvergne-Rhône-Alpes", "Entrées en formation qualifiante", "entrees-formation"),
    (
        "France Travail – direction territoriale de la Loire",
        "Allocataires en accompagnement global",
        "accompagnement-global",
    ),
]
PARTNER_FIGURES = {
    "flux-allocataires": 11,
    "contrats-aides": 276,
    "entrees-formation": 402,
    "accompagnement-global": 1134,
}


def add_arguments(parser):
    parser.add_argument(
        "--snapshots",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="arrête les chiffres de chaque année passée dans un instantané, comme s'ils "
        "avaient été transmis (défaut : oui ; --no-snapshots pour aller plus vite)",
    )


def seed(*, options, report):
    # The catalogue comes with the migrations; a database emptied since (tests) gets it back.
    sync(Indicator)
    if Target.objects.exists():
        report.add(
            f"{Target.objects.count()} cibles, {Snapshot.objects.count()} instantanés (déjà en place)"
        )
        return
    pact = services.reference_pact()
    year = timezone.localdate().year
    indicators = {i.code: i for i in Indicator.objects.all()}
    for target_year in (year - 1, year):
        for code, value in PACT_TARGETS.items():
            services.target_set(
                indicator=indicators[code],
                year=target_year,
                scope=Scope.PACT,
                obj=pact,
                value=Decimal(value),
            )
        for territory in Territory.objects.all():
            for code, value in TERRITORY_TARGETS.items():
                services.target_set(
                    indicator=indicators[code],
                    year=target_year,
                    scope=Scope.TERRITORY,
                    obj=territory,
                    value=Decimal(value),
                )
        for action in Action.objects.exclude(capacity=0):
            services.target_set(
                indicator=indicators["action-personnes"],
                year=target_year,
                scope=Scope.ACTION,
                obj=action,
                value=Decimal(action.capacity * 2),
            )
    # Each CTIP's access-to-employment objective for the last two years, near what its
    # territory reached last year (the objectives of the pact's first years are in the
    # signatories' demo).
    reached = Computation(year - 1).access_to_employment_by_territory()
    ctips = GovernanceBody.objects.filter(kind=BodyKind.CTIP, territory__isnull=False)
    for number, ctip in enumerate(ctips.order_by("name")):
        last_year = reached.get(ctip.territory_id, 0)
        # Last year's objective was met on every other territory; this year's asks for more.
        for target_year, factor in ((year - 1, 0.9 if number % 2 else 1.2), (year, 1.15)):
            BodyObjective.objects.get_or_create(
                body=ctip,
                year=target_year,
                label="Accès à l'emploi des allocataires",
                defaults={"target": max(2, round(last_year * factor))},
            )
    pilot = User.objects.filter(username="pilote").first()
    for organisation, label, code in COMMITMENT_LINKS:
        for commitment_target in CommitmentTarget.objects.filter(
            label=label,
            commitment__signatory__organisation__name=organisation,
            commitment__signatory__pact=pact,
        ):
            Target.objects.get_or_create(
                indicator=indicators[code],
                year=commitment_target.year,
                scope=Scope.COMMITMENT,
                commitment_target=commitment_target,
                defaults={"value": commitment_target.value},
            )
            partner = User.objects.filter(organisation__name=organisation).first() or pilot
            Measurement.objects.create(
                indicator=indicators[code],
                year=commitment_target.year,
                scope=Scope.COMMITMENT,
                commitment_target=commitment_target,
                value=Decimal(PARTNER_FIGURES[code]),
                source="partner" if partner and partner.role == "partner" else "department",
                entered_by=partner,
            )
    if pilot:
        for target_year, value in ((year - 1, 1712000), (year, 1540000)):
            services.measurement_enter(
                indicator=indicators["budget-pdi"],
                year=target_year,
                scope=Scope.PACT,
                obj=pact,
                value=Decimal(value),
                user=pilot,
            )
    past_years = [y for y in available_years() if y < year] if options["snapshots"] else []
    for past_year in past_years:
        if not Snapshot.objects.filter(year=past_year).exists():
            services.snapshot_take(year=past_year, user=pilot, note="Chiffres transmis à la DREES")
    report.add(
        f"{Target.objects.count()} cibles, chiffres de {len(past_years)} années passées "
        "arrêtés dans des instantanés"
    )
