"""A commitment measured by indicators: the pilot ties it to indicators with a target per year
of the pact, the amendment carries them over, the partner reports its figures on the pact in
force (corrections kept, a concurrent entry refused), the pilot follows who reported and
reminds, the PDF prints the figures."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from evaluation import services
from evaluation.enums import Scope
from evaluation.models import FigureReminder, Indicator, Measurement, Target
from pti.enums import PactStatus
from pti.pact_content import pact_pdf_content
from pti.pdf import render_pact_pdf
from signatories.services import pact_amend
from tests.evaluation.test_disclosure import Tables
from tests.pti.factories import (
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    UserFactory,
    frozen,
)
from tests.signatories.factories import CommitmentFactory, SignatoryFactory

pytestmark = pytest.mark.django_db

THIS_YEAR = datetime.date.today().year


@pytest.fixture
def flux():
    return Indicator.objects.get(code="flux-allocataires")


@pytest.fixture
def draft_pact():
    """A draft whose period runs from two years ago to next year."""
    pact = PactFactory(period_start=THIS_YEAR - 2, period_end=THIS_YEAR + 1)
    OrientationFactory(pact=pact, position=1, title="Partage de la connaissance")
    return pact


@pytest.fixture
def caf():
    return OrganisationFactory(name="Caisse d'allocations familiales de la Loire", short_name="CAF")


@pytest.fixture
def commitment(draft_pact, caf):
    return CommitmentFactory(
        signatory=SignatoryFactory(pact=draft_pact, organisation=caf),
        title="Transmettre chaque mois le flux des allocataires",
    )


def tie(commitment, indicator, values):
    return services.commitment_indicator_set(
        commitment=commitment,
        indicator=indicator,
        values={year: None if value is None else Decimal(value) for year, value in values.items()},
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def table(response, caption):
    tables = Tables(response.content.decode()).tables
    return next(rows for name, rows in tables.items() if name.startswith(caption))


# --- Tying a commitment to indicators ----------------------------------------------------------


def test_a_commitment_is_tied_to_an_indicator_with_a_target_per_year(commitment, flux):
    tie(commitment, flux, {THIS_YEAR - 2: 12, THIS_YEAR - 1: 12, THIS_YEAR: 11})

    assert list(
        commitment.indicator_targets.values_list("scope", "indicator__code", "year", "value")
    ) == [
        (Scope.COMMITMENT, "flux-allocataires", THIS_YEAR - 2, 12),
        (Scope.COMMITMENT, "flux-allocataires", THIS_YEAR - 1, 12),
        (Scope.COMMITMENT, "flux-allocataires", THIS_YEAR, 11),
    ]
    # A year left empty removes its target.
    tie(commitment, flux, {THIS_YEAR - 2: 12, THIS_YEAR - 1: None, THIS_YEAR: 11})
    assert sorted(commitment.indicator_targets.values_list("year", flat=True)) == [
        THIS_YEAR - 2,
        THIS_YEAR,
    ]


def test_a_year_outside_the_pacts_period_is_refused(commitment, flux):
    with pytest.raises(ValidationError, match=r"hors de la période du pacte"):
        tie(commitment, flux, {THIS_YEAR + 2: 12})
    assert not Target.objects.exists()


def test_a_signed_commitments_targets_no_longer_change(commitment, flux, draft_pact):
    tie(commitment, flux, {THIS_YEAR: 12})
    frozen(draft_pact)
    with pytest.raises(ValidationError, match="créez un avenant"):
        tie(commitment, flux, {THIS_YEAR: 3})
    with pytest.raises(ValidationError, match="créez un avenant"):
        services.commitment_indicator_remove(commitment=commitment, indicator=flux)
    assert list(commitment.indicator_targets.values_list("value", flat=True)) == [12]


def test_the_pilot_ties_an_indicator_on_the_page_with_french_numbers(client_as, commitment, flux):
    pilot = client_as(UserFactory(pilot=True))
    url = reverse("evaluation:commitment_indicators", args=[commitment.pk])
    page = pilot.get(url)
    assert page.status_code == 200
    assert f"Cible {THIS_YEAR + 1}" in page.content.decode()

    response = pilot.post(
        url,
        {
            "action": "ajouter",
            "nouvel-indicator": flux.pk,
            f"nouvel-cible_{THIS_YEAR - 1}": "1 500",
            f"nouvel-cible_{THIS_YEAR}": "12",
        },
        follow=True,
    )

    assert f"Les cibles de « {flux.label} » sont enregistrées." in messages_of(response)
    assert dict(commitment.indicator_targets.values_list("year", "value")) == {
        THIS_YEAR - 1: Decimal("1500"),
        THIS_YEAR: Decimal("12"),
    }
    detail = pilot.get(reverse("signatories:signatory_detail", args=[commitment.signatory.pk]))
    rows = table(detail, "Indicateurs et cibles de l'engagement")
    assert rows[1][:3] == [flux.label, str(THIS_YEAR - 1), "1 500"]


def test_the_page_refuses_a_year_outside_the_period_and_an_empty_target(
    client_as, commitment, flux
):
    pilot = client_as(UserFactory(pilot=True))
    url = reverse("evaluation:commitment_indicators", args=[commitment.pk])

    outside = pilot.post(
        url,
        {"action": "ajouter", "nouvel-indicator": flux.pk, f"nouvel-cible_{THIS_YEAR + 5}": "3"},
    )
    empty = pilot.post(url, {"action": "ajouter", "nouvel-indicator": flux.pk})
    bad = pilot.post(
        url,
        {"action": "ajouter", "nouvel-indicator": flux.pk, f"nouvel-cible_{THIS_YEAR}": "beaucoup"},
    )

    assert outside.status_code == 422
    assert "ne se fixe que pour une année de la période du pacte" in outside.content.decode()
    assert "Donnez une cible pour au moins une année du pacte." in empty.content.decode()
    assert "Saisissez un nombre, par exemple 1 500 ou 12,5" in bad.content.decode()
    assert not Target.objects.exists()


def test_the_page_is_read_only_once_the_pact_is_signed(client_as, commitment, flux, draft_pact):
    tie(commitment, flux, {THIS_YEAR: 12})
    frozen(draft_pact)
    pilot = client_as(UserFactory(pilot=True))
    url = reverse("evaluation:commitment_indicators", args=[commitment.pk])

    page = pilot.get(url).content.decode()
    response = pilot.post(url, {"action": "retirer", "indicator": flux.pk}, follow=True)

    assert "Lier un indicateur" not in page
    assert "Retirer l'indicateur" not in page
    assert "ne se modifient plus" in messages_of(response)[0]
    assert commitment.indicator_targets.count() == 1


def test_the_targets_page_sets_an_orientations_and_a_commitments_target(
    client_as, commitment, flux, draft_pact
):
    pilot = client_as(UserFactory(pilot=True))
    orientation = draft_pact.orientations.get()
    page = pilot.get(reverse("evaluation:targets")).content.decode()
    assert "CAF — Transmettre chaque mois le flux des allocataires" in page

    pilot.post(
        reverse("evaluation:targets"),
        {
            "indicator": flux.pk,
            "year": THIS_YEAR,
            "scope": Scope.COMMITMENT,
            "commitment": commitment.pk,
            "value": "12",
        },
    )
    pilot.post(
        reverse("evaluation:targets"),
        {
            "indicator": flux.pk,
            "year": THIS_YEAR,
            "scope": Scope.ORIENTATION,
            "orientation": orientation.pk,
            "value": "40",
        },
    )
    outside = pilot.post(
        reverse("evaluation:targets"),
        {"indicator": flux.pk, "year": 2010, "scope": Scope.PACT, "value": "4"},
    )

    assert list(Target.objects.order_by("scope").values_list("scope", "value")) == [
        (Scope.COMMITMENT, 12),
        (Scope.ORIENTATION, 40),
    ]
    assert outside.status_code == 422
    assert "Choisissez une année de la période du pacte" in outside.content.decode()


# --- The amendment carries the targets over ----------------------------------------------------


def test_an_amendment_carries_the_targets_and_the_partner_sees_the_earlier_figures(
    client_as, commitment, flux, draft_pact, caf
):
    tie(commitment, flux, {THIS_YEAR - 1: 12, THIS_YEAR: 12})
    pact = frozen(draft_pact)
    partner = UserFactory(partner=True, organisation=caf, first_name="Nadia", last_name="Roux")
    services.commitment_figure_enter(
        commitment=commitment,
        indicator=flux,
        year=THIS_YEAR - 1,
        value=Decimal(11),
        comment="Un fichier en retard",
        user=partner,
        based_on=None,
    )

    amendment = pact_amend(pact=pact, reason="Avenant")
    copy = amendment.signatories.get().commitments.get()
    assert copy.carried_from == commitment
    assert list(copy.indicator_targets.values_list("indicator__code", "year", "value")) == [
        ("flux-allocataires", THIS_YEAR - 1, 12),
        ("flux-allocataires", THIS_YEAR, 12),
    ]
    # The amendment is signed: the first version is archived, the copy is in force.
    # frozen() signs the amendment without archiving the first version, as pact_mark_signed does.
    frozen(amendment)
    type(pact).objects.filter(pk=pact.pk).update(status=PactStatus.ARCHIVED)

    page = client_as(partner).get(
        reverse("evaluation:partner_commitments"), {"annee": THIS_YEAR - 1}
    )
    row = table(page, f"Indicateurs de l'engagement en {THIS_YEAR - 1}")[1]
    assert row[0].startswith(flux.label)
    assert row[1] == "12"
    assert row[2].startswith("11 saisi le")
    assert "par Nadia Roux (version précédente du pacte)" in row[2]
    assert "« Un fichier en retard »" in row[2]
    assert "Pactes précédents (historique, en lecture seule)" in page.content.decode()


# --- The partner's figures ----------------------------------------------------------------------


@pytest.fixture
def in_force(commitment, flux, draft_pact):
    tie(commitment, flux, dict.fromkeys(range(THIS_YEAR - 2, THIS_YEAR + 2), 12))
    return frozen(draft_pact)


@pytest.fixture
def partner_user(caf):
    return UserFactory(partner=True, organisation=caf)


def entry(flux, year, value, based_on="", comment=""):
    return {
        "indicator": flux.pk,
        "year": year,
        "value": value,
        "comment": comment,
        "based_on": based_on,
    }


def test_the_partner_page_shows_this_year_and_never_a_later_one(
    client_as, in_force, partner_user, commitment
):
    client = client_as(partner_user)
    page = client.get(reverse("evaluation:partner_commitments"))
    later = client.get(reverse("evaluation:partner_commitments"), {"annee": THIS_YEAR + 1})

    assert f"Indicateurs de l'engagement en {THIS_YEAR}" in page.content.decode()
    assert f'<option value="{THIS_YEAR + 1}"' not in page.content.decode()
    assert f"Indicateurs de l'engagement en {THIS_YEAR}" in later.content.decode()
    refused = client.post(
        reverse("evaluation:partner_entry", args=[commitment.pk]),
        entry(Indicator.objects.get(code="flux-allocataires"), THIS_YEAR + 1, "3"),
        follow=True,
    )
    assert f"L'année {THIS_YEAR + 1} n'est pas encore commencée." in messages_of(refused)
    assert not Measurement.objects.exists()


def test_a_correction_keeps_the_first_figure_and_a_concurrent_entry_is_refused(
    client_as, in_force, partner_user, commitment, flux
):
    client = client_as(partner_user)
    url = reverse("evaluation:partner_entry", args=[commitment.pk])
    client.post(url, entry(flux, THIS_YEAR, "10", comment="Premier envoi"))
    first = Measurement.objects.get()

    # Two forms built on the first figure: the first to be sent wins, the other is refused.
    client.post(url, entry(flux, THIS_YEAR, "11", based_on=first.pk, comment="Corrigé"))
    late = client.post(url, entry(flux, THIS_YEAR, "99", based_on=first.pk), follow=True)

    assert "Un autre chiffre a été saisi pour cette année" in " ".join(messages_of(late))
    assert list(Measurement.objects.order_by("pk").values_list("value", "comment")) == [
        (10, "Premier envoi"),
        (11, "Corrigé"),
    ]
    page = client.get(reverse("evaluation:partner_commitments"))
    row = table(page, f"Indicateurs de l'engagement en {THIS_YEAR}")[1]
    assert row[2].startswith("11 saisi le")
    assert "Historique : 1 chiffre antérieur" in row[2]
    assert "10 – saisi le" in row[2]
    assert "« Premier envoi »" in row[2]
    latest = Measurement.objects.latest("pk")
    assert f'name="based_on" value="{latest.pk}"' in page.content.decode()


def test_a_partner_does_not_enter_a_figure_of_a_computed_indicator(
    client_as, in_force, partner_user, commitment
):
    computed = Indicator.objects.get(code="oarsa-2-orientes")
    response = client_as(partner_user).post(
        reverse("evaluation:partner_entry", args=[commitment.pk]),
        entry(computed, THIS_YEAR, "3"),
        follow=True,
    )
    assert "Saisissez un nombre positif ou nul" in messages_of(response)[0]
    assert not Measurement.objects.exists()


# --- The pilot follows who reported -----------------------------------------------------------


def test_the_pilot_sees_who_reported_and_reminds_the_others(
    client_as, in_force, partner_user, commitment, flux, draft_pact
):
    pilot_user = UserFactory(pilot=True)
    pilot = client_as(pilot_user)
    page = pilot.get(reverse("evaluation:signatory_reporting"), {"annee": THIS_YEAR})
    rows = table(page, f"Chiffres attendus, saisis et manquants par signataire en {THIS_YEAR}")
    assert rows[1][:5] == [
        "Caisse d'allocations familiales de la Loire",
        "1",
        "0",
        "1 manquant",
        "—",
    ]

    response = pilot.post(
        reverse("evaluation:signatory_remind", args=[commitment.signatory.pk]),
        {"year": THIS_YEAR, "message": "Avant le comité de pilotage, merci."},
        follow=True,
    )
    assert "La relance est enregistrée" in messages_of(response)[0]
    reminder = FigureReminder.objects.get()
    assert (reminder.year, reminder.sent_by) == (THIS_YEAR, pilot_user)

    partner_page = client_as(partner_user).get(reverse("evaluation:partner_commitments"))
    assert "« Avant le comité de pilotage, merci. »" in partner_page.content.decode()

    client_as(partner_user).post(
        reverse("evaluation:partner_entry", args=[commitment.pk]), entry(flux, THIS_YEAR, "12")
    )
    answered = client_as(partner_user).get(reverse("evaluation:partner_commitments"))
    assert "Avant le comité de pilotage" not in answered.content.decode()
    page = client_as(pilot_user).get(
        reverse("evaluation:signatory_reporting"), {"annee": THIS_YEAR}
    )
    rows = table(page, f"Chiffres attendus, saisis et manquants par signataire en {THIS_YEAR}")
    assert rows[1][1:4] == ["1", "1", "0"]
    assert rows[1][4] == datetime.date.today().strftime("%d/%m/%Y")


def test_the_reporting_page_makes_the_same_number_of_queries_for_1_or_many(
    client_as, flux, assert_constant_queries
):
    def build(signatories):
        pact = PactFactory(period_start=THIS_YEAR - 1, period_end=THIS_YEAR + 1)
        OrientationFactory(pact=pact, position=1)
        for _ in range(signatories):
            commitment = CommitmentFactory(signatory=SignatoryFactory(pact=pact))
            tie(commitment, flux, {THIS_YEAR: 5})
        return frozen(pact, signed_on=datetime.date(THIS_YEAR, 1, 2))

    pilot = client_as(UserFactory(pilot=True))
    url = reverse("evaluation:signatory_reporting")

    def small():
        assert pilot.get(url).status_code == 200

    def add_many():
        type(pact).objects.filter(pk=pact.pk).update(status=PactStatus.ARCHIVED)
        build(12)

    pact = build(1)
    assert_constant_queries(small, small, between=add_many)
    assert pilot.get(url).content.decode().count("Relancer<span") == 12


# --- The PDF ------------------------------------------------------------------------------------


def pdf_text(data):
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split()
    )


def test_the_pdf_annex_prints_each_commitments_targets_and_latest_figure(
    client_as, in_force, partner_user, commitment, flux
):
    services.commitment_figure_enter(
        commitment=commitment,
        indicator=flux,
        year=THIS_YEAR - 1,
        value=Decimal(11),
        comment="",
        user=partner_user,
        based_on=None,
    )
    text = pdf_text(render_pact_pdf(pact_pdf_content(in_force)))
    annex = text[text.rindex("Annexe : engagements des signataires, cibles et chiffres") :]
    assert (
        f"CAF Transmettre chaque mois le flux des allocataires {flux.label} {THIS_YEAR - 1} 12 11"
        in annex
    )
    assert f"{THIS_YEAR} 12 — —" in annex

    figures = client_as(partner_user).get(reverse("pti:pact_figures_pdf", args=[in_force.pk]))
    assert figures.status_code == 200
    assert f"{THIS_YEAR - 1} 12 11" in pdf_text(figures.content)


def test_the_home_pages_count_the_figures_of_the_year_still_to_enter(
    client_as, in_force, partner_user, commitment, flux
):
    def counters(user):
        page = client_as(user).get(reverse("pti:home"))
        return {counter.label: (counter.count, counter.url) for counter in page.context["counters"]}

    pilot_user = UserFactory(pilot=True)
    other_partner = UserFactory(partner=True)  # an institution with no commitment
    pilot_label = f"chiffre {THIS_YEAR} attendu des signataires, pas encore saisi"
    partner_label = f"chiffre {THIS_YEAR} de vos engagements à saisir"
    reporting = reverse("evaluation:signatory_reporting") + f"?annee={THIS_YEAR}"
    mine = reverse("evaluation:partner_commitments") + f"?annee={THIS_YEAR}"
    assert counters(pilot_user)[pilot_label] == (1, reporting)
    assert counters(partner_user)[partner_label] == (1, mine)
    assert counters(other_partner)[partner_label] == (0, mine)

    client_as(partner_user).post(
        reverse("evaluation:partner_entry", args=[commitment.pk]), entry(flux, THIS_YEAR, "12")
    )

    assert counters(pilot_user)[pilot_label] == (0, reporting)
    assert counters(partner_user)[partner_label] == (0, mine)


def test_a_target_counted_in_people_or_things_is_a_whole_number(commitment, flux):
    with pytest.raises(ValidationError, match="donnez un nombre entier"):
        tie(commitment, flux, {THIS_YEAR: "11.5"})
    assert not Target.objects.exists()
    tie(commitment, flux, {THIS_YEAR: "12"})
    assert Target.objects.get().value == 12
