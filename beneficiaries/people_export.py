"""The people list downloaded as a spreadsheet: the columns of the list page, the people of
the user's scope and the list's current filters, in the list's order.

Size: the list holds every person of the user's scope, up to the whole département (some
100,000 people for a pilot), so neither format is built in memory. The CSV is streamed, a few
thousand rows read at a time, whatever the number of people. The XLSX is written row by row by
openpyxl's write-only mode into a temporary file, then sent from it: some 30 MB of memory but
about 20 to 50 seconds for 100,000 people, longer than a request should last, so it is refused
past XLSX_MAX_ROWS people (the page says to export as CSV or to filter). The rows are read by
one query (an iterator), and the trace of the export is one INSERT … SELECT of the same people
(`record_export`): the number of queries does not depend on the number of people.
"""

import datetime
import tempfile

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from beneficiaries.deadlines import due_items
from beneficiaries.enums import FileOperation, Parcours, PeopleView
from beneficiaries.models import FileAccess
from beneficiaries.traces import record_list_access
from pti.enums import Role
from pti.tabular import csv_stream, neutralise

EXPORT_WHAT = "export de la liste"
SHEET_TITLE = "Bénéficiaires"
CHUNK_SIZE = 2_000
XLSX_DATE_FORMAT = "DD/MM/YYYY"
# openpyxl writes some 2,000 to 5,000 rows of this sheet a second: 20,000 people take a few
# seconds.
XLSX_MAX_ROWS = 20_000


def headers(user):
    """The columns of the list page for `user` (a référent's list has no « Référent »)."""
    columns = [
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
    if user.role == Role.REFERENT:
        columns.remove("Référent")
    return columns


def _dues(person, today):
    """« En retard : contrat échu à renouveler (01/02/2025) ; À venir : … », as the page says."""
    texts = []
    for due in due_items(person, today):
        text = f"{'En retard' if due.late else due.badge} : {due.label}"
        if due.date and not due.date_in_label:
            text += f" ({due.date:%d/%m/%Y})"
        texts.append(text)
    return " ; ".join(texts)


def rows(people, user, today):
    """Each person of `people` (annotated by `with_followup()`) as a list of cells in the order
    of `headers(user)`: texts (formula-looking ones neutralised, pti.tabular.neutralise), and
    dates as `datetime.date` (None when unknown). One query, read CHUNK_SIZE rows at a time."""
    for person in people.iterator(chunk_size=CHUNK_SIZE):
        if person.referent_id:
            referent = f"{person.referent_first_name} {person.referent_last_name}"
        else:
            referent = "à désigner"
        cells = [
            person.last_name.upper(),
            person.first_name,
            person.birth_date,
            person.territory_name or "",
            Parcours(person.parcours).label if person.parcours else "non orienté",
            referent,
            person.contract_end,
            person.last_interview_on,
            person.exit_on,
            person.exit_outcome_label if person.exit_on else "",
            _dues(person, today),
        ]
        if user.role == Role.REFERENT:
            del cells[5]
        yield [neutralise(cell) for cell in cells]


def csv_chunks(people, user, today):
    """The CSV as French Excel reads it (pti.tabular.csv_stream), as a generator of bytes, one
    chunk per CHUNK_SIZE rows; formula-looking texts neutralised."""
    return csv_stream(headers(user), rows(people, user, today), chunk_rows=CHUNK_SIZE)


def xlsx_file(people, user, today):
    """The XLSX (one sheet, « Bénéficiaires », dates as dates), written row by row into an
    anonymous temporary file, returned open at its start (the caller sends and closes it)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append(headers(user))
    for cells in rows(people, user, today):
        sheet.append([_xlsx_cell(sheet, cell) for cell in cells])
    # Returned open: FileResponse reads and closes it; the file vanishes once closed.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_cell(sheet, value):
    if value is None:
        return None
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = XLSX_DATE_FORMAT
        return cell
    return value


def record_export(*, user, people, criteria, search_text=""):
    """Trace the export of `people` (a queryset of the user's scope, filtered): one
    `FileAccess` per person (operation « export », « export de la liste ») written by a single
    INSERT … SELECT whatever their number, and one `ListAccess` (PeopleView.EXPORT) with the
    criteria, the search only as its kind and fingerprint. Returns the number of people."""
    try:
        selected, params = people.order_by().values(exported_id=F("pk")).query.sql_with_params()
    except EmptyResultSet:  # a filter that no one can match (an empty choice)
        selected = None
    count = 0
    if selected is not None:
        quote = connection.ops.quote_name
        names = ("beneficiary", "user", "at", "operation", "what")
        fields = [FileAccess._meta.get_field(name) for name in names]
        at = fields[2].get_db_prep_value(timezone.now(), connection)
        # Names from the model's metadata, quoted; the people's query compiled by Django with
        # its parameters: nothing from a user is in the text.
        sql = (
            f"INSERT INTO {quote(FileAccess._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"SELECT people.exported_id, %s, %s, %s, %s FROM ({selected}) people"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user.pk, at, FileOperation.EXPORT.value, EXPORT_WHAT, *params])
            count = cursor.rowcount
    record_list_access(
        user=user,
        view=PeopleView.EXPORT,
        criteria=criteria,
        search_text=search_text,
        shown=count,
        total=count,
    )
    return count
