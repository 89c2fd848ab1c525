"""The pact as a PDF file: WeasyPrint, tagged for accessibility (PDF/UA-1), no network."""

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from pti.enums import PactStatus
from pti.models import Pact, SignedPactFile
from pti.pact_content import pact_figures_content, pact_pdf_content
from pti.tasks_framework import task


class LocalFilesOnly(URLFetcher):
    """Reads data: URLs and files under the static folders; refuses everything else."""

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        roots = [Path(folder).resolve() for folder in settings.STATICFILES_DIRS]
        self.roots = [*roots, Path(settings.STATIC_ROOT).resolve()]

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise ValueError("the PDF may only read the application's static files")
        return super().fetch(url, headers)


def pact_pdf_filename(pact):
    """pacte-territorial-insertion-loire-2016-2020.pdf, with -avenant-N for amendments."""
    name = f"pacte-territorial-insertion-{slugify(pact.department_name)}-{pact.period_label}"
    if pact.version > 1:
        name += f"-avenant-{pact.version - 1}"
    return f"{name}.pdf"


def annex_rows(rows):
    """The annex's (target, measurement) rows as (target, measurement, secret), `secret` when
    the figure is under the secret statistique. Every reader of the pact may download the
    PDF, partners included, so the annex always applies it; the rule is the evaluation's,
    reached through the measurement (`is_secret`, see evaluation/disclosure.py)."""
    entered = [m for _, m in rows if m is not None and not m.snapshot_id]
    prefetch_related_objects(entered, "indicator")
    return [(target, m, m is not None and m.is_secret) for target, m in rows]


def commitment_annex_rows(rows):
    """The commitments' annex rows (signatory, commitment, indicator, target, figure) with
    `secret` appended, under the same rule as `annex_rows` (a partner's figure counting fewer
    people than the threshold is not printed)."""
    return [(*row, row[4] is not None and row[4].is_secret) for row in rows]


def render_pact_pdf(context, template="pti/pdf/pact.html"):
    """The PDF bytes of the pact described by `context` (see pact_content.pact_pdf_content),
    or with `template` pti/pdf/pact_figures.html of its current figures
    (pact_content.pact_figures_content)."""
    context = {
        **context,
        "indicator_rows": annex_rows(context.get("indicator_rows", [])),
        "commitment_rows": commitment_annex_rows(context.get("commitment_rows", [])),
        "small_cell_threshold": settings.PTI_SMALL_CELL_THRESHOLD,
    }
    html = render_to_string(template, context)
    base_url = Path(settings.BASE_DIR / "static").as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=LocalFilesOnly())
    return document.write_pdf(pdf_variant="pdf/ua-1", optimize_images=False)


def pact_figures_filename(pact):
    """…-loire-2023-2027-chiffres-2026-12-02.pdf: the annex of the figures as of today."""
    return f"{pact_pdf_filename(pact)[:-4]}-chiffres-{timezone.localdate():%Y-%m-%d}.pdf"


def pact_figures_pdf(pact):
    """The PDF bytes of the pact's current figures (« annexe des chiffres »): its indicator
    targets and its commitments' with the latest figures, rendered now. The pact's own PDF of
    a signed version stays as it was signed (`signed_pact_file`): the figures reported since
    reach the reader through this one."""
    return render_pact_pdf(pact_figures_content(pact), template="pti/pdf/pact_figures.html")


def signed_pact_file(pact):
    """The SignedPactFile of `pact`, a signed (or archived) version: the one kept, or, the
    first time, the PDF rendered now and kept. Returns None for a version not signed yet,
    whose PDF is rendered on demand (it may still change)."""
    if pact.status not in (PactStatus.SIGNED, PactStatus.ARCHIVED):
        return None
    kept = SignedPactFile.objects.filter(pact=pact).first()
    if kept is not None:
        return kept
    data = render_pact_pdf(pact_pdf_content(pact))
    digest = hashlib.sha256(data).hexdigest()
    kept = SignedPactFile(pact=pact, sha256=digest, size=len(data))
    kept.file.save(
        f"{pact_pdf_filename(pact)[:-4]}-{digest[:12]}.pdf", ContentFile(data), save=False
    )
    try:
        with transaction.atomic():
            kept.save(force_insert=True)
    except IntegrityError:  # rendered meanwhile by another request or the worker: theirs stays
        kept.file.delete(save=False)
        return SignedPactFile.objects.get(pact=pact)
    return kept


def signed_or_rendered_pdf(pact):
    """The PDF bytes to download: the kept file of a signed version, or a draft's rendered
    now."""
    kept = signed_pact_file(pact)
    if kept is None:
        return render_pact_pdf(pact_pdf_content(pact))
    with kept.file.open("rb") as stream:
        return stream.read()


@task()
def render_signed_pact(pact_id):
    """Render and keep the PDF of a version just signed (pti.services.pact_mark_signed), so
    that no reader waits for it. Returns its SHA-256."""

    return signed_pact_file(Pact.objects.get(pk=pact_id)).sha256
