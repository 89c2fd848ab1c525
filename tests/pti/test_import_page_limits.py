"""No import page caps the rows of a file any more: a file past what a page once took goes to
the background run and is analysed whole; only the size limits and settings.PTI_IMPORT_MAX_ROWS
(pti.tabular) remain. Each page refuses a file too large on its form, before any run."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.models import Action
from beneficiaries.models import Beneficiary
from pti.enums import RunStatus
from pti.models import Organisation, TaskRun
from signatories.models import Signatory
from tests.import_pages import form_errors, run_of, send
from tests.pti.factories import PactFactory, UserFactory

pytestmark = pytest.mark.django_db


def under_a_pact():
    """The offer's import needs a pact to file the actions under; its URL takes nothing."""
    PactFactory()
    return []


# (URL name, its arguments, the rows a page once took at most, what it writes, a header and a
# row (numbered) that the import checks and holds)
PAGES = [
    ("pti:organisation_import", lambda: [], 5000, Organisation, "Nom;Type", "Club {};foot"),
    (
        "actions:action_import",
        under_a_pact,
        2000,
        Action,
        "Référence;Intitulé;Orientation;Opérateur;Places;Début",
        "R-{};Atelier;99;Inconnu;1;01/01/2020",
    ),
    (
        "signatories:signatory_import",
        lambda: [PactFactory().pk],
        500,
        Signatory,
        "Organisation",
        "Inconnue {}",
    ),
    (
        "beneficiaries:import",
        lambda: [],
        1000,
        Beneficiary,
        "Civilité;Nom;Prénom;Date de naissance;CP Ville;N° CAF",
        "Dr;Nom;Prénom;01/01/1980;42000 Nulle-Part;{}",
    ),
]


@pytest.mark.parametrize(("url_name", "arguments", "old_limit", "model", "header", "row"), PAGES)
def test_a_file_longer_than_a_page_once_took_is_analysed_whole(
    client_as, url_name, arguments, old_limit, model, header, row
):
    before = model.objects.count()
    rows = "".join(row.format(n + 1) + "\r\n" for n in range(old_limit + 1))
    upload = SimpleUploadedFile("long.csv", f"{header}\r\n{rows}".encode(), "text/csv")
    client = client_as(UserFactory(pilot=True))

    run = run_of(send(client, reverse(url_name, args=arguments()), upload))

    # Read and checked whole: every row is held here, for its content, not for its rank.
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Fichier refusé : aucune ligne ne peut être importée")
    assert run.progress_total == old_limit + 1
    assert run.analysis["held_count"] == old_limit + 1
    assert model.objects.count() == before


@pytest.mark.parametrize(("url_name", "arguments"), [page[:2] for page in PAGES])
def test_a_file_over_the_size_limit_is_refused_on_the_form(
    client_as, settings, url_name, arguments
):
    settings.PTI_IMPORT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("gros.csv", b"Nom;Autre\r\n" + b"x;y\r\n" * 400, "text/csv")

    response = send(client_as(UserFactory(pilot=True)), reverse(url_name, args=arguments()), upload)

    assert response.status_code == 422
    assert form_errors(response) == [
        "Fichier à importer : Le fichier dépasse 1 ko : découpez-le en plusieurs fichiers."
    ]
    assert not TaskRun.objects.exists()
