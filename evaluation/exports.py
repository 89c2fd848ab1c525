"""Spreadsheets of the evaluation: the DREES OARSA table and the dashboards' tables."""

import io

import openpyxl
import tablib
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from evaluation.computations import DIMENSIONS
from evaluation.disclosure import SECRET_MARK
from evaluation.enums import Breakdown, Unit
from evaluation.models import Indicator
from pti.tabular import neutralise

HEADER = Font(bold=True)
FILL = PatternFill("solid", fgColor="DDE6EF")


def _number(value):
    return float(value) if value is not None else None


def _append(sheet, values):
    """A row of the OARSA workbook, its texts neutralised as in every export (a territory
    named « =HYPERLINK(...) » is written as text, never run as a formula)."""
    sheet.append([neutralise(value) for value in values])


def oarsa_workbook(*, year, figures, department, territory=None):
    """The OARSA table of a year: a summary, then one sheet per indicator with its breakdowns
    (age, sex, family situation, seniority in the RSA, territory, and the indicator's own)."""
    indicators = {i.code: i for i in Indicator.objects.filter(is_oarsa=True)}
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "Synthèse"
    scope = f" – territoire {territory.name}" if territory else ""
    _append(
        summary,
        [
            "Orientation et accompagnement des bénéficiaires du RSA (OARSA) – "
            f"{year} – {department}{scope}"
        ],
    )
    summary["A1"].font = Font(bold=True, size=13)
    _append(summary, [])
    _append(
        summary, ["N°", "Indicateur", "Valeur", "Unité", "Numérateur", "Dénominateur", "Définition"]
    )
    for cell in summary[3]:
        cell.font, cell.fill = HEADER, FILL
    for number, (code, indicator) in enumerate(indicators.items(), start=1):
        figure = figures.get(code)
        if figure is None:
            continue
        _append(
            summary,
            [
                code.split("-")[1],
                indicator.label,
                _number(figure.value),
                Unit(indicator.unit).label,
                figure.numerator,
                figure.denominator,
                indicator.definition,
            ],
        )
        sheet = workbook.create_sheet(title=f"{number:02d} {code.split('-', 2)[-1]}"[:31])
        _append(sheet, [indicator.label])
        sheet["A1"].font = Font(bold=True, size=12)
        _append(sheet, [indicator.definition])
        _append(sheet, [])
        _append(sheet, ["Ventilation", "Catégorie", "Valeur", "Numérateur", "Dénominateur"])
        for cell in sheet[4]:
            cell.font, cell.fill = HEADER, FILL
        _append(
            sheet, ["ensemble", "", _number(figure.value), figure.numerator, figure.denominator]
        )
        order = [*DIMENSIONS, Breakdown.ORGANISME, Breakdown.PARCOURS]
        for breakdown in order:
            for cell in figure.cells(breakdown):
                _append(
                    sheet,
                    [
                        Breakdown(breakdown).label,
                        cell.category,
                        _number(cell.value),
                        cell.numerator,
                        cell.denominator,
                    ],
                )
        _widths(sheet, [22, 40, 12, 14, 14])
    _widths(summary, [6, 60, 12, 20, 14, 14, 90])
    for row in summary.iter_rows(min_row=4):
        row[6].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _widths(sheet, widths):
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _shown(value, secret):
    """A figure of the dashboard's table: the mark of the secret statistique when hidden."""
    return SECRET_MARK if secret else value


def dashboard_dataset(rows, *, legend=""):
    """The dashboard's table. Figures under the secret statistique (a partner's table) are
    the mark « s », explained by `legend` in a last row after a blank one."""
    dataset = tablib.Dataset(
        headers=[
            "Indicateur",
            "Unité",
            "Valeur",
            "Numérateur",
            "Dénominateur",
            "Cible",
            "Atteinte (%)",
            "Arrêté",
            "Source",
        ],
        title="Indicateurs",
    )
    for row in rows:
        dataset.append(
            [
                neutralise(row.indicator.label),
                Unit(row.indicator.unit).label,
                _shown(_number(row.value), row.value_secret),
                _shown(row.numerator, row.numerator_secret),
                _shown(row.denominator, row.denominator_secret),
                _number(row.target),
                _shown(_number(row.attainment), row.value_secret and bool(row.target)),
                _shown(_number(row.reported), row.reported_secret),
                row.indicator.get_source_display(),
            ]
        )
    if legend:
        dataset.append([None] * len(dataset.headers))
        dataset.append([legend] + [None] * (len(dataset.headers) - 1))
    return dataset


def actions_dataset(actions, results, targets):
    dataset = tablib.Dataset(
        headers=[
            "Référence",
            "Action",
            "Opérateur",
            "Places",
            "Places occupées",
            "Prescriptions acceptées",
            "Parcours menés à terme",
            "Abandons",
            "Personnes accompagnées",
            "Cible de personnes accompagnées",
            "Sorties dynamiques (%)",
            "Retours à l'emploi durable",
        ],
        title="Actions",
    )
    for action in actions:
        result = results.get(action.pk, {})
        dataset.append(
            [
                action.reference,
                neutralise(action.title),
                neutralise(action.operator.name),
                action.capacity,
                action.places_taken,
                result.get("accepted", 0),
                result.get("completed", 0),
                result.get("abandoned", 0),
                result.get("accompanied", 0),
                _number(targets.get(action.pk)),
                _number(result.get("dynamic_rate")),
                result.get("durable", 0),
            ]
        )
    return dataset
