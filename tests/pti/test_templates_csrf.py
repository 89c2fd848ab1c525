"""Every form that posts carries its CSRF token in the form itself: htmx sends it in a header,
but a browser without JavaScript sends the form only, and would be answered « Formulaire
expiré » (403)."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
POST_FORM = re.compile(r"(<form\b[^>]*\bmethod=\"post\"[^>]*>)(.*?)</form>", re.S | re.I)
INCLUDE = re.compile(r"{%\s*include\s+\"([^\"]+)\"([^%]*?)%}")


def templates():
    return {
        str(path.relative_to(TEMPLATES)): path.read_text() for path in TEMPLATES.rglob("*.html")
    }


def test_every_post_form_of_every_template_holds_a_csrf_token():
    missing = [
        name
        for name, text in templates().items()
        for _, body in POST_FORM.findall(text)
        if "{% csrf_token %}" not in body
    ]
    assert missing == []


def test_a_template_that_posts_included_with_only_is_given_the_csrf_token():
    """`{% include ... only %}` starts from an empty context: without `csrf_token=csrf_token`
    the included form's `{% csrf_token %}` writes nothing."""
    found = templates()
    # Templates whose form always posts (not a method chosen by a variable).
    posting = {
        name
        for name, text in found.items()
        if any("{%" not in opening for opening, _ in POST_FORM.findall(text))
    }
    assert "beneficiaries/includes/quick_form.html" in posting
    dropped = [
        (name, target)
        for name, text in found.items()
        for target, arguments in INCLUDE.findall(text)
        if target in posting
        and re.search(r"\bonly\s*$", arguments.strip())
        and "csrf_token=csrf_token" not in arguments
    ]
    assert dropped == []
