"""Demo data of the offer: about forty actions across the orientations and territories of the
pact, the 2024 call for projects on the five axes of seed 003, and multi-year funding
agreements with per-action objectives."""

import datetime
from decimal import Decimal

from actions import services
from actions.enums import (
    ActionStatus,
    AgreementStatus,
    ApplicationDecision,
    CallStatus,
    FundingSource,
    ObjectiveMeasure,
    Obstacle,
)
from actions.models import Action, CallForProjects, FundingAgreement
from pti.demo import PACT_CODE
from pti.models import Organisation, Pact, Territory

# (title, orientation, objective number or None, operator, obstacles, public, capacity, budget)
ACTIONS = [
    (
        "Observatoire partagé des parcours",
        1,
        None,
        "Conseil départemental de la Loire",
        [],
        "Partenaires du pacte",
        0,
        30000,
    ),
    (
        "Bilans de santé et accès aux soins",
        2,
        1,
        "Caisse primaire d'assurance maladie de la Loire",
        [Obstacle.HEALTH],
        "Allocataires sans suivi médical",
        60,
        42000,
    ),
    (
        "Accompagnement psychologique de parcours",
        2,
        1,
        "Accueil Logement Insertion Ondaine",
        [Obstacle.HEALTH],
        "Allocataires en souffrance psychique",
        25,
        38000,
    ),
    (
        "Permanences santé en CCAS",
        2,
        1,
        "CCAS de Saint-Étienne",
        [Obstacle.HEALTH, Obstacle.ADMINISTRATIVE],
        "Allocataires du RSA",
        40,
        26000,
    ),
    (
        "Atelier santé et estime de soi",
        2,
        1,
        "CCAS de Roanne",
        [Obstacle.HEALTH],
        "Allocataires en parcours social",
        15,
        12000,
    ),
    (
        "Accès aux droits de l'assurance maladie",
        2,
        1,
        "MSA Ardèche Drôme Loire",
        [Obstacle.HEALTH, Obstacle.ADMINISTRATIVE],
        "Non-salariés agricoles",
        20,
        9000,
    ),
    (
        "Auto-école sociale",
        3,
        1,
        "Mobilité solidaire Loire",
        [Obstacle.MOBILITY],
        "Allocataires sans permis",
        12,
        48000,
    ),
    (
        "Location solidaire de scooters",
        3,
        1,
        "Mobilité solidaire Loire",
        [Obstacle.MOBILITY],
        "Allocataires en reprise d'emploi",
        30,
        35000,
    ),
    (
        "Garage solidaire",
        3,
        1,
        "Gier Environnement chantier d'insertion",
        [Obstacle.MOBILITY, Obstacle.FINANCES],
        "Allocataires motorisés",
        40,
        22000,
    ),
    (
        "Plateforme mobilité du Roannais",
        3,
        1,
        "Roannais Agglomération",
        [Obstacle.MOBILITY],
        "Allocataires du Roannais",
        50,
        60000,
    ),
    (
        "Crèche à vocation d'insertion professionnelle",
        3,
        1,
        "CCAS de Saint-Étienne",
        [Obstacle.CHILDCARE],
        "Parents isolés",
        18,
        75000,
    ),
    (
        "Garde d'enfants à horaires atypiques",
        3,
        1,
        "Union départementale des associations familiales de la Loire",
        [Obstacle.CHILDCARE],
        "Parents en reprise d'emploi",
        20,
        41000,
    ),
    (
        "Accompagnement budgétaire et microcrédit",
        3,
        1,
        "Union départementale des associations familiales de la Loire",
        [Obstacle.FINANCES],
        "Allocataires surendettés",
        35,
        28000,
    ),
    (
        "Accès au logement et prévention des expulsions",
        3,
        1,
        "Accueil Logement Insertion Ondaine",
        [Obstacle.HOUSING],
        "Allocataires mal logés",
        30,
        52000,
    ),
    (
        "Ateliers numériques de premier niveau",
        3,
        1,
        "CCAS de Roanne",
        [Obstacle.DIGITAL],
        "Allocataires éloignés du numérique",
        24,
        16000,
    ),
    (
        "Français langue étrangère à visée professionnelle",
        3,
        1,
        "Mission locale de Saint-Étienne et de la couronne stéphanoise",
        [Obstacle.LANGUAGE],
        "Allocataires allophones",
        20,
        33000,
    ),
    (
        "Écrivain public et démarches en ligne",
        3,
        1,
        "CCAS de Saint-Étienne",
        [Obstacle.ADMINISTRATIVE, Obstacle.DIGITAL],
        "Allocataires du RSA",
        60,
        14000,
    ),
    (
        "Remobilisation par le sport",
        3,
        1,
        "PLIE de Saint-Étienne Métropole",
        [Obstacle.HEALTH],
        "Allocataires isolés",
        15,
        18000,
    ),
    (
        "Chantier d'insertion espaces verts",
        4,
        1,
        "Gier Environnement chantier d'insertion",
        [],
        "Allocataires en parcours socio-professionnel",
        16,
        120000,
    ),
    (
        "Atelier de remobilisation Forez",
        4,
        1,
        "Forez Services Insertion",
        [Obstacle.MOBILITY],
        "Allocataires du Forez",
        14,
        45000,
    ),
    (
        "Projet professionnel en 12 semaines",
        4,
        1,
        "PLIE du Roannais",
        [],
        "Allocataires en parcours emploi",
        20,
        36000,
    ),
    (
        "Accompagnement global France Travail",
        4,
        1,
        "France Travail – direction territoriale de la Loire",
        [Obstacle.HOUSING, Obstacle.HEALTH],
        "Allocataires cumulant des freins",
        120,
        210000,
    ),
    (
        "Référents de parcours emploi PLIE",
        4,
        1,
        "PLIE de Saint-Étienne Métropole",
        [],
        "Allocataires en parcours emploi",
        150,
        180000,
    ),
    (
        "Garantie jeunes allocataires",
        4,
        1,
        "Mission locale du Roannais",
        [],
        "Allocataires de moins de 26 ans",
        40,
        54000,
    ),
    (
        "Parcours jeunes du Forez",
        4,
        1,
        "Mission locale du Forez",
        [Obstacle.MOBILITY],
        "Allocataires de moins de 26 ans",
        30,
        39000,
    ),
    (
        "Préqualification aux métiers du soin",
        4,
        2,
        "Région Auvergne-Rhône-Alpes",
        [],
        "Allocataires visant le secteur sanitaire",
        24,
        96000,
    ),
    (
        "Formation qualifiante logistique",
        4,
        2,
        "Région Auvergne-Rhône-Alpes",
        [],
        "Allocataires mobiles",
        18,
        88000,
    ),
    (
        "Savoirs de base et remise à niveau",
        4,
        2,
        "Mission locale de Saint-Étienne et de la couronne stéphanoise",
        [Obstacle.LANGUAGE],
        "Allocataires sans qualification",
        30,
        40000,
    ),
    (
        "Accompagnement des travailleurs handicapés",
        4,
        1,
        "Cap emploi Loire",
        [Obstacle.HEALTH],
        "Allocataires reconnus travailleurs handicapés",
        45,
        70000,
    ),
    (
        "Couveuse d'entreprises",
        5,
        1,
        "Chambre de métiers et de l'artisanat de la Loire",
        [Obstacle.FINANCES],
        "Allocataires porteurs de projet",
        15,
        52000,
    ),
    (
        "Accompagnement des travailleurs indépendants",
        5,
        1,
        "Chambre de commerce et d'industrie Lyon Métropole Saint-Étienne Roanne",
        [],
        "Allocataires travailleurs indépendants",
        40,
        47000,
    ),
    (
        "Microcrédit à la création",
        5,
        1,
        "Union départementale des associations familiales de la Loire",
        [Obstacle.FINANCES],
        "Créateurs allocataires",
        20,
        15000,
    ),
    (
        "Immersions en entreprise",
        5,
        2,
        "Chambre de commerce et d'industrie Lyon Métropole Saint-Étienne Roanne",
        [],
        "Allocataires proches de l'emploi",
        80,
        30000,
    ),
    (
        "Parrainage vers l'emploi",
        5,
        2,
        "PLIE du Roannais",
        [],
        "Allocataires proches de l'emploi",
        40,
        24000,
    ),
    (
        "Clauses sociales des marchés publics",
        5,
        2,
        "Saint-Étienne Métropole",
        [],
        "Allocataires en fin de parcours",
        60,
        65000,
    ),
    (
        "Entreprise d'insertion services à la personne",
        5,
        2,
        "Forez Services Insertion",
        [],
        "Allocataires en parcours emploi",
        25,
        140000,
    ),
    (
        "Job dating territoriaux",
        5,
        2,
        "France Travail – direction territoriale de la Loire",
        [],
        "Allocataires inscrits",
        100,
        12000,
    ),
    (
        "Plateforme emploi Gier-Pilat",
        5,
        2,
        "PLIE de Saint-Étienne Métropole",
        [Obstacle.MOBILITY],
        "Allocataires du Gier et du Pilat",
        50,
        58000,
    ),
    (
        "Contrats aidés dans les collectivités",
        5,
        2,
        "Préfecture de la Loire – DDETS",
        [],
        "Allocataires éligibles au PEC",
        90,
        0,
    ),
    (
        "Groupement d'employeurs pour l'insertion",
        5,
        2,
        "Gier Environnement chantier d'insertion",
        [],
        "Allocataires en parcours emploi",
        20,
        62000,
    ),
]

CALL_AXES = [
    "Levée des freins : mobilité, gardes d'enfants innovantes, fracture numérique…",
    "Remobilisation professionnelle",
    "Médiation directe à l'emploi",
    "Innovation – expérimentation",
    "Accompagnement insertion sociale (individuel, collectif)",
]


def axis_for(orientation_number, obstacles):
    if obstacles and orientation_number == 3:
        return 1
    return {1: 4, 2: 5, 3: 5, 4: 2, 5: 3}[orientation_number]


def seed(*, options, report):
    pact = Pact.objects.get(code=PACT_CODE, version=1)
    if not Action.objects.exists():
        _seed_actions(pact)
    _seed_call()
    _seed_agreements()
    report.add(
        f"{Action.objects.count()} actions, {CallForProjects.objects.count()} appel à projets, "
        f"{FundingAgreement.objects.count()} conventions pluriannuelles"
    )


def _seed_actions(pact):
    orientations = {o.position: o for o in pact.orientations.prefetch_related("objectives")}
    organisations = {o.name: o for o in Organisation.objects.all()}
    territories = list(Territory.objects.order_by("code"))
    for number, (
        title,
        orientation_number,
        objective_number,
        operator,
        obstacles,
        public,
        capacity,
        budget,
    ) in enumerate(ACTIONS, start=1):
        orientation = orientations[orientation_number]
        objectives = {o.position: o for o in orientation.objectives.all()}
        operator = organisations[operator]
        served = (
            [operator.territory]
            if operator.territory
            else territories[number % 5 :] + territories[: number % 5][: 1 + number % 3]
        )
        start = datetime.date(2024, 1 + number % 9, 1)
        closed = number % 13 == 0
        budget = Decimal(budget)
        action = services.action_save(
            values={
                "reference": f"FA-2024-{number:03d}",
                "title": title,
                "description": f"{title} : une action du programme départemental d'insertion, "
                "ouverte sur prescription du référent unique.",
                "orientation": orientation,
                "objective": objectives.get(objective_number),
                "operator": operator,
                "target_public": public,
                "capacity": capacity,
                "start_date": start,
                "end_date": datetime.date(2027, 12, 31),
                "status": ActionStatus.CLOSED
                if closed
                else (ActionStatus.OPEN if capacity else ActionStatus.PLANNED),
                "budget": budget,
                "place": operator.city,
                "contact": f"accueil@{operator.short_name.lower().replace(' ', '-')}.example.org",
            },
            territories=served[:3],
            obstacles=obstacles,
            funding=[
                (FundingSource.DEPARTEMENT, 2025, (budget * Decimal("0.6")).quantize(Decimal("1"))),
                (FundingSource.FSE_PLUS, 2025, (budget * Decimal("0.3")).quantize(Decimal("1"))),
                (
                    FundingSource.ETAT if number % 2 else FundingSource.REGION,
                    2025,
                    (budget * Decimal("0.1")).quantize(Decimal("1")),
                ),
            ]
            if budget
            else [],
        )
        # Some places are already taken, a few actions are full.
        for _ in range(min(capacity, (capacity * (number % 7)) // 6)):
            services.action_take_place(action=action)


def _seed_call():
    call, created = CallForProjects.objects.get_or_create(
        year=2024,
        title="Appel à projets insertion 2024",
        defaults={
            "deadline": datetime.date(2023, 11, 30),
            "status": CallStatus.DECIDED,
            "description": "Un appel à projets simplifié et plus généraliste, géré au niveau "
            "départemental, pour une offre d'insertion resserrée et plus lisible.",
        },
    )
    if not created:
        return
    services.call_save(values={}, axes=CALL_AXES, call=call, expected_version=call.lock_version)
    axes = {axis.position: axis for axis in call.axes.all()}
    for number, action in enumerate(
        Action.objects.exclude(budget=0).order_by("reference"), start=1
    ):
        application = services.application_add(
            call=call,
            axis=axes[
                axis_for(
                    action.orientation.position,
                    list(action.obstacles.values_list("obstacle", flat=True)),
                )
            ],
            action=action,
            requested_amount=action.budget,
        )
        rejected = number % 11 == 0
        services.application_decide(
            application=application,
            decision=ApplicationDecision.REJECTED if rejected else ApplicationDecision.ACCEPTED,
            reason="Action déjà couverte sur ce territoire." if rejected else "",
            decided_on=datetime.date(2023, 12, 15),
            granted_amount=None
            if rejected
            else (action.budget * Decimal("0.6")).quantize(Decimal("1")),
        )


def _seed_agreements():
    plans = [
        ("CPO-2024-01", "Mobilité solidaire Loire", "Mobilité vers l'emploi 2024-2027"),
        (
            "CPO-2024-02",
            "Gier Environnement chantier d'insertion",
            "Insertion par l'activité économique en Gier-Pilat",
        ),
        ("CPO-2024-03", "PLIE de Saint-Étienne Métropole", "Parcours renforcés vers l'emploi"),
    ]
    for reference, operator_name, title in plans:
        if FundingAgreement.objects.filter(reference=reference).exists():
            continue
        operator = Organisation.objects.get(name=operator_name)
        actions = list(Action.objects.filter(operator=operator).order_by("reference"))
        agreement = services.agreement_save(
            values={
                "reference": reference,
                "title": title,
                "operator": operator,
                "start_year": 2024,
                "end_year": 2027,
                "status": AgreementStatus.SIGNED,
                "signed_on": datetime.date(2024, 1, 20),
            },
            actions=actions,
            amounts={
                year: Decimal(sum(a.budget for a in actions) * Decimal("0.6")).quantize(
                    Decimal("1")
                )
                for year in range(2024, 2028)
            },
        )
        for action in actions:
            for year in (2025, 2026):
                services.agreement_objective_add(
                    agreement=agreement,
                    action=action,
                    year=year,
                    measure=ObjectiveMeasure.PEOPLE_ACCOMPANIED,
                    label="Personnes accompagnées",
                    target=Decimal(action.capacity * 2),
                )
                services.agreement_objective_add(
                    agreement=agreement,
                    action=action,
                    year=year,
                    measure=ObjectiveMeasure.DYNAMIC_EXIT_RATE,
                    label="Sorties dynamiques (%)",
                    target=Decimal(30),
                )
            services.agreement_objective_add(
                agreement=agreement,
                action=action,
                year=2025,
                measure=ObjectiveMeasure.PLACES_USED,
                label="Places occupées",
                target=Decimal(action.capacity),
            )
