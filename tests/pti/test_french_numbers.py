"""Numbers typed and read the French way: « 1 500 », « 12,5 » in the forms, a decimal comma
and `;` in the CSV exports, numbers as numbers and French sheet names in the XLSX ones."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django import forms
from django.urls import reverse

from evaluation.models import Indicator, Target
from pti.forms import INVALID_DECIMAL, INVALID_INTEGER, StyledFormMixin
from pti.numbers import parse_french_number
from pti.tabular import write_csv, write_xlsx
from tests.beneficiaries.factories import BeneficiaryFactory, OrientationDecisionFactory
from tests.pti.factories import OrientationFactory, PactFactory, UserFactory, frozen
from tests.signatories.factories import SignatoryFactory

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


class NumbersForm(StyledFormMixin, forms.Form):
    places = forms.IntegerField(label="Places", min_value=0)
    amount = forms.DecimalField(label="Montant (€)", max_digits=12, decimal_places=2)
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def bound(**data):
    return NumbersForm({"places": "1", "amount": "1", "year": "2026", **data})


# --- The form fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "places"),
    [
        ("1500", 1500),
        ("1 500", 1500),
        (f"1{NBSP}500", 1500),
        (f"1{NARROW_NBSP}500", 1500),
        ("12 000", 12000),
        (f"1{NARROW_NBSP}234{NARROW_NBSP}567", 1234567),
        (" 12 000 ", 12000),
        ("1 500,00", 1500),
        ("0", 0),
    ],
)
def test_an_integer_field_reads_french_numbers(typed, places):
    form = bound(places=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["places"] == places


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("1 500", Decimal("1500")),
        ("12 000,75", Decimal("12000.75")),
        (f"1{NBSP}234,56", Decimal("1234.56")),
        (f"1{NARROW_NBSP}234,56", Decimal("1234.56")),
        ("-3,5", Decimal("-3.5")),
        ("\u22123,5", Decimal("-3.5")),
    ],
)
def test_a_decimal_field_reads_french_numbers(typed, amount):
    form = bound(amount=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == amount


@pytest.mark.parametrize("typed", ["12.5.3", "12,5,3", "1 50", "15 00", "douze", "1 500 €"])
def test_a_number_that_does_not_read_is_refused_with_a_french_message(typed):
    form = bound(places=typed, amount=typed)
    assert not form.is_valid()
    assert form.errors["places"] == [INVALID_INTEGER]
    assert form.errors["amount"] == [INVALID_DECIMAL]
    # What was typed is shown back as it was, to be corrected.
    assert f'value="{typed}"' in str(form["amount"])


def test_an_integer_field_refuses_decimals():
    form = bound(places="12,5")
    assert not form.is_valid()
    assert form.errors["places"] == [INVALID_INTEGER]
    assert "sans décimales" in INVALID_INTEGER


def test_the_bounds_still_hold():
    form = bound(places="-1", year="1 999")
    assert not form.is_valid()
    assert set(form.errors) == {"places", "year"}


def test_numbers_are_shown_the_french_way_and_years_without_separator():
    form = NumbersForm(
        initial={"places": 12000, "amount": Decimal("1234.50"), "year": 2026, "version": 7}
    )
    places, amount, year = str(form["places"]), str(form["amount"]), str(form["year"])
    assert f'value="12{NARROW_NBSP}000"' in places
    assert f'value="1{NARROW_NBSP}234,50"' in amount
    assert 'value="2026"' in year
    # Text inputs (a number input refuses spaces and commas), with the phone's digit keyboard.
    assert 'type="text"' in places
    assert 'inputmode="numeric"' in places
    assert 'inputmode="decimal"' in amount
    assert 'class="form-control"' in amount
    assert 'type="hidden"' in str(form["version"])


def test_a_bound_form_shows_the_typed_number_the_french_way():
    form = bound(places="12000", amount="12.5")
    assert f'value="12{NARROW_NBSP}000"' in str(form["places"])
    assert 'value="12,5"' in str(form["amount"])


def test_parse_french_number_says_what_it_refuses():
    assert parse_french_number("1 500,25") == Decimal("1500.25")
    with pytest.raises(ValueError, match="not a French number"):
        parse_french_number("12.5.3")
    with pytest.raises(ValueError, match="not a French number"):
        parse_french_number("9" * 41)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.234,56", "1234.56"), ("1 500 €", "1500"), ("€ 12,5", "12.5"), ("12.000,5", "12000.5")],
)
def test_amounts_read_with_dots_between_thousands_and_a_euro_sign(text, expected):
    assert parse_french_number(text, currency=True) == Decimal(expected)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1e3", "1.23,4", "1 500 €"])
def test_what_is_not_a_number_or_not_an_amount_is_refused(text):
    with pytest.raises(ValueError, match="not a French number"):
        parse_french_number(text)


def test_imports_and_forms_read_amounts_with_the_same_rule():
    from actions.resources import FrenchDecimalWidget, WholeNumberWidget

    assert FrenchDecimalWidget().clean("1.234,56 €") == Decimal("1234.56")
    assert WholeNumberWidget().clean("1 500") == 1500
    for refused in ["NaN", "1e3", "douze"]:
        with pytest.raises(ValueError, match="n'est pas un montant"):
            FrenchDecimalWidget().clean(refused)
    with pytest.raises(ValueError, match="nombre entier positif"):
        WholeNumberWidget().clean("12,5")


# --- A real form page ------------------------------------------------------------------

YEAR = datetime.date.today().year - 1


@pytest.fixture
def pact(db):
    draft = PactFactory(period_start=YEAR - 1, period_end=YEAR + 2)
    OrientationFactory(pact=draft, position=1)
    return frozen(draft)


@pytest.mark.django_db
def test_the_targets_page_takes_1_500_and_shows_it_back(client_as, pact):
    client = client_as(UserFactory(pilot=True))
    indicator = Indicator.objects.get(code="budget-pdi")
    response = client.post(
        reverse("evaluation:targets"),
        {"indicator": indicator.pk, "year": str(YEAR), "scope": "pact", "value": "1 500"},
    )
    assert response.status_code == 302
    assert Target.objects.get(indicator=indicator, year=YEAR).value == Decimal("1500")
    page = client.get(reverse("evaluation:targets")).content.decode()
    assert f"1{NARROW_NBSP}500" in page


@pytest.mark.django_db
def test_the_targets_page_refuses_a_number_that_does_not_read(client_as, pact):
    client = client_as(UserFactory(pilot=True))
    indicator = Indicator.objects.get(code="budget-pdi")
    response = client.post(
        reverse("evaluation:targets"),
        {"indicator": indicator.pk, "year": str(YEAR), "scope": "pact", "value": "12.5.3"},
    )
    assert response.status_code == 422
    assert "une virgule sépare les décimales" in response.content.decode()
    assert not Target.objects.filter(indicator=indicator).exists()


# --- Exports ---------------------------------------------------------------------------


def test_write_csv_writes_numbers_and_dates_as_french_excel_reads_them():
    dataset = tablib.Dataset(headers=["Libellé", "Entier", "Réel", "Décimal", "Date", "Négatif"])
    dataset.append(["Places", 1500, 12.5, Decimal("24000.50"), datetime.date(2026, 3, 14), -2.5])
    dataset.append(["=1+1", 3, 75.0, None, datetime.datetime(2026, 3, 14, 9, 30), "-1+2"])

    content = write_csv(dataset)

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1] == ["Places", "1500", "12,5", "24000,50", "14/03/2026", "-2,5"]
    # A text that a spreadsheet would run is neutralised; a negative number is not.
    assert rows[2] == ["'=1+1", "3", "75", "", "14/03/2026 09:30", "'-1+2"]


def test_write_xlsx_names_its_sheet_in_french_and_keeps_numbers():
    dataset = tablib.Dataset(headers=["Réel", "Décimal"])
    dataset.append([12.5, Decimal("24000.50")])
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(dataset))).active
    assert sheet.title == "Données"
    assert sheet["A2"].value == 12.5
    assert sheet["B2"].value == 24000.5
    assert sheet["A2"].data_type == sheet["B2"].data_type == "n"

    dataset.title = "Actions [2026] : bilan / détail des résultats obtenus"
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(dataset))).active
    assert len(sheet.title) <= 31
    assert not set(sheet.title) & set("[]:*?/\\")


ORIENTED = "Personnes soumises aux droits et devoirs orientées"


@pytest.fixture
def one_of_eight_oriented(pact):
    """Eight people subject to rights and duties, one of whom was oriented last year: 12,5 %."""
    people = [
        BeneficiaryFactory(
            rsa_requested_on=datetime.date(YEAR - 1, 1, 1),
            right_opened_on=datetime.date(YEAR - 1, 2, 1),
            right_known_on=datetime.date(YEAR - 1, 2, 5),
        )
        for _ in range(8)
    ]
    OrientationDecisionFactory(
        beneficiary=people[0],
        decided_on=datetime.date(YEAR, 3, 1),
        notified_on=datetime.date(YEAR, 3, 5),
    )


@pytest.mark.django_db
def test_the_dashboard_csv_reads_as_numbers_in_french_excel(client_as, one_of_eight_oriented):
    client = client_as(UserFactory(pilot=True))
    response = client.get(reverse("evaluation:dashboard_export", args=["csv"]), {"annee": YEAR})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][:5] == ["Indicateur", "Unité", "Valeur", "Numérateur", "Dénominateur"]
    oriented = next(row for row in rows if row[0] == ORIENTED)
    assert oriented[2:5] == ["12,5", "1", "8"]


@pytest.mark.django_db
def test_the_dashboard_xlsx_has_a_french_sheet_and_numbers(client_as, one_of_eight_oriented):
    client = client_as(UserFactory(pilot=True))
    response = client.get(reverse("evaluation:dashboard_export", args=["xlsx"]), {"annee": YEAR})

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Indicateurs"]
    sheet = workbook.active
    oriented = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == ORIENTED)
    assert [cell.value for cell in oriented[2:5]] == [12.5, 1, 8]
    assert {cell.data_type for cell in oriented[2:5]} == {"n"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "args", "title"),
    [
        ("actions:action_export", ["xlsx"], "Actions"),
        ("pti:organisation_export", ["xlsx"], "Organisations"),
        ("evaluation:actions_export", ["xlsx"], "Actions"),
    ],
)
def test_every_xlsx_export_names_its_sheet_in_french(client_as, pact, url, args, title):
    client = client_as(UserFactory(pilot=True))
    response = client.get(reverse(url, args=args), {"annee": YEAR})
    assert response.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == [title]


@pytest.mark.django_db
def test_the_signatories_xlsx_has_a_french_sheet_and_its_order_as_a_number(client_as):
    signatory = SignatoryFactory(position=3)
    client = client_as(UserFactory(pilot=True))
    response = client.get(reverse("signatories:signatory_export", args=[signatory.pact.pk, "xlsx"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Signataires"]
    rows = list(workbook.active.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["Ordre"] == 3
