"""The import of the organisations (pti.resources.OrganisationResource) as a background run
(pti.import_runs), registered from pti's ready()."""

from django.urls import reverse

from pti.enums import RunKind
from pti.import_runs import table_import_handler
from pti.imports import ImportSpec
from pti.resources import ORGANISATION_COLUMNS, ORGANISATION_FIELD_LABELS, OrganisationResource


def organisation_import_spec(user):
    """The import of the organisations (any pilot's: the same for all)."""
    return ImportSpec(
        kind=RunKind.ORGANISATION_IMPORT,
        title="Importer des organisations",
        columns=ORGANISATION_COLUMNS,
        required=["Nom", "Type"],
        make_resource=OrganisationResource,
        field_labels=ORGANISATION_FIELD_LABELS,
        examples={
            "Nom": "CCAS de Roanne",
            "Sigle": "CCAS Roanne",
            "Type": "CCAS ou CIAS",
            "Territoire": "Roannais",
            "SIRET": "21420187700011",
            "Adresse": "12 rue Jean Jaurès",
            "Code postal": "42300",
            "Ville": "Roanne",
            "Courriel": "contact@ccas-roanne.fr",
            "Téléphone": "04 77 00 00 00",
            "Active": "oui",
        },
    )


ORGANISATION_IMPORT = table_import_handler(
    organisation_import_spec,
    result_url=lambda run: reverse("pti:organisation_list"),
    result_label="Voir les organisations",
)
