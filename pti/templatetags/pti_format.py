"""Formatting for templates: French numbers and amounts, the pact's plain-text markup."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


def _group(integer_part):
    digits = str(integer_part)
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NARROW_NBSP.join(groups)


def format_number(value, decimals=0):
    """1234567.891 -> '1 234 567,89' with narrow no-break spaces, as French typography asks."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum)
    sign = "-" if number < 0 else ""
    integer_part, _, fraction = f"{abs(number):f}".partition(".")
    text = sign + _group(integer_part)
    if decimals:
        text += "," + fraction.ljust(decimals, "0")
    return text


@register.filter
def number(value, decimals=None):
    """French number; without `decimals`, as many as the value needs (15 -> 15, 7.5 -> 7,5)."""
    if decimals is None:
        try:
            exponent = Decimal(str(value)).normalize().as_tuple().exponent
        except (InvalidOperation, TypeError, ValueError):
            return "" if value is None else str(value)
        decimals = max(0, min(2, -exponent)) if isinstance(exponent, int) else 0
    return format_number(value, int(decimals))


@register.filter
def plural(count, suffix="s"):
    """French plural: 0 and 1 are singular ("0 création", "1 création", "2 créations")."""
    try:
        many = abs(int(count)) >= 2
    except (TypeError, ValueError):
        many = len(count) >= 2
    return suffix if many else ""


@register.filter
def money(value):
    """'1 234,56 €', never broken across lines."""
    if value is None or value == "":
        return ""
    return f"{format_number(value, 2)}{NBSP}€"


@register.filter
def percent(value, decimals=1):
    if value is None:
        return "—"
    return f"{format_number(value, int(decimals))}{NBSP}%"


@register.filter
def rich_text(text):
    """Paragraphs split by blank lines; '- ' starts a list item, '## ' a subheading.

    Everything is escaped: the markup comes only from these three rules.
    """
    if not text:
        return ""
    blocks = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        for kind, lines in _groups(block):
            if kind == "heading":
                blocks.append(format_html("<h3>{}</h3>", lines[0]))
            elif kind == "list":
                items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
                blocks.append(format_html("<ul>{}</ul>", items))
            else:
                blocks.append(format_html("<p>{}</p>", " ".join(lines)))
    return mark_safe("\n".join(blocks))


def _groups(block):
    """Consecutive lines of a block grouped as ("heading" | "list" | "paragraph", lines)."""
    groups = []
    for raw in block.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("## "):
            groups.append(("heading", [line[3:].strip()]))
            continue
        kind, content = (
            ("list", line[2:].strip())
            if line.startswith(("- ", "• "))
            else (
                "paragraph",
                line,
            )
        )
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(content)
        else:
            groups.append((kind, [content]))
    return groups


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key)


STATUS_CLASSES = {
    "draft": "text-bg-light border",
    "adopted": "text-bg-info",
    "signed": "text-bg-success",
    "archived": "text-bg-secondary",
    "expected": "text-bg-light border",
    "declined": "text-bg-warning",
    # Background runs (pti.runs)
    "queued": "text-bg-light border",
    "analysing": "text-bg-info",
    "to_confirm": "text-bg-warning",
    "running": "text-bg-info",
    "done": "text-bg-success",
    "failed": "text-bg-danger",
    "cancelled": "text-bg-secondary",
    "interrupted": "text-bg-danger",
}


@register.simple_tag
def status_badge(value, label):
    """A badge whose text says the status; the colour only repeats it."""
    return format_html(
        '<span class="badge {}">{}</span>', STATUS_CLASSES.get(value, "text-bg-light border"), label
    )
