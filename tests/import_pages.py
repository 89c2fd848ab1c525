"""Reading the import pages (pti.imports) in tests: what the preview and the result say."""

import html
import re

from django.contrib.messages import get_messages


def page(response):
    return html.unescape(response.content.decode())


def token_of(response):
    match = re.search(rb'name="token" value="([^"]+)"', response.content)
    assert match, "la page d'aperçu doit porter le jeton de confirmation"
    return match.group(1).decode()


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def error_lines(response):
    """The errors the page lists, each "Ligne N : …" or "Fichier : …"."""
    return re.findall(r"<li>((?:Ligne \d+|Fichier) : .*?)</li>", page(response))


def rows_of(response):
    """(line, operation) of each row of the preview table."""
    return re.findall(r'<tr><th scope="row">(\d+)</th><td>([^<]+)</td>', page(response))
