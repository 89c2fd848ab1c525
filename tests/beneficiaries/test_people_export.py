"""The people list exported as CSV and XLSX: the list's columns, the user's scope and the
current filters and search, every person exported traced, formulas neutralised, a constant
number of queries."""

import csv
import datetime
import html
import io

import openpyxl
import pytest
from django.urls import reverse

from beneficiaries.enums import FileOperation, PeopleView
from beneficiaries.models import FileAccess, ListAccess
from beneficiaries.people_export import EXPORT_WHAT
from tests.beneficiaries.factories import (
    BeneficiaryFactory,
    ExitFactory,
    ReferentAssignmentFactory,
)
from tests.pti.factories import OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ccas():
    return OrganisationFactory(name="CCAS de Saint-Étienne", ccas=True)


@pytest.fixture
def sophie(ccas):
    return UserFactory(referent=True, organisation=ccas, first_name="Sophie", last_name="Durand")


def follow(referent, **person):
    return ReferentAssignmentFactory(
        referent=referent, beneficiary=BeneficiaryFactory(**person)
    ).beneficiary


def content(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response):
    data = content(response)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(content(response)))
    assert book.sheetnames == ["Bénéficiaires"]
    return [list(row) for row in book["Bénéficiaires"].iter_rows(values_only=True)]


def export(client, fmt, **params):
    return client.get(reverse("beneficiaries:list_export", args=[fmt]), params)


def test_csv_has_the_list_columns_for_the_people_of_the_scope_only(client_as, ccas, sophie):
    follow(sophie, last_name="Arnaud", first_name="Léa", birth_date=datetime.date(1990, 3, 4))
    follow(UserFactory(referent=True), last_name="Ailleurs")  # another structure's person
    manager = client_as(UserFactory(manager=True, organisation=ccas))
    response = export(manager, "csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="beneficiaires-')
    header, *rows = csv_rows(response)
    assert header == [
        "Nom",
        "Prénom",
        "Date de naissance",
        "Territoire",
        "Parcours",
        "Référent",
        "Contrat jusqu'au",
        "Dernier entretien",
        "Sortie le",
        "Issue de la sortie",
        "À faire",
    ]
    assert len(rows) == 1
    assert rows[0][:3] == ["ARNAUD", "Léa", "04/03/1990"]
    assert rows[0][4:6] == ["non orienté", "Sophie Durand"]
    assert rows[0][9] == ""
    assert rows[0][10].startswith("En retard : orientation à décider")


def test_a_referent_exports_without_the_referent_column(client_as, sophie):
    follow(sophie, last_name="Arnaud")
    header, row = csv_rows(export(client_as(sophie), "csv"))
    assert "Référent" not in header
    assert len(row) == len(header) == 10


def test_the_export_keeps_the_filters_and_the_list_order(client_as, ccas, sophie):
    north = TerritoryFactory(name="Nord")
    follow(sophie, last_name="Bernard", household__territory=north)
    follow(sophie, last_name="Arnaud", household__territory=north)
    follow(sophie, last_name="Sud")
    ExitFactory(beneficiary=follow(sophie, last_name="Parti", household__territory=north))
    client = client_as(UserFactory(pilot=True))
    rows = csv_rows(export(client, "csv", territory=north.pk))[1:]
    assert [row[0] for row in rows] == ["ARNAUD", "BERNARD"]
    rows = csv_rows(export(client, "csv", territory=north.pk, sort="-nom"))[1:]
    assert [row[0] for row in rows] == ["BERNARD", "ARNAUD"]
    rows = csv_rows(export(client, "csv", state="exited"))[1:]
    assert [row[0] for row in rows] == ["PARTI"]
    assert rows[0][8:10] == ["30/06/2025", "emploi durable"]  # a CDI, as the list says


def test_a_search_is_exported_through_its_handle(client_as, sophie):
    follow(sophie, last_name="Quintanilla")
    follow(sophie, last_name="Arnaud")
    client = client_as(sophie)
    answer = client.post(reverse("beneficiaries:list"), {"q": "Quintanilla"})
    query = answer.url.split("?", 1)[1]
    assert "Quintanilla" not in query
    page = client.get(answer.url)
    link = reverse("beneficiaries:list_export", args=["csv"]) + "?" + query
    assert link in html.unescape(page.content.decode())
    rows = csv_rows(client.get(link))[1:]
    assert [row[0] for row in rows] == ["QUINTANILLA"]
    trace = ListAccess.objects.get(view=PeopleView.EXPORT)
    assert "Quintanilla" not in str(trace.filters)
    assert trace.filters["recherche"] == "nom"
    assert trace.search_fingerprint


def test_an_expired_search_exports_nothing(client_as, sophie):
    follow(sophie, last_name="Arnaud")
    response = export(client_as(sophie), "csv", recherche="inconnue")
    assert response.status_code == 302
    assert response.url == reverse("beneficiaries:list")
    assert not FileAccess.objects.exists()


def test_every_person_exported_is_traced_once(client_as, ccas, sophie):
    people = [follow(sophie) for _ in range(3)]
    outside = follow(UserFactory(referent=True))
    manager = UserFactory(manager=True, organisation=ccas)
    export(client_as(manager), "xlsx", referent=sophie.pk)
    accesses = FileAccess.objects.all()
    assert sorted(a.beneficiary_id for a in accesses) == sorted(p.pk for p in people)
    assert outside.pk not in [a.beneficiary_id for a in accesses]
    assert {(a.user_id, a.operation, a.what) for a in accesses} == {
        (manager.pk, FileOperation.EXPORT, EXPORT_WHAT)
    }
    trace = ListAccess.objects.get()
    assert (trace.view, trace.shown, trace.total) == (PeopleView.EXPORT, 3, 3)
    assert trace.filters["Format"] == "XLSX"
    assert trace.filters["Référent"] == str(sophie)


def test_an_empty_export_has_its_header_and_no_trace_of_people(client_as, sophie):
    header, *rows = csv_rows(export(client_as(sophie), "csv"))
    assert header[0] == "Nom"
    assert rows == []
    assert not FileAccess.objects.exists()
    assert ListAccess.objects.get().shown == 0


def test_formulas_are_neutralised_in_both_formats(client_as, sophie):
    follow(sophie, last_name='=HYPERLINK("http://x")', first_name="+33 6")
    client = client_as(sophie)
    row = csv_rows(export(client, "csv"))[1]
    assert row[:2] == ['\'=HYPERLINK("HTTP://X")', "'+33 6"]
    row = xlsx_rows(export(client, "xlsx"))[1]
    assert row[:2] == ['\'=HYPERLINK("HTTP://X")', "'+33 6"]


def test_xlsx_sheet_is_named_in_french_with_dates_as_dates(client_as, sophie):
    follow(sophie, last_name="Arnaud", birth_date=datetime.date(1990, 3, 4))
    response = export(client_as(sophie), "xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="beneficiaires-')
    header, row = xlsx_rows(response)
    assert header[:3] == ["Nom", "Prénom", "Date de naissance"]
    assert row[0] == "ARNAUD"
    assert row[2] == datetime.datetime(1990, 3, 4)


def test_the_list_page_offers_both_exports_with_its_filters(client_as, sophie):
    follow(sophie, last_name="Arnaud")
    page = client_as(sophie).get(reverse("beneficiaries:list"), {"state": "all"})
    text = html.unescape(page.content.decode())
    assert "Exporter (CSV)" in text
    assert "Exporter (XLSX)" in text
    assert reverse("beneficiaries:list_export", args=["xlsx"]) + "?state=all" in text
    portfolio = client_as(sophie).get(reverse("beneficiaries:portfolio"))
    assert "Exporter (CSV)" not in portfolio.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_makes_the_same_number_of_queries_for_1_or_many_people(
    client_as, sophie, assert_constant_queries, fmt
):
    follow(sophie)
    client = client_as(sophie)

    def download():
        response = export(client, fmt)
        assert response.status_code == 200
        content(response)

    assert_constant_queries(download, download, between=lambda: [follow(sophie) for _ in range(30)])
    assert FileAccess.objects.filter(operation=FileOperation.EXPORT).count() == 1 + 31


def test_a_too_long_xlsx_is_refused_for_csv_and_nothing_is_traced(client_as, sophie, monkeypatch):
    monkeypatch.setattr("beneficiaries.people_export.XLSX_MAX_ROWS", 2)
    for _ in range(3):
        follow(sophie)
    client = client_as(sophie)
    response = export(client, "xlsx", state="all")
    assert response.status_code == 302
    assert response.url == reverse("beneficiaries:list") + "?state=all"
    assert not FileAccess.objects.exists()
    page = client.get(response.url)
    assert "La liste compte 3 personnes : au-delà de 2, l'export XLSX serait trop long." in (
        html.unescape(page.content.decode())
    )
    assert len(csv_rows(export(client, "csv"))) == 1 + 3
