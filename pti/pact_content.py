"""What the pact's page and its PDF show of a version of the pact, read in a fixed number of
queries (reverse relations reach the commitments, the actions and the figures of the apps
that hang on the pact)."""

from django.conf import settings
from django.db.models import Prefetch

from pti.models import Objective, Orientation, Pact


def pact_content(pact):
    """The pact with everything its page and its PDF show, in a fixed number of queries."""
    signatories = pact.signatories.for_signature_page()
    orientations = pact.orientations.prefetch_related(
        Prefetch("objectives", queryset=Objective.objects.order_by("position")),
        "commitments__signatory__organisation",
        "commitments__indicator_targets__indicator",
    ).order_by("position")
    return {
        "pact": pact,
        "orientations": orientations,
        "signatories": signatories,
        "signature_summary": pact.signatories.status_summary(),
        "versions": list(Pact.objects.versions_of(pact)),
    }


def pact_pdf_content(pact):
    """What the PDF prints: the page's content, each party's commitments, the layout settings."""
    context = pact_content(pact)
    context["signatories"] = pact.signatories.for_signature_page().prefetch_related(
        "commitments__orientation",
        "commitments__indicator_targets__indicator",
        "commitments__measurements__indicator",
    )
    context["signature_place"] = settings.PTI_DEPARTMENT_SEAT
    context["brand_colour"] = settings.PTI_BRAND_COLOUR
    context["actions_by_orientation"] = actions_by_orientation(context["orientations"])
    context["indicator_rows"] = indicators_and_targets(pact)
    context["commitment_rows"] = commitment_figures(context["signatories"])
    return context


def pact_figures_content(pact):
    """What the PDF of the pact's current figures prints (« annexe des chiffres »): the pact's
    indicator targets and the commitments' with the latest figure today. A signed version's
    PDF is kept as it was signed (pti.pdf.signed_pact_file); this one is rendered on demand."""
    signatories = pact.signatories.for_signature_page().prefetch_related(
        "commitments__orientation",
        "commitments__indicator_targets__indicator",
        "commitments__measurements__indicator",
    )
    return {
        "pact": pact,
        "brand_colour": settings.PTI_BRAND_COLOUR,
        "indicator_rows": indicators_and_targets(pact),
        "commitment_rows": commitment_figures(signatories),
    }


def commitment_figures(signatories):
    """The annex of the commitments' figures: [(signatory, commitment, indicator, target,
    latest figure or None)], each commitment's indicator targets by year with the latest
    figure of the year (reverse relations `indicator_targets` and `measurements`, see
    evaluation/; prefetch them on `signatories`)."""
    rows = []
    for signatory in signatories:
        for commitment in signatory.commitments.all():
            for indicator, targets in commitment.indicator_rows():
                for target, figure in targets:
                    rows.append((signatory, commitment, indicator, target, figure))
    return rows


def indicators_and_targets(pact):
    """The annex of the PDF: each target set for the pact (any version), with the figure the
    latest snapshot of its year arrêta, or for an entered indicator the latest figure entered
    (reached through reverse relations, see evaluation/)."""
    versions = Pact.objects.filter(code=pact.code).prefetch_related(
        "targets__indicator", "measurements__snapshot"
    )
    targets, reported = [], {}
    for version in versions:
        targets.extend(version.targets.all())
        for measurement in version.measurements.all():
            if measurement.breakdown:
                continue
            key = (measurement.indicator_id, measurement.year)
            latest = reported.get(key)
            if latest is None or _recorded_on(measurement) > _recorded_on(latest):
                reported[key] = measurement
    targets.sort(key=lambda t: (t.year, t.indicator.position))
    return [(target, reported.get((target.indicator_id, target.year))) for target in targets]


def _recorded_on(measurement):
    """When a figure was arrêté (its snapshot) or entered."""
    return measurement.snapshot.taken_at if measurement.snapshot_id else measurement.created_at


def actions_by_orientation(orientations):
    """{orientation key: [actions]}: the offer filed under each orientation, whichever version
    of the pact it was filed under (reached through the reverse relation, see actions/)."""
    keys = [orientation.key for orientation in orientations]
    grouped = {key: [] for key in keys}
    every_version = Orientation.objects.filter(key__in=keys).prefetch_related(
        "actions__operator", "actions__territories"
    )
    for orientation in every_version:
        grouped[orientation.key].extend(orientation.actions.all())
    for actions in grouped.values():
        actions.sort(key=lambda action: action.reference)
    return grouped
