"""Import and export of the core's reference data, and widgets the other apps reuse."""

from django.db.models import Q
from import_export import fields, resources, widgets

from pti.enums import OrganisationKind
from pti.models import Organisation, Territory
from pti.tabular import normalise_header


class ChoiceWidget(widgets.Widget):
    """Reads a choice by its French label or its code, whatever the case and accents."""

    def __init__(self, choices, *, column):
        super().__init__()
        self.choices = choices
        self.column = column
        self.lookup = {}
        for value, label in choices.choices:
            self.lookup[normalise_header(value)] = value
            self.lookup[normalise_header(label)] = value

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return ""
        found = self.lookup.get(normalise_header(value))
        if found is None:
            allowed = ", ".join(f"« {label} »" for label in self.choices.labels)
            raise ValueError(f"« {value} » n'est pas une valeur possible ({allowed}).")
        return found

    def render(self, value, obj=None, **kwargs):
        return str(self.choices(value).label) if value else ""


class NamedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A related record named in the file (by name, or by code when given), with a French error."""

    def __init__(self, model, field="name", *, alt_field=None, what, queryset=None):
        super().__init__(model, field)
        self.alt_field = alt_field
        self.what = what
        self.queryset = queryset

    def get_queryset(self, value, row, *args, **kwargs):
        return self.queryset if self.queryset is not None else self.model.objects.all()

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        text = str(value).strip()
        condition = Q(**{f"{self.field}__iexact": text})
        if self.alt_field:
            condition |= Q(**{f"{self.alt_field}__iexact": text})
        matches = list(self.get_queryset(value, row).filter(condition)[:2])
        if not matches:
            raise ValueError(f"{self.what} « {text} » inconnu(e).")
        if len(matches) > 1:
            raise ValueError(f"{self.what} « {text} » : plusieurs correspondances.")
        return matches[0]


class YesNoWidget(widgets.Widget):
    YES = {"oui", "o", "yes", "y", "1", "vrai", "true", "x"}
    NO = {"non", "n", "no", "0", "faux", "false"}

    def __init__(self, *, empty):
        super().__init__()
        self.empty = empty

    def clean(self, value, row=None, **kwargs):
        text = normalise_header(value)
        if not text:
            return self.empty
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(f"« {value} » : répondez par oui ou non.")

    def render(self, value, obj=None, **kwargs):
        return "oui" if value else "non"


class TextWidget(widgets.CharWidget):
    """Text as typed, spaces trimmed; an empty cell is an empty text (never "None")."""

    def __init__(self, *, digits_only=False):
        super().__init__(allow_blank=True)
        self.digits_only = digits_only

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if self.digits_only:
            text = text.replace(" ", "").replace("\u00a0", "").replace(".", "")
        return text


ORGANISATION_COLUMNS = {
    "Nom": ["nom de l'organisation", "organisation", "raison sociale"],
    "Sigle": ["acronyme", "nom court"],
    "Type": ["type d'organisation", "categorie"],
    "Territoire": ["territoire d'intervention"],
    "SIRET": ["n siret", "numero siret"],
    "Adresse": [],
    "Code postal": ["cp"],
    "Ville": ["commune"],
    "Courriel": ["email", "e-mail", "mail", "adresse mail"],
    "Téléphone": ["telephone", "tel", "n telephone"],
    "Active": ["actif"],
}


class OrganisationResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="Nom", widget=TextWidget())
    short_name = fields.Field(attribute="short_name", column_name="Sigle", widget=TextWidget())
    kind = fields.Field(
        attribute="kind", column_name="Type", widget=ChoiceWidget(OrganisationKind, column="Type")
    )
    territory = fields.Field(
        attribute="territory",
        column_name="Territoire",
        widget=NamedForeignKeyWidget(Territory, "name", alt_field="code", what="Territoire"),
    )
    siret = fields.Field(
        attribute="siret", column_name="SIRET", widget=TextWidget(digits_only=True)
    )
    address = fields.Field(attribute="address", column_name="Adresse", widget=TextWidget())
    postal_code = fields.Field(
        attribute="postal_code", column_name="Code postal", widget=TextWidget(digits_only=True)
    )
    city = fields.Field(attribute="city", column_name="Ville", widget=TextWidget())
    email = fields.Field(attribute="email", column_name="Courriel", widget=TextWidget())
    phone = fields.Field(attribute="phone", column_name="Téléphone", widget=TextWidget())
    is_active = fields.Field(
        attribute="is_active", column_name="Active", widget=YesNoWidget(empty=True)
    )

    class Meta:
        model = Organisation
        import_id_fields = ["name"]
        fields = [
            "name",
            "short_name",
            "kind",
            "territory",
            "siret",
            "address",
            "postal_code",
            "city",
            "email",
            "phone",
            "is_active",
        ]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader, row):
        name = (row.get("Nom") or "").strip()
        return Organisation.objects.filter(name__iexact=name).first() if name else None

    def import_row(self, row, instance_loader, **kwargs):
        # A file that has no "Active" column leaves the organisation active.
        row.setdefault("Active", "oui")
        return super().import_row(row, instance_loader, **kwargs)

    def get_export_queryset(self, request=None):
        return Organisation.objects.select_related("territory").order_by("name")


ORGANISATION_FIELD_LABELS = {
    name: field.column_name for name, field in OrganisationResource.fields.items()
}
