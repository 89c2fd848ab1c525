"""Demo data of the evaluation: the commitments of the 2023-2027 pact tied to indicators with
a target for each year (then the pact is signed and its amendment opened, see
signatories/demo.py), the partners' figures of 2023-2025 (one corrected), none yet for this
year and one reminder sent; targets for the two last years (the pact in force, each
territory, the actions), the département's own figures, and the figures of past years
arrêtés in snapshots."""

import argparse
from decimal import Decimal

from django.utils import timezone

from actions.models import Action
from evaluation import services
from evaluation.catalogue import sync
from evaluation.computations import Computation
from evaluation.dashboard import available_years
from evaluation.enums import Scope
from evaluation.models import FigureReminder, Indicator, Measurement, Snapshot, Target
from evaluation.precomputed import figures_precompute
from pti.models import Pact, Territory, User
from signatories.demo import seed_pact_in_force, sign_pact_in_force
from signatories.enums import BodyKind
from signatories.models import BodyObjective, Commitment, GovernanceBody

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
# The indicators of the 2023-2027 commitments: (organisation, indicator, {year: target}).
COMMITMENT_INDICATORS = [
    (
        "Conseil départemental de la Loire",
        "oarsa-6-taux-contrat",
        {2023: 55, 2024: 60, 2025: 65, 2026: 70, 2027: 75},
    ),
    (
        "Préfecture de la Loire – DDETS",
        "contrats-aides",
        {2023: 280, 2024: 290, 2025: 300, 2026: 300, 2027: 310},
    ),
    (
        "Région Auvergne-Rhône-Alpes",
        "entrees-formation",
        {2023: 420, 2024: 440, 2025: 450, 2026: 460, 2027: 480},
    ),
    (
        "Caisse d'allocations familiales de la Loire",
        "flux-allocataires",
        {2023: 12, 2024: 12, 2025: 12, 2026: 12, 2027: 12},
    ),
    (
        "MSA Ardèche Drôme Loire",
        "oarsa-2-orientes",
        {2023: 90, 2024: 92, 2025: 94, 2026: 95, 2027: 95},
    ),
    (
        "France Travail – direction territoriale de la Loire",
        "accompagnement-global",
        {2023: 1000, 2024: 1100, 2025: 1200, 2026: 1250, 2027: 1300},
    ),
]
# The partners' figures: (organisation, indicator, {year: value}); 2026 is not reported yet.
PARTNER_FIGURES = [
    (
        "Caisse d'allocations familiales de la Loire",
        "flux-allocataires",
        {2023: 12, 2024: 11, 2025: 12},
    ),
    ("Préfecture de la Loire – DDETS", "contrats-aides", {2023: 262, 2024: 276, 2025: 291}),
    ("Région Auvergne-Rhône-Alpes", "entrees-formation", {2023: 398, 2024: 402, 2025: 431}),
    (
        "France Travail – direction territoriale de la Loire",
        "accompagnement-global",
        {2023: 1012, 2024: 1134, 2025: 1187},
    ),
]
# A figure corrected once: the first entry stays in the history.
CORRECTION = (
    "Caisse d'allocations familiales de la Loire",
    "flux-allocataires",
    2024,
    10,
    "Le fichier de décembre a été transmis en janvier : 11 fichiers sur l'année civile.",
)
REMINDER = (
    "Caisse d'allocations familiales de la Loire",
    "Merci de saisir le nombre de fichiers transmis cette année avant le comité de pilotage.",
)


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
    seed_commitments()
    seed_targets_and_snapshots(options=options, report=report)
    # What the nightly `compute_figures` does, so that the dashboard opens at once.
    year = timezone.localdate().year
    kept = figures_precompute(year=year)
    report.add(f"chiffres {year} du tableau de bord calculés ({len(kept.scopes)} périmètres)")


def seed_targets_and_snapshots(*, options, report):
    """The pact's and the territories' targets of last year and this year, and the past
    years' figures stopped in snapshots (unless --no-snapshots). Once."""
    if Target.objects.exclude(scope=Scope.COMMITMENT).exists():
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


def seed_commitments():
    """The 2023-2027 pact's commitments tied to indicators while it is a draft, then the pact
    signed (in 2023) and its amendment opened (which carries the targets over); the
    partners' figures of the past years on the signed version, one corrected, and a reminder
    for this year's. Re-runnable: each step is done once."""
    pact = seed_pact_in_force()
    indicators = {i.code: i for i in Indicator.objects.all()}
    if (
        pact.status == "draft"
        and not Target.objects.filter(commitment__signatory__pact=pact).exists()
    ):
        for organisation, code, values in COMMITMENT_INDICATORS:
            commitment = Commitment.objects.get(
                signatory__pact=pact, signatory__organisation__name=organisation
            )
            services.commitment_indicator_set(
                commitment=commitment,
                indicator=indicators[code],
                values={year: Decimal(value) for year, value in values.items()},
            )
    pact = sign_pact_in_force(Pact.objects.get(pk=pact.pk))
    if Measurement.objects.filter(commitment__signatory__pact=pact).exists():
        return
    pilot = User.objects.filter(username="pilote").first()
    this_year = timezone.localdate().year
    for organisation, code, values in PARTNER_FIGURES:
        commitment = Commitment.objects.get(
            signatory__pact=pact, signatory__organisation__name=organisation
        )
        user = User.objects.filter(organisation__name=organisation, role="partner").first() or pilot
        for year, value in values.items():
            if year >= this_year:
                continue
            Measurement.objects.create(
                indicator=indicators[code],
                year=year,
                scope=Scope.COMMITMENT,
                commitment=commitment,
                value=Decimal(
                    value if (organisation, code, year) != CORRECTION[:3] else CORRECTION[3]
                ),
                source="partner" if user.role == "partner" else "department",
                entered_by=user,
            )
    organisation, code, year, _, comment = CORRECTION
    first = Measurement.objects.get(
        commitment__signatory__pact=pact,
        commitment__signatory__organisation__name=organisation,
        indicator__code=code,
        year=year,
    )
    services.commitment_figure_enter(
        commitment=first.commitment,
        indicator=first.indicator,
        year=year,
        value=Decimal(dict(PARTNER_FIGURES_BY_KEY)[(organisation, code)][year]),
        comment=comment,
        user=first.entered_by,
        based_on=first.pk,
    )
    organisation, message = REMINDER
    if pilot and pact.period_start <= this_year <= pact.period_end:
        FigureReminder.objects.create(
            signatory=pact.signatories.get(organisation__name=organisation),
            year=this_year,
            message=message,
            sent_by=pilot,
        )


PARTNER_FIGURES_BY_KEY = [((o, c), values) for o, c, values in PARTNER_FIGURES]
