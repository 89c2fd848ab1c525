"""The quality of the people's data: what a pilot should put right before the figures can be
trusted. Each check counts people still in the parcours (no exit recorded) and leads to the
people list filtered by the same condition (`BeneficiaryFilter`: « à faire » for the legal
deadlines, « anomalie » for the others), so that the board, the list, its export and its count
agree. The items of an import set aside (households of the CNAF flux, rows of a table import)
lead to the pages where they are reviewed.

Every count is made by the database in a constant number of queries, whatever the number of
people (`data_quality_counts`): on 100,000 people it stays well under a second.
"""

import datetime
from urllib.parse import urlencode

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.db.models.lookups import In
from django.urls import reverse
from django.utils import timezone

from beneficiaries.enums import RightsAndDuties
from beneficiaries.models import (
    Beneficiary,
    Exit,
    FluxListing,
    HeldHousehold,
    due_conditions,
    open_assignment_ids,
)
from pti.enums import Role, RunKind, RunStatus
from pti.models import TaskRun

# The anomalies the people list filters by (`?anomalie=<code>`), in the board's order.
QUALITY_LABELS = {
    "no_referent": "soumis aux droits et devoirs sans référent",
    "no_territory": "foyer sans territoire vérifié (sans commune ou commune d'ailleurs)",
    "duplicate": "doublon probable (même nom et même date de naissance)",
    "absent_from_flux": "foyer absent du dernier flux CAF ou MSA",
}

# The table imports of people whose held rows wait to be corrected and imported again.
PEOPLE_TABLE_IMPORTS = (RunKind.PEOPLE_IMPORT, RunKind.CAF_CONTACTS_IMPORT)


def last_two_fluxes():
    """(date of the last monthly CNAF/MSA flux, date of the one before), None for each flux
    that never came: the two latest distinct `FluxListing.listed_on` (one query, served by
    the index on listed_on)."""
    dates = list(
        FluxListing.objects.order_by("-listed_on")
        .values_list("listed_on", flat=True)
        .distinct()[:2]
    )
    dates += [None] * (2 - len(dates))
    return dates[0], dates[1]


def absent_households(last_on, previous_on):
    """[household id]: the households the flux of `previous_on` listed (a member's
    FluxListing is of that day: the flux moves it to its own date) and the flux of `last_on`
    did not list at all (no member's listing is of that day); [] before two fluxes. One query:
    the people still listed on the previous day are few (those the last flux dropped), found by
    the index on listed_on, and each of their households is looked for in the last flux."""
    if last_on is None or previous_on is None:
        return []
    listed_last = FluxListing.objects.filter(
        listed_on=last_on, beneficiary__household_id=OuterRef("household_id")
    )
    return list(
        Beneficiary.objects.filter(flux_listing__listed_on=previous_on)
        .filter(~Exists(listed_last))
        .order_by()
        .values_list("household_id", flat=True)
        .distinct()
    )


def identity():
    """The expression of a person's identity as the duplicates compare it: the comparison
    key of their names and their birth date, « dupont camille|1985-06-15 »."""
    return Concat(
        "search_key", Value("|"), Cast("birth_date", CharField()), output_field=CharField()
    )


def shared_identities():
    """The identities (`identity`) two people or more still in the parcours and not
    anonymised share: one GROUP BY, which PostgreSQL hashes once (rather than looking for a
    twin of each of 100,000 people)."""
    return (
        Beneficiary.objects.filter(anonymised_on__isnull=True)
        .exclude(pk__in=Exit.objects.values("beneficiary_id"))
        .order_by()
        .annotate(identity=identity())
        .values("identity")
        .annotate(people=Count("pk"))
        .filter(people__gt=1)
    )


def quality_conditions(*, fluxes=None):
    """{code of QUALITY_LABELS: Q on people}, each limited to people with no exit recorded.
    `fluxes` is `last_two_fluxes()` when the caller already has it (else one query); the
    households absent from the last flux are read at once (one query).

    - no_referent: subject to rights and duties (CASF L262-28) with no open ReferentAssignment;
    - no_territory: their household has no commune, or a commune of another territory than
      the household's (the territory then says nothing sure of where they live);
    - duplicate: another person not exited, not anonymised, has the same comparison key of
      names (`Beneficiary.search_key`, beneficiaries.search.search_key) and birth date;
    - absent_from_flux: their household is one of `absent_households`.
    """
    return {
        code: Q(exit__isnull=True) & condition
        for code, condition in _conditions(fluxes=fluxes).items()
    }


def quality_condition(code):
    """The Q of one check of `quality_conditions` (`code`), reading the fluxes only for the
    households absent from the last one: what the people list filters by."""
    if code == "absent_from_flux":
        return quality_conditions()[code]
    return Q(exit__isnull=True) & _conditions(fluxes=(None, None))[code]


def _conditions(*, fluxes=None):
    """`quality_conditions` without their « no exit recorded »."""
    last_on, previous_on = fluxes if fluxes is not None else last_two_fluxes()
    return {
        "no_referent": Q(rights_and_duties=RightsAndDuties.SUBJECT)
        & ~Q(pk__in=open_assignment_ids()),
        "no_territory": Q(household__commune__isnull=True)
        | ~Q(household__commune__territory_id=F("household__territory_id")),
        "duplicate": Q(anonymised_on__isnull=True)
        & Q(In(identity(), shared_identities().values("identity"))),
        # A household the last flux closed has its people exited (an Exit): not counted.
        "absent_from_flux": Q(household_id__in=absent_households(last_on, previous_on)),
    }


def data_quality_counts(user, today=None):
    """What the data-quality board counts for `user` (people of their scope only,
    `Beneficiary.objects.visible_to`), on `today` (a date, default today), as a dict:

    - "orientation", "expired": people whose orientation is late (no orientation 6 weeks after
      the right was known) or whose current contract has ended (`due_conditions`);
    - "no_referent", "no_territory", "duplicate", "absent_from_flux": people
      (`quality_conditions`), with "no_territory_households" and "absent_from_flux_households"
      the households they belong to;
    - "active": people still in the parcours, the denominator;
    - "last_flux_on", "previous_flux_on": the dates of the last two fluxes (or None);
    - for a pilot only (None for anyone else): "held_households", households of the CNAF/MSA
      flux set aside and not yet dealt with; "held_rows", rows held by the last table import
      of people and of CAF contacts; "held_runs", those runs [(TaskRun, rows held)].

    Six queries at most, whatever the number of people."""
    today = today or timezone.localdate()
    fluxes = last_two_fluxes()
    conditions = _conditions(fluxes=fluxes)
    due = due_conditions(today)
    # The people still in the parcours, written as NOT IN (exits) rather than a join to the
    # exits: PostgreSQL then estimates their number well and hashes the other tables.
    people = (
        Beneficiary.objects.visible_to(user)
        .exclude(pk__in=Exit.objects.values("beneficiary_id"))
        .order_by()
    )
    counts = people.aggregate(
        active=Count("pk"),
        orientation=Count("pk", filter=due["orientation"]),
        expired=Count("pk", filter=due["expired"]),
        **{code: Count("pk", filter=condition) for code, condition in conditions.items()},
        no_territory_households=Count(
            "household_id", distinct=True, filter=conditions["no_territory"]
        ),
        absent_from_flux_households=Count(
            "household_id", distinct=True, filter=conditions["absent_from_flux"]
        ),
    )
    counts["last_flux_on"], counts["previous_flux_on"] = fluxes
    counts.update(held_households=None, held_rows=None, held_runs=None)
    if user.role == Role.PILOT:
        counts["held_households"] = HeldHousehold.objects.filter(resolved_at__isnull=True).count()
        counts["held_runs"] = last_runs_with_held_rows()
        counts["held_rows"] = sum(held for _run, held in counts["held_runs"])
    return counts


def last_runs_with_held_rows():
    """[(TaskRun, rows held)]: the last finished table import of each kind of
    PEOPLE_TABLE_IMPORTS, when it held rows (kept as a CSV on its page, to correct and import
    again). One query per kind (two)."""
    found = []
    for kind in PEOPLE_TABLE_IMPORTS:
        run = (
            TaskRun.objects.filter(kind=kind, status__in=[RunStatus.DONE, RunStatus.FAILED])
            .order_by("-created_at", "-pk")
            .first()
        )
        if run is None:
            continue
        held = (run.summary or run.analysis or {}).get("held_count", 0)
        if held:
            found.append((run, held))
    return found


def flux_dates_label(last_on: datetime.date | None, previous_on: datetime.date | None):
    """« flux du 05/11/2026 comparé à celui du 05/10/2026 », or why no comparison is made."""
    if last_on is None or previous_on is None:
        return "il faut deux flux mensuels importés pour les comparer"
    return f"flux du {last_on:%d/%m/%Y} comparé à celui du {previous_on:%d/%m/%Y}"


def households(number):
    """« 1 foyer », « 2 foyers »."""
    return f"{number} foyer{'s' if number > 1 else ''}"


def list_url(**criteria):
    """The people list filtered by `criteria` (BeneficiaryFilter's parameters)."""
    return f"{reverse('beneficiaries:list')}?{urlencode(criteria)}"


def board_rows(counts):
    """The board's lines from `data_quality_counts`: [(label, number, unit, link, its
    text, detail or "")], in the order a pilot deals with them; the lines of held items only
    when they were counted (a pilot)."""
    rows = [
        (
            "Orientation en retard : droit connu depuis plus de 6 semaines, sans orientation",
            counts["orientation"],
            "personne",
            list_url(due="orientation"),
            "",
        ),
        (
            "Soumis aux droits et devoirs sans référent",
            counts["no_referent"],
            "personne",
            list_url(anomaly="no_referent"),
            "",
        ),
        (
            "Contrat échu : le contrat en cours est arrivé à son terme",
            counts["expired"],
            "personne",
            list_url(due="expired"),
            "",
        ),
        (
            "Foyer sans territoire vérifié : sans commune, ou commune d'un autre territoire",
            counts["no_territory"],
            "personne",
            list_url(anomaly="no_territory"),
            households(counts["no_territory_households"]),
        ),
        (
            "Doublon probable : même nom et même date de naissance qu'une autre personne",
            counts["duplicate"],
            "personne",
            list_url(anomaly="duplicate", sort="nom"),
            "triées par nom : les personnes d'un même doublon se suivent",
        ),
        (
            "Foyer absent du dernier flux CAF ou MSA",
            counts["absent_from_flux"],
            "personne",
            list_url(anomaly="absent_from_flux"),
            f"{households(counts['absent_from_flux_households'])} ; "
            + flux_dates_label(counts["last_flux_on"], counts["previous_flux_on"]),
        ),
    ]
    if counts["held_households"] is not None:
        rows.append(
            (
                "Foyers du flux CAF ou MSA mis de côté, à traiter",
                counts["held_households"],
                "foyer",
                reverse("beneficiaries:held_households"),
                "",
            )
        )
    return rows
