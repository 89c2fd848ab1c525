"""Charts drawn on the server as SVG: readable without colour (values written on the bars,
targets hatched, series marked by different shapes), each with a title and a description for
screen readers; the page also shows the same figures as a data table."""

from collections import defaultdict
from decimal import Decimal

from django.utils.html import format_html, format_html_join

from pti.templatetags.pti_format import format_number

BAR = "#1d4f7c"
TARGET = "#6b4e16"
SERIES = [
    ("#1d4f7c", "circle"),
    ("#8a2b1f", "square"),
    ("#2f5d1f", "triangle"),
    ("#5b2d82", "diamond"),
]
# The hatching of the targets; its id is the chart's, as a page may show several charts.
PATTERNS = (
    '<defs><pattern id="{}-hachures" patternUnits="userSpaceOnUse" width="6" height="6" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="{}" stroke-width="3"/></pattern></defs>'
)


def c(number):
    """A coordinate, written with one decimal."""
    return f"{float(number):.1f}"


def figure(value, unit=""):
    if value is None:
        return "—"
    exact = Decimal(str(value)) == Decimal(str(value)).to_integral()
    text = format_number(value, 0 if exact else 1)
    return f"{text}\u00a0{unit}" if unit else text


def bar_chart(*, chart_id, title, description, rows, unit="", maximum=None):
    """Horizontal bars, one per (label, value, target or None). The value is a solid bar with
    its figure at the end; the target a hatched bar below it, with its figure too."""
    rows = list(rows)
    numbers = [float(v) for _, v, _ in rows if v is not None]
    numbers += [float(t) for _, _, t in rows if t is not None]
    top = float(maximum or max(numbers or [1])) or 1.0
    label_width, bar_width, row_height = 340, 320, 44
    parts = []
    for index, (label, value, target) in enumerate(rows):
        y = 10 + index * row_height
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>',
                label_width - 8,
                y + 15,
                label if len(label) <= 54 else label[:52] + "…",
            )
        )
        if value is not None:
            width = bar_width * float(value) / top
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="18" fill="{}"/>'
                    '<text x="{}" y="{}" font-size="13" font-weight="bold">{}</text>',
                    label_width,
                    y + 2,
                    c(width),
                    BAR,
                    c(label_width + width + 6),
                    y + 16,
                    figure(value, unit),
                )
            )
        if target is not None:
            width = bar_width * float(target) / top
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="10" fill="url(#{}-hachures)" '
                    'stroke="{}"/><text x="{}" y="{}" font-size="11">cible {}</text>',
                    label_width,
                    y + 23,
                    c(width),
                    chart_id,
                    TARGET,
                    c(label_width + width + 6),
                    y + 32,
                    figure(target, unit),
                )
            )
    height = row_height * len(rows) + 20
    return _svg(chart_id, title, description, label_width + bar_width + 110, height, parts)


def line_chart(*, chart_id, title, description, years, series, unit=""):
    """Lines over the years, series being (label, [value per year]); each series has its own
    marker shape, its values written above the points and its name at its last point."""
    width, height, left, bottom, top_margin = 720, 300, 40, 40, 24
    numbers = [float(v) for _, points in series for v in points if v is not None]
    top = (max(numbers or [1]) * 1.15) or 1.0
    plot_width = width - left - 170
    plot_height = height - bottom - top_margin

    def x(index):
        return left + plot_width * index / max(1, len(years) - 1)

    def y(value):
        return top_margin + plot_height * (1 - float(value) / top)

    base = top_margin + plot_height
    parts = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333"/>',
            left,
            base,
            left + plot_width,
            base,
        )
    ]
    for index, year in enumerate(years):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text>',
                c(x(index)),
                height - 14,
                year,
            )
        )
    labels = defaultdict(list)  # the values written at each year, placed apart at the end
    for number, (label, points) in enumerate(series):
        colour, shape = SERIES[number % len(SERIES)]
        placed = [(x(i), y(v), v) for i, v in enumerate(points) if v is not None]
        if len(placed) > 1:
            path = " ".join(f"{c(px)},{c(py)}" for px, py, _ in placed)
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', path, colour
                )
            )
        for px, py, value in placed:
            parts.append(marker(shape, px, py, colour))
            labels[px].append((py, figure(value, unit)))
        # The legend beside the plot: the series' marker and its name.
        legend_x, legend_y = left + plot_width + 30, top_margin + 20 + number * 26
        parts.append(marker(shape, legend_x, legend_y, colour))
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12">{}</text>', legend_x + 12, legend_y + 4, label
            )
        )
    for px, texts in labels.items():
        for label_y, text in spread(texts):
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>',
                    c(px),
                    c(label_y),
                    text,
                )
            )
    return _svg(chart_id, title, description, width, height, parts)


def spread(points):
    """Where to write the values of one year so that no value covers another or a point:
    above its point, else below it, else further down. `points` are (y of the point, text);
    a value is written in the 12 pixels above its baseline, a point covers 7 on each side."""
    obstacles = [(point_y - 7, point_y + 7) for point_y, _ in points]
    placed = []
    for point_y, text in sorted(points):
        candidates = [point_y - 9, *(point_y + 18 + 13 * step for step in range(len(points)))]
        for label_y in candidates:
            box = (label_y - 10, label_y + 2)
            if not any(box[0] < bottom and top < box[1] for top, bottom in obstacles):
                break
        obstacles.append(box)
        placed.append((label_y, text))
    return placed


def marker(shape, x, y, colour):
    if shape == "square":
        return format_html(
            '<rect x="{}" y="{}" width="9" height="9" fill="{}"/>', c(x - 4.5), c(y - 4.5), colour
        )
    if shape == "triangle":
        points = f"{c(x)},{c(y - 6)} {c(x - 6)},{c(y + 5)} {c(x + 6)},{c(y + 5)}"
        return format_html('<polygon points="{}" fill="{}"/>', points, colour)
    if shape == "diamond":
        points = f"{c(x)},{c(y - 6)} {c(x + 6)},{c(y)} {c(x)},{c(y + 6)} {c(x - 6)},{c(y)}"
        return format_html('<polygon points="{}" fill="{}"/>', points, colour)
    return format_html('<circle cx="{}" cy="{}" r="5" fill="{}"/>', c(x), c(y), colour)


def _svg(chart_id, title, description, width, height, parts):
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" class="pti-chart" viewBox="0 0 {} {}" '
        'aria-labelledby="{}-titre {}-desc"><title id="{}-titre">{}</title>'
        '<desc id="{}-desc">{}</desc>{}{}</svg>',
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        format_html(PATTERNS, chart_id, TARGET),
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def paired_bar_chart(*, chart_id, title, description, rows, names):
    """Two horizontal bars per row, (label, first, second): the first solid, the second
    hatched, each with its name and figure written at its end (« freins ouverts 12 »), so that
    nothing is told by colour or pattern alone. `names` are the two measures' names."""
    rows = list(rows)
    top = float(max([v for _, a, b in rows for v in (a, b)] or [1])) or 1.0
    label_width, bar_width, row_height = 300, 300, 46
    first_name, second_name = names
    parts = []
    for index, (label, first, second) in enumerate(rows):
        y = 10 + index * row_height
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>',
                label_width - 8,
                y + 17,
                label if len(label) <= 46 else label[:44] + "…",
            )
        )
        width = bar_width * float(first) / top
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="16" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11">{} {}</text>',
                label_width,
                y + 2,
                c(width),
                BAR,
                c(label_width + width + 6),
                y + 14,
                first_name,
                figure(first),
            )
        )
        width = bar_width * float(second) / top
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="14" fill="url(#{}-hachures)" '
                'stroke="{}"/><text x="{}" y="{}" font-size="11">{} {}</text>',
                label_width,
                y + 21,
                c(width),
                chart_id,
                TARGET,
                c(label_width + width + 6),
                y + 32,
                second_name,
                figure(second),
            )
        )
    height = row_height * len(rows) + 20
    return _svg(chart_id, title, description, label_width + bar_width + 150, height, parts)
