import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from beneficiaries.enums import ExitContract
from evaluation.enums import Scope
from evaluation.models import Indicator, Measurement, Target
from evaluation.services import measurement_enter, snapshot_take, target_set
from pti.models import TaskRun
from signatories.models import BodyObjective
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    OrientationDecisionFactory,
)
from tests.pti.factories import (
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    TerritoryFactory,
    UserFactory,
    frozen,
)
from tests.signatories.factories import (
    CommitmentTargetFactory,
    GovernanceBodyFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db

YEAR = datetime.date.today().year - 1


@pytest.fixture
def draft_pact():
    """A draft with one orientation: the parties' commitments are filed under it while it is a
    draft, as only a draft may (migration signatories/0002); then `frozen` signs it."""
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    return pact


@pytest.fixture
def pact(draft_pact):
    """A signed pact with one orientation."""
    return frozen(draft_pact)


def people(count, **fields):
    return [
        BeneficiaryFactory(
            rsa_requested_on=datetime.date(YEAR - 1, 1, 1),
            right_opened_on=datetime.date(YEAR - 1, 2, 1),
            right_known_on=datetime.date(YEAR - 1, 2, 5),
            **fields,
        )
        for _ in range(count)
    ]


def orient(person):
    return OrientationDecisionFactory(
        beneficiary=person,
        decided_on=datetime.date(YEAR, 3, 1),
        notified_on=datetime.date(YEAR, 3, 5),
    )


def dashboard(client, **query):
    return client.get(reverse("evaluation:dashboard"), {"annee": YEAR, **query})


def row(response, code):
    return next(r for r in response.context["rows"] if r.indicator.code == code)


def test_the_dashboard_shows_each_indicator_against_its_target(client_as, pact):
    subject = people(3)
    people(1, rights_and_duties="not_subject")
    for person in subject[:2]:
        OrientationDecisionFactory(
            beneficiary=person,
            decided_on=datetime.date(YEAR, 3, 1),
            notified_on=datetime.date(YEAR, 3, 5),
        )
    target_set(
        indicator=Indicator.objects.get(code="oarsa-2-orientes"),
        year=YEAR,
        scope=Scope.PACT,
        obj=pact,
        value=80,
    )
    response = dashboard(client_as(UserFactory(pilot=True)))
    oriented = row(response, "oarsa-2-orientes")
    # 2 of 3 SDD oriented: 66.7 %; against a target of 80 %: 66.7 / 80 = 83.4 %
    assert (oriented.value, oriented.numerator, oriented.denominator) == (Decimal("66.7"), 2, 3)
    assert oriented.target == 80
    assert oriented.attainment == Decimal("83.4")
    content = response.content.decode()
    assert "Personnes soumises aux droits et devoirs orientées" in content
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in content
    assert '<title id="taux-titre">' in content


def test_a_territory_filters_the_dashboard(client_as, pact):
    roannais, forez = TerritoryFactory(name="Roannais"), TerritoryFactory(name="Forez")
    people(2, household__territory=roannais)
    people(5, household__territory=forez)
    response = dashboard(client_as(UserFactory(pilot=True)), territoire=roannais.pk)
    assert row(response, "oarsa-1-sdd").denominator == 2
    assert "du territoire Roannais" in response.content.decode()


def test_partners_do_not_see_figures_on_fewer_than_11_people(client_as, pact):
    people(8)
    partner = dashboard(client_as(UserFactory(partner=True)))
    pilot = dashboard(client_as(UserFactory(pilot=True)))
    assert row(partner, "oarsa-1-sdd").suppressed
    assert not row(pilot, "oarsa-1-sdd").suppressed
    assert 's</span><span class="visually-hidden"> (secret statistique)' in partner.content.decode()
    assert "Télécharger le tableau OARSA" not in partner.content.decode()
    export = client_as(UserFactory(partner=True)).get(
        reverse("evaluation:dashboard_export", args=["csv"]), {"annee": YEAR}
    )
    csv = export.content.decode("utf-8-sig")
    line = next(line for line in csv.splitlines() if line.startswith("Bénéficiaires soumis"))
    assert line.split(";")[2:5] == ["s", "s", "s"]
    assert ";8;" not in line


def test_partners_see_figures_resting_on_11_people_or_more(client_as, pact):
    people(11)
    people(11, rights_and_duties="not_subject")  # 11 of 22: 11 are not subject either
    assert not row(dashboard(client_as(UserFactory(partner=True))), "oarsa-1-sdd").suppressed


def test_the_dashboard_makes_a_bounded_number_of_queries(client_as, pact, assert_constant_queries):
    client = client_as(UserFactory(pilot=True))
    people(2)

    def page():
        assert dashboard(client).status_code == 200

    def more():
        for person in people(40):
            orient(person)

    assert_constant_queries(page, page, between=more)


def oarsa(client, query):
    """Ask for the OARSA workbook (made by a run, at once in the tests), then download it
    from the run's page."""
    started = client.post(reverse("evaluation:oarsa_export"), query)
    assert started.status_code == 302
    run_page = client.get(started["Location"]).content.decode()
    assert "Télécharger le tableau OARSA" in run_page
    run = TaskRun.objects.latest("pk")
    return client.get(reverse("pti:run_result", args=[run.pk]))


def test_the_oarsa_export_is_a_workbook_with_the_indicators_and_their_breakdowns(client_as, pact):
    for person in people(3, sex="F"):
        orient(person)
    people(1, sex="M")
    response = oarsa(client_as(UserFactory(pilot=True)), {"annee": YEAR})
    assert response["Content-Disposition"] == f'attachment; filename="oarsa-{YEAR}.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = workbook["Synthèse"]
    rows = {row[1]: row for row in summary.iter_rows(min_row=4, values_only=True)}
    oriented = rows["Personnes soumises aux droits et devoirs orientées"]
    assert (oriented[2], oriented[4], oriented[5]) == (75.0, 3, 4)  # 3 of 4
    assert len(workbook.sheetnames) == 1 + 11
    sheet = workbook[workbook.sheetnames[2]]
    cells = list(sheet.iter_rows(min_row=5, values_only=True))
    assert ("sexe", "femme", 100.0, 3, 3) in cells
    assert ("sexe", "homme", 0.0, 0, 1) in cells


def test_the_oarsa_export_writes_a_formula_looking_name_as_text(client_as, pact, settings):
    settings.PTI_DEPARTMENT_NAME = "+Loire"
    formula = '=HYPERLINK("http://example.org","Voir")'
    territory = TerritoryFactory(name=formula, code="formule")
    for person in people(3, household__territory=territory):
        orient(person)
    client = client_as(UserFactory(pilot=True))

    for query in ({"annee": YEAR}, {"annee": YEAR, "territoire": territory.pk}):
        response = oarsa(client, query)
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
        values = [cell.value for cell in cells if isinstance(cell.value, str)]
        assert not [value for value in values if value.startswith(("=", "+", "-", "@"))]
    by_territory = workbook[workbook.sheetnames[1]]
    assert ("territoire", f"'{formula}", 100.0, 3, 3) in by_territory.iter_rows(
        min_row=5, values_only=True
    )
    title = workbook["Synthèse"]["A1"].value
    assert title.endswith(f"– +Loire – territoire {formula}")


def test_a_partner_enters_its_own_figures_and_only_its_own(client_as, draft_pact):
    caf = OrganisationFactory(name="CAF de la Loire", caf=True)
    draft_pact.period_end = YEAR + 1
    draft_pact.save()
    indicator = Indicator.objects.get(code="flux-allocataires")
    own = CommitmentTargetFactory(
        commitment__signatory=SignatoryFactory(pact=draft_pact, organisation=caf),
        commitment__title="Transmettre le flux",
        indicator=indicator,
        year=YEAR,
        value=12,
    )
    other = CommitmentTargetFactory(
        commitment__signatory=SignatoryFactory(pact=draft_pact),
        commitment__title="Engagement d'un autre",
        indicator=indicator,
        year=YEAR,
    )
    frozen(draft_pact)
    client = client_as(UserFactory(partner=True, organisation=caf))
    page = client.get(reverse("evaluation:partner_commitments"), {"annee": YEAR}).content.decode()
    assert "Transmettre le flux" in page
    assert "Engagement d'un autre" not in page
    entry = {
        "indicator": indicator.pk,
        "year": YEAR,
        "value": "11",
        "comment": "Un fichier en retard",
    }
    response = client.post(
        reverse("evaluation:partner_entry", args=[own.commitment.pk]), entry, follow=True
    )
    assert f"Votre chiffre {YEAR} pour « {indicator.label} » est enregistré." in [
        str(m) for m in response.context["messages"]
    ]
    measurement = Measurement.objects.get(commitment=own.commitment)
    assert (measurement.value, measurement.source, measurement.comment) == (
        11,
        "partner",
        "Un fichier en retard",
    )
    assert (
        client.post(
            reverse("evaluation:partner_entry", args=[other.commitment.pk]), entry
        ).status_code
        == 404
    )
    assert not Measurement.objects.filter(commitment=other.commitment).exists()


def test_the_pilot_enters_the_departements_figures_but_never_a_computed_one(client_as, pact):
    client = client_as(UserFactory(pilot=True))
    budget = Indicator.objects.get(code="budget-pdi")
    client.post(
        reverse("evaluation:entries"), {"indicator": budget.pk, "year": YEAR, "value": "1712000"}
    )
    assert Measurement.objects.get(indicator=budget).value == 1712000
    computed = Indicator.objects.get(code="oarsa-1-sdd")
    response = client.post(
        reverse("evaluation:entries"), {"indicator": computed.pk, "year": YEAR, "value": "3"}
    )
    assert response.status_code == 422
    assert not Measurement.objects.filter(indicator=computed).exists()


def test_targets_for_a_territory_need_the_territory(client_as, pact):
    client = client_as(UserFactory(pilot=True))
    indicator = Indicator.objects.get(code="sorties-dynamiques")
    response = client.post(
        reverse("evaluation:targets"),
        {"indicator": indicator.pk, "year": YEAR, "scope": "territory", "value": "60"},
    )
    assert response.status_code == 422
    assert "Choisissez le territoire de la cible." in response.content.decode()
    territory = TerritoryFactory()
    client.post(
        reverse("evaluation:targets"),
        {
            "indicator": indicator.pk,
            "year": YEAR,
            "scope": "territory",
            "territory": territory.pk,
            "value": "60",
        },
    )
    assert Target.objects.get(indicator=indicator, territory=territory).value == 60


def test_the_pact_pdf_has_an_annex_of_indicators_and_targets(client_as, pact):
    from pypdf import PdfReader

    pilot = UserFactory(pilot=True)
    for code, value in (("oarsa-2-orientes", 80), ("budget-pdi", 1800000)):
        target_set(
            indicator=Indicator.objects.get(code=code),
            year=YEAR,
            scope=Scope.PACT,
            obj=pact,
            value=value,
        )
    subject = people(4)
    orient(subject[0])
    snapshot_take(year=YEAR)  # 1 of 4 oriented: 25 %, under the secret statistique
    measurement_enter(
        indicator=Indicator.objects.get(code="budget-pdi"),
        year=YEAR,
        scope=Scope.PACT,
        obj=pact,
        value=Decimal(1712000),
        user=pilot,
    )
    response = client_as(pilot).get(reverse("pti:pact_pdf", args=[pact.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    annex = " ".join(text[text.rindex("Annexe : indicateurs et cibles") :].split())
    today = datetime.date.today().strftime("%d/%m/%Y")
    assert f"{YEAR} Personnes soumises aux droits et devoirs orientées 80 % s {today}" in annex
    assert f"{YEAR} Budget du PDI engagé 1 800 000 1 712 000 saisi le {today}" in annex


def test_the_history_shows_a_past_year_as_its_snapshot_kept_it(client_as, pact):
    subject = people(4)
    orient(subject[0])
    snapshot_take(year=YEAR)
    for person in subject[1:]:
        orient(person)  # later entries for the same year do not change the reported figures
    client = client_as(UserFactory(pilot=True))

    response = client.get(reverse("evaluation:dashboard"), {"annee": YEAR + 1})

    assert response.context["history_years"][-2:] == [YEAR, YEAR + 1]
    oriented = dict(response.context["series"])["orientés"]
    assert oriented[-2] == Decimal("25.0")  # 1 of 4, as reported (live: 4 of 4)
    assert oriented[-1] == Decimal("100.0")
    assert row(dashboard(client), "oarsa-2-orientes").value == Decimal("100.0")


def test_partners_do_not_see_a_past_rate_resting_on_fewer_than_11_people(client_as, pact):
    for person in people(5):
        orient(person)
    partner = client_as(UserFactory(partner=True))

    response = partner.get(reverse("evaluation:dashboard"), {"annee": YEAR + 1})

    assert all(value is None for _, values in response.context["series"] for value in values)
    assert "100 %" not in response.content.decode()
    pilot = client_as(UserFactory(pilot=True))
    pilot_view = pilot.get(reverse("evaluation:dashboard"), {"annee": YEAR + 1})
    assert dict(pilot_view.context["series"])["orientés"][-2:] == [Decimal("100.0")] * 2


def test_the_dashboard_opens_before_any_pact_exists(client_as):
    people(3)
    response = dashboard(client_as(UserFactory(pilot=True)))
    assert response.status_code == 200
    assert row(response, "oarsa-1-sdd").denominator == 3
    assert row(response, "oarsa-1-sdd").target is None


def test_each_territory_shows_its_access_to_employment_against_its_ctip_objective(client_as, pact):
    forez, roannais = TerritoryFactory(name="Forez"), TerritoryFactory(name="Roannais")
    for territory, target in ((forez, 2), (roannais, 4)):
        ctip = GovernanceBodyFactory(pact=pact, territory=territory, name=f"CTIP {territory}")
        BodyObjective.objects.create(
            body=ctip, year=YEAR, label="Accès à l'emploi des allocataires", target=target
        )
    in_forez = people(3, household__territory=forez)
    in_roannais = people(2, household__territory=roannais)
    exit_on = datetime.date(YEAR, 6, 30)
    ExitFactory(beneficiary=in_forez[0], exit_on=exit_on, contract_type=ExitContract.CDI)
    ExitFactory(
        beneficiary=in_forez[1], exit_on=exit_on, contract_type=ExitContract.CDD, contract_days=90
    )
    ExitFactory(beneficiary=in_forez[2], exit_on=exit_on, contract_type=ExitContract.NONE)
    ExitFactory(beneficiary=in_roannais[0], exit_on=exit_on, contract_type=ExitContract.CDI)
    ExitFactory(  # the year before: not counted
        beneficiary=in_roannais[1],
        exit_on=datetime.date(YEAR - 1, 12, 31),
        contract_type=ExitContract.CDI,
    )

    response = client_as(UserFactory(pilot=True)).get(
        reverse("evaluation:territories"), {"annee": YEAR}
    )

    rows = {row["territory"].name: row for row in response.context["rows"]}
    # Forez: a CDI (durable) and a 90-day CDD (transition) = 2, for an objective of 2.
    assert (rows["Forez"]["access"], rows["Forez"]["attainment"]) == (2, Decimal("100.0"))
    assert (rows["Roannais"]["access"], rows["Roannais"]["attainment"]) == (1, Decimal("25.0"))
    content = " ".join(response.content.decode().split())
    assert '100,0 % <span class="badge text-bg-success">atteint</span>' in content
    assert '25,0 % <span class="badge text-bg-warning">non atteint</span>' in content
