"""The table imports (people, CAF contacts, organisations, actions, signatories) as
background runs (pti.runs), as the CNAF flux is: the page keeps the file and starts a run
(pti.imports.import_view); a worker reads it and analyses every row, writing nothing in the
database (`analyse_table`): what it would change, every error, the rows it holds; someone
reads it on the run's page and confirms; the worker then writes the plan the analysis kept
(`write_table`), in one transaction.

The rows held (each faulty one and the rows of its group) are never written: they come back
as a CSV for French Excel, an « Erreur » column first, then the file's own columns, to
correct and import again (the run's `result`).

Each kind registers `table_import_handler(spec_for)` from its app's ready(); `spec_for(user,
**run.parameters)` rebuilds in the worker the ImportSpec the page showed. The command
`import_beneficiaries` calls the same two functions without a run."""

import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import tablib
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.text import slugify

from pti.imports import (
    EXCLUDE_HIDDEN_ROWS,
    TABLE_EXTENSION,
    Report,
    engine_of,
    error_line,
    kept_table,
    summary,
)
from pti.runs import RunHandler, RunRefused
from pti.tabular import TableError, without_hidden_rows, write_csv

ERROR_COLUMN = "Erreur"


@dataclass
class TableAnalysis:
    """What `analyse_table` found: `found` (JSON, kept as the run's analysis and shown on its
    page), the held rows as a CSV (None when none is held), and the report (for
    ImportSpec.on_preview)."""

    found: dict
    held_csv: bytes | None
    report: Report


def analyse_table(spec, table, *, user, plan_file, progress):
    """Check every row of `table` (read by `spec.read`) as `user` would import it, and write
    the plan to `plan_file`. Returns a TableAnalysis.

    Raises RunRefused (French message, with what was found) when no row can be written: every
    row held, or the table does not fit the spec (a required column missing)."""
    try:
        analysis = engine_of(spec).analyse(
            spec, table, user=user, plan_file=plan_file, progress=progress
        )
    except TableError as error:
        raise RunRefused(f"{error} Rien n'a été enregistré.", found={}) from None
    report = analysis.report
    # The rows the reader refused (a quote never closed...) are errors held like the others;
    # what it noticed (hidden rows) is a warning.
    report.errors = sorted([*report.errors, *((line, text) for line, _, text in table.refused)])
    report.warnings = sorted([*report.warnings, *table.warnings])
    held = set(analysis.held_lines) | {line for line, _, _ in table.refused}
    found = {
        "table_import": True,
        "lines": [summary(report, "L'import ferait :", held=len(held))],
        "counts": {**report.counts, "held": len(held)},
        "errors": [error_line(line, text) for line, text in report.errors],
        "warnings": [error_line(line, text) for line, text in sorted(report.warnings)],
        "headers": [str(header) for header in report.headers],
        "rows": [
            [line, operation, [shown_cell(cell) for cell in values]]
            for line, operation, values in report.rows
        ],
        "hidden_rows": report.hidden_rows,
        # The rows hidden or filtered in the spreadsheet: how many, and whether this analysis
        # imports them (the run's page lets the user choose again: runs.run_reanalyse).
        "spreadsheet_hidden": len(table.hidden_lines),
        "spreadsheet_hidden_included": table.hidden_included,
        "held_count": len(held),
        "group_columns": list(spec.group_columns),
        "ignored": [[reason, number] for reason, number in report.ignored],
    }
    held_csv = held_rows_csv(table, held, report.errors) if held else None
    if len(held) == len(table.rows) + len(table.refused):
        outcome = TableAnalysis(found=found, held_csv=held_csv, report=report)
        raise TableRefused(
            f"Fichier refusé : aucune ligne ne peut être importée ({_errors(report)}, "
            f"{'listées' if len(report.errors) > 1 else 'listée'} ci-dessous). Rien n'a été "
            "enregistré ; corrigez le fichier, puis envoyez-le de nouveau.",
            outcome=outcome,
        )
    return TableAnalysis(found=found, held_csv=held_csv, report=report)


class TableRefused(RunRefused):
    """No row of the file can be written; `outcome` is the TableAnalysis all the same (the
    held rows' CSV, the report to trace)."""

    def __init__(self, message, *, outcome):
        super().__init__(message, found=outcome.found)
        self.outcome = outcome


def _errors(report):
    count = len(report.errors)
    return f"{count} erreur{'s' if count > 1 else ''}"


def write_table(spec, plan_file, *, user, progress, analysis):
    """Write the plan in `plan_file` (made by `analyse_table`, whose `found` is `analysis`) in
    the caller's transaction; returns what to keep of it (JSON). Raises ValidationError (in
    French) when the plan no longer applies: nothing is then written."""
    report = engine_of(spec).write(spec, plan_file, user=user, progress=progress)
    held = analysis.get("held_count", 0)
    return {
        "table_import": True,
        "lines": [summary(report, held=held)],
        "counts": {**report.counts, "held": held},
        # The held rows were not written: their reasons stay listed with the outcome.
        "errors": analysis.get("errors", []),
        # What the user read and confirmed stays listed with the outcome.
        "warnings": analysis.get("warnings", []),
        "held_count": held,
        "group_columns": analysis.get("group_columns", []),
        "ignored": [[reason, number] for reason, number in report.ignored],
    }


def shown_cell(value):
    """A cell as the preview and the held rows' CSV show it: a date as 14/03/1986."""
    if value is None:
        return ""
    if hasattr(value, "hour") and hasattr(value, "date"):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return f"{value:%d/%m/%Y}"
        return f"{value:%d/%m/%Y %H:%M}"
    if hasattr(value, "day"):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def held_rows_csv(table, held_lines, errors):
    """The held rows of `table`, in the file's order, as French Excel opens a CSV: the reasons
    of each in an « Erreur » column, then the file's columns (without what the spec
    discards), so that the file, corrected, imports again as it is."""
    reasons = {}
    for line, text in errors:
        reasons.setdefault(line, []).append(text)
    headers = [ERROR_COLUMN, *table.headers]
    dataset = tablib.Dataset(headers=headers)
    rows = zip(table.line_numbers, table.rows, strict=True)
    refused = ((line, cells) for line, cells, _ in table.refused)
    for line, row in sorted([*rows, *refused], key=lambda item: item[0]):
        if line in held_lines:
            reason = " ".join(_sentence(text) for text in reasons.get(line, [])) or "Retenue."
            dataset.append([reason, *[shown_cell(cell) for cell in row]])
    return write_csv(dataset)


def _sentence(text):
    return text if text.endswith((".", "!", "?", "»")) else f"{text}."


def held_file_name(run):
    return f"lignes-retenues-{slugify(run.get_kind_display())}.csv"


def table_import_handler(
    spec_for: Callable,
    *,
    result_url: Callable = lambda run: None,
    result_label: str = "Voir le résultat",
):
    """The RunHandler of a table import whose spec `spec_for(user, **parameters)` builds."""

    def spec_of(run, user):
        parameters = {k: v for k, v in run.parameters.items() if k != EXCLUDE_HIDDEN_ROWS}
        return spec_for(user, **parameters)

    def analyse(run, progress):
        spec = spec_of(run, run.created_by)
        with run.file.open("rb") as stored:
            data = stored.read()
        include_hidden = not run.parameters.get(EXCLUDE_HIDDEN_ROWS, False)
        try:
            if spec.discards and not run.file.name.endswith(".json"):
                # The file as sent is replaced by its table without what the spec removes
                # (a NIR in a cell), before anything of it is analysed, shown or kept.
                kept, table = kept_table(spec, run.file.name, data)
                run.file.delete(save=False)
                run.file.save(f"{secrets.token_hex(16)}.{TABLE_EXTENSION}", kept, save=False)
                table = table if include_hidden else without_hidden_rows(table)
            else:
                table = spec.read(run.file.name, data, include_hidden=include_hidden)
        except TableError as error:
            raise RunRefused(f"{error} Rien n'a été enregistré.", found={}) from None
        with tempfile.TemporaryFile() as plan_file:
            try:
                outcome = analyse_table(
                    spec, table, user=run.created_by, plan_file=plan_file, progress=progress
                )
            except TableRefused as refused:
                _keep_held(run, refused.outcome)
                raise
            plan_file.seek(0)
            if run.plan:
                run.plan.delete(save=False)
            run.plan.save(f"{secrets.token_hex(16)}.json", File(plan_file), save=False)
        _keep_held(run, outcome)
        return outcome.found

    def _keep_held(run, outcome):
        # The report stays on this run object until `analysed`, then goes: never stored.
        run.table_report = outcome.report
        if run.result:
            run.result.delete(save=False)
        run.result_name = ""
        if outcome.held_csv is not None:
            run.result.save(
                f"{secrets.token_hex(16)}.csv", ContentFile(outcome.held_csv), save=False
            )
            run.result_name = held_file_name(run)

    def analysed(run):
        report = getattr(run, "table_report", None)
        if report is None:
            return
        spec = spec_of(run, run.created_by)
        if spec.on_preview is not None:
            spec.on_preview(run.created_by, report)

    def perform(run, progress):
        if not run.plan:
            raise ValidationError(
                "L'analyse de ce fichier n'a pas été conservée : annulez ce traitement et "
                "envoyez de nouveau le fichier."
            )
        user = run.confirmed_by or run.created_by
        spec = spec_of(run, user)
        with run.plan.open("rb") as plan_file:
            return write_table(spec, plan_file, user=user, progress=progress, analysis=run.analysis)

    return RunHandler(
        perform=perform,
        analyse=analyse,
        analysed=analysed,
        describe=lambda run: (run.summary or run.analysis).get("lines", []),
        result_url=result_url,
        result_label=result_label,
        progress_unit="lignes vérifiées",
        write_unit="lignes écrites",
    )
