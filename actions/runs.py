"""The import of actions (actions.resources.ActionResource) as a background run
(pti.import_runs), registered from the app's ready()."""

from django.urls import reverse

from actions.resources import ACTION_COLUMNS, ActionResource, action_field_labels
from pti.enums import RunKind
from pti.import_runs import table_import_handler
from pti.imports import ImportSpec
from pti.models import Pact


def action_import_spec(user, *, pact):
    """The import of actions, filed under the pact `pact` (its id: the offer's pact when the
    file was sent)."""
    pact = Pact.objects.get(pk=pact)
    return ImportSpec(
        kind=RunKind.ACTION_IMPORT,
        title="Importer des actions",
        columns=ACTION_COLUMNS,
        required=["Référence", "Intitulé", "Orientation", "Opérateur", "Places", "Début"],
        make_resource=lambda: ActionResource(pact),
        field_labels=action_field_labels(),
        examples={
            "Référence": "FA-2024-012",
            "Intitulé": "Auto-école sociale",
            "Description": "Préparer le code et la conduite.",
            "Orientation": "3",
            "Objectif": "3.1",
            "Opérateur": "Mobilité solidaire Loire",
            "Territoires": "Roannais, Forez",
            "Public": "Allocataires sans permis",
            "Freins": "mobilité",
            "Places": "12",
            "Début": "01/09/2024",
            "Fin": "30/06/2025",
            "Statut": "ouverte",
            "Budget": "24 000,00",
        },
    )


ACTION_IMPORT = table_import_handler(
    action_import_spec,
    result_url=lambda run: reverse("actions:action_list"),
    result_label="Voir l'offre d'insertion",
)
