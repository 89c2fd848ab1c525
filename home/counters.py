"""What each role's home page counts: one function per role returns its counters, each a
number, the words that say what it counts and the page that lists those very items (the same
filter, the same scope: the number on the home page is the total the list shows).

Every function makes a constant number of queries, whatever the number of people: the
people's counts are one aggregate query (`Count(filter=...)` per counter), never a loop.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse

from actions.enums import PrescriptionStatus
from beneficiaries.deadlines import DUE_LABELS
from beneficiaries.models import (
    Beneficiary,
    ExitFollowUp,
    HeldHousehold,
    Prescription,
    ReorientationRequest,
    due_conditions,
    late_condition,
    open_assignment_ids,
    referents_with_caseload,
)
from beneficiaries.quality import board_rows, data_quality_counts
from evaluation.computations import Computation
from evaluation.models import Target
from evaluation.services import pact_in_force
from pti.enums import RunStatus
from pti.models import TaskRun


@dataclass(frozen=True)
class Counter:
    """One figure of a home page: `count` (a number of people, prescriptions, runs...), `label`
    the words that follow the number (already agreed with it), `url` the list of those items."""

    count: int
    label: str
    url: str


def words(count, one, many):
    """`one` for 0 or 1 (French agreement), `many` above."""
    return one if count <= 1 else many


def url_with(name, anchor="", **params):
    """The URL `name` with its query string `params` and an `anchor` (a fragment, no #)."""
    url = reverse(name)
    if params:
        url = f"{url}?{urlencode(params)}"
    return f"{url}#{anchor}" if anchor else url


def pilot_counters(user, today):
    """The pilot's counters, département-wide: people late on a deadline, imports waiting for
    a confirmation, households of the CNAF/MSA flux set aside, follow-ups after exit to
    record, reorientation requests to decide, the data-quality board's anomalies, the
    signatories' figures of the year not yet reported. About a dozen queries, whatever the
    number of people."""
    late = Beneficiary.objects.visible_to(user).aggregate(
        late=Count("pk", filter=late_condition(today, whole=True))
    )["late"]
    to_confirm = TaskRun.objects.visible_to(user).filter(status=RunStatus.TO_CONFIRM).count()
    held = HeldHousehold.objects.filter(resolved_at__isnull=True).count()
    counters = [
        Counter(
            late,
            words(
                late,
                "personne avec au moins une échéance en retard",
                "personnes avec au moins une échéance en retard",
            ),
            url_with("beneficiaries:list", due="late"),
        ),
        Counter(
            to_confirm,
            words(to_confirm, "import à valider", "imports à valider"),
            url_with("pti:run_list", etat=RunStatus.TO_CONFIRM),
        ),
        Counter(
            held,
            words(
                held,
                "foyer du flux CAF ou MSA mis de côté, à traiter",
                "foyers du flux CAF ou MSA mis de côté, à traiter",
            ),
            url_with("beneficiaries:held_households"),
        ),
    ]
    counters.append(follow_ups_counter(user, today))
    counters.append(reorientations_counter(user))
    counters.append(data_quality_counter(user, today))
    missing = missing_figures_counter(today)
    if missing is not None:
        counters.append(missing)
    return counters


def missing_figures(year, organisation_id=None):
    """How many figures of `year` the signatories of the pact in force have not entered yet
    (Target.objects.partner_figures_by_signatory), those of `organisation_id`'s signatory
    only when given; None without a pact in force whose period holds `year`. Two queries."""
    pact = pact_in_force()
    if pact is None or not pact.period_start <= year <= pact.period_end:
        return None
    counts = Target.objects.partner_figures_by_signatory(pact=pact, year=year)
    if organisation_id is not None:
        signatories = pact.signatories.filter(organisation_id=organisation_id)
        counts = {pk: counts[pk] for pk in signatories.values_list("pk", flat=True) if pk in counts}
    return sum(row["expected"] - row["reported"] for row in counts.values())


def missing_figures_counter(today):
    """The figures the signatories of the pact in force have not reported for this year,
    leading to « Chiffres des signataires » (evaluation:signatory_reporting). None without a
    pact in force covering this year."""
    missing = missing_figures(today.year)
    if missing is None:
        return None
    return Counter(
        missing,
        words(
            missing,
            f"chiffre {today.year} attendu des signataires, pas encore saisi",
            f"chiffres {today.year} attendus des signataires, pas encore saisis",
        ),
        url_with("evaluation:signatory_reporting", annee=today.year),
    )


def partner_counters(user, today):
    """The partner's counter: the figures of this year its institution has still to enter on
    its commitments of the pact in force, leading to « Mes engagements ». Three queries."""
    if not user.organisation_id:
        return []
    missing = missing_figures(today.year, user.organisation_id)
    if missing is None:
        return []
    return [
        Counter(
            missing,
            words(
                missing,
                f"chiffre {today.year} de vos engagements à saisir",
                f"chiffres {today.year} de vos engagements à saisir",
            ),
            url_with("evaluation:partner_commitments", annee=today.year),
        )
    ]


def follow_ups_counter(user, today):
    """The follow-ups after an exit due and not recorded within `user`'s scope (the pilots':
    all, those whose référent has left included), leading to « Suivis après sortie ». One
    query."""
    due = ExitFollowUp.objects.visible_to(user).due(today).count()
    return Counter(
        due,
        words(due, "suivi après sortie à renseigner", "suivis après sortie à renseigner"),
        url_with("beneficiaries:exit_follow_ups", anchor="compteurs"),
    )


def data_quality_counter(user, today):
    """The numbers of the data-quality board's lines (beneficiaries.quality), added up: a
    person with two anomalies counts twice, as the board shows them on two lines. Six
    queries."""
    total = sum(row[1] or 0 for row in board_rows(data_quality_counts(user, today)))
    return Counter(
        total,
        words(total, "anomalie dans les données", "anomalies dans les données"),
        url_with("beneficiaries:data_quality"),
    )


def manager_counters(user, today):
    """The manager's counters, for their structure only (`Beneficiary.visible_to`): référents
    above `PTI_CASELOAD_THRESHOLD`, people with no référent, people late on a deadline,
    follow-ups after exit, reorientation requests to decide. Four queries; none without a
    structure."""
    if not user.organisation_id:
        return []
    threshold = settings.PTI_CASELOAD_THRESHOLD
    overloaded = referents_with_caseload(user).filter(caseload__gt=threshold).count()
    people = Beneficiary.objects.visible_to(user).aggregate(
        unassigned=Count("pk", filter=Q(exit__isnull=True) & ~Q(pk__in=open_assignment_ids())),
        late=Count("pk", filter=late_condition(today)),
    )
    return [
        Counter(
            overloaded,
            words(
                overloaded,
                f"référent au-dessus du seuil de {threshold} personnes",
                f"référents au-dessus du seuil de {threshold} personnes",
            ),
            url_with("beneficiaries:caseload", anchor="au-dessus-du-seuil"),
        ),
        Counter(
            people["unassigned"],
            words(people["unassigned"], "personne sans référent", "personnes sans référent"),
            url_with("beneficiaries:caseload", anchor="sans-referent"),
        ),
        Counter(
            people["late"],
            words(
                people["late"],
                "personne avec au moins une échéance en retard",
                "personnes avec au moins une échéance en retard",
            ),
            url_with("beneficiaries:list", due="late"),
        ),
        follow_ups_counter(user, today),
        reorientations_counter(user),
    ]


def referent_counters(user, today):
    """The référent's counters, for their own people still in the dispositif: those late on
    anything, then those for whom each kind of deadline (deadlines.DUE_LABELS) is due, each
    leading to « Mon portefeuille » filtered on it, people with a prescription refused by an
    operator and not yet dealt with included: each number is the total of the list it leads
    to. One query."""
    counts = (
        Beneficiary.objects.visible_to(user)
        .filter(exit__isnull=True)
        .aggregate(
            late=Count("pk", filter=late_condition(today)),
            **{code: Count("pk", filter=q) for code, q in due_conditions(today).items()},
        )
    )
    counters = [
        Counter(
            counts["late"],
            words(
                counts["late"],
                "personne avec au moins une échéance en retard",
                "personnes avec au moins une échéance en retard",
            ),
            url_with("beneficiaries:portfolio", due="late"),
        )
    ]
    for code, label in DUE_LABELS.items():
        counters.append(
            Counter(
                counts[code],
                f"{words(counts[code], 'personne', 'personnes')} : {label}",
                url_with("beneficiaries:portfolio", due=code),
            )
        )
    counters.append(follow_ups_counter(user, today))
    return counters


def reorientations_counter(user):
    """The reorientation requests waiting for a decision about the people `user` (a manager
    or a pilot) sees, leading to « Demandes de réorientation ». One query."""
    count = ReorientationRequest.objects.visible_to(user).pending().count()
    return Counter(
        count,
        words(
            count,
            "demande de réorientation à décider",
            "demandes de réorientation à décider",
        ),
        url_with("beneficiaries:reorientation_list", anchor="en-attente"),
    )


def operator_counters(user, today):
    """The operator's counters, for the actions of their organisation: prescriptions waiting
    for an answer, people started in an action (prescriptions « commencée »). One query."""
    counts = dict(
        Prescription.objects.for_operator(user)
        .filter(status__in=[PrescriptionStatus.SENT, PrescriptionStatus.STARTED])
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    sent = counts.get(PrescriptionStatus.SENT, 0)
    started = counts.get(PrescriptionStatus.STARTED, 0)
    return [
        Counter(
            sent,
            words(
                sent,
                "prescription en attente de votre réponse",
                "prescriptions en attente de votre réponse",
            ),
            url_with("beneficiaries:operator_inbox", etat=PrescriptionStatus.SENT),
        ),
        Counter(
            started,
            words(
                started,
                "personne entrée dans une de vos actions (prescription commencée)",
                "personnes entrées dans vos actions (prescriptions commencées)",
            ),
            url_with("beneficiaries:operator_inbox", etat=PrescriptionStatus.STARTED),
        ),
    ]


COUNTERS = {
    "pilot": pilot_counters,
    "manager": manager_counters,
    "referent": referent_counters,
    "operator": operator_counters,
    "partner": partner_counters,
}


def counters_for(user, today):
    """The counters of `user`'s home page: a list of Counter, empty for a role without any."""
    counters = COUNTERS.get(user.role)
    return counters(user, today) if counters else []


@dataclass(frozen=True)
class StructureFigure:
    """One line of a structure's indicators: `value` as shown (« 42 », « 61,5 % », « 23,4
    jours », « — » when nothing to count), `detail` the counts behind a share or a mean."""

    label: str
    value: str
    detail: str


def french(number):
    """12.5 -> « 12,5 » (a Decimal or an int)."""
    return str(number).replace(".", ",")


def structure_figures(organisation, year, today):
    """A few indicators of `year` (up to `today`) for the people followed by `organisation`
    (evaluation.computations.Computation restricted to the structure: the people who had a
    référent of that structure at some time in the year): people followed, SDD oriented,
    mean delay of orientation, contracts in force, dynamic exits. The definitions are the
    DREES OARSA ones (indicators 1, 2, 3 and 6) and the pact's « sorties dynamiques ». A
    list of StructureFigure; a fixed number of queries (about eight) whatever the people."""
    computation = Computation(year, structure=organisation, today=today)
    subject = computation.oarsa_1_subject()
    oriented = computation.oarsa_2_oriented()
    delay = computation.oarsa_3_orientation_delay()
    contract = computation.oarsa_6_contract_rate()
    exits = computation.dynamic_exits()

    def share(figure, whole_words):
        if figure.value is None:
            return "—", f"aucune personne {whole_words}"
        return (
            f"{french(figure.value)} %",
            f"{figure.numerator} sur {figure.denominator} {whole_words}",
        )

    people = subject.denominator or 0
    return [
        StructureFigure(
            "Personnes suivies (droit ouvert, pas sorties)",
            str(people),
            f"dont {subject.numerator or 0} soumises aux droits et devoirs",
        ),
        StructureFigure(
            "Personnes soumises aux droits et devoirs orientées",
            *share(oriented, "soumises aux droits et devoirs"),
        ),
        StructureFigure(
            "Délai moyen entre la demande de RSA et la première orientation",
            f"{french(delay.value)} jours" if delay.value is not None else "—",
            f"{delay.denominator} personne{'s' if delay.denominator > 1 else ''} entrée"
            f"{'s' if delay.denominator > 1 else ''} dans l'année et orientée"
            f"{'s' if delay.denominator > 1 else ''}",
        ),
        StructureFigure(
            "Personnes orientées hors France Travail avec un contrat en cours",
            *share(contract, "orientées hors France Travail"),
        ),
        StructureFigure(
            "Sorties dynamiques (emploi durable, emploi de transition, sortie positive)",
            *share(exits, "sorties dans l'année"),
        ),
    ]
