"""Importing a spreadsheet in two steps: a preview of what will change, then the import.

The uploaded file is kept in the storage between the two steps and named in the user's
session. Nothing is written before the confirmation; the import itself runs in one
transaction and writes nothing if any row is wrong (all or nothing). The stored file holds
what the user sent (for people, personal data): it is deleted on confirmation and on
cancellation, and `purge_abandoned_uploads` deletes those left behind (`apply_retention`).

Resources receive `file_lines` (the file line of each data row) among the keyword arguments
of `import_data`, so that a message can name another line of the file. A resource that leaves
a row aside on purpose (not an error: a row that is not for this application) returns an
`ExplainedRowResult` and says why in `ignored_because`; the preview counts it by reason and
does not show its cells.

A spec's `discarded_columns` (the NIR of a CNAF file) are removed from the table as soon as
the file is read: the resource never receives them, the preview never shows them, and the
file kept between the two steps is then the table without them, not what the user sent.
Its `discarded_values` pattern does the same for a cell of another column that holds such a
value (a row shifted by a missing separator): the cell is replaced by DISCARDED_VALUE.
"""

import datetime
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from import_export.results import RowResult

from pti.forms import StyledFormMixin
from pti.tabular import (
    Table,
    TableError,
    TooManyRows,
    map_headers,
    normalise_header,
    parse_table,
    read_upload,
    write_csv,
)

PREVIEW_ROWS = 200
SESSION_KEY = "pti_imports"
UPLOAD_FOLDER = "imports"
# A preview not confirmed within this time is abandoned: its file is deleted.
UPLOAD_MAX_AGE = datetime.timedelta(hours=24)

ACTION_LABELS = {
    RowResult.IMPORT_TYPE_NEW: "création",
    RowResult.IMPORT_TYPE_UPDATE: "modification",
    RowResult.IMPORT_TYPE_SKIP: "inchangé",
    RowResult.IMPORT_TYPE_DELETE: "suppression",
    RowResult.IMPORT_TYPE_ERROR: "erreur",
    RowResult.IMPORT_TYPE_INVALID: "erreur",
}


class ExplainedRowResult(RowResult):
    """A row's result that may say why the row is left aside (set by the resource, e.g. in
    `after_import_row`). The reason is shown in the preview and counted: it must be a short
    text without personal data ("dossier inconnu")."""

    def __init__(self):
        super().__init__()
        self.ignored_because = ""


# What the preview and the messages show instead of a value that must not be kept.
DISCARDED_VALUE = "(valeur retirée)"


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label="Fichier à importer",
        help_text="CSV (séparateur point-virgule ou virgule, UTF-8 ou Windows-1252), XLSX ou ODS.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.ods,.txt"}),
    )


@dataclass
class ImportSpec:
    """What an import expects: columns (header -> aliases), which are required, how to save."""

    kind: str
    title: str
    columns: dict
    required: list
    make_resource: object  # () -> Resource
    field_labels: dict = field(default_factory=dict)  # resource field name -> column header
    examples: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # what the page says about defaults and rules
    show_aliases: bool = False  # list the other accepted column names on the page
    # Columns read by nobody and kept nowhere (see the module docstring), by header; and a
    # compiled pattern: a cell of another column that it matches whole (a row shifted by a
    # missing separator) is replaced by DISCARDED_VALUE.
    discarded_columns: list = field(default_factory=list)
    discarded_values: object = None
    # The most data rows a file may have on the page (None: only settings.PTI_IMPORT_MAX_ROWS),
    # and what the refusal suggests besides splitting the file.
    max_rows: int | None = None
    too_many_rows_hint: str = ""
    # Called with (user, report) after each preview: an import of people traces what the
    # preview showed of them (beneficiaries.traces); None for the others.
    on_preview: object = None
    # An import that checks and writes its rows itself instead of through
    # django-import-export: an ImportEngine (below).
    engine: object = None

    @property
    def column_rows(self):
        """(column, required, example, other accepted names) for the page's table."""
        return [
            (column, column in self.required, example, self.columns.get(column, []))
            for column, example in self.examples.items()
        ]

    def read(self, name, data, *, max_rows=None):
        """The table of an uploaded file, without what the spec discards: every way into an
        import reads its file here. Reading stops at the first data row past `max_rows` (the
        page passes its own `self.max_rows`, the command none) with the page's refusal, and
        every file is held to the limits of `parse_table` (settings.PTI_IMPORT_MAX_*).
        Raises TableError."""
        try:
            table = parse_table(name, data, max_rows=max_rows)
        except TooManyRows as error:
            if max_rows is None or error.limit != max_rows:
                raise
            hint = f", {self.too_many_rows_hint}" if self.too_many_rows_hint else ""
            raise TableError(
                f"Le fichier compte plus de {_number(max_rows)} lignes : cet écran en importe "
                f"{_number(max_rows)} au plus. Découpez-le en plusieurs fichiers{hint}."
            ) from None
        return self.without_discarded(table)

    def without_discarded(self, table):
        """The table without the `discarded_columns` (whatever their case and accents) and
        with the cells that `discarded_values` matches replaced."""
        if not self.discarded_columns and self.discarded_values is None:
            return table
        discarded = {normalise_header(header) for header in self.discarded_columns}
        keep = [
            index
            for index, header in enumerate(table.headers)
            if normalise_header(header) not in discarded
        ]
        return Table(
            headers=[table.headers[index] for index in keep],
            rows=[[self._kept_cell(row[index]) for index in keep] for row in table.rows],
            line_numbers=list(table.line_numbers),
        )

    def _kept_cell(self, value):
        if self.discarded_values is None or isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str | int) and self.discarded_values.fullmatch(str(value).strip()):
            return DISCARDED_VALUE
        return value

    def example_file(self):
        """A CSV as French Excel opens it: the columns and one example row."""
        dataset = tablib.Dataset(headers=list(self.examples))
        dataset.append([str(value) for value in self.examples.values()])
        return write_csv(dataset)


@dataclass
class Report:
    headers: list
    rows: list
    errors: list
    counts: dict
    hidden_rows: int = 0
    ignored: list = field(default_factory=list)  # (reason, rows), the most frequent first
    # What the resource refused to reach outside the user's scope, for `ImportSpec.on_preview`
    # to trace (the resource's `refused`, if it keeps one); never shown.
    refused: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.errors


@dataclass
class Analysis:
    """What an ImportEngine found in a table, written nowhere in the database.

    `report` is what the preview shows (counts, the first PREVIEW_ROWS rows, every error as
    (file line, French message), the held rows' reasons among them); `held_lines` are the file
    lines left out of the plan: each faulty row and the rows that go with it (a household),
    never written, handed back as a CSV of those rows with their error."""

    report: Report
    held_lines: list = field(default_factory=list)


class ImportEngine(Protocol):
    """How an import kind reads, checks and writes its rows (ImportSpec.engine): read →
    check everything → write in one transaction, as the CNAF flux does.

    `analyse(spec, table, *, user, plan_file, progress)` checks every row of `table` (read by
    `spec.read`) as `user` would import it, writes nothing in the database, writes to
    `plan_file` (a binary file open for writing) what `write` needs to apply it without
    checking again, and returns an Analysis. `progress` has `total(n)` and `advance(k)`, in
    rows.

    `write(spec, plan_file, *, user, progress)` applies the plan read from `plan_file` (a
    binary file open for reading), inside the caller's transaction, and returns the Report of
    what it did. It raises django.core.exceptions.ValidationError (in French) when the base
    changed since the analysis so that the plan cannot apply; nothing is then written."""

    def analyse(self, spec, table, *, user, plan_file, progress) -> Analysis: ...

    def write(self, spec, plan_file, *, user, progress) -> Report: ...


class SilentProgress:
    """A progress that nobody follows (tests, a command that prints its own)."""

    def total(self, count):
        pass

    def advance(self, count=1):
        pass


def analyse(spec, table, *, dry_run):
    """Run the import (for real or not) on a table read by `spec.read`, and describe it row by
    row, with file line numbers."""
    dataset = map_headers(table, spec.columns, required=spec.required)
    resource = spec.make_resource()
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        file_lines=table.line_numbers,
    )
    # An error outside any row (before or after the rows) has rolled everything back: the
    # report must not call the file good. Line 0 is shown as "Fichier".
    errors = [(0, f"L'import n'a pas pu aboutir : {_message(e.error)}") for e in result.base_errors]
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append((table.line_of(number - 1), _message(error.error)))
    for invalid in result.invalid_rows:
        line = table.line_of(invalid.number - 1)
        for field_name, field_messages in invalid.error_dict.items():
            label = spec.field_labels.get(field_name, field_name)
            for message in field_messages:
                if field_name == NON_FIELD_ERRORS:
                    errors.append((line, message))
                else:
                    errors.append((line, f"{label} : {message}"))
    errors.sort()
    counts = {"new": 0, "update": 0, "skip": 0, "ignored": 0}
    ignored = Counter()
    rows, hidden_rows = [], 0
    for index, (row_result, values) in enumerate(zip(result.rows, dataset, strict=False)):
        reason = getattr(row_result, "ignored_because", "")
        if reason and row_result.import_type == RowResult.IMPORT_TYPE_SKIP:
            # Counted by reason, never shown: the row is not for this application, and its
            # cells may be about people the département does not follow.
            counts["ignored"] += 1
            ignored[reason] += 1
            continue
        if row_result.import_type in counts:
            counts[row_result.import_type] += 1
        if len(rows) < PREVIEW_ROWS:
            operation = ACTION_LABELS.get(row_result.import_type, "erreur")
            rows.append((table.line_of(index), operation, values))
        else:
            hidden_rows += 1
    return Report(
        headers=list(dataset.headers),
        rows=rows,
        errors=errors,
        counts=counts,
        hidden_rows=hidden_rows,
        ignored=sorted(ignored.items(), key=lambda item: (-item[1], item[0])),
        refused=list(getattr(resource, "refused", [])),
    )


def summary(report, lead="Import terminé :"):
    """What the confirmation message says the import did (or, with another `lead`, would do)."""
    counts = report.counts
    text = (
        f"{lead} {counts['new']} création(s), {counts['update']} modification(s), "
        f"{counts['skip']} ligne(s) inchangée(s)"
    )
    if counts["ignored"]:
        reasons = ", ".join(f"{reason} : {number}" for reason, number in report.ignored)
        text += f", {counts['ignored']} ligne(s) ignorée(s) ({reasons})"
    return text + "."


def _number(value):
    """1 000, as French writes it (a narrow no-break space between thousands)."""
    return f"{value:,}".replace(",", "\u202f")


def _message(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _remember(request, spec, uploaded_name, data, table):
    """Keep the file until the confirmation: what the user sent, or, when the spec discards
    columns, the table read from it without them (TABLE_EXTENSION)."""
    token = secrets.token_urlsafe(16)
    if spec.discarded_columns or spec.discarded_values is not None:
        extension, data = TABLE_EXTENSION, _table_to_json(table)
    else:
        extension = uploaded_name.rsplit(".", 1)[-1].lower() if "." in uploaded_name else "csv"
    path = default_storage.save(f"{UPLOAD_FOLDER}/{token}.{extension}", ContentFile(data))
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {"kind": spec.kind, "path": path, "name": uploaded_name}
    request.session[SESSION_KEY] = pending
    return token


# A table kept as JSON (header, rows, file line of each row), so that the confirmation reads
# exactly what the preview read. Dates of a spreadsheet's cells are tagged to come back as
# dates.
TABLE_EXTENSION = "table.json"
_DATE_TYPES = {"datetime": datetime.datetime, "date": datetime.date, "time": datetime.time}


def _cell_to_json(value):
    for tag, kind in _DATE_TYPES.items():
        if type(value) is kind:
            return {tag: value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell_from_json(value):
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return _DATE_TYPES[tag].fromisoformat(text)
    return value


def _table_to_json(table):
    return json.dumps(
        {
            "headers": table.headers,
            "rows": [[_cell_to_json(cell) for cell in row] for row in table.rows],
            "line_numbers": table.line_numbers,
        }
    ).encode()


def _table_from_json(data):
    content = json.loads(data)
    return Table(
        headers=content["headers"],
        rows=[[_cell_from_json(cell) for cell in row] for row in content["rows"]],
        line_numbers=content["line_numbers"],
    )


def _stored_table(spec, entry):
    with default_storage.open(entry["path"], "rb") as stored:
        data = stored.read()
    if entry["path"].endswith(f".{TABLE_EXTENSION}"):
        return _table_from_json(data)
    return spec.read(entry["name"], data, max_rows=spec.max_rows)


def _recall(request, spec, token):
    entry = request.session.get(SESSION_KEY, {}).get(token or "")
    if not entry or entry["kind"] != spec.kind or not default_storage.exists(entry["path"]):
        return None
    return entry


def _forget(request, token):
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if entry:
        default_storage.delete(entry["path"])


def purge_abandoned_uploads(now=None):
    """Delete the uploaded files of previews never confirmed nor cancelled, older than
    UPLOAD_MAX_AGE. Returns how many were deleted."""
    limit = (now or timezone.now()) - UPLOAD_MAX_AGE
    try:
        _, names = default_storage.listdir(UPLOAD_FOLDER)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        path = f"{UPLOAD_FOLDER}/{name}"
        if default_storage.get_modified_time(path) < limit:
            default_storage.delete(path)
            deleted += 1
    return deleted


def import_view(request, spec, *, trail, back_url):
    """The whole import page: upload, preview, confirmation (see module docstring)."""
    context = {"spec": spec, "trail": trail, "back_url": back_url, "title": spec.title}
    if request.method == "GET" and request.GET.get("modele") == "csv":
        response = HttpResponse(spec.example_file(), content_type="text/csv; charset=utf-8")
        name = f"modele-{slugify(spec.title)}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if request.method == "POST" and "cancel" in request.POST:
        _forget(request, request.POST.get("token", ""))
        messages.info(request, "Import annulé : rien n'a été enregistré.")
        return redirect(back_url)
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        entry = _recall(request, spec, token)
        if entry is None:
            messages.error(request, "Ce fichier n'est plus disponible : envoyez-le à nouveau.")
            return redirect(request.path)
        try:
            with transaction.atomic():
                report = analyse(spec, _stored_table(spec, entry), dry_run=False)
                if not report.is_valid:
                    transaction.set_rollback(True)
        except TableError as error:
            messages.error(request, str(error))
            return redirect(request.path)
        if not report.is_valid:
            context.update(form=UploadForm(), report=report, file_name=entry["name"])
            messages.error(request, "L'import a été refusé : rien n'a été enregistré.")
            return render(request, "pti/import.html", context, status=422)
        _forget(request, token)
        messages.success(request, summary(report))
        return redirect(back_url)

    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            data = read_upload(uploaded)
            table = spec.read(uploaded.name, data, max_rows=spec.max_rows)
            report = analyse(spec, table, dry_run=True)
        except TableError as error:
            form.add_error("file", str(error))
        else:
            if spec.on_preview is not None:
                spec.on_preview(request.user, report)
            context.update(report=report, file_name=uploaded.name)
            if report.is_valid:
                context["token"] = _remember(request, spec, uploaded.name, data, table)
            context["form"] = UploadForm()
            return render(
                request, "pti/import.html", context, status=200 if report.is_valid else 422
            )
    context["form"] = form
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "pti/import.html", context, status=status)
