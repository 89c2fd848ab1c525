"""Demo data of the pact's parties: the 21 signatories of the 2016-2020 pact (seed 001) with
their commitments, the pact adopted, signed and archived (history); the 2023-2027 pact in
force, prepared here with its main signatories and their commitments (the evaluation's demo
ties them to indicators, then has the pact signed and amended); the bilateral conventions of
seed 003, and the governance: a steering committee and one CTIP per territory."""

import datetime
from decimal import Decimal

from django.conf import settings

from pti.demo import LEGAL_FRAME, PACT_CODE, PACT_TITLE, PREAMBLE
from pti.enums import PactStatus
from pti.models import Organisation, Pact, Territory
from pti.services import orientations_copy, pact_adopt, pact_archive
from signatories import services
from signatories.enums import BodyKind, ConventionKind, ConventionStatus
from signatories.models import BodyObjective, Convention, GovernanceBody, Meeting

# (organisation, signer, title, [(orientation number, commitment, [(target, value, unit, year)])])
SIGNATORIES = [
    (
        "Conseil départemental de la Loire",
        "Bernard Vial",
        "Président du conseil départemental",
        [
            (
                4,
                "Désigner un référent unique pour chaque allocataire soumis aux droits et devoirs",
                [
                    ("Allocataires orientés ayant un contrat", 80, "%", 2018),
                    ("Allocataires orientés ayant un contrat", 85, "%", 2020),
                ],
            ),
            (
                1,
                "Animer l'observatoire départemental de l'insertion",
                [("Rapports publiés", 1, "rapport", 2018)],
            ),
        ],
    ),
    (
        "Préfecture de la Loire – DDETS",
        "Anne Morel",
        "Préfète de la Loire",
        [
            (
                5,
                "Mobiliser les contrats aidés et l'insertion par l'activité économique",
                [
                    (
                        "Parcours emploi compétences prescrits à des allocataires",
                        300,
                        "personnes",
                        2018,
                    )
                ],
            ),
        ],
    ),
    (
        "Région Auvergne-Rhône-Alpes",
        "Luc Garnier",
        "Vice-président chargé de la formation",
        [
            (
                4,
                "Ouvrir le programme régional de formation aux allocataires du RSA",
                [("Entrées en formation qualifiante", 450, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Caisse d'allocations familiales de la Loire",
        "Hélène Brun",
        "Directrice",
        [
            (
                1,
                "Transmettre chaque mois le flux des allocataires",
                [("Fichiers transmis", 12, "fichiers", 2018)],
            ),
            (3, "Contrôler les droits et devoirs et lutter contre la fraude", []),
        ],
    ),
    (
        "MSA Ardèche Drôme Loire",
        "Pierre Faure",
        "Directeur général",
        [
            (
                2,
                "Accompagner l'accès aux soins des non-salariés agricoles",
                [("Bilans de santé", 60, "personnes", 2018)],
            ),
        ],
    ),
    (
        "France Travail – direction territoriale de la Loire",
        "Sylvie Rey",
        "Directrice territoriale",
        [
            (
                4,
                "Déployer l'accompagnement global avec les services du Département",
                [("Allocataires en accompagnement global", 1200, "personnes", 2018)],
            ),
            (
                5,
                "Proposer des offres d'emploi aux allocataires",
                [("Retours à l'emploi durable", 900, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Cap emploi Loire",
        "Marc Perrin",
        "Directeur",
        [
            (
                2,
                "Accompagner les allocataires reconnus travailleurs handicapés",
                [("Personnes accompagnées", 150, "personnes", 2018)],
            ),
        ],
    ),
    (
        "PLIE de Saint-Étienne Métropole",
        "Claire Blanc",
        "Présidente",
        [
            (
                5,
                "Conduire des parcours renforcés vers l'emploi",
                [("Allocataires en parcours PLIE", 250, "personnes", 2018)],
            ),
        ],
    ),
    (
        "PLIE du Roannais",
        "Jean Roche",
        "Président",
        [
            (
                5,
                "Conduire des parcours renforcés vers l'emploi",
                [("Allocataires en parcours PLIE", 90, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Mission locale du Roannais",
        "Lucie Martin",
        "Présidente",
        [
            (
                4,
                "Accompagner les allocataires de moins de 26 ans",
                [("Jeunes allocataires accompagnés", 120, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Mission locale de Saint-Étienne et de la couronne stéphanoise",
        "Yves Bonnet",
        "Président",
        [
            (
                4,
                "Accompagner les allocataires de moins de 26 ans",
                [("Jeunes allocataires accompagnés", 300, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Mission locale du Forez",
        "Odile Chevalier",
        "Présidente",
        [
            (
                4,
                "Accompagner les allocataires de moins de 26 ans",
                [("Jeunes allocataires accompagnés", 90, "personnes", 2018)],
            ),
        ],
    ),
    (
        "CCAS de Saint-Étienne",
        "Farid Haddad",
        "Vice-président du CCAS",
        [
            (
                3,
                "Assurer la fonction de référent de parcours social",
                [("Allocataires suivis", 800, "personnes", 2018)],
            ),
        ],
    ),
    (
        "CCAS de Roanne",
        "Martine Giraud",
        "Vice-présidente du CCAS",
        [
            (
                3,
                "Assurer la fonction de référent de parcours social",
                [("Allocataires suivis", 300, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Union départementale des CCAS de la Loire",
        "Gérard Masson",
        "Président",
        [
            (3, "Coordonner l'accompagnement social des allocataires par les CCAS", []),
        ],
    ),
    (
        "Saint-Étienne Métropole",
        "Thierry Lemaire",
        "Vice-président chargé de l'emploi",
        [
            (
                3,
                "Développer les solutions de mobilité solidaire",
                [("Aides à la mobilité accordées", 400, "aides", 2018)],
            ),
        ],
    ),
    (
        "Roannais Agglomération",
        "Agnès Renaud",
        "Vice-présidente chargée de l'emploi",
        [
            (
                3,
                "Développer les solutions de mobilité solidaire",
                [("Aides à la mobilité accordées", 150, "aides", 2018)],
            ),
        ],
    ),
    (
        "Chambre de commerce et d'industrie Lyon Métropole Saint-Étienne Roanne",
        "Paul Mercier",
        "Président de la délégation de Saint-Étienne",
        [
            (
                5,
                "Proposer des immersions en entreprise",
                [("Immersions réalisées", 200, "immersions", 2018)],
            ),
        ],
    ),
    (
        "Chambre de métiers et de l'artisanat de la Loire",
        "Nathalie Simon",
        "Présidente",
        [
            (
                5,
                "Accompagner la création d'activité artisanale",
                [("Créations d'entreprise accompagnées", 40, "entreprises", 2018)],
            ),
        ],
    ),
    (
        "Caisse primaire d'assurance maladie de la Loire",
        "Olivier Picard",
        "Directeur",
        [
            (
                2,
                "Proposer un examen de prévention en santé aux allocataires",
                [("Examens de santé réalisés", 500, "personnes", 2018)],
            ),
        ],
    ),
    (
        "Union départementale des associations familiales de la Loire",
        "Brigitte Colin",
        "Présidente",
        [
            (
                3,
                "Accompagner la gestion budgétaire et le microcrédit",
                [("Microcrédits accordés", 50, "prêts", 2018)],
            ),
        ],
    ),
]

DELIBERATION = datetime.date(2016, 6, 27)
FIRST_SIGNATURE = datetime.date(2016, 9, 12)
# The pact in force: 2023-2027, its five orientations renewed (the same keys, so that the
# offer filed under them follows), signed in 2023 by its main parties.
PACT_IN_FORCE_CODE = "pti-2023-2027"
PACT_IN_FORCE_PREAMBLE = (
    "Le pacte 2023-2027 renouvelle le partenariat du pacte 2016-2020 et intègre la loi pour le "
    "plein emploi : le contrat d'engagement remplace le CER et le PPAE, France Travail devient "
    "l'opérateur de l'orientation. Chaque engagement des signataires se mesure par des "
    "indicateurs, avec une cible par année."
)
# (organisation, signer, title, [(orientation number, commitment title)])
SIGNATORIES_IN_FORCE = [
    (
        "Conseil départemental de la Loire",
        "Bernard Vial",
        "Président du conseil départemental",
        [(4, "Signer un contrat d'engagement avec chaque allocataire orienté")],
    ),
    (
        "Préfecture de la Loire – DDETS",
        "Anne Morel",
        "Préfète de la Loire",
        [(5, "Prescrire des parcours emploi compétences aux allocataires du RSA")],
    ),
    (
        "Région Auvergne-Rhône-Alpes",
        "Luc Garnier",
        "Vice-président chargé de la formation",
        [(4, "Ouvrir les formations qualifiantes régionales aux allocataires du RSA")],
    ),
    (
        "Caisse d'allocations familiales de la Loire",
        "Hélène Brun",
        "Directrice",
        [(1, "Transmettre chaque mois le flux des allocataires")],
    ),
    (
        "MSA Ardèche Drôme Loire",
        "Jean-Marc Vial",
        "Directeur général",
        [(4, "Orienter sans délai les allocataires agricoles soumis aux droits et devoirs")],
    ),
    (
        "France Travail – direction territoriale de la Loire",
        "Sylvie Perrin",
        "Directrice territoriale",
        [(4, "Accompagner globalement les allocataires les plus éloignés de l'emploi")],
    ),
]
PACT_IN_FORCE_DELIBERATION = datetime.date(2023, 3, 20)
PACT_IN_FORCE_FIRST_SIGNATURE = datetime.date(2023, 4, 12)
PACT_IN_FORCE_AMENDMENT_REASON = (
    "Porter à 2027 les cibles de France Travail et de la Région après le bilan à mi-parcours ; "
    "associer de nouveaux partenaires de l'insertion par l'activité économique."
)

CONVENTIONS = [
    (
        "Caisse d'allocations familiales de la Loire",
        ConventionKind.RIGHTS_AND_DUTIES,
        "Convention de gestion du RSA : contrôle des droits et devoirs",
        "- échanges mensuels du flux des allocataires\n- contrôle des droits et devoirs\n- lutte contre la fraude",
        datetime.date(2016, 10, 1),
        datetime.date(2020, 12, 31),
        None,
    ),
    (
        "France Travail – direction territoriale de la Loire",
        ConventionKind.GLOBAL_SUPPORT,
        "Accompagnement global et nouvelles modalités d'orientation",
        "Un accompagnement conjoint, social et professionnel, pour les allocataires les plus éloignés de l'emploi.",
        datetime.date(2016, 10, 1),
        datetime.date(2019, 12, 31),
        Decimal("420000.00"),
    ),
    (
        "Région Auvergne-Rhône-Alpes",
        ConventionKind.TRAINING,
        "Accès des allocataires du RSA au programme régional de formation",
        "Places réservées et prescription directe par les référents.",
        datetime.date(2017, 1, 1),
        datetime.date(2020, 12, 31),
        Decimal("1250000.00"),
    ),
    (
        "Union départementale des CCAS de la Loire",
        ConventionKind.SOCIAL_SUPPORT,
        "Accompagnement des allocataires du RSA par les CCAS",
        "Les CCAS assurent la fonction de référent pour les allocataires orientés vers un parcours social.",
        datetime.date(2017, 1, 1),
        datetime.date(2020, 12, 31),
        Decimal("310500.00"),
    ),
]

# Annual access-to-employment objectives of each CTIP (seed 003), per 1,000 allocataires.
CTIP_TARGETS = {
    "roannais": 210,
    "forez": 160,
    "saint-etienne": 520,
    "gier-pilat": 190,
    "ondaine": 170,
}


def seed(*, options, report):
    pact = Pact.objects.get(code=PACT_CODE, version=1)
    if pact.status == PactStatus.DRAFT:
        _sign_the_pact(pact)
        pact.refresh_from_db()
    if pact.status == PactStatus.SIGNED:
        # Its period is over and the 2023-2027 pact took over: kept as history.
        pact = pact_archive(pact=pact)
    _seed_conventions(pact)
    _seed_governance(pact)
    in_force = seed_pact_in_force()
    summary = pact.signatories.status_summary()
    report.add(
        f"pacte {pact.period_label} signé par {summary['signed']} signataires, archivé ; "
        f"pacte {in_force.period_label} : {in_force.signatories.count()} signataires ; "
        f"{Convention.objects.count()} conventions ; {GovernanceBody.objects.count()} instances"
    )


def seed_pact_in_force():
    """The first version of the 2023-2027 pact, prepared with its parties and their
    commitments (a draft: the evaluation's demo ties them to indicators, then signs it)."""
    pact = Pact.objects.filter(code=PACT_IN_FORCE_CODE, version=1).first()
    if pact is not None:
        return pact
    pact = Pact.objects.create(
        code=PACT_IN_FORCE_CODE,
        version=1,
        title=PACT_TITLE,
        period_start=2023,
        period_end=2027,
        department_name=settings.PTI_DEPARTMENT_NAME,
        preamble=f"{PACT_IN_FORCE_PREAMBLE}\n\n{PREAMBLE}",
        legal_frame=LEGAL_FRAME,
        status=PactStatus.DRAFT,
    )
    previous = Pact.objects.get(code=PACT_CODE, version=1)
    orientations = {
        copy.position: copy for copy in orientations_copy(source=previous, target=pact).values()
    }
    organisations = {o.name: o for o in Organisation.objects.all()}
    for position, (name, signer, title, commitments) in enumerate(SIGNATORIES_IN_FORCE, 1):
        signatory = services.signatory_add(
            pact=pact,
            organisation=organisations[name],
            signer_name=signer,
            signer_title=title,
            position=position,
        )
        for number, commitment in commitments:
            services.commitment_save(
                signatory=signatory,
                orientation=orientations[number],
                title=commitment,
                description="",
            )
    return pact


def sign_pact_in_force(pact):
    """Adopt and sign the 2023-2027 pact as it was in 2023; then open its amendment."""
    if pact.status == PactStatus.DRAFT:
        pact_adopt(pact=pact, deliberation_date=PACT_IN_FORCE_DELIBERATION)
        for day, signatory in enumerate(pact.signatories.order_by("position")):
            services.signature_record(
                signatory=signatory,
                signer_name=signatory.signer_name,
                signer_title=signatory.signer_title,
                signed_on=PACT_IN_FORCE_FIRST_SIGNATURE + datetime.timedelta(days=day * 3),
            )
        services.signature_round_close(pact=pact)
        pact.refresh_from_db()
    if not Pact.objects.filter(code=pact.code, version__gt=1).exists():
        services.pact_amend(pact=pact, reason=PACT_IN_FORCE_AMENDMENT_REASON)
    return pact


def _sign_the_pact(pact):
    orientations = {o.position: o for o in pact.orientations.all()}
    organisations = {o.name: o for o in Organisation.objects.all()}
    signatories = []
    for position, (name, signer, title, commitments) in enumerate(SIGNATORIES, start=1):
        signatory = services.signatory_add(
            pact=pact,
            organisation=organisations[name],
            signer_name=signer,
            signer_title=title,
            position=position,
        )
        for number, commitment, targets in commitments:
            services.commitment_save(
                signatory=signatory,
                orientation=orientations[number],
                title=commitment,
                description=_written_targets(targets),
            )
        signatories.append(signatory)
    pact_adopt(pact=pact, deliberation_date=DELIBERATION)
    for day, signatory in enumerate(signatories):
        services.signature_record(
            signatory=signatory,
            signer_name=signatory.signer_name,
            signer_title=signatory.signer_title,
            signed_on=FIRST_SIGNATURE + datetime.timedelta(days=day * 2),
        )
    services.signature_round_close(pact=pact)


def _written_targets(targets):
    """The 2016-2020 pact's targets, as they were written (before commitments were measured
    by indicators): « Cibles rédigées : … » in the commitment's description."""
    if not targets:
        return ""
    return (
        "Cibles rédigées : "
        + " ; ".join(f"{label} : {value} {unit} en {year}" for label, value, unit, year in targets)
        + "."
    )


def _seed_conventions(pact):
    organisations = {o.name: o for o in Organisation.objects.all()}
    for partner, kind, title, purpose, start, end, amount in CONVENTIONS:
        Convention.objects.get_or_create(
            title=title,
            defaults={
                "pact": pact,
                "partner": organisations[partner],
                "kind": kind,
                "purpose": purpose,
                "start_date": start,
                "end_date": end,
                "amount": amount,
                "status": ConventionStatus.ENDED if end.year < 2021 else ConventionStatus.SIGNED,
                "signed_on": start - datetime.timedelta(days=20),
            },
        )


def _seed_governance(pact):
    steering, created = GovernanceBody.objects.get_or_create(
        pact=pact,
        name="Comité de pilotage du pacte",
        defaults={
            "kind": BodyKind.STEERING_COMMITTEE,
            "chair": "Président du conseil départemental",
            "remit": "Suivre la mise en œuvre du pacte, arbitrer, valider l'évaluation annuelle.",
        },
    )
    if created:
        meeting = Meeting.objects.create(
            body=steering,
            date=datetime.date(2017, 3, 14),
            place="Hôtel du Département, Saint-Étienne",
            agenda="- bilan de la première année\n- objectifs 2017 des CTIP",
            decisions="- les objectifs 2017 des CTIP sont validés\n- un point d'étape en septembre",
        )
        services.follow_up_add(
            meeting=meeting,
            description="Transmettre aux CTIP leurs objectifs 2017",
            owner=Organisation.objects.get(name="Conseil départemental de la Loire"),
            due_date=datetime.date(2017, 4, 1),
        )
    for territory in Territory.objects.all():
        ctip, _ = GovernanceBody.objects.get_or_create(
            pact=pact,
            name=f"CTIP {territory.name}",
            defaults={
                "kind": BodyKind.CTIP,
                "territory": territory,
                "chair": "Conseiller départemental délégué",
                "remit": "Décliner le pacte sur le territoire, piloter les objectifs d'accès à l'emploi, animer la plateforme emploi.",
            },
        )
        base = CTIP_TARGETS.get(territory.code, 150)
        for offset, year in enumerate(range(2017, 2021)):
            BodyObjective.objects.get_or_create(
                body=ctip,
                year=year,
                label="Accès à l'emploi des allocataires",
                defaults={"target": base + offset * 10, "unit": "personnes"},
            )
