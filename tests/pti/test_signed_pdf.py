"""The PDF of a signed pact is rendered once, when it is signed (a task), and kept with its
SHA-256: every download serves those bytes, whatever changes afterwards; a draft's PDF is
rendered on demand."""

import hashlib

import pytest
from django.urls import reverse

from pti.models import SignedPactFile
from signatories.services import signature_round_close
from tests.pti.factories import PactFactory, UserFactory
from tests.pti.test_pact_lifecycle import adopted_pact, sign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def download(client, pact):
    response = client.get(reverse("pti:pact_pdf", args=[pact.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_signing_renders_the_pdf_once_and_every_download_serves_it(
    client_as, settings, django_capture_on_commit_callbacks
):
    pact = adopted_pact()
    with django_capture_on_commit_callbacks(execute=True):
        for day, signatory in enumerate(pact.signatories.all(), start=1):
            sign(signatory, day)
        signature_round_close(pact=pact)

    kept = SignedPactFile.objects.get(pact=pact)
    with kept.file.open("rb") as stream:
        stored = stream.read()
    assert stored.startswith(b"%PDF-")
    assert (kept.sha256, kept.size) == (hashlib.sha256(stored).hexdigest(), len(stored))

    reader = client_as(UserFactory(partner=True))
    assert download(reader, pact) == stored
    # What the rendering reads changes: the signed document does not.
    settings.PTI_DEPARTMENT_SEAT = "Ailleurs"
    assert download(reader, pact) == stored
    page = reader.get(reverse("pti:pact_detail", args=[pact.pk])).content.decode()
    assert f'<code class="text-break text-body">{kept.sha256}</code>' in page


def test_a_signed_pact_without_its_pdf_gets_it_at_the_first_download(client_as):
    pact = adopted_pact()
    for day, signatory in enumerate(pact.signatories.all(), start=1):
        sign(signatory, day)
    signature_round_close(pact=pact)  # the task is not run here (no commit in a test)
    assert not SignedPactFile.objects.exists()

    first = download(client_as(UserFactory(pilot=True)), pact)

    assert SignedPactFile.objects.get(pact=pact).sha256 == hashlib.sha256(first).hexdigest()


def test_a_draft_is_rendered_on_demand_and_not_kept(client_as, storage):
    pact = PactFactory()

    content = download(client_as(UserFactory(pilot=True)), pact)

    assert content.startswith(b"%PDF-")
    assert not SignedPactFile.objects.exists()
    assert not any(path.is_file() for path in storage.rglob("*"))
