"""The import of a pact's signatories (signatories.resources.SignatoryResource) as a
background run (pti.import_runs), registered from the app's ready()."""

from django.core.exceptions import ValidationError
from django.urls import reverse

from pti.enums import PactStatus, RunKind
from pti.import_runs import table_import_handler
from pti.imports import ImportSpec
from pti.models import Pact
from signatories.resources import SIGNATORY_COLUMNS, SIGNATORY_FIELD_LABELS, SignatoryResource


def signatory_import_spec(user, *, pact):
    """The import of the signatories of the pact `pact` (its id), while it is not signed."""
    pact = Pact.objects.get(pk=pact)
    if pact.status not in (PactStatus.DRAFT, PactStatus.ADOPTED):
        raise ValidationError("Ce pacte est signé : sa liste de signataires ne change plus.")
    return ImportSpec(
        kind=RunKind.SIGNATORY_IMPORT,
        title="Importer des signataires",
        columns=SIGNATORY_COLUMNS,
        required=["Organisation"],
        make_resource=lambda: SignatoryResource(pact),
        field_labels=SIGNATORY_FIELD_LABELS,
        examples={
            "Organisation": "Caisse d'allocations familiales de la Loire",
            "Ordre": "4",
            "Nom du signataire": "Marie Dupont",
            "Qualité": "Directrice",
        },
    )


SIGNATORY_IMPORT = table_import_handler(
    signatory_import_spec,
    result_url=lambda run: reverse("signatories:signatory_list", args=[run.parameters["pact"]]),
    result_label="Voir les signataires",
)
