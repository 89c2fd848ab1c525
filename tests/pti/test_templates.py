import pytest
from django.template import engines


def test_an_undefined_template_variable_fails_the_test():
    template = engines["django"].from_string("Bonjour {{ personne.nom }}")
    with pytest.raises(NameError, match=r"personne\.nom"):
        template.render({})


def test_an_optional_value_tested_with_if_does_not_fail():
    template = engines["django"].from_string("{% if personne %}{{ personne }}{% endif %}ok")
    assert template.render({}) == "ok"


def test_every_scrolling_table_can_be_scrolled_with_the_keyboard():
    """A `.table-responsive` scrolls sideways on a phone: it must take the focus (tabindex)
    and be named, so that a keyboard user can scroll it (WCAG 2.1.1, axe
    scrollable-region-focusable)."""
    import re
    from pathlib import Path

    from django.conf import settings

    unreachable = []
    for folder in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(folder).rglob("*.html"):
            for tag in re.findall(r"<div[^>]*\btable-responsive\b[^>]*>", path.read_text()):
                if 'tabindex="0"' not in tag or "aria-label" not in tag:
                    unreachable.append(f"{path.name}: {tag}")
    assert unreachable == []
