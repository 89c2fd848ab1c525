"""The secret statistique: no figure a partner sees rests on fewer than 11 people, and no
hidden figure comes back by subtraction, on the dashboard, its exports, the history, the
partners' commitments and the pact's PDF. The pilot keeps the raw figures."""

import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from beneficiaries.enums import Parcours, RightsAndDuties
from evaluation.computations import Computation
from evaluation.dashboard import year_secret
from evaluation.disclosure import SmallCells
from evaluation.enums import Breakdown, Scope
from evaluation.models import Indicator
from evaluation.services import measurement_enter, snapshot_take, target_set
from pti.enums import OrganisationKind
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ContractFactory,
    HouseholdFactory,
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
from tests.pti.test_settings import manage
from tests.signatories.factories import CommitmentTargetFactory, SignatoryFactory

YEAR = datetime.date.today().year - 1


# --- The mechanism, on hand-built counts ---------------------------------------------------


def test_a_count_under_the_threshold_is_hidden_and_one_at_the_threshold_is_shown():
    cells = SmallCells(threshold=11)
    for key, value in (("a", 4), ("b", 11), ("c", 0), ("d", 10)):
        cells.count(key, value)
    assert cells.hidden == {"a", "c", "d"}


def test_a_hidden_part_does_not_come_back_from_its_total():
    # 76 = 40 + 30 + 6: with 6 alone hidden, 76 - 40 - 30 gives it back.
    cells = SmallCells(threshold=11)
    for key, value in (("total", 76), ("emploi", 40), ("socio", 30), ("social", 6)):
        cells.count(key, value)
    cells.total("total", ["emploi", "socio", "social"])
    assert cells.hidden == {"social", "socio"}  # the smallest shown part goes with it
    # The reader is left with socio + social = 36: neither is known.


def test_a_hidden_total_does_not_come_back_from_its_parts():
    cells = SmallCells(threshold=11)
    for key, value in (("total", 8), ("a", 5), ("b", 3)):
        cells.count(key, value)
    cells.total("total", ["a", "b"])
    assert cells.hidden == {"total", "a", "b"}


def test_a_rate_whose_complement_is_small_hides_its_numerator():
    # 19 of 22: 3 people do not have the attribute.
    cells = SmallCells(threshold=11)
    cells.count("with", 19)
    cells.count("all", 22)
    cells.pair("with", "all")
    assert cells.hidden == {"with"}


def test_two_small_parts_hide_each_other_and_the_total_stays():
    cells = SmallCells(threshold=11)
    parts = {"france_travail": 30, "departement": 25, "mission_locale": 4, "association": 5}
    cells.count("total", 64)
    for key, value in parts.items():
        cells.count(key, value)
    cells.total("total", list(parts))
    assert cells.hidden == {"mission_locale", "association"}


def test_zero_counts_are_hidden_and_cannot_add_up_to_a_known_zero():
    # 110 = 50 + 60 + 0 + 0: the two hidden zeros add up to 0, so each is known to be 0.
    cells = SmallCells(threshold=11)
    for key, value in (("total", 110), ("a", 50), ("b", 60), ("c", 0), ("d", 0)):
        cells.count(key, value)
    cells.total("total", ["a", "b", "c", "d"])
    assert cells.hidden == {"c", "d", "a"}


def test_a_table_and_its_margins_hide_a_rectangle_not_just_a_row():
    # Two territories by two parcours, with their totals: one small cell.
    #            emploi  social | total
    #   Forez        40      20 |    60
    #   Roannais     30       5 |    35
    #   total        70      25 |    95
    cells = SmallCells(threshold=11)
    values = {
        ("forez", "emploi"): 40,
        ("forez", "social"): 20,
        ("roannais", "emploi"): 30,
        ("roannais", "social"): 5,
        ("forez", "all"): 60,
        ("roannais", "all"): 35,
        ("all", "emploi"): 70,
        ("all", "social"): 25,
        ("all", "all"): 95,
    }
    for key, value in values.items():
        cells.count(key, value)
    for row in ("forez", "roannais", "all"):
        cells.total((row, "all"), [(row, "emploi"), (row, "social")])
    for column in ("emploi", "social", "all"):
        cells.total(("all", column), [("forez", column), ("roannais", column)])
    assert cells.hidden == {
        ("roannais", "social"),
        ("roannais", "emploi"),
        ("forez", "social"),
        ("forez", "emploi"),
    }


def test_a_count_never_shown_but_computable_is_protected_too():
    # 50 people: 30 in Forez, 17 in Roannais, 3 with no territory (shown on no page).
    cells = SmallCells(threshold=11)
    cells.count("all", 50)
    cells.count("forez", 30)
    cells.count("roannais", 17)
    cells.count("none", 3, published=False)
    cells.total("all", ["forez", "roannais", "none"])
    assert cells.hidden == {"roannais"}


def test_the_threshold_is_a_setting(settings):
    settings.PTI_SMALL_CELL_THRESHOLD = 5
    cells = SmallCells()
    cells.count("a", 4)
    cells.count("b", 6)
    assert cells.hidden == {"a"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("onze", "PTI_SMALL_CELL_THRESHOLD doit être un nombre entier (valeur reçue : 'onze')."),
        ("0", "PTI_SMALL_CELL_THRESHOLD doit être supérieur ou égal à 1."),
    ],
)
def test_a_malformed_threshold_stops_start_up_clearly(raw, message):
    result = manage("check", DJANGO_DEBUG="true", PTI_SMALL_CELL_THRESHOLD=raw)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- A hand-built département ---------------------------------------------------------------


def person(territory, *, sdd=True):
    return BeneficiaryFactory(
        household=HouseholdFactory(territory=territory),
        rights_and_duties=RightsAndDuties.SUBJECT if sdd else RightsAndDuties.NOT_SUBJECT,
        rsa_requested_on=datetime.date(YEAR - 1, 1, 1),
        right_opened_on=datetime.date(YEAR - 1, 2, 1),
        right_known_on=datetime.date(YEAR - 1, 2, 5),
    )


def people(count, territory, **options):
    return [person(territory, **options) for _ in range(count)]


def orient(persons, organisme, parcours):
    for beneficiary in persons:
        OrientationDecisionFactory(
            beneficiary=beneficiary,
            organisme=organisme,
            parcours=parcours,
            decided_on=datetime.date(YEAR, 3, 1),
            notified_on=datetime.date(YEAR, 3, 5),
        )


def sign_contracts(persons):
    for beneficiary in persons:
        ContractFactory(
            beneficiary=beneficiary,
            start_date=datetime.date(YEAR, 6, 1),
            end_date=datetime.date(YEAR + 1, 5, 31),
            signed_on=datetime.date(YEAR, 6, 1),
        )


def organisme(kind):
    return OrganisationFactory(kind=kind)


@pytest.fixture
def draft_pact(db):
    """A draft with one orientation: the parties' commitments are filed under it while it is a
    draft, as only a draft may (migration signatories/0002); then `frozen` signs it."""
    pact = PactFactory()
    OrientationFactory(pact=pact, position=1)
    return pact


@pytest.fixture
def pact(draft_pact):
    """A signed pact with one orientation."""
    return frozen(draft_pact)


@pytest.fixture
def forez(db):
    return TerritoryFactory(name="Forez")


@pytest.fixture
def partner(client_as):
    return client_as(UserFactory(partner=True))


@pytest.fixture
def pilot(client):
    client.force_login(UserFactory(pilot=True))
    return client


def dashboard(client, **query):
    response = client.get(reverse("evaluation:dashboard"), {"annee": YEAR, **query})
    assert response.status_code == 200
    return response


def export(client, fmt, **query):
    response = client.get(
        reverse("evaluation:dashboard_export", args=[fmt]), {"annee": YEAR, **query}
    )
    assert response.status_code == 200
    return response


class Tables(HTMLParser):
    """The tables of a page as the reader sees them: {caption: [[cell text, ...], ...]}."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.caption, self.rows, self.cell = {}, None, None, None
        self.in_caption = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.caption, self.rows = "", []
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "table" and self.rows is not None:
            self.tables[" ".join(self.caption.split())] = self.rows
            self.rows = None

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data
        elif self.cell is not None:
            self.cell += data


def table(response, caption):
    tables = Tables(response.content.decode()).tables
    return next(rows for name, rows in tables.items() if name.startswith(caption))


def table_row(response, caption, label):
    return next(row for row in table(response, caption) if row and row[0].startswith(label))


INDICATORS = "Indicateurs du pacte"
SECRET = "s (secret statistique)"


def csv_row(response, label):
    text = response.content.decode("utf-8-sig")
    return next(line.split(";") for line in text.splitlines() if line.startswith(label))


def xlsx_row(response, label):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return next(row for row in sheet.iter_rows(values_only=True) if row[0] == label)


def pdf_annex(response):
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text[text.rindex("Annexe : indicateurs et cibles") :].split())


# --- (a) a figure on 4 people ---------------------------------------------------------------


def test_a_rate_on_4_people_is_hidden_on_the_partners_dashboard_its_exports_and_the_pdf(
    pact, forez, partner, client_as
):
    target_set(
        indicator=Indicator.objects.get(code="oarsa-2-orientes"),
        year=YEAR,
        scope=Scope.PACT,
        obj=pact,
        value=80,
    )
    subject = people(4, forez)
    orient(subject[:1], organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    snapshot_take(year=YEAR)  # 1 of 4 oriented: 25 %, kept for the PDF's annex
    label = "Personnes soumises aux droits et devoirs orientées"

    page = dashboard(partner)
    value, counts, target, attainment, reported = table_row(page, INDICATORS, label)[1:]
    assert (value, counts, attainment, reported) == (SECRET, f"{SECRET} / {SECRET}", SECRET, SECRET)
    assert target == "80 %"
    assert "25 %" not in page.content.decode()
    assert "1 / 4" not in page.content.decode()
    assert "secret statistique – moins de 11 personnes" in page.content.decode()
    assert csv_row(export(partner, "csv"), label)[2:8] == ["s", "s", "s", "80", "s", "s"]
    assert xlsx_row(export(partner, "xlsx"), label)[2:8] == ("s", "s", "s", 80, "s", "s")
    assert "secret statistique" in export(partner, "csv").content.decode("utf-8-sig")
    pdf = partner.get(reverse("pti:pact_pdf", args=[pact.pk]))
    today = datetime.date.today().strftime("%d/%m/%Y")
    assert f"{YEAR} {label} 80 % s {today}" in pdf_annex(pdf)
    assert "25 %" not in pdf_annex(pdf)
    assert "secret statistique – moins de 11 personnes" in pdf_annex(pdf)

    pilot = client_as(UserFactory(pilot=True))
    raw = table_row(dashboard(pilot), INDICATORS, label)
    assert raw[1:3] == ["25 %", "1 / 4"]
    assert csv_row(export(pilot, "csv"), label)[2:5] == ["25", "1", "4"]
    assert xlsx_row(export(pilot, "xlsx"), label)[2:5] == (25, 1, 4)
    # The PDF goes to every reader of the pact: the pilot's copy keeps the secret too.
    assert f"{YEAR} {label} 80 % s {today}" in pdf_annex(
        pilot.get(reverse("pti:pact_pdf", args=[pact.pk]))
    )


# --- (b) 76 - 70 = 6 ------------------------------------------------------------------------


def test_a_small_territory_does_not_come_back_from_the_departement_minus_the_others(
    pact, forez, partner, client_as
):
    roannais = TerritoryFactory(name="Roannais")
    people(50, forez)
    people(20, forez, sdd=False)  # Forez: 50 SDD among 70 people
    people(4, roannais)
    people(2, roannais, sdd=False)  # Roannais: 4 SDD among 6 people; the département 54 / 76
    label = "Bénéficiaires soumis aux droits et devoirs"

    assert table_row(dashboard(partner), INDICATORS, label)[2] == "54 / 76"
    assert table_row(dashboard(partner, territoire=roannais.pk), INDICATORS, label)[2] == (
        f"{SECRET} / {SECRET}"
    )
    # Forez's 50 / 70 would give Roannais back (54 - 50 = 4, 76 - 70 = 6): hidden too.
    in_forez = dashboard(partner, territoire=forez.pk)
    assert table_row(in_forez, INDICATORS, label)[1:3] == [SECRET, f"{SECRET} / {SECRET}"]
    assert csv_row(export(partner, "csv", territoire=forez.pk), label)[2:5] == ["s", "s", "s"]
    pilot = client_as(UserFactory(pilot=True))
    assert table_row(dashboard(pilot, territoire=forez.pk), INDICATORS, label)[2] == "50 / 70"


def test_a_small_part_of_a_breakdown_does_not_come_back_from_its_total(pact, forez, partner):
    subject = people(96, forez)
    people(15, forez, sdd=False)
    orient(subject[:40], organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    orient(subject[40:70], organisme(OrganisationKind.DEPARTEMENT), Parcours.SOCIO_PROFESSIONAL)
    orient(subject[70:76], organisme(OrganisationKind.ASSOCIATION), Parcours.SOCIAL)

    for query in ({}, {"territoire": forez.pk}):
        page = dashboard(partner, **query)
        by_parcours = table(page, "Personnes orientées par parcours")[1:]
        # 76 people: 40 in emploi shown; 30 and 6 hidden, so 76 - 40 = 36 tells neither.
        assert by_parcours == [
            ["emploi", "40", "52,6 %"],
            ["socio-professionnel", SECRET, SECRET],
            ["social", SECRET, SECRET],
        ]
        assert table_row(page, INDICATORS, "Personnes orientées par parcours")[1] == "76"
        assert table_row(page, INDICATORS, "Personnes soumises aux droits et devoirs orientées")[
            2
        ] == ("76 / 96")


# --- (c) 19 of 22 ---------------------------------------------------------------------------


def test_a_rate_whose_complement_is_under_11_is_hidden(pact, forez, partner, client_as):
    subject = people(72, forez)
    people(15, forez, sdd=False)
    orient(subject[:30], organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    orient(subject[30:52], organisme(OrganisationKind.ASSOCIATION), Parcours.SOCIAL)
    sign_contracts(subject[30:49])  # 19 of the 22 oriented outside France Travail
    label = "Taux de contractualisation"

    page = dashboard(partner)
    assert table_row(page, INDICATORS, label)[1:3] == [SECRET, f"{SECRET} / 22"]
    assert "86,4 %" not in page.content.decode()
    assert "19 / 22" not in page.content.decode()
    assert csv_row(export(partner, "csv"), label)[2:5] == ["s", "s", "22"]
    history = table(page, "Données du graphique d'évolution")
    assert next(row for row in history if row[0] == "contrats")[-1] == SECRET
    pilot = client_as(UserFactory(pilot=True))
    assert table_row(dashboard(pilot), INDICATORS, label)[1:3] == ["86,4 %", "19 / 22"]


# --- (d) two small cells ----------------------------------------------------------------------


def test_two_small_cells_of_a_breakdown_hide_each_other_and_the_total_stays(pact, forez, partner):
    subject = people(84, forez)
    people(15, forez, sdd=False)
    orient(subject[:30], organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    orient(subject[30:55], organisme(OrganisationKind.DEPARTEMENT), Parcours.SOCIO_PROFESSIONAL)
    orient(subject[55:59], organisme(OrganisationKind.MISSION_LOCALE), Parcours.SOCIAL)
    orient(subject[59:64], organisme(OrganisationKind.ASSOCIATION), Parcours.SOCIAL)

    page = dashboard(partner)
    by_organisme = table(page, "Personnes orientées par organisme référent")[1:]
    assert by_organisme == [
        ["France Travail", "30", "46,9 %"],
        ["services du Département", "25", "39,1 %"],
        ["autres organismes publics de l'emploi", SECRET, SECRET],
        ["autres organismes (CCAS, associations…)", SECRET, SECRET],
    ]
    # The total is the true one (64), not the sum of the cells shown.
    assert table_row(page, INDICATORS, "Personnes orientées par organisme référent")[1] == "64"


# --- Everywhere else a partner looks ----------------------------------------------------------


def test_a_past_year_hidden_on_its_dashboard_is_hidden_in_the_history_and_reported_column(
    pact, forez, partner, client_as
):
    roannais = TerritoryFactory(name="Roannais")
    orient(people(40, forez), organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    people(20, forez)
    orient(people(4, roannais), organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    people(15, roannais)
    snapshot_take(year=YEAR)
    label = "Personnes soumises aux droits et devoirs orientées"

    # Forez's 40 of 60 would give Roannais's 4 of 19 back from the département's 44 of 79.
    that_year = dashboard(partner, territoire=forez.pk)
    assert table_row(that_year, INDICATORS, label)[1] == SECRET
    assert table_row(that_year, INDICATORS, label)[-1] == SECRET  # as arrêté
    next_year = dashboard(partner, annee=YEAR + 1, territoire=forez.pk)
    history = table(next_year, "Données du graphique d'évolution")
    assert history[0][-2:] == [str(YEAR), str(YEAR + 1)]
    assert next(row for row in history if row[0] == "orientés")[-2] == SECRET
    assert "66,7 %" not in next_year.content.decode()
    pilot = client_as(UserFactory(pilot=True))
    raw = table(dashboard(pilot, annee=YEAR + 1, territoire=forez.pk), "Données du graphique")
    assert next(row for row in raw if row[0] == "orientés")[-2] == "66,7 %"


def test_a_past_year_never_arrete_keeps_in_the_history_the_secret_of_its_dashboard(
    pact, forez, partner
):
    roannais = TerritoryFactory(name="Roannais")
    orient(people(40, forez), organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    people(20, forez)
    people(15, forez, sdd=False)
    orient(people(4, roannais), organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    people(15, roannais)
    people(12, roannais, sdd=False)
    label = "Personnes soumises aux droits et devoirs orientées"

    assert table_row(dashboard(partner, territoire=forez.pk), INDICATORS, label)[1] == SECRET
    assert table_row(dashboard(partner), INDICATORS, label)[1:3] == ["55,7 %", "44 / 79"]
    next_year = dashboard(partner, annee=YEAR + 1, territoire=forez.pk)
    history = table(next_year, "Données du graphique d'évolution")
    assert next(row for row in history if row[0] == "orientés")[-2] == SECRET
    whole = table(dashboard(partner, annee=YEAR + 1), "Données du graphique d'évolution")
    assert next(row for row in whole if row[0] == "orientés")[-2] == "55,7 %"  # 44 of 79


def test_the_partners_commitments_show_the_departements_figure_under_the_secret(
    draft_pact, forez, client_as
):
    caf = OrganisationFactory(name="CAF de la Loire", caf=True)
    signatory = SignatoryFactory(pact=draft_pact, organisation=caf)
    draft_pact.period_end = YEAR
    draft_pact.save()
    oriented = CommitmentTargetFactory(
        commitment__signatory=signatory,
        commitment__title="Orienter les allocataires",
        indicator=Indicator.objects.get(code="oarsa-2-orientes"),
        year=YEAR,
        value=90,
    )
    CommitmentTargetFactory(
        commitment=oriented.commitment,
        indicator=Indicator.objects.get(code="oarsa-1-sdd"),
        year=YEAR,
        value=90,
    )
    frozen(draft_pact)
    subject = people(30, forez)
    people(20, forez, sdd=False)
    orient(subject[:3], organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)

    page = client_as(UserFactory(partner=True, organisation=caf)).get(
        reverse("evaluation:partner_commitments"), {"annee": YEAR}
    )

    caption = f"Indicateurs de l'engagement en {YEAR}"
    oriented_label = Indicator.objects.get(code="oarsa-2-orientes").label
    sdd_label = Indicator.objects.get(code="oarsa-1-sdd").label
    assert table_row(page, caption, oriented_label)[2].startswith(SECRET)  # 3 of 30
    assert table_row(page, caption, sdd_label)[2].startswith("60 %")  # 30 of 50
    assert "Département, calculé au 31/12/" in page.content.decode()
    assert "secret statistique – moins de 11 personnes" in page.content.decode()


def test_an_entered_count_of_fewer_than_11_people_is_hidden_in_the_pdf_and_dashboard(
    pact, forez, partner, client_as
):
    people(20, forez)  # the dashboard offers the years since the first right opened
    pilot = UserFactory(pilot=True)
    entered = Indicator.objects.create(
        code="personnes-accueillies",
        label="Personnes accueillies en forum emploi",
        definition="Saisi par le Département.",
        unit="people",
        source="department",
    )
    target_set(indicator=entered, year=YEAR, scope=Scope.PACT, obj=pact, value=50)
    measurement_enter(
        indicator=entered, year=YEAR, scope=Scope.PACT, obj=pact, value=Decimal(7), user=pilot
    )

    row = table_row(dashboard(partner), INDICATORS, "Personnes accueillies en forum emploi")
    assert row[1] == SECRET
    annex = pdf_annex(partner.get(reverse("pti:pact_pdf", args=[pact.pk])))
    assert f"{YEAR} Personnes accueillies en forum emploi 50 s saisi le" in annex
    raw = table_row(dashboard(client_as(pilot)), INDICATORS, "Personnes accueillies en forum")
    assert raw[1] == "7"


def test_each_territorys_figures_are_those_its_own_computation_gives(forez):
    roannais = TerritoryFactory(name="Roannais")
    orient(people(12, forez), organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    orient(people(3, roannais), organisme(OrganisationKind.DEPARTEMENT), Parcours.SOCIAL)
    sign_contracts(people(5, roannais))
    people(2, forez, sdd=False)
    whole = Computation(YEAR)

    derived = whole.territory_figures(whole.all())

    for territory in (forez, roannais):
        own = Computation(YEAR, territory=territory).all()
        for code, figure in derived[territory.pk].items():
            assert (figure.numerator, figure.denominator) == (
                own[code].numerator,
                own[code].denominator,
            ), code
            for breakdown in (Breakdown.ORGANISME, Breakdown.PARCOURS, Breakdown.KIND):
                assert figure.cells(breakdown) == own[code].cells(breakdown), (code, breakdown)
        assert set(own) - set(derived[territory.pk]) == {"charge-referent"}


def test_a_snapshot_hides_what_the_same_figures_hide_when_computed(pact, forez):
    roannais = TerritoryFactory(name="Roannais")
    subject = people(60, forez)
    orient(subject[:35], organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    orient(subject[35:41], organisme(OrganisationKind.CCAS), Parcours.SOCIAL)
    sign_contracts(subject[35:40])
    few = people(7, roannais)
    orient(few[:5], organisme(OrganisationKind.DEPARTEMENT), Parcours.SOCIO_PROFESSIONAL)
    people(12, roannais, sdd=False)
    whole = Computation(YEAR)
    computed = year_secret(year=YEAR, figures=whole.all(), computation=whole).cells

    kept = snapshot_take(year=YEAR).secret.cells

    shared = computed.values.keys() & kept.values.keys()
    assert {key: computed.values[key] for key in shared} == {
        key: kept.values[key] for key in shared
    }
    assert computed.hidden & shared == kept.hidden & shared
    assert ("sdd", roannais.pk, ()) in kept.hidden  # 7 people
    assert ("sdd", forez.pk, ()) in kept.hidden  # 67 - 60 = 7 otherwise


def test_the_partners_dashboard_takes_a_bounded_number_of_queries(
    pact, forez, partner, assert_constant_queries
):
    people(2, forez)
    snapshot_take(year=YEAR)

    def page():
        dashboard(partner, annee=YEAR + 1)

    def more():
        for territory in (TerritoryFactory(), TerritoryFactory()):
            orient(people(20, territory), organisme(OrganisationKind.CCAS), Parcours.SOCIAL)

    assert_constant_queries(page, page, between=more)


def test_the_secret_changes_nothing_for_the_pilot(pact, forez, pilot):
    orient(people(3, forez), organisme(OrganisationKind.FRANCE_TRAVAIL), Parcours.EMPLOYMENT)
    page = dashboard(pilot)
    assert "secret statistique" not in page.content.decode()
    assert re.search(r"3 / 3", page.content.decode())
    assert table(page, "Personnes orientées par parcours")[1] == ["emploi", "3", "100,0 %"]
    assert Decimal("100.0") in dict(page.context["series"])["orientés"]
