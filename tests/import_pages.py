"""Driving the import pages (pti.imports) and their runs (pti.import_runs) in tests: the file
sent, the run's page (its preview, its errors, its outcome), the confirmation. The tasks run
at once (the immediate backend of the test settings): once the file is sent, the run is
analysed; once confirmed, it is written."""

import csv
import html
import io
import re

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pti.models import TaskRun


def page(response):
    return html.unescape(response.content.decode())


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def error_lines(response):
    """The errors the page lists, each "Ligne N : …" or "Fichier : …"."""
    return re.findall(r"<li>((?:Ligne \d+|Fichier) : .*?)</li>", page(response))


def rows_of(response):
    """(line, operation) of each row of the preview table."""
    return re.findall(r'<tr><th scope="row">(\d+)</th><td>([^<]+)</td>', page(response))


def send(client, url, upload, **data):
    """Post `upload` (an uploaded file) to the import page `url`: its response (a redirect to
    the run's page, or the page again with the form's error)."""
    return client.post(url, {"file": upload, **data})


def upload_file(client, url, name, content):
    """Send a file named `name` holding `content` (bytes, or a text written as French Excel
    writes it: Windows-1252) to the import page `url`; returns its run, analysed."""
    if isinstance(content, str):
        content = content.encode("cp1252")
    return run_of(send(client, url, SimpleUploadedFile(name, content)))


def run_of(response):
    """The run a page's answer leads to (it must lead to one)."""
    assert response.status_code == 302, form_errors(response)
    match = re.fullmatch(r"/traitements/(\d+)/", response["Location"])
    assert match, response["Location"]
    return TaskRun.objects.get(pk=int(match.group(1)))


def form_errors(response):
    """The errors of the upload form, as its page shows them."""
    summary = re.search(r"data-pti-error-summary>(.*?)</div>", page(response), re.S)
    if summary is None:
        return []
    return [
        re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", summary.group(1))
    ]


def run_page(client, run):
    return client.get(reverse("pti:run_detail", args=[run.pk]))


def preview_of(client, url, upload):
    """Send `upload` and read the run's page: the preview, or why the file is refused."""
    run = run_of(send(client, url, upload))
    return run_page(client, run)


def confirm(client, run):
    """Confirm the analysed `run` from its page; returns it once written (or failed)."""
    client.post(reverse("pti:run_confirm", args=[run.pk]))
    run.refresh_from_db()
    return run


def cancel(client, run):
    client.post(reverse("pti:run_cancel", args=[run.pk]))
    run.refresh_from_db()
    return run


def outcome_of(run):
    """What the run's page says it did (« Import terminé : … »), or why it failed."""
    run.refresh_from_db()
    if run.error:
        return run.error
    return " ".join((run.summary or run.analysis).get("lines", []))


def held_rows(client, run):
    """The held rows' CSV of `run`, downloaded from its page: (raw bytes, rows as lists)."""
    response = client.get(reverse("pti:run_result", args=[run.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
