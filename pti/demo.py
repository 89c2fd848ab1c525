"""Demo data of the core: the département's territories and communes, its partner
organisations, the 2016-2020 pact with its five orientations and six operational
objectives (seed 001), and one account per role."""

from django.conf import settings

from pti.enums import OrganisationKind, PactStatus, Role
from pti.models import (
    Commune,
    Objective,
    Organisation,
    Orientation,
    Pact,
    PostalCode,
    Territory,
    User,
)

DEPARTEMENT = "Conseil départemental de la Loire"

# (code, name, [(INSEE code, commune, La Poste's libellé d'acheminement, postal codes), ...]):
# the real postal codes of these communes in La Poste's base officielle des codes postaux,
# the first the main one. Saint-Étienne has three (42230: Saint-Victor-sur-Loire, merged
# into it in 1969, which shares its code with Roche-la-Molière); 42300 serves Roanne and
# Mably.
TERRITORIES = [
    (
        "roannais",
        "Roannais",
        [
            ("42187", "Roanne", "ROANNE", ("42300",)),
            ("42184", "Riorges", "RIORGES", ("42153",)),
            ("42127", "Mably", "MABLY", ("42300",)),
            ("42071", "Le Coteau", "LE COTEAU", ("42120",)),
            ("42052", "Charlieu", "CHARLIEU", ("42190",)),
        ],
    ),
    (
        "forez",
        "Forez",
        [
            ("42147", "Montbrison", "MONTBRISON", ("42600",)),
            ("42094", "Feurs", "FEURS", ("42110",)),
            ("42279", "Saint-Just-Saint-Rambert", "ST JUST ST RAMBERT", ("42170",)),
            ("42019", "Boën-sur-Lignon", "BOEN SUR LIGNON", ("42130",)),
            ("42005", "Andrézieux-Bouthéon", "ANDREZIEUX BOUTHEON", ("42160",)),
        ],
    ),
    (
        "saint-etienne",
        "Saint-Étienne",
        [
            ("42218", "Saint-Étienne", "ST ETIENNE", ("42000", "42100", "42230")),
            ("42275", "Saint-Priest-en-Jarez", "ST PRIEST EN JAREZ", ("42270",)),
            ("42330", "Villars", "VILLARS", ("42390",)),
            ("42305", "La Talaudière", "LA TALAUDIERE", ("42350",)),
        ],
    ),
    (
        "gier-pilat",
        "Gier-Pilat",
        [
            ("42207", "Saint-Chamond", "ST CHAMOND", ("42400",)),
            ("42186", "Rive-de-Gier", "RIVE DE GIER", ("42800",)),
            ("42168", "Pélussin", "PELUSSIN", ("42410",)),
            ("42023", "Bourg-Argental", "BOURG ARGENTAL", ("42220",)),
        ],
    ),
    (
        "ondaine",
        "Ondaine",
        [
            ("42095", "Firminy", "FIRMINY", ("42700",)),
            ("42044", "Le Chambon-Feugerolles", "LE CHAMBON FEUGEROLLES", ("42500",)),
            ("42189", "Roche-la-Molière", "ROCHE LA MOLIERE", ("42230",)),
            ("42183", "La Ricamarie", "LA RICAMARIE", ("42150",)),
            ("42316", "Unieux", "UNIEUX", ("42240",)),
        ],
    ),
]

# The places La Poste lists on the « ligne 5 » of a postal code, by (INSEE code, postal code).
LOCALITIES = {("42218", "42230"): "ST VICTOR SUR LOIRE"}

# (name, short name, kind, territory code or None, city)
ORGANISATIONS = [
    (DEPARTEMENT, "CD 42", OrganisationKind.DEPARTEMENT, None, "Saint-Étienne"),
    ("Préfecture de la Loire – DDETS", "DDETS", OrganisationKind.ETAT, None, "Saint-Étienne"),
    ("Région Auvergne-Rhône-Alpes", "Région", OrganisationKind.REGION, None, "Lyon"),
    (
        "Caisse d'allocations familiales de la Loire",
        "CAF",
        OrganisationKind.CAF,
        None,
        "Saint-Étienne",
    ),
    ("MSA Ardèche Drôme Loire", "MSA", OrganisationKind.MSA, None, "Saint-Étienne"),
    (
        "France Travail – direction territoriale de la Loire",
        "France Travail",
        OrganisationKind.FRANCE_TRAVAIL,
        None,
        "Saint-Étienne",
    ),
    ("Cap emploi Loire", "Cap emploi", OrganisationKind.CAP_EMPLOI, None, "Saint-Étienne"),
    (
        "PLIE de Saint-Étienne Métropole",
        "PLIE SEM",
        OrganisationKind.PLIE,
        "saint-etienne",
        "Saint-Étienne",
    ),
    ("PLIE du Roannais", "PLIE Roannais", OrganisationKind.PLIE, "roannais", "Roanne"),
    (
        "Mission locale du Roannais",
        "ML Roannais",
        OrganisationKind.MISSION_LOCALE,
        "roannais",
        "Roanne",
    ),
    (
        "Mission locale de Saint-Étienne et de la couronne stéphanoise",
        "ML Saint-Étienne",
        OrganisationKind.MISSION_LOCALE,
        "saint-etienne",
        "Saint-Étienne",
    ),
    ("Mission locale du Forez", "ML Forez", OrganisationKind.MISSION_LOCALE, "forez", "Montbrison"),
    (
        "CCAS de Saint-Étienne",
        "CCAS Saint-Étienne",
        OrganisationKind.CCAS,
        "saint-etienne",
        "Saint-Étienne",
    ),
    ("CCAS de Roanne", "CCAS Roanne", OrganisationKind.CCAS, "roannais", "Roanne"),
    (
        "Union départementale des CCAS de la Loire",
        "UDCCAS",
        OrganisationKind.CCAS,
        None,
        "Saint-Étienne",
    ),
    ("Saint-Étienne Métropole", "SEM", OrganisationKind.EPCI, "saint-etienne", "Saint-Étienne"),
    ("Roannais Agglomération", "Roannais Agglo", OrganisationKind.EPCI, "roannais", "Roanne"),
    (
        "Chambre de commerce et d'industrie Lyon Métropole Saint-Étienne Roanne",
        "CCI",
        OrganisationKind.CHAMBRE_CONSULAIRE,
        None,
        "Saint-Étienne",
    ),
    (
        "Chambre de métiers et de l'artisanat de la Loire",
        "CMA",
        OrganisationKind.CHAMBRE_CONSULAIRE,
        None,
        "Saint-Étienne",
    ),
    (
        "Caisse primaire d'assurance maladie de la Loire",
        "CPAM",
        OrganisationKind.HEALTH,
        None,
        "Saint-Étienne",
    ),
    ("Mobilité solidaire Loire", "MSL", OrganisationKind.ASSOCIATION, None, "Saint-Étienne"),
    ("Forez Services Insertion", "FSI", OrganisationKind.SIAE, "forez", "Montbrison"),
    (
        "Gier Environnement chantier d'insertion",
        "Gier Environnement",
        OrganisationKind.SIAE,
        "gier-pilat",
        "Rive-de-Gier",
    ),
    (
        "Accueil Logement Insertion Ondaine",
        "ALI Ondaine",
        OrganisationKind.ASSOCIATION,
        "ondaine",
        "Firminy",
    ),
    (
        "Union départementale des associations familiales de la Loire",
        "UDAF",
        OrganisationKind.ASSOCIATION,
        None,
        "Saint-Étienne",
    ),
]

PACT_TITLE = "Pacte territorial d'insertion"
PACT_CODE = "pti-2016-2020"

PREAMBLE = """\
Depuis des années, le Département oriente sa politique d'insertion vers l'accès et le retour à l'emploi. Chaque bénéficiaire du RSA est inscrit dans un parcours d'insertion sociale et professionnelle qui doit lui permettre de se stabiliser durablement dans l'emploi et de gagner son autonomie.

Le pacte territorial d'insertion s'appuie sur les objectifs du programme départemental d'insertion et de retour à l'emploi (PDI-RE) pour :
- apporter plus de cohérence à la politique d'insertion en direction des bénéficiaires du RSA ;
- faciliter leur accès à l'emploi, notamment par de nouveaux partenariats avec les acteurs économiques du département.

La dynamique d'insertion repose sur l'accompagnement conduit par le référent unique, qui mobilise l'offre d'actions du PDI-RE, construite autour de six objectifs opérationnels.

Les institutions signataires s'engagent à partager leur connaissance des publics, leurs constats et leurs évaluations, à coordonner leurs interventions et à rendre plus lisible ce qu'elles font, en s'appuyant sur la gouvernance du pacte."""

LEGAL_FRAME = """\
Le présent pacte est conclu en application de l'article L. 263-2 du code de l'action sociale et des familles, issu de la loi n° 2008-1249 du 1er décembre 2008 généralisant le revenu de solidarité active et réformant les politiques d'insertion.

Il met en œuvre le programme départemental d'insertion adopté par l'assemblée départementale et définit les modalités de coordination des actions des partenaires pour l'insertion sociale et professionnelle des bénéficiaires du RSA.

Il tient compte de la loi n° 2023-1196 du 18 décembre 2023 pour le plein emploi pour ses avenants."""

# The five orientations of seed 001, each with the operational objectives of the offer it carries.
ORIENTATIONS = [
    (
        "Partage de la connaissance",
        "Partager la connaissance des publics, les constats et les évaluations entre institutions.",
        [],
    ),
    (
        "Levée des freins liés à la santé",
        "Repérer et lever les difficultés de santé qui font obstacle au parcours.",
        ["Lever les freins sociaux"],
    ),
    (
        "Levée des freins périphériques à l'emploi",
        "Mobilité, garde d'enfants, logement, numérique : lever ce qui empêche de reprendre une activité.",
        ["Se (re)mobiliser pour se remettre en activité"],
    ),
    (
        "Accompagnement des publics vers et dans l'emploi",
        "Un accompagnement adapté et continu par un référent unique, jusque dans l'emploi.",
        ["Renforcer son projet de retour à l'emploi", "Accéder à la qualification"],
    ),
    (
        "Développement de l'emploi et des relations avec le monde économique",
        "Associer les employeurs et les acteurs économiques à l'accès à l'emploi des allocataires.",
        ["Créer son activité", "Accéder à l'emploi"],
    ),
]

# (username, role, organisation name, first name, last name)
ACCOUNTS = [
    ("pilote", Role.PILOT, DEPARTEMENT, "Claire", "Martin"),
    ("responsable", Role.MANAGER, "CCAS de Saint-Étienne", "Karim", "Benali"),
    ("referent", Role.REFERENT, "CCAS de Saint-Étienne", "Sophie", "Durand"),
    ("operateur", Role.OPERATOR, "Mobilité solidaire Loire", "Julien", "Moreau"),
    ("partenaire", Role.PARTNER, "Caisse d'allocations familiales de la Loire", "Nadia", "Roux"),
    ("admin", Role.ADMIN, None, "Paul", "Lefèvre"),
]


def seed(*, options, report):
    territories = seed_territories()
    organisations = seed_organisations(territories)
    pact = seed_pact()
    seed_accounts(organisations, password=options["password"], report=report)
    report.add(
        f"{len(territories)} territoires, {Commune.objects.count()} communes, "
        f"{len(organisations)} organisations"
    )
    report.add(
        f"{pact} : {pact.orientations.count()} orientations, "
        f"{Objective.objects.filter(orientation__pact=pact).count()} objectifs opérationnels"
    )


def seed_territories():
    territories = {}
    for code, name, communes in TERRITORIES:
        territory, _ = Territory.objects.update_or_create(code=code, defaults={"name": name})
        territories[code] = territory
        for insee_code, commune_name, delivery_label, postal_codes in communes:
            commune, _ = Commune.objects.update_or_create(
                insee_code=insee_code,
                defaults={
                    "name": commune_name,
                    "postal_code": postal_codes[0],
                    "territory": territory,
                },
            )
            for code in postal_codes:
                PostalCode.objects.update_or_create(
                    commune=commune,
                    code=code,
                    defaults={
                        "delivery_label": delivery_label,
                        "localities": LOCALITIES.get((insee_code, code), ""),
                    },
                )
    return territories


def seed_organisations(territories):
    organisations = {}
    for name, short_name, kind, territory_code, city in ORGANISATIONS:
        organisation, _ = Organisation.objects.update_or_create(
            name=name,
            defaults={
                "short_name": short_name,
                "kind": kind,
                "territory": territories.get(territory_code),
                "city": city,
            },
        )
        organisations[name] = organisation
    return organisations


def seed_pact():
    """The first version of the 2016-2020 pact, as the assemblée départementale voted it."""
    pact, created = Pact.objects.get_or_create(
        code=PACT_CODE,
        version=1,
        defaults={
            "title": PACT_TITLE,
            "period_start": 2016,
            "period_end": 2020,
            "department_name": settings.PTI_DEPARTMENT_NAME,
            "preamble": PREAMBLE,
            "legal_frame": LEGAL_FRAME,
            "status": PactStatus.DRAFT,
        },
    )
    if created:
        for position, (title, description, objectives) in enumerate(ORIENTATIONS, start=1):
            orientation = Orientation.objects.create(
                pact=pact, position=position, title=title, description=description
            )
            Objective.objects.bulk_create(
                Objective(orientation=orientation, position=number, title=objective_title)
                for number, objective_title in enumerate(objectives, start=1)
            )
    return pact


def seed_accounts(organisations, *, password, report):
    for username, role, organisation_name, first_name, last_name in ACCOUNTS:
        organisation = organisations.get(organisation_name)
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "organisation": organisation,
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.pti.invalid",
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                "is_active": True,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        report.add_account(username, role.label, organisation or "—")
