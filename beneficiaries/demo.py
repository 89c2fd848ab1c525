"""Demo people: `seed_demo --beneficiaries N` (2,000 by default) builds households across the
territories and référents, with parcours at every stage: not yet oriented (some late),
oriented without référent, contracts signed, late or ending, interviews, obstacles,
prescriptions, exits. Everything is written with bulk inserts, so that 100,000 people take
minutes on PostgreSQL. Running it again adds only the people missing to reach N."""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db.models import Count
from django.utils import timezone

from actions.enums import PLACE_HOLDING_STATUSES, ActionStatus, PrescriptionStatus
from actions.enums import Obstacle as ObstacleKind
from actions.models import Action
from beneficiaries import services
from beneficiaries.enums import (
    EXITS_FOR_ACTIVITY,
    FIXED_TERM_CONTRACTS,
    FOLLOW_UP_EMPLOYMENT,
    RECORDED_EXITS,
    AssignmentReason,
    ContractKind,
    ExitContract,
    FamilySituation,
    FollowUpSituation,
    HoursReduction,
    HouseholdRole,
    InterviewKind,
    LongReviewReason,
    ObstacleStatus,
    Parcours,
    Payer,
    PlannedActionKind,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import (
    MAX_WEEKLY_HOURS,
    Attendance,
    Beneficiary,
    Contract,
    Exit,
    ExitFollowUp,
    Household,
    Interview,
    Obstacle,
    OrientationDecision,
    PlannedAction,
    Prescription,
    ReferentAssignment,
    ReorientationRequest,
    week_start,
)
from beneficiaries.search import search_key
from pti.enums import Role
from pti.models import Commune, Organisation, User

BATCH = 5000
CE_SINCE = datetime.date(2025, 1, 1)
# Birth dates are drawn back from this fixed day, not from today: the same demo person is born
# the same day whenever the demo is built, so that a flux or a list written for the demo
# households (shared/cases, the manual's examples) finds them any day.
BIRTHS_FROM = datetime.date(2026, 12, 1)

FEMALE_NAMES = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Sandrine",
    "Céline",
    "Aurélie",
    "Julie",
    "Sarah",
    "Laura",
    "Camille",
    "Inès",
    "Léa",
    "Chloé",
    "Manon",
    "Emma",
    "Yasmine",
    "Fatima",
    "Amina",
    "Nadia",
    "Sophie",
    "Hélène",
    "Valérie",
    "Christine",
    "Élodie",
    "Mélanie",
    "Océane",
    "Lucie",
    "Jessica",
]
MALE_NAMES = [
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Nicolas",
    "Christophe",
    "Frédéric",
    "Laurent",
    "Stéphane",
    "David",
    "Julien",
    "Thomas",
    "Kevin",
    "Mehdi",
    "Karim",
    "Mohamed",
    "Youssef",
    "Antoine",
    "Maxime",
    "Lucas",
    "Hugo",
    "Théo",
    "Rachid",
    "Sébastien",
    "Cédric",
    "Jérôme",
    "Damien",
    "Loïc",
    "Bruno",
]
LAST_NAMES = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq Lacroix Fabre Dupuis Olivier Rodriguez Da_Silva Hubert Louis Charles Guillot Rivière Le_Gall Guillaume Adam Rey Moulin Gonzalez Berger Lecomte Ménard Fleury Deschamps Carpentier Julien Benoît Paris Maillard Marchal Aubry Vasseur Le_Roux Renault Jacquet Collet Prévost Poirier Charpentier Royer Huet Baron Dupuy Pons Paul Laine Carré Breton Rémy Schneider Perrot Guyot Barre Marty Cousin".replace(
    "_", " "
).split()

# (organisation, number of référents, parcours it takes)
REFERENT_TEAMS = [
    ("CCAS de Saint-Étienne", 4, Parcours.SOCIAL),
    ("CCAS de Roanne", 3, Parcours.SOCIAL),
    ("Conseil départemental de la Loire", 8, Parcours.SOCIO_PROFESSIONAL),
    ("France Travail – direction territoriale de la Loire", 6, Parcours.EMPLOYMENT),
    ("PLIE de Saint-Étienne Métropole", 2, Parcours.SOCIO_PROFESSIONAL),
    ("Mission locale de Saint-Étienne et de la couronne stéphanoise", 2, Parcours.EMPLOYMENT),
]
TERRITORY_WEIGHTS = {
    "saint-etienne": 40,
    "roannais": 18,
    "ondaine": 15,
    "gier-pilat": 15,
    "forez": 12,
}


def add_arguments(parser):
    parser.add_argument(
        "--beneficiaries",
        type=int,
        default=2000,
        help="nombre de bénéficiaires de démonstration à atteindre (défaut : 2000)",
    )


def seed(*, options, report):
    wanted = options["beneficiaries"]
    if wanted < 0:
        raise ValueError("--beneficiaries doit être positif")
    referents = _seed_referents(options["password"], scale=max(1, wanted // 2000))
    existing = Beneficiary.objects.filter(household__caf_number__startswith="9").count()
    missing = max(0, wanted - existing)
    started = timezone.now()
    if missing:
        Generator(referents, seed=existing or 1).create(missing)
        _recount_places()
    _seed_exit_follow_ups(report)
    _seed_reorientation_requests(report)
    weeks = _seed_attendance(today=timezone.localdate())
    seconds = (timezone.now() - started).total_seconds()
    report.add(
        f"{existing + missing} bénéficiaires de démonstration ({missing} créés en {seconds:.1f} s), "
        f"{len({user.pk for team in referents.values() for user in team})} référents, "
        f"{weeks} semaines d'heures d'activité saisies"
    )


def _seed_referents(password, *, scale):
    """The demo référent (`referent`) and, in each structure, colleagues who share the password:
    about one référent per 80 people, whatever the number of people asked for."""
    hashed = make_password(password)
    referents = {}
    organisations = {
        o.name: o for o in Organisation.objects.filter(name__in=[t[0] for t in REFERENT_TEAMS])
    }
    first_names = FEMALE_NAMES + MALE_NAMES
    for team_index, (name, size, _) in enumerate(REFERENT_TEAMS):
        organisation = organisations[name]
        prefix = f"referent-{organisation.short_name.lower().replace(' ', '-')}-"
        existing = set(
            User.objects.filter(username__startswith=prefix).values_list("username", flat=True)
        )
        User.objects.bulk_create(
            User(
                username=f"{prefix}{number}",
                role=Role.REFERENT,
                organisation=organisation,
                first_name=first_names[(team_index * 7 + number * 3) % len(first_names)],
                last_name=LAST_NAMES[(team_index * 11 + number * 5) % len(LAST_NAMES)],
                email=f"{prefix}{number}@demo.pti.invalid",
                password=hashed,
            )
            for number in range(1, size * scale + 1)
            if f"{prefix}{number}" not in existing
        )
        team = User.objects.filter(username__startswith=prefix)
        team.update(password=hashed)
        referents[name] = list(team.order_by("pk"))
    # The demo account `referent` works at the CCAS de Saint-Étienne.
    demo = User.objects.filter(username="referent").first()
    if demo is not None:
        referents["CCAS de Saint-Étienne"].insert(0, demo)
    return referents


ATTENDANCE_FROM = datetime.date(2026, 1, 1)


def _seed_attendance(*, today):
    """Hours of activity, week by week, for the prescriptions started since 1 January 2026
    that have none yet (so a second run adds nothing): about six people in ten at 15 hours or
    more a week, the others below, and those whose contract records a reduction near their
    reduced plan; now and then a week of absence. Recorded by an operator of the action's
    organisation (the prescriber when it has none). Returns the number of weeks written."""
    operators = dict(
        User.objects.filter(role=Role.OPERATOR, organisation__isnull=False)
        .order_by("pk")
        .values_list("organisation_id", "pk")
    )
    plans = dict(
        Contract.objects.filter(is_current=True).values_list("beneficiary_id", "weekly_hours")
    )
    reduced = set(
        Contract.objects.filter(is_current=True)
        .exclude(hours_reduction="")
        .values_list("beneficiary_id", flat=True)
    )
    prescriptions = (
        Prescription.objects.filter(started_on__gte=ATTENDANCE_FROM, started_on__lte=today)
        .exclude(pk__in=Attendance.objects.values("prescription_id"))
        .values_list(
            "pk",
            "beneficiary_id",
            "action__operator_id",
            "prescribed_by_id",
            "started_on",
            "ended_on",
        )
        .order_by("pk")
    )
    last_week = week_start(today) - datetime.timedelta(weeks=1)
    rows = []
    for pk, person_id, operator_id, prescriber_id, started, ended in prescriptions:
        recorder = operators.get(operator_id, prescriber_id)
        if recorder is None:
            continue
        rng = random.Random(pk)
        if person_id in reduced:
            usual = plans[person_id]
        elif rng.random() < 0.6:
            usual = Decimal(rng.choice([15, 16, 18, 20]))
        else:
            usual = Decimal(rng.choice([6, 8, 10, 12, 13]))
        week = week_start(started)
        end = min(last_week, week_start(ended) if ended else last_week)
        while week <= end:
            hours = Decimal(0) if rng.random() < 0.06 else usual + rng.choice([-1, 0, 0, 0, 1])
            rows.append(
                Attendance(
                    prescription_id=pk,
                    week=week,
                    hours=max(Decimal(0), min(hours, Decimal(MAX_WEEKLY_HOURS))),
                    recorded_by_id=recorder,
                )
            )
            week += datetime.timedelta(weeks=1)
    Attendance.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _recount_places():
    """Each action's places taken = its prescriptions holding a place (capped at capacity)."""
    holding = dict(
        Prescription.objects.filter(status__in=PLACE_HOLDING_STATUSES)
        .values_list("action")
        .annotate(n=Count("pk"))
    )
    for action in Action.objects.all():
        taken = min(holding.get(action.pk, 0), action.capacity)
        status = action.status
        if status in (ActionStatus.OPEN, ActionStatus.FULL):
            status = (
                ActionStatus.FULL
                if action.capacity and taken >= action.capacity
                else ActionStatus.OPEN
            )
        Action.objects.filter(pk=action.pk).update(places_taken=taken, status=status)


class Generator:
    def __init__(self, referents, *, seed):
        self.random = random.Random(20161012 + seed)
        self.today = timezone.localdate()
        self.referents = referents
        self.teams = {name: parcours for name, _, parcours in REFERENT_TEAMS}
        self.organisations = {o.name: o for o in Organisation.objects.filter(name__in=self.teams)}
        communes = list(Commune.objects.select_related("territory"))
        self.communes_by_territory = {}
        for commune in communes:
            self.communes_by_territory.setdefault(commune.territory.code, []).append(commune)
        self.territory_codes = [c for c in TERRITORY_WEIGHTS if c in self.communes_by_territory]
        self.weights = [TERRITORY_WEIGHTS[c] for c in self.territory_codes]
        self.actions = list(
            Action.objects.filter(status__in=[ActionStatus.OPEN, ActionStatus.FULL], capacity__gt=0)
        )
        holding = dict(
            Prescription.objects.filter(status__in=PLACE_HOLDING_STATUSES)
            .values_list("action")
            .annotate(n=Count("pk"))
        )
        self.places_left = {a.pk: max(0, a.capacity - holding.get(a.pk, 0)) for a in self.actions}
        last = Household.objects.filter(caf_number__startswith="9").order_by("-caf_number").first()
        self.next_number = int(last.caf_number) + 1 if last else 9000001

    # --- helpers ---

    def chance(self, probability):
        return self.random.random() < probability

    def days(self, low, high):
        return datetime.timedelta(days=self.random.randint(low, high))

    def past(self, date):
        return min(date, self.today)

    # --- the people ---

    def create(self, count):
        created = 0
        while created < count:
            size = min(BATCH, count - created)
            self.create_batch(size)
            created += size

    def create_batch(self, size):
        households, people = [], []
        while len(people) < size:
            household = self.household()
            households.append(household)
            members = (
                2
                if household.family_situation.startswith("couple") and len(people) + 1 < size
                else 1
            )
            for role in [HouseholdRole.APPLICANT, HouseholdRole.PARTNER][:members]:
                people.append((household, self.person(role)))
        Household.objects.bulk_create(households, batch_size=BATCH)
        for household, person in people:
            person.household = household
        Beneficiary.objects.bulk_create([p for _, p in people], batch_size=BATCH)
        self.parcours([p for _, p in people])

    def household(self):
        code = self.random.choices(self.territory_codes, self.weights)[0]
        commune = self.random.choice(self.communes_by_territory[code])
        number = f"{self.next_number:07d}"
        self.next_number += 1
        return Household(
            payer=Payer.MSA if self.chance(0.04) else Payer.CAF,
            caf_number=number,
            address=f"{self.random.randint(1, 120)} rue {self.random.choice(LAST_NAMES)}",
            commune=commune,
            territory=commune.territory,
            family_situation=self.random.choices(
                [
                    FamilySituation.SINGLE,
                    FamilySituation.SINGLE_PARENT,
                    FamilySituation.COUPLE,
                    FamilySituation.COUPLE_WITH_CHILDREN,
                ],
                [45, 30, 10, 15],
            )[0],
            homeless=self.chance(0.03),
        )

    def person(self, role):
        sex = (
            Sex.FEMALE
            if self.chance(0.55 if role == HouseholdRole.APPLICANT else 0.45)
            else Sex.MALE
        )
        first = self.random.choice(FEMALE_NAMES if sex == Sex.FEMALE else MALE_NAMES)
        last = self.random.choice(LAST_NAMES)
        requested = self.today - self.days(20, 6 * 365)
        opened = requested + self.days(0, 45)
        opened = self.past(opened)
        known = self.past(opened + self.days(0, 15))
        age = self.random.choices(
            [self.random.randint(18, 25), self.random.randint(26, 49), self.random.randint(50, 66)],
            [15, 60, 25],
        )[0]
        birth = BIRTHS_FROM - datetime.timedelta(days=age * 365 + self.random.randint(0, 364))
        return Beneficiary(
            household_role=role,
            last_name=last,
            birth_name=last
            if sex == Sex.MALE or self.chance(0.6)
            else self.random.choice(LAST_NAMES),
            first_name=first,
            birth_date=birth,
            sex=sex,
            email=f"{search_key(first, '', '').replace(' ', '')}.{search_key(last, '', '').replace(' ', '')}@exemple.fr"
            if self.chance(0.6)
            else "",
            phone=f"06 {self.random.randint(10, 99)} {self.random.randint(10, 99)} {self.random.randint(10, 99)} {self.random.randint(10, 99)}",
            rights_and_duties=RightsAndDuties.SUBJECT
            if self.chance(0.92)
            else RightsAndDuties.NOT_SUBJECT,
            rsa_requested_on=requested,
            right_opened_on=opened,
            right_known_on=known,
            search_key=search_key(last, last, first),
        )

    def parcours(self, people):
        orientations, assignments, contracts, interviews, obstacles, prescriptions, exits = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        planned = []
        for person in people:
            if person.rights_and_duties != RightsAndDuties.SUBJECT:
                continue
            since_known = (self.today - person.right_known_on).days
            # Not yet oriented: recent rights (some already past the 6 weeks).
            if since_known < 75 and self.chance(0.7):
                continue
            team_name = self.random.choices(list(self.teams), [22, 10, 30, 25, 8, 5])[0]
            parcours = self.teams[team_name]
            organisation = self.organisations[team_name]
            decided = self.past(person.right_known_on + self.days(10, 60))
            notified = self.past(decided + self.days(2, 12))
            if self.chance(0.08) and (self.today - decided).days > 200:
                # First oriented elsewhere, then reoriented after the diagnostic.
                first_team = self.random.choice([t for t in self.teams if t != team_name])
                orientations.append(
                    OrientationDecision(
                        beneficiary=person,
                        parcours=self.teams[first_team],
                        organisme=self.organisations[first_team],
                        decided_on=decided,
                        notified_on=notified,
                        is_current=False,
                    )
                )
                decided = self.past(decided + self.days(60, 180))
                notified = self.past(decided + self.days(2, 12))
                orientations.append(
                    OrientationDecision(
                        beneficiary=person,
                        parcours=parcours,
                        organisme=organisation,
                        decided_on=decided,
                        notified_on=notified,
                        is_reorientation=True,
                        reason="Diagnostic global : parcours mieux adapté.",
                        team_consulted=self.chance(0.5),
                    )
                )
            else:
                orientations.append(
                    OrientationDecision(
                        beneficiary=person,
                        parcours=parcours,
                        organisme=organisation,
                        decided_on=decided,
                        notified_on=notified,
                    )
                )
            if self.chance(0.05):
                continue  # oriented, référent still to be named
            referent = self.random.choice(self.referents[team_name])
            start = self.past(notified + self.days(0, 15))
            assignments.append(
                ReferentAssignment(
                    beneficiary=person,
                    referent=referent,
                    structure=organisation,
                    start_date=start,
                    reason=AssignmentReason.FIRST,
                )
            )
            exit_on = None
            if self.chance(0.14) and (self.today - start).days > 120:
                exit_on = self.past(start + self.days(90, max(91, (self.today - start).days)))
            horizon = exit_on or self.today
            # Contracts, renewed until today; some never signed on time.
            if self.chance(0.88):
                contract_start = start + self.days(5, 50)
                chain = []
                while contract_start <= horizon:
                    months = self.random.choice([6, 12])
                    end = contract_start + datetime.timedelta(days=30 * months)
                    kind = (
                        ContractKind.CE
                        if contract_start >= CE_SINCE
                        else (
                            ContractKind.PPAE
                            if parcours == Parcours.EMPLOYMENT
                            else ContractKind.CER
                        )
                    )
                    reduced = kind == ContractKind.CE and self.chance(0.12)
                    contract = Contract(
                        beneficiary=person,
                        kind=kind,
                        start_date=contract_start,
                        end_date=end,
                        signed_on=contract_start,
                        objectives=self.random.choice(
                            [
                                "Stabiliser la situation et reprendre une activité.",
                                "Construire un projet professionnel réaliste.",
                                "Accéder à une formation qualifiante.",
                                "Retrouver un emploi durable.",
                            ]
                        ),
                        weekly_hours=Decimal(self.random.choice([8, 10, 12]))
                        if reduced
                        else Decimal(15),
                        hours_reduction=self.random.choice(HoursReduction.values)
                        if reduced
                        else "",
                        long_review_reason=self.random.choice(LongReviewReason.values)
                        if parcours == Parcours.SOCIAL and self.chance(0.3)
                        else "",
                        is_current=False,
                    )
                    chain.append(contract)
                    if self.chance(0.15):
                        break  # expired, not renewed
                    contract_start = end + self.days(0, 20)
                if chain:
                    chain[-1].is_current = True
                    contracts.extend(chain)
                    for contract in chain:
                        planned.append(
                            (
                                contract,
                                PlannedActionKind.JOB_SEARCH
                                if parcours == Parcours.EMPLOYMENT
                                else self.random.choice(PlannedActionKind.values),
                            )
                        )
            # Interviews: every few weeks, some people not seen for months.
            day = start
            gap = self.random.choice([20, 30, 45, 60, 120])
            while day < horizon:
                interviews.append(
                    Interview(
                        beneficiary=person,
                        kind=self.random.choices(InterviewKind.values, [70, 10, 15, 5])[0],
                        date=day,
                        note="",
                        referent=referent,
                    )
                )
                day += self.days(gap, gap + 30)
            # Obstacles.
            for kind in self.random.sample(
                ObstacleKind.values, self.random.choice([0, 1, 1, 2, 3])
            ):
                identified = self.past(start + self.days(0, 60))
                status = self.random.choices(ObstacleStatus.values, [35, 35, 30])[0]
                addressed = (
                    self.past(identified + self.days(7, 60))
                    if status != ObstacleStatus.IDENTIFIED
                    else None
                )
                lifted = (
                    self.past(addressed + self.days(15, 200))
                    if status == ObstacleStatus.LIFTED
                    else None
                )
                obstacles.append(
                    Obstacle(
                        beneficiary=person,
                        kind=kind,
                        status=status,
                        identified_on=identified,
                        addressed_on=addressed,
                        lifted_on=lifted,
                    )
                )
            # Prescriptions to the catalogue, all before the exit; none left running after it.
            for action in self.random.sample(
                self.actions, min(len(self.actions), self.random.choice([0, 0, 1, 1, 2]))
            ):
                prescribed = start + self.days(10, 400)
                if prescribed > horizon:
                    continue
                status = self.random.choices(
                    [
                        PrescriptionStatus.SENT,
                        PrescriptionStatus.REFUSED,
                        PrescriptionStatus.ACCEPTED,
                        PrescriptionStatus.STARTED,
                        PrescriptionStatus.COMPLETED,
                        PrescriptionStatus.ABANDONED,
                    ],
                    [10, 8, 6, 14, 45, 17],
                )[0]
                answered = prescribed + self.days(2, 20)
                started = answered + self.days(3, 30)
                ended = started + self.days(30, 180)
                # What has not happened by the horizon has not happened: a recent prescription
                # is still waiting, accepted or running, whatever was drawn.
                finished = (PrescriptionStatus.COMPLETED, PrescriptionStatus.ABANDONED)
                if status in finished and ended > horizon:
                    status = PrescriptionStatus.STARTED
                if status == PrescriptionStatus.STARTED and started > horizon:
                    status = PrescriptionStatus.ACCEPTED
                if status != PrescriptionStatus.SENT and answered > horizon:
                    status = PrescriptionStatus.SENT
                if exit_on and status in (
                    PrescriptionStatus.SENT,
                    PrescriptionStatus.ACCEPTED,
                    PrescriptionStatus.STARTED,
                ):
                    # Left running at the exit: abandoned that day, entered or not.
                    status = PrescriptionStatus.ABANDONED
                    answered = min(answered, exit_on)
                    started = min(started, exit_on)
                    ended = exit_on
                if status in PLACE_HOLDING_STATUSES:
                    if self.places_left[action.pk] <= 0:
                        status = PrescriptionStatus.REFUSED  # the session is full
                    else:
                        self.places_left[action.pk] -= 1
                if status == PrescriptionStatus.SENT:
                    answered = None
                entered = status in (
                    PrescriptionStatus.STARTED,
                    PrescriptionStatus.COMPLETED,
                    PrescriptionStatus.ABANDONED,
                )
                started = started if entered else None
                ended = (
                    ended
                    if status in (PrescriptionStatus.COMPLETED, PrescriptionStatus.ABANDONED)
                    else None
                )
                sessions = self.random.randint(5, 20) if started else 0
                prescriptions.append(
                    Prescription(
                        beneficiary=person,
                        action=action,
                        status=status,
                        prescribed_by=referent,
                        prescribed_on=prescribed,
                        answered_on=answered,
                        refusal_reason="Pas de place sur la session demandée."
                        if status == PrescriptionStatus.REFUSED
                        else "",
                        started_on=started,
                        ended_on=ended,
                        sessions_planned=sessions,
                        sessions_attended=self.random.randint(sessions // 2, sessions)
                        if sessions
                        else 0,
                    )
                )
            if exit_on:
                contract_type = self.random.choices(
                    ExitContract.values, [12, 16, 10, 8, 2, 4, 8, 4, 36]
                )[0]
                days = (
                    self.random.choice([30, 90, 150, 183, 184, 270, 365])
                    if contract_type
                    in (ExitContract.CDD, ExitContract.TEMP, ExitContract.SUBSIDISED)
                    else None
                )
                category = self.random.choices(RECORDED_EXITS, [55, 30, 10, 3, 2])[0]
                if category not in EXITS_FOR_ACTIVITY:
                    contract_type, days = ExitContract.NONE, None
                exits.append(
                    Exit(
                        beneficiary=person,
                        exit_on=max(exit_on, person.right_opened_on),
                        category=category,
                        contract_type=contract_type,
                        contract_days=days,
                    )
                )
        OrientationDecision.objects.bulk_create(orientations, batch_size=BATCH)
        ReferentAssignment.objects.bulk_create(assignments, batch_size=BATCH)
        Contract.objects.bulk_create(contracts, batch_size=BATCH)
        PlannedAction.objects.bulk_create(
            [
                PlannedAction(
                    contract=c, kind=k, description=PlannedActionKind(k).label.capitalize()
                )
                for c, k in planned
            ],
            batch_size=BATCH,
        )
        Interview.objects.bulk_create(interviews, batch_size=BATCH)
        Obstacle.objects.bulk_create(obstacles, batch_size=BATCH)
        Prescription.objects.bulk_create(prescriptions, batch_size=BATCH)
        Exit.objects.bulk_create(exits, batch_size=BATCH)


# --- The follow-ups after an exit -----------------------------------------------------------------

DEMO_REORIENTATION_REASONS = [
    "Le diagnostic montre un projet professionnel prêt : orientation vers l'emploi.",
    "Les freins de santé sont levés ; la personne souhaite un accompagnement vers l'emploi.",
]


def _seed_reorientation_requests(report):
    """Two reorientation requests of the demo référent (`referent`) waiting for the demo
    manager's decision, towards France Travail. Made through the service, as a référent
    would; none added when the demo référent has some already."""
    demo = User.objects.filter(username="referent").first()
    france_travail = Organisation.objects.filter(kind="france_travail", is_active=True).first()
    if demo is None or france_travail is None:
        return
    if ReorientationRequest.objects.filter(requested_by=demo).exists():
        return
    people = (
        Beneficiary.objects.assigned_to(demo)
        .active()
        .filter(orientations__is_current=True)
        .exclude(orientations__is_current=True, orientations__organisme=france_travail)
        .order_by("pk")[: len(DEMO_REORIENTATION_REASONS)]
    )
    for person, reason in zip(people, DEMO_REORIENTATION_REASONS, strict=False):
        services.reorientation_request(
            beneficiary=person,
            reason=reason,
            proposed_parcours=Parcours.EMPLOYMENT,
            proposed_organisme=france_travail,
            by=demo,
        )
    report.add(f"{len(people)} demandes de réorientation en attente")


LEFT_REFERENT = "referent-parti"


def _seed_exit_follow_ups(report):
    """The follow-ups 3, 6 and 12 months after the demo exits: planned as the nightly task
    does, about two in three recorded (those due for more than three weeks), the others left
    due or late; and a référent who has left (an inactive account, `referent-parti`) with one
    person whose follow-ups fall to the pilots. Re-runnable: what exists is kept."""
    today = timezone.localdate()
    services.exit_follow_ups_plan(today=today)
    gone, _ = User.objects.get_or_create(
        username=LEFT_REFERENT,
        defaults={
            "role": Role.REFERENT,
            "organisation": Organisation.objects.filter(name="CCAS de Saint-Étienne").first(),
            "first_name": "Paul",
            "last_name": "Départ",
            "email": f"{LEFT_REFERENT}@demo.pti.invalid",
            "is_active": False,
        },
    )
    if not ReferentAssignment.objects.filter(referent=gone).exists():
        # A person who left for activity 7 to 9 months ago, whose référent then left.
        exit_ = (
            Exit.objects.filter(
                category__in=EXITS_FOR_ACTIVITY,
                exit_on__gte=today - datetime.timedelta(days=270),
                exit_on__lte=today - datetime.timedelta(days=210),
                beneficiary__household__caf_number__startswith="9",
                beneficiary__assignments__end_date__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if exit_ is not None and gone.organisation_id:
            ReferentAssignment.objects.filter(
                beneficiary_id=exit_.beneficiary_id, end_date__isnull=True
            ).update(referent=gone, structure=gone.organisation)
            ExitFollowUp.objects.filter(exit=exit_).update(
                situation="",
                contract_type="",
                contract_days=None,
                recorded_on=None,
                recorded_by=None,
                note="",
            )
    demo = User.objects.filter(username="referent").first()
    if demo is not None and not ExitFollowUp.objects.visible_to(demo).exists():
        # The demo référent gets three people of their structure who left for activity 4 to
        # 14 months ago, their follow-ups to do.
        exits = list(
            Exit.objects.filter(
                category__in=EXITS_FOR_ACTIVITY,
                exit_on__gte=today - datetime.timedelta(days=425),
                exit_on__lte=today - datetime.timedelta(days=120),
                beneficiary__household__caf_number__startswith="9",
                beneficiary__assignments__end_date__isnull=True,
                beneficiary__assignments__structure_id=demo.organisation_id,
            )
            .exclude(beneficiary__assignments__referent=gone)
            .order_by("pk")[:3]
        )
        people = [exit_.beneficiary_id for exit_ in exits]
        ReferentAssignment.objects.filter(beneficiary_id__in=people, end_date__isnull=True).update(
            referent=demo
        )
        ExitFollowUp.objects.filter(exit__in=exits).update(
            situation="",
            contract_type="",
            contract_days=None,
            recorded_on=None,
            recorded_by=None,
            note="",
        )
    # Record about two in three of those due for more than three weeks, by their référent (the
    # demo référent's are left to do).
    rows = list(
        ExitFollowUp.objects.to_do()
        .filter(due_on__lte=today - datetime.timedelta(days=21))
        .exclude(exit__beneficiary__assignments__referent__in=[gone, demo] if demo else [gone])
        .with_referent()
        .filter(referent_id__isnull=False)
        .order_by("pk")
    )
    draw = random.Random(20260101)
    situations = [
        (FollowUpSituation.EMPLOYED, 45),
        (FollowUpSituation.TRAINING, 10),
        (FollowUpSituation.BACK_ON_RSA, 12),
        (FollowUpSituation.NO_JOB, 18),
        (FollowUpSituation.UNKNOWN, 15),
    ]
    recorded = []
    for row in rows:
        if draw.random() > 2 / 3:
            continue
        situation = draw.choices([s for s, _ in situations], [w for _, w in situations])[0]
        kind, days = "", None
        if situation == FollowUpSituation.EMPLOYED:
            kind = draw.choices(FOLLOW_UP_EMPLOYMENT, [25, 30, 20, 10, 3, 7, 5])[0]
            if kind in FIXED_TERM_CONTRACTS:
                days = draw.choice([60, 90, 150, 183, 270, 365])
        row.situation, row.contract_type, row.contract_days = situation, kind, days
        row.recorded_on = min(today, row.due_on + datetime.timedelta(days=draw.randint(0, 20)))
        row.recorded_by_id = row.referent_id
        recorded.append(row)
    ExitFollowUp.objects.bulk_update(
        recorded,
        ["situation", "contract_type", "contract_days", "recorded_on", "recorded_by"],
        batch_size=BATCH,
    )
    due = ExitFollowUp.objects.due(today).count()
    report.add(
        f"{ExitFollowUp.objects.count()} suivis après sortie ({due} à faire), "
        f"dont {len(recorded)} renseignés à l'instant"
    )
