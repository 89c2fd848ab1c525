"""Every import page reads no more rows than it takes: its own limit is enforced while the
file is read (pti.tabular), before any work, with a French message and nothing written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.models import Action
from beneficiaries.models import Beneficiary
from pti.models import Organisation
from signatories.models import Signatory
from tests.import_pages import page
from tests.pti.factories import PactFactory, UserFactory

pytestmark = pytest.mark.django_db


def under_a_pact():
    """The offer's import needs a pact to file the actions under; its URL takes nothing."""
    PactFactory()
    return []


# (URL name, its arguments, the page's limit, what must stay unwritten)
PAGES = [
    ("pti:organisation_import", lambda: [], 5000, Organisation),
    ("actions:action_import", under_a_pact, 2000, Action),
    ("signatories:signatory_import", lambda: [PactFactory().pk], 500, Signatory),
    ("beneficiaries:import_contacts", lambda: [], 100_000, Beneficiary),
    ("beneficiaries:import", lambda: [], 1000, Beneficiary),
]


@pytest.mark.parametrize(("url_name", "arguments", "limit", "model"), PAGES)
def test_a_file_longer_than_the_page_takes_is_refused_while_read(
    client_as, settings, tmp_path, url_name, arguments, limit, model
):
    settings.MEDIA_ROOT = tmp_path
    before = model.objects.count()
    rows = "".join(f"ligne {n};x\r\n" for n in range(limit + 1))
    upload = SimpleUploadedFile("long.csv", f"Nom;Autre\r\n{rows}".encode(), "text/csv")

    response = client_as(UserFactory(pilot=True)).post(
        reverse(url_name, args=arguments()), {"file": upload}
    )

    assert response.status_code == 422
    shown = f"{limit:,}".replace(",", "\u202f")
    assert f"Le fichier compte plus de {shown} lignes : cet écran en importe {shown}" in page(
        response
    )
    assert model.objects.count() == before
    assert not list(tmp_path.rglob("*.csv"))  # nothing kept for a confirmation
