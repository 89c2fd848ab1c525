"""How long a département's list of 100,000 people takes through the page's path (a run of
pti/import_runs.py with beneficiaries/people_import.py's engine): the analysis (the stored file
read, every row checked, the plan stored, nothing in the base), then the confirmed write of
the plan in bulk; then the same file sent again (everyone known: the analysis plans nothing,
the write writes nothing). The list is as French Excel writes it: `;`, Windows-1252,
dd/mm/yyyy, households of 1 to 3 people sharing a CAF number, a third of the people with a
référent. `PTI_BENCH_ROUNDS` rounds (1 by default) give min / median / max;
`PTI_BENCH_PEOPLE` changes the size.

For each step: the wall time, the Python CPU time, the PostgreSQL backend's CPU time (read
from /proc: the server runs on this machine), and the peak resident memory of the process
(ru_maxrss). Run with `make bench DATABASE_URL=postgres://…`.

Goals (PostgreSQL, 2 cores): analysed in under 60 s, written in under 120 s, peak memory well
under 500 MB.

Measured on 2 December 2026, PostgreSQL 15 on this 2-core machine, quiet, through the page's
path, 3 rounds (min / median / max): a CSV of 9.2 MB (settings PTI_IMPORT_MAX_BYTES: 20 MB),
100,000 people in 55,631 households, 18,523 référents designated. Wall (Python CPU,
PostgreSQL CPU), median:

    first import     analysis 7.5 / 8.2 / 9.1 s (8.0 s, 0.1 s),
                     write 18.8 / 20.3 / 21.5 s (9.6 s, 11.1 s)
    same file again  analysis 10.3 / 11.3 / 11.9 s (7.6 s, 3.5 s), write 0.0 s (nothing planned)
    peak memory      353 MB (197 MB before the first import: Django, the test database and the
                     generated file)

Measured again the same day once the lists were read as départements' files really are (one
name key through anyascii, every phone through libphonenumber, NIRs looked for in every cell
and the file kept as its table without them, the households composed from the roles, the
homonyms looked for), 1 round, the machine running other tests at the same time: first import
analysis 13.8 s (Python 13.8 s), write 11.4 s (4.8 s, PostgreSQL 6.8 s); the same file again
21.5 s (13.9 s, 3.8 s); peak memory 442 MB (198 MB before). Before the cheap test of
contacts.looks_like_nir (too few digits: not a NIR): analysis 16.5 s, the same file again
19.4 s, 440 MB. Still within the goals; the analysis's Python time doubled, half of it in
read_row (phones, dates, names), and the table kept as JSON costs about 90 MB at the peak.
"""

import datetime
import os
import random
import resource
import statistics

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from beneficiaries.models import Beneficiary, FileAccess, Household, ReferentAssignment
from beneficiaries.search import normalise
from pti.enums import RunKind, RunStatus
from pti.runs import run_confirm, run_start
from tests.benchmarks.test_flux_run_speed import Step
from tests.pti.factories import CommuneFactory, OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = [pytest.mark.benchmark_suite, pytest.mark.django_db]

ROUNDS = int(os.environ.get("PTI_BENCH_ROUNDS", "1"))
PEOPLE = int(os.environ.get("PTI_BENCH_PEOPLE", "100000"))

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Lefèbvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
]
FIRST_NAMES = [
    "Hélène",
    "Éric",
    "Zoé",
    "Louis",
    "Léa",
    "Inès",
    "Paul",
    "Camille",
    "Jules",
    "Chloé",
    "Hugo",
    "Emma",
    "Lucas",
    "Manon",
    "Nathan",
    "Jade",
    "Gabriel",
    "Léna",
    "Raphaël",
    "Alice",
    "Arthur",
    "Lina",
    "Adam",
    "Rose",
    "Noé",
    "Anna",
    "Théo",
    "Julia",
    "Maël",
    "Mila",
    "Sacha",
    "Lou",
    "Tom",
    "Ambre",
    "Éloïse",
    "Mathis",
    "Agathe",
    "Noah",
    "Juliette",
    "Ethan",
    "Lucie",
    "Timéo",
    "Margaux",
    "Axel",
    "Romane",
    "Clément",
    "Océane",
    "Baptiste",
    "Mélissa",
    "Maxime",
    "Sarah",
    "Antoine",
    "Laura",
    "Kévin",
    "Amandine",
    "Yanis",
    "Fatima",
    "Mohamed",
    "Aïcha",
    "Karim",
    "Nadia",
    "Mehdi",
    "Samira",
    "Rachid",
    "Leïla",
    "Sofiane",
    "Yasmine",
    "Bilel",
    "Kenza",
    "Thierry",
    "Nathalie",
    "Sébastien",
    "Sandrine",
    "Frédéric",
    "Valérie",
    "Stéphane",
    "Isabelle",
    "Christophe",
    "Céline",
    "Olivier",
    "Sylvie",
]
COMMUNES = [
    ("42000", "Saint-Étienne"),
    ("42100", "Saint-Étienne"),
    ("42300", "Roanne"),
    ("42300", "Mably"),
    ("42350", "La Talaudière"),
    ("42400", "Saint-Chamond"),
    ("42500", "Le Chambon-Feugerolles"),
    ("42600", "Montbrison"),
    ("42700", "Firminy"),
    ("42800", "Rive-de-Gier"),
    ("42140", "Chazelles-sur-Lyon"),
    ("42110", "Feurs"),
    ("42160", "Andrézieux-Bouthéon"),
    ("42170", "Saint-Just-Saint-Rambert"),
    ("42150", "La Ricamarie"),
    ("42230", "Roche-la-Molière"),
    ("42240", "Unieux"),
    ("42270", "Saint-Priest-en-Jarez"),
    ("42290", "Sorbiers"),
    ("42120", "Le Coteau"),
    ("42153", "Riorges"),
    ("42190", "Charlieu"),
    ("42210", "Montrond-les-Bains"),
    ("42330", "Saint-Galmier"),
    ("42380", "Saint-Bonnet-le-Château"),
    ("42390", "Villars"),
    ("42410", "Pélussin"),
    ("42450", "Sury-le-Comtal"),
    ("42480", "La Fouillouse"),
    ("42490", "Fraisses"),
]
HEADER = (
    "Civilité;Prénom bénéficiaire;Nom bénéficiaire;Adresses Mails;N° Téléphones;"
    "Date de Naissance;CP Ville;N° CAF;ID interne;Référent;Role"
)


def french_list(count, *, communes, referents, seed=20261202):
    """The CSV of `count` people (bytes, Windows-1252), households of 1 to 3 people."""
    chance = random.Random(seed)
    taken = set()
    lines = [HEADER]
    number = 1_000_000
    while len(lines) <= count:
        number += chance.randint(1, 5)
        last = chance.choice(LAST_NAMES)
        commune = chance.choice(communes)
        size = min(chance.choice((1, 1, 2, 2, 3)), count + 1 - len(lines))
        referent = chance.choice(referents) if chance.random() < 0.33 else ""
        for position in range(size):
            while True:
                first = chance.choice(FIRST_NAMES)
                born = datetime.date(1950, 1, 1) + datetime.timedelta(days=chance.randint(0, 20000))
                if (last, first, born) not in taken:
                    taken.add((last, first, born))
                    break
            email = (
                f"{normalise(first)}.{normalise(last)}{number % 97}@exemple.fr".replace(" ", "-")
                if chance.random() < 0.5
                else ""
            )
            phone = (
                "06 " + " ".join(str(chance.randint(10, 99)) for _ in range(4))
                if chance.random() < 0.7
                else ""
            )
            role = ("DEM", "CJT", "ENF")[position]
            civility = chance.choice(("M.", "Mme"))
            lines.append(
                f"{civility};{first};{last.upper()};{email};{phone};{born:%d/%m/%Y};{commune};"
                f"{number};A-{len(lines)};{referent if position == 0 else ''};{role}"
            )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def forget_everything():
    """Back to an empty département between rounds (inside the test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "TRUNCATE beneficiaries_household, beneficiaries_beneficiary, "
            "beneficiaries_fileaccess, beneficiaries_referentassignment, pti_taskrun CASCADE"
        )


def import_once(data, pilot):
    """Through the page's path (pti.import_runs, the tasks run at once by the test settings):
    (the analysis's Step: the stored file read, every row checked, the plan stored; the
    confirmed write's Step; the run's counts as its page shows them)."""
    with Step() as analysing:
        run = run_start(
            kind=RunKind.PEOPLE_IMPORT,
            user=pilot,
            upload=SimpleUploadedFile("liste.csv", data, content_type="text/csv"),
        )
    run.refresh_from_db()
    assert run.status == RunStatus.TO_CONFIRM, (run.error, run.analysis.get("errors", [])[:5])
    assert run.analysis["held_count"] == 0, run.analysis["errors"][:5]
    with Step() as writing:
        run_confirm(run=run, user=pilot)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return analysing, writing, run.summary["counts"]


def test_a_departement_list_of_people(capsys):
    if connection.vendor != "postgresql":
        pytest.skip("la mesure de l'import se fait sur PostgreSQL (DATABASE_URL=postgres://…)")
    territory = TerritoryFactory()
    communes = []
    for index, (postal_code, name) in enumerate(COMMUNES):
        CommuneFactory(
            insee_code=f"42{index:03d}", name=name, postal_code=postal_code, territory=territory
        )
        communes.append(f"{postal_code} {name.upper() if index % 3 == 0 else name}")
    structure = OrganisationFactory()
    referents = [
        f"{user.first_name} {user.last_name}"
        for user in (UserFactory(referent=True, organisation=structure) for _ in range(40))
    ]
    pilot = UserFactory(pilot=True)
    data = french_list(PEOPLE, communes=communes, referents=referents)
    size = len(data) / 1024**2
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = {"premier import": [], "même fichier renvoyé": []}
    for _ in range(ROUNDS):
        forget_everything()
        *first, counts = import_once(data, pilot)
        assert counts["new"] == PEOPLE
        assert Beneficiary.objects.count() == PEOPLE
        assert FileAccess.objects.filter(what="import").count() == PEOPLE
        steps["premier import"].append(first)
        *again, counts = import_once(data, pilot)
        assert counts == {"new": 0, "update": 0, "skip": PEOPLE, "ignored": 0, "held": 0}
        steps["même fichier renvoyé"].append(again)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    households = Household.objects.count()
    assignments = ReferentAssignment.objects.count()

    with capsys.disabled():
        print(
            f"\n{PEOPLE} personnes ({households} foyers, {assignments} référents désignés), "
            f"fichier CSV de {size:.1f} Mo ; {ROUNDS} tour(s) ; min / médiane / max"
        )
        for name, rounds in steps.items():
            for label, index in (("analyse", 0), ("écriture", 1)):

                def figure(attribute, rounds=rounds, index=index):
                    values = [getattr(one[index], attribute) for one in rounds]
                    return (
                        f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f} s"
                    )

                print(
                    f"{name:22} {label:9} mur {figure('wall'):24} Python {figure('python'):24} "
                    f"PostgreSQL {figure('postgresql')}"
                )
        print(f"mémoire : {rss_before:.0f} Mo avant, pointe {rss:.0f} Mo")
