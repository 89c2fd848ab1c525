"""Import and export of the fiches actions (funding totals are exported only)."""

import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from import_export import fields, resources, widgets

from actions.enums import ActionStatus, FundingSource, Obstacle
from actions.models import Action, ActionObstacle
from pti.dates import parse_date
from pti.models import Objective, Organisation, Orientation, Territory
from pti.numbers import parse_french_number
from pti.resources import ChoiceWidget, NamedForeignKeyWidget, TextWidget
from pti.tabular import normalise_header

ACTION_COLUMNS = {
    "Référence": ["reference", "ref", "code"],
    "Intitulé": ["titre", "action", "nom de l'action"],
    "Description": [],
    "Orientation": ["orientation du pacte", "axe"],
    "Objectif": ["objectif operationnel"],
    "Opérateur": ["operateur", "porteur", "structure"],
    "Territoires": ["territoire"],
    "Public": ["public vise", "public cible"],
    "Freins": ["freins traites", "frein"],
    "Places": ["capacite", "nombre de places"],
    "Début": ["date de debut", "debut"],
    "Fin": ["date de fin", "fin"],
    "Statut": [],
    "Budget": ["budget total", "cout total"],
}


class FrenchDateWidget(widgets.Widget):
    """dd/mm/yyyy as typed, or a date cell of a spreadsheet."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        # The same forms and messages as every import (pti.dates): jj-mm-aaaa, jj.mm.aaaa,
        # a serial number, an impossible date or a date written month first said as such.
        return parse_date(value, today=timezone.localdate())

    def render(self, value, obj=None, **kwargs):
        """The date itself: a date cell in XLSX, dd/mm/yyyy in CSV (pti.tabular.csv_cell)."""
        return value or ""


class FrenchDecimalWidget(widgets.Widget):
    """An amount in euros as French Excel writes it (« 1 234,56 », « 1.234,56 », « 1 500 € »,
    pti.numbers) or a number cell; written back as a number with two decimals (a number cell
    in XLSX, 1234,56 in CSV: pti.tabular.csv_cell). An empty cell is 0 €."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return Decimal("0")
        if isinstance(value, int | float | Decimal):
            return Decimal(str(value))
        try:
            return parse_french_number(value, currency=True)
        except ValueError:
            raise ValueError(f"« {value} » n'est pas un montant.") from None

    def render(self, value, obj=None, **kwargs):
        return Decimal(value).quantize(Decimal("0.01")) if value is not None else ""


class WholeNumberWidget(widgets.Widget):
    """A count of places: a whole number, 0 or more, as French writes it (« 1 500 ») or a
    number cell."""

    def clean(self, value, row=None, **kwargs):
        try:
            number = (
                Decimal(str(value))
                if isinstance(value, int | float | Decimal)
                else parse_french_number(value)
            )
        except ValueError:
            number = None
        if number is None or number != number.to_integral_value() or number < 0:
            raise ValueError(f"« {value} » n'est pas un nombre entier positif.")
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value


class OrientationWidget(widgets.Widget):
    """An orientation of the pact by its number ("3") or its title."""

    def __init__(self, pact):
        super().__init__()
        self.pact = pact

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            raise ValueError("l'orientation est obligatoire.")
        orientations = Orientation.objects.filter(pact=self.pact)
        number = text.split(".")[0].split(" ")[0]
        match = orientations.filter(position=int(number)).first() if number.isdigit() else None
        match = match or orientations.filter(title__iexact=text).first()
        if match is None:
            raise ValueError(
                f"« {text} » n'est pas une orientation du pacte {self.pact.period_label}."
            )
        return match

    def render(self, value, obj=None, **kwargs):
        return str(value.position) if value else ""


class ObjectiveWidget(widgets.Widget):
    """An operational objective by its code ("3.1") or its title."""

    def __init__(self, pact):
        super().__init__()
        self.pact = pact

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        objectives = Objective.objects.filter(orientation__pact=self.pact)
        parts = text.split(".")
        match = None
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            match = objectives.filter(
                orientation__position=int(parts[0]), position=int(parts[1])
            ).first()
        match = match or objectives.filter(title__iexact=text).first()
        if match is None:
            raise ValueError(f"« {text} » n'est pas un objectif opérationnel du pacte.")
        return match

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


class TerritoriesWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        names = [n.strip() for n in str(value or "").replace(";", ",").split(",") if n.strip()]
        territories = []
        for name in names:
            territory = Territory.objects.filter(
                Q(name__iexact=name) | Q(code__iexact=name)
            ).first()
            if territory is None:
                raise ValueError(f"territoire « {name} » inconnu.")
            territories.append(territory)
        return territories

    def render(self, value, obj=None, **kwargs):
        return ", ".join(t.name for t in value.all()) if value is not None else ""


class ObstaclesWidget(widgets.Widget):
    lookup = {normalise_header(label): value for value, label in Obstacle.choices} | {
        normalise_header(value): value for value in Obstacle.values
    }

    def find(self, label):
        # "garde d’enfants" as Word and Excel type it is "garde d'enfants".
        return self.lookup.get(normalise_header(label.replace("\u2019", "'")))

    def clean(self, value, row=None, **kwargs):
        labels = [n.strip() for n in str(value or "").replace(";", ",").split(",") if n.strip()]
        obstacles = []
        index = 0
        while index < len(labels):
            # A label may hold a comma ("finances, budget"): try it with the next piece first.
            found = (
                self.find(", ".join(labels[index : index + 2])) if index + 1 < len(labels) else None
            )
            if found is not None:
                index += 2
            else:
                found = self.find(labels[index])
                if found is None:
                    allowed = ", ".join(f"« {label} »" for label in Obstacle.labels)
                    raise ValueError(
                        f"frein « {labels[index]} » inconnu (freins possibles : {allowed})."
                    )
                index += 1
            if found not in obstacles:  # named twice, addressed once
                obstacles.append(found)
        return obstacles

    def render(self, value, obj=None, **kwargs):
        return ", ".join(o.get_obstacle_display() for o in value.all()) if value is not None else ""


class ActionResource(resources.ModelResource):
    reference = fields.Field(attribute="reference", column_name="Référence", widget=TextWidget())
    title = fields.Field(attribute="title", column_name="Intitulé", widget=TextWidget())
    description = fields.Field(
        attribute="description", column_name="Description", widget=TextWidget()
    )
    operator = fields.Field(
        attribute="operator",
        column_name="Opérateur",
        widget=NamedForeignKeyWidget(
            Organisation, "name", alt_field="short_name", what="Opérateur"
        ),
    )
    target_public = fields.Field(
        attribute="target_public", column_name="Public", widget=TextWidget()
    )
    capacity = fields.Field(attribute="capacity", column_name="Places", widget=WholeNumberWidget())
    start_date = fields.Field(
        attribute="start_date", column_name="Début", widget=FrenchDateWidget()
    )
    end_date = fields.Field(attribute="end_date", column_name="Fin", widget=FrenchDateWidget())
    status = fields.Field(
        attribute="status", column_name="Statut", widget=ChoiceWidget(ActionStatus, column="Statut")
    )
    budget = fields.Field(attribute="budget", column_name="Budget", widget=FrenchDecimalWidget())

    class Meta:
        model = Action
        import_id_fields = ["reference"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, pact):
        super().__init__()
        self.pact = pact
        self.fields["orientation"] = fields.Field(
            attribute="orientation", column_name="Orientation", widget=OrientationWidget(pact)
        )
        self.fields["objective"] = fields.Field(
            attribute="objective", column_name="Objectif", widget=ObjectiveWidget(pact)
        )
        self.fields["territories"] = fields.Field(
            column_name="Territoires", widget=TerritoriesWidget(), attribute="territories"
        )
        self.fields["obstacles"] = fields.Field(
            column_name="Freins", widget=ObstaclesWidget(), attribute="obstacles"
        )
        for source in FundingSource:
            self.fields[f"funding_{source.value}"] = fields.Field(
                column_name=f"Financement {source.label}",
                readonly=True,
                widget=FrenchDecimalWidget(),
            )

    def get_export_order(self):
        return [
            "reference",
            "title",
            "description",
            "orientation",
            "objective",
            "operator",
            "territories",
            "target_public",
            "obstacles",
            "capacity",
            "start_date",
            "end_date",
            "status",
            "budget",
            *[f"funding_{source.value}" for source in FundingSource],
        ]

    def get_import_fields(self):
        return [
            self.fields[name]
            for name in self.get_export_order()
            if not name.startswith("funding_") and name not in ("territories", "obstacles")
        ]

    def import_row(self, row, instance_loader, **kwargs):
        # No status, whether the column or only the cell is empty: the action is planned.
        if not str(row.get("Statut") or "").strip():
            row["Statut"] = "prévue"
        return super().import_row(row, instance_loader, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        errors = {}
        self._pending = {}
        for name in ("territories", "obstacles"):
            column = self.fields[name].column_name
            try:
                self._pending[name] = self.fields[name].widget.clean(row.get(column))
            except ValueError as error:
                errors[name] = [str(error)]
        if self._pending.get("territories") == [] and "territories" not in errors:
            errors["territories"] = ["au moins un territoire est obligatoire."]
        if (
            instance.objective
            and instance.orientation
            and instance.objective.orientation_id != instance.orientation_id
        ):
            errors["objective"] = ["cet objectif n'appartient pas à l'orientation indiquée."]
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Unchanged only if the territories and obstacles are too (they are not import
        fields, so the default comparison does not see them)."""
        if original is None or original.pk is None:
            return False
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        territories = set(original.territories.values_list("pk", flat=True))
        obstacles = set(original.obstacles.values_list("obstacle", flat=True))
        return territories == {t.pk for t in self._pending["territories"]} and obstacles == set(
            self._pending["obstacles"]
        )

    def after_save_instance(self, instance, row, **kwargs):
        instance.territories.set(self._pending["territories"])
        wanted = self._pending["obstacles"]
        instance.obstacles.exclude(obstacle__in=wanted).delete()
        existing = set(instance.obstacles.values_list("obstacle", flat=True))
        ActionObstacle.objects.bulk_create(
            ActionObstacle(action=instance, obstacle=o) for o in wanted if o not in existing
        )

    def dehydrate_territories(self, action):
        return ", ".join(t.name for t in action.territories.all())

    def dehydrate_obstacles(self, action):
        return ", ".join(o.get_obstacle_display() for o in action.obstacles.all())

    def export_field(self, field, instance, **kwargs):
        if field.column_name.startswith("Financement "):
            source = next(s for s in FundingSource if field.column_name == f"Financement {s.label}")
            total = sum(
                (f.amount for f in instance.funding.all() if f.source == source), Decimal(0)
            )
            return FrenchDecimalWidget().render(total)
        return super().export_field(field, instance, **kwargs)

    def get_export_queryset(self, request=None):
        return (
            Action.objects.select_related("operator", "orientation", "objective__orientation")
            .prefetch_related("territories", "obstacles", "funding")
            .order_by("reference")
        )


def action_field_labels():
    labels = {name: field.column_name for name, field in ActionResource(None).fields.items()}
    return labels
