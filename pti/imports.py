"""Importing a spreadsheet: the page takes the file, a worker analyses it, someone reads what
it would change and confirms, then the worker writes it (a background run, pti.import_runs).

The page (`import_view`) checks the file's type and size, then starts a run of the spec's
kind with it and leads to the run's page. Each kind's spec is rebuilt in the worker from the
run (`spec_for(user, **run.parameters)`, given to `pti.import_runs.table_import_handler`).

An import kind checks and writes its rows through an `ImportEngine`: its own (`spec.engine`),
or `ResourceEngine`, which runs its django-import-export resource. A faulty row does not
refuse the file: it is held, with the rows of its group (`ImportSpec.group_columns`: a
household is never half written), and handed back as a CSV to correct and import again; the
other rows are written once confirmed, in one transaction (all of them or none).

Resources receive `file_lines` (the file line of each data row) among the keyword arguments
of `import_data`, so that a message can name another line of the file. A resource that leaves
a row aside on purpose (not an error: a row that is not for this application) returns an
`ExplainedRowResult` and says why in `ignored_because`; the preview counts it by reason and
does not show its cells.

A spec's `discarded_columns` (the NIR of a CNAF file) are removed from the table as soon as
the file is read: the resource never receives them, the preview never shows them, and the
page then keeps the table without them (TABLE_EXTENSION), never what the user sent.
Its `discarded_values` pattern does the same for a cell of another column that holds such a
value (a row shifted by a missing separator): the cell is replaced by DISCARDED_VALUE.
"""

import dataclasses
import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import tablib
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from import_export.results import RowResult

from pti.forms import StyledFormMixin
from pti.runs import run_start
from pti.tabular import (
    SUPPORTED,
    Table,
    TableError,
    check_upload_size,
    map_headers,
    normalise_header,
    parse_table,
    read_upload,
    without_hidden_rows,
    write_csv,
)

PREVIEW_ROWS = 200
# The run's parameter that leaves out the rows hidden or filtered in a spreadsheet (the upload
# form's `exclude_hidden`, or the run page's choice: pti.run_views.run_hidden_rows); taken out
# before the parameters rebuild the spec.
EXCLUDE_HIDDEN_ROWS = "exclude_hidden_rows"
# At most this many dry runs: each one without the rows held by the one before (see
# ResourceEngine).
MAX_PASSES = 5
EXTENSIONS = ("csv", "txt", "xlsx", "ods")

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
    # Rows hidden or filtered out in a spreadsheet are imported by default: a filter is most
    # often left from reading the list, and a person left out without a word is lost; the
    # preview counts them in a warning either way.
    exclude_hidden = forms.BooleanField(
        label="Laisser de côté les lignes masquées ou filtrées du tableur",
        required=False,
        help_text="Sans cette case, elles sont importées comme les autres ; l'analyse les "
        "compte et les signale, et vous pouvez encore changer d'avis avant de confirmer.",
    )

    def clean_file(self):
        """The file's type by its name and its size as the upload declares it, before a byte
        of it is read (the worker reads it, held to pti.tabular's limits)."""
        upload = self.cleaned_data["file"]
        name = upload.name or ""
        if name.rsplit(".", 1)[-1].lower() not in EXTENSIONS or "." not in name:
            raise forms.ValidationError(
                f"Format non pris en charge (« {name or 'sans nom'} ») : envoyez un fichier "
                f"{SUPPORTED}."
            )
        try:
            check_upload_size(upload.size)
            if not upload.size:
                raise TableError("Le fichier est vide.")
        except TableError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


@dataclass
class ImportSpec:
    """What an import expects: columns (header -> aliases), which are required, how to save."""

    kind: str  # a RunKind value: the run that imports the file
    title: str
    columns: dict
    required: list
    make_resource: object  # () -> Resource
    field_labels: dict = field(default_factory=dict)  # resource field name -> column header
    examples: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # what the page says about defaults and rules
    show_aliases: bool = False  # list the other accepted column names on the page
    # Columns read by nobody and kept nowhere (see the module docstring), by header; and a
    # compiled pattern, or a predicate (text) -> bool: a cell of another column that it
    # matches whole (a row shifted by a missing separator, a value typed in the wrong column)
    # is replaced by DISCARDED_VALUE.
    discarded_columns: list = field(default_factory=list)
    discarded_values: object = None
    # Columns whose cells `discarded_values` leaves alone (an MSA matricule is built on the
    # NIR: the « N° CAF » of a household paid by the MSA).
    discarded_values_spare: list = field(default_factory=list)
    # Who removes them before the file is kept: the page (True: the contacts file, whose NIR
    # column must never reach the storage), or the worker, which replaces the kept file by its
    # table before anything is analysed or shown (False: a list of people, too large to be read
    # in a web request; `kept_table`).
    discard_on_upload: bool = True
    # The columns (expected headers) whose values make rows one group, held together when one
    # of them is faulty: the people of a household (« N° CAF »). Empty: each row stands alone.
    group_columns: list = field(default_factory=list)
    # Called with (user, report) once an analysis ends: an import of people traces what the
    # preview showed of them (beneficiaries.traces); None for the others.
    on_preview: object = None
    # An import that checks and writes its rows itself instead of through
    # django-import-export: an ImportEngine (below); None: ResourceEngine.
    engine: object = None

    @property
    def column_rows(self):
        """(column, required, example, other accepted names) for the page's table."""
        return [
            (column, column in self.required, example, self.columns.get(column, []))
            for column, example in self.examples.items()
        ]

    @property
    def discards(self):
        return bool(self.discarded_columns) or self.discarded_values is not None

    def read(self, name, data, *, include_hidden=True):
        """The table of a file, without what the spec discards: every way into an import
        reads its file here (a table kept by the page as JSON, TABLE_EXTENSION, is read back
        as it was). Every file is held to the limits of `parse_table` (settings.PTI_IMPORT_MAX_*);
        its header row and sheet are those that hold the spec's required columns, its hidden
        rows read unless `include_hidden` is false. Raises TableError."""
        if name.endswith(".json"):
            table = _table_from_json(data)
            return table if include_hidden else without_hidden_rows(table)
        return self.without_discarded(
            parse_table(
                name,
                data,
                columns=self.columns,
                required=self.required,
                include_hidden=include_hidden,
            )
        )

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
        spared = {normalise_header(header) for header in self.discarded_values_spare}
        for column in self.discarded_values_spare:
            spared.update(normalise_header(alias) for alias in self.columns.get(column, []))
        kept_cell = [
            (lambda value: value)
            if normalise_header(table.headers[index]) in spared
            else self._kept_cell
            for index in range(len(table.headers))
        ]
        return dataclasses.replace(
            table,
            headers=[table.headers[index] for index in keep],
            rows=[[kept_cell[index](row[index]) for index in keep] for row in table.rows],
            refused=[
                (line, [kept_cell[i](cells[i]) for i in keep if i < len(cells)], text)
                for line, cells, text in table.refused
            ],
        )

    def _kept_cell(self, value):
        if self.discarded_values is None or isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        matches = getattr(self.discarded_values, "fullmatch", self.discarded_values)
        if isinstance(value, str | int) and matches(str(value).strip()):
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
    # (file line, French message) of what the import writes all the same but the user should
    # check before confirming: a probable homonym, a référent the application does not know
    # (the person imported unassigned), a cell ignored (an invalid phone, a NIR where none
    # belongs). The row is imported; only errors hold a row.
    warnings: list = field(default_factory=list)

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


def engine_of(spec):
    """The ImportEngine of `spec`: its own, or the one of django-import-export."""
    return spec.engine if spec.engine is not None else ResourceEngine()


def _import_rows(spec, table, *, dry_run, progress=None):
    """Run the import (for real or not) on a table read by `spec.read`, and describe it row by
    row, with file line numbers."""
    dataset = map_headers(table, spec.columns, required=spec.required)
    resource = spec.make_resource()
    if progress is not None:
        import_row = resource.import_row

        def import_row_counted(*args, **kwargs):
            result = import_row(*args, **kwargs)
            progress.advance()
            return result

        # The resource's own method, wrapped on this instance only: each row read advances.
        resource.import_row = import_row_counted
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
        # The cells the resource left out of imported rows, if it keeps them.
        warnings=sorted(getattr(resource, "warnings", [])),
    )


def held_reason(faulty_lines, group_columns):
    """Why a good row is held: a row of its group (same values in `group_columns`, a list of
    headers) is in error at `faulty_lines` (file line numbers, ascending). French, e.g.
    « Retenue avec la ligne 3, qui est en erreur : elles ont le même « N° CAF ». »"""
    column = " ou ".join(f"« {name} »" for name in group_columns)
    if len(faulty_lines) == 1:
        return (
            f"Retenue avec la ligne {faulty_lines[0]}, qui est en erreur : elles ont le même "
            f"{column}."
        )
    listed = ", ".join(str(line) for line in faulty_lines[:-1]) + f" et {faulty_lines[-1]}"
    return f"Retenue avec les lignes {listed}, qui sont en erreur : elles ont le même {column}."


class ResourceEngine:
    """The ImportEngine of a spec's django-import-export resource.

    `analyse` makes a dry run of the whole table. Each faulty row is held, with the rows of
    its group (`ImportSpec.group_columns`), then the dry run is made again without them, as a
    later row may have leant on a held one (a person joining a household held), at most
    MAX_PASSES times, so that the preview's counts are those of the write. The plan is the
    table without the held rows (JSON). An error outside the rows (the resource could not
    start) holds the whole file.

    `write` imports the plan's table for real; a row that became faulty since the analysis
    (a référent who left) refuses the write, with the rows' errors, in French."""

    def analyse(self, spec, table, *, user, plan_file, progress):
        dataset = map_headers(table, spec.columns, required=spec.required)
        groups = _groups(spec, dataset)
        index_of_line = {line: index for index, line in enumerate(table.line_numbers)}
        held, errors, refused = {}, [], []
        progress.total(len(table.rows))
        for _ in range(MAX_PASSES):
            kept = [index for index in range(len(table.rows)) if index not in held]
            if not kept:
                break
            progress.done = 0  # each pass counts the rows again
            report = _import_rows(spec, _subtable(table, kept), dry_run=True, progress=progress)
            refused += [target for target in report.refused if target not in refused]
            if any(line == 0 for line, _ in report.errors):
                # Nothing could be checked: the whole file is held, with the reason.
                errors += report.errors
                held.update((index, "") for index in kept)
                break
            if not report.errors:
                break
            errors += report.errors
            faulty = sorted({index_of_line[line] for line, _ in report.errors})
            for index in faulty:
                held[index] = ""
            for index in faulty:
                for other in groups.get(index, ()):
                    if other not in held:
                        held[other] = index
                        errors.append(
                            (
                                table.line_of(other),
                                held_reason([table.line_of(index)], spec.group_columns),
                            )
                        )
        plan_file.write(
            _table_to_json(_subtable(table, [i for i in range(len(table.rows)) if i not in held]))
        )
        report.errors = sorted(errors)
        report.refused = refused
        if len(held) == len(table.rows):
            report.rows, report.hidden_rows = [], 0
            report.counts = {"new": 0, "update": 0, "skip": 0, "ignored": 0}
            report.ignored = []
        return Analysis(report=report, held_lines=sorted(table.line_of(i) for i in held))

    def write(self, spec, plan_file, *, user, progress):
        table = _table_from_json(plan_file.read())
        progress.total(len(table.rows))
        report = _import_rows(spec, table, dry_run=False, progress=progress)
        if report.errors:
            raise ValidationError(
                "L'import n'a pas pu se faire : des lignes vérifiées par l'analyse sont "
                "maintenant en erreur (la base a changé depuis). Rien n'a été enregistré ; "
                "envoyez de nouveau le fichier. "
                + " ".join(error_line(line, text) for line, text in report.errors)
            )
        return report


def _subtable(table, indexes):
    """`table` with only its rows of `indexes` (what the reader refused or noticed is the
    whole table's, said once: not carried into the part)."""
    return dataclasses.replace(
        table,
        rows=[table.rows[index] for index in indexes],
        line_numbers=[table.line_numbers[index] for index in indexes],
        refused=[],
        warnings=[],
    )


def _group_value(value):
    """A cell as a group's key: without spaces nor case, and a number without its leading zeros
    (« 0123456 » and « 123456 », the same CAF number as Excel leaves it)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "".join(str(value if value is not None else "").split()).casefold()
    return text.lstrip("0") or text if text.isdigit() else text


def _groups(spec, dataset):
    """{row index: the indexes of the other rows of its group}; rows whose group cells are all
    empty stand alone."""
    columns = [name for name in spec.group_columns if name in dataset.headers]
    if not columns:
        return {}
    members = {}
    for index, row in enumerate(dataset.dict):
        key = tuple(_group_value(row.get(name)) for name in columns)
        if any(key):
            members.setdefault(key, []).append(index)
    return {
        index: [other for other in indexes if other != index]
        for indexes in members.values()
        if len(indexes) > 1
        for index in indexes
    }


def error_line(line, text):
    """An error as the pages and the files write it: « Ligne 4 : … », « Fichier : … »."""
    return f"{f'Ligne {line}' if line else 'Fichier'} : {text}"


def plural(count, singular, plural_form=None):
    """« 1 création », « 3 créations », « 0 modification » (French: 0 and 1 are singular)."""
    return f"{_number(count)} {singular if count < 2 else plural_form or singular + 's'}"


def counts_sentence(counts, ignored=()):
    """What an import does or would do, counted: « 120 créations, 3 modifications, 40 lignes
    inchangées, 2 lignes retenues »."""
    parts = [
        plural(counts.get("new", 0), "création"),
        plural(counts.get("update", 0), "modification"),
        plural(counts.get("skip", 0), "ligne inchangée", "lignes inchangées"),
    ]
    if counts.get("ignored"):
        reasons = ", ".join(f"{reason} : {number}" for reason, number in ignored)
        parts.append(
            plural(counts["ignored"], "ligne ignorée", "lignes ignorées") + f" ({reasons})"
        )
    if counts.get("held"):
        parts.append(plural(counts["held"], "ligne retenue", "lignes retenues"))
    return ", ".join(parts)


def summary(report, lead="Import terminé :", *, held=0):
    """What an import did (or, with another `lead`, would do), in a sentence."""
    return f"{lead} {counts_sentence({**report.counts, 'held': held}, report.ignored)}."


def _number(value):
    """1 000, as French writes it (a narrow no-break space between thousands)."""
    return f"{value:,}".replace(",", "\u202f")


def _message(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


# A table kept as JSON (header, rows, file line of each row): the plan of an import (what the
# analysis checked, without the rows it held), and the file kept by the page when the spec
# discards columns. Dates of a spreadsheet's cells are tagged to come back as dates.
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
            "refused": [
                [line, [_cell_to_json(cell) for cell in cells], text]
                for line, cells, text in table.refused
            ],
            "warnings": table.warnings,
            "serial_epoch": table.serial_epoch.isoformat(),
            "hidden_lines": table.hidden_lines,
            "hidden_included": table.hidden_included,
        }
    ).encode()


def _table_from_json(data):
    content = json.loads(data)
    return Table(
        headers=content["headers"],
        rows=[[_cell_from_json(cell) for cell in row] for row in content["rows"]],
        line_numbers=content["line_numbers"],
        refused=[
            (line, [_cell_from_json(cell) for cell in cells], text)
            for line, cells, text in content.get("refused", [])
        ],
        warnings=[tuple(warning) for warning in content.get("warnings", [])],
        serial_epoch=datetime.date.fromisoformat(content.get("serial_epoch", "1899-12-30")),
        hidden_lines=content.get("hidden_lines", []),
        hidden_included=content.get("hidden_included", True),
    )


def import_view(request, spec, *, trail, back_url, parameters=None):
    """The page of an import: its columns and rules, an example file, and the upload, which
    starts a run of `spec.kind` (with `parameters`, what rebuilds the spec in the worker) and
    leads to its page (see the module docstring)."""
    context = {"spec": spec, "trail": trail, "back_url": back_url, "title": spec.title}
    if request.method == "GET" and request.GET.get("modele") == "csv":
        response = HttpResponse(spec.example_file(), content_type="text/csv; charset=utf-8")
        name = f"modele-{slugify(spec.title)}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        if form.cleaned_data["exclude_hidden"]:
            parameters = {**(parameters or {}), EXCLUDE_HIDDEN_ROWS: True}
        try:
            upload = _kept_upload(spec, uploaded)
            run = run_start(
                kind=spec.kind,
                user=request.user,
                parameters=parameters,
                upload=upload,
                file_name=uploaded.name,
            )
        except TableError as error:
            form.add_error("file", str(error))
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            return redirect("pti:run_detail", pk=run.pk)
    context["form"] = form
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "pti/import.html", context, status=status)


def kept_table(spec, name, data):
    """What the worker keeps of a stored file whose spec removes values there
    (ImportSpec.discard_on_upload false): the table read from it, hidden rows included and
    marked, without the discarded values, as a file to store in its place (JSON); and that
    table. Raises TableError."""
    table = spec.read(name, data)
    return ContentFile(_table_to_json(table), name=f"fichier.{TABLE_EXTENSION}"), table


def _kept_upload(spec, uploaded):
    """What the run keeps of the uploaded file: the file itself, or, when the spec discards
    columns (a NIR), the table read from it without them, so that they never reach the
    storage. Raises TableError."""
    if not spec.discards or not spec.discard_on_upload:
        return uploaded
    # The hidden rows are kept with the others: each analysis leaves them out or not, as the
    # run's parameters say (the user may change their mind before confirming).
    return kept_table(spec, uploaded.name, read_upload(uploaded))[0]
