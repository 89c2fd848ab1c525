"""The pact as a PDF: what it contains, that it is tagged, and that it reads nothing outside."""

import io
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from pti.models import Objective, Pact
from pti.pdf import LocalFilesOnly
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client_as):
    call_command("seed_demo", "--beneficiaries", "50", "--no-snapshots", stdout=io.StringIO())
    return client_as(UserFactory(pilot=True))


def download(client, pact):
    response = client.get(reverse("pti:pact_pdf", args=[pact.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response


def text_of(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_signed_pact_contains_every_orientation_objective_and_signatory(demo):
    pact = Pact.objects.get(code="pti-2016-2020", version=1)
    response = download(demo, pact)
    assert response["Content-Disposition"] == (
        'attachment; filename="pacte-territorial-insertion-loire-2016-2020.pdf"'
    )
    text = text_of(response.content)
    for orientation in pact.orientations.all():
        assert f"Orientation {orientation.position} – {orientation.title}" in text
    objectives = Objective.objects.filter(orientation__pact=pact)
    assert objectives.count() == 6
    for objective in objectives:
        assert objective.title in text
    signatories = pact.signatories.select_related("organisation")
    assert signatories.count() == 21
    for signatory in signatories:
        assert signatory.organisation.name in text
        assert signatory.signer_name in text
    assert "Fait à Saint-Étienne, le 22/10/2016" in text
    assert "Levée des freins liés à la santé" in text  # accents kept
    assert "PROJET" not in text


def test_the_pdf_has_a_table_of_contents_with_page_numbers_and_a_page_footer(demo):
    pact = Pact.objects.get(code="pti-2016-2020", version=1)
    reader = PdfReader(io.BytesIO(download(demo, pact).content))
    pages = len(reader.pages)
    contents = reader.pages[1].extract_text()
    assert re.search(r"Préambule[ .]+3", contents)
    assert re.search(r"Historique des versions[ .]+\d+", contents)
    assert f"Page 2 / {pages}" in contents
    assert f"Page {pages} / {pages}" in reader.pages[-1].extract_text()


def test_the_pdf_is_tagged_in_french_with_a_title_and_embedded_fonts(demo):
    pact = Pact.objects.get(code="pti-2016-2020", version=1)
    reader = PdfReader(io.BytesIO(download(demo, pact).content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "fr"
    assert reader.metadata.title == "Pacte territorial d'insertion 2016-2020 – Département : Loire"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = "/FontFile2" in descriptor or "/FontFile3" in descriptor
    assert fonts
    assert all(fonts.values()), fonts


def test_a_draft_prints_with_a_visible_projet_watermark(demo, tmp_path):
    signed = Pact.objects.get(code="pti-2023-2027", version=1)
    draft = Pact.objects.get(code="pti-2023-2027", version=2)
    draft_pdf = download(demo, draft)
    assert draft_pdf["Content-Disposition"].endswith('-2023-2027-avenant-1.pdf"')
    draft_text = text_of(draft_pdf.content)
    assert "PROJET" in draft_text
    assert "Projet : ce document n'a pas été adopté" in draft_text
    assert red_pixels(draft_pdf.content, page=3, folder=tmp_path) > 2000
    assert red_pixels(download(demo, signed).content, page=3, folder=tmp_path) == 0


def red_pixels(pdf_bytes, *, page, folder):
    """Pinkish-red pixels of the watermark on a page rendered by poppler."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) est nécessaire pour regarder la page")
    source = folder / "pacte.pdf"
    source.write_bytes(pdf_bytes)
    subprocess.run(
        [
            pdftoppm,
            "-r",
            "40",
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(source),
            str(folder / "page"),
        ],
        check=True,
    )
    image = Image.open(folder / "page.png").convert("RGB")
    return sum(
        1
        for r, g, b in image.get_flattened_data()
        if r > 200 and 150 < g < 235 and g - 10 <= b < r - 20
    )


def test_a_pact_reader_downloads_the_pdf_but_an_admin_does_not(demo, client_as):
    pact = Pact.objects.get(code="pti-2016-2020", version=1)
    assert download(client_as(UserFactory(partner=True)), pact).content.startswith(b"%PDF-")
    response = client_as(UserFactory(admin=True)).get(reverse("pti:pact_pdf", args=[pact.pk]))
    assert response.status_code == 403


def test_the_pdf_reads_no_url_and_no_file_outside_the_static_folders():
    fetcher = LocalFilesOnly()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("https://cdn.example.org/font.woff2")
    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch("file:///etc/passwd")
    response = fetcher.fetch("data:text/plain,ok")
    assert response.read() == b"ok"


def test_the_pdf_lists_the_actions_under_each_orientation_with_their_budget(demo):
    from actions.models import Action

    pact = Pact.objects.get(code="pti-2016-2020", version=1)
    text = text_of(download(demo, pact).content)
    for action in Action.objects.select_related("orientation"):
        assert action.reference in text
    # Each action comes after its orientation's heading and before the next one.
    headings = [
        text.index(
            f"Orientation {o.position} – {o.title}",
            text.index("Orientations et objectifs opérationnels Le pacte"),
        )
        for o in pact.orientations.order_by("position")
    ]
    auto_ecole = text.index("FA-2024-007")
    assert headings[2] < auto_ecole < headings[3]
    assert "48 000,00 €" in text.replace("\u202f", " ").replace("\u00a0", " ")


def test_an_amendment_lists_the_actions_filed_under_the_first_version(demo):
    # The 2023-2027 pact renewed the 2016-2020 orientations (their keys) and its amendment
    # copies them: the offer filed under the first pact follows.
    amendment = Pact.objects.get(code="pti-2023-2027", version=2)
    text = text_of(download(demo, amendment).content)
    assert "FA-2024-007 – Auto-école sociale" in text
