"""The server-drawn charts: figures written in the chart, shapes and hatching instead of
colour alone, a title and a description for screen readers."""

import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import pairwise

from evaluation.charts import bar_chart, line_chart, spread

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 -- the chart we just drew


def texts(root):
    return [(float(t.get("x")), float(t.get("y")), t.text) for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_writes_each_value_and_its_target_hatched():
    root = parse(
        bar_chart(
            chart_id="taux",
            title="Taux réalisés",
            description="Barre pleine : réalisé.",
            rows=[
                ("Orientés", Decimal("97.4"), Decimal("95")),
                ("Contrats", Decimal("47.2"), None),
            ],
            unit="%",
            maximum=100,
        )
    )
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "taux-titre taux-desc"
    assert root.find(f"{SVG}title").text == "Taux réalisés"
    written = [text for _, _, text in texts(root)]
    assert written == ["Orientés", "97,4\u00a0%", "cible 95\u00a0%", "Contrats", "47,2\u00a0%"]
    hatched = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "url(#taux-hachures)"]
    assert len(hatched) == 1
    assert float(hatched[0].get("width")) == 320 * 95 / 100
    assert root.find(f"{SVG}defs/{SVG}pattern").get("id") == "taux-hachures"


def test_two_charts_on_a_page_do_not_share_an_id():
    first = parse(bar_chart(chart_id="a", title="A", description="", rows=[("x", 1, 2)]))
    second = parse(bar_chart(chart_id="b", title="B", description="", rows=[("x", 1, 2)]))
    ids = {e.get("id") for root in (first, second) for e in root.iter() if e.get("id")}
    assert len(ids) == 6  # title, description and hatching of each


def test_a_line_chart_marks_each_series_with_its_own_shape_and_writes_its_values():
    root = parse(
        line_chart(
            chart_id="evolution",
            title="Évolution",
            description="Trois taux.",
            years=[2024, 2025],
            series=[("orientés", [Decimal("90"), Decimal("95.5")]), ("contrats", [None, 40])],
            unit="%",
        )
    )
    written = [text for _, _, text in texts(root)]
    for expected in ("2024", "2025", "90\u00a0%", "95,5\u00a0%", "40\u00a0%", "orientés"):
        assert expected in written
    assert "—" not in written  # a missing value is left out, not drawn at zero
    assert len(list(root.iter(f"{SVG}circle"))) == 3  # two points and the legend
    assert len(list(root.iter(f"{SVG}rect"))) == 2 + 1  # one point, the legend, the hatching


def test_values_of_one_year_are_written_apart_even_when_their_points_are_close():
    root = parse(
        line_chart(
            chart_id="evolution",
            title="Évolution",
            description="",
            years=[2024, 2025],
            series=[
                ("a", [Decimal("93.8"), Decimal("50")]),
                ("b", [Decimal("95.7"), Decimal("51")]),
                ("c", [Decimal("94.5"), Decimal("52")]),
            ],
            unit="%",
        )
    )
    values = [(x, y) for x, y, text in texts(root) if text.endswith("%")]
    for year_x in {x for x, _ in values}:
        heights = sorted(y for x, y in values if x == year_x)
        assert len(heights) == 3
        assert all(lower - upper >= 13 for upper, lower in pairwise(heights))


def test_spread_keeps_a_lone_value_above_its_point():
    assert spread([(100, "50 %")]) == [(91, "50 %")]
    assert spread([(100, "a"), (104, "b")]) == [(91, "a"), (122, "b")]
