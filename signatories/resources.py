"""Import and export of the parties to a pact (the signature columns are exported only)."""

from decimal import Decimal

from import_export import fields, resources, widgets

from pti.models import Organisation
from pti.resources import NamedForeignKeyWidget, TextWidget
from signatories.models import Signatory

SIGNATORY_COLUMNS = {
    "Organisation": ["nom de l'organisation", "institution", "partenaire", "nom"],
    "Ordre": ["position", "rang"],
    "Nom du signataire": ["signataire", "nom signataire", "representant"],
    "Qualité": ["qualite du signataire", "fonction", "titre"],
}


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number; anything else is refused in French (the library's own widget lets a
    decimal.InvalidOperation through, shown to the user as "[<class 'decimal.ConversionSyntax'>]",
    and silently turns 1,5 into 1)."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
        except ArithmeticError:
            number = None
        if (
            number is None
            or not number.is_finite()
            or abs(number) > 10**9
            or number != number.to_integral_value()
        ):
            raise ValueError(f"« {value} » n'est pas un nombre entier.")
        return int(number)


class DateTextWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d/%m/%Y") if value else ""


class SignatoryResource(resources.ModelResource):
    organisation = fields.Field(
        attribute="organisation",
        column_name="Organisation",
        widget=NamedForeignKeyWidget(
            Organisation, "name", alt_field="short_name", what="Organisation"
        ),
    )
    position = fields.Field(
        attribute="position", column_name="Ordre", widget=WholeNumberWidget(coerce_to_string=False)
    )
    signer_name = fields.Field(
        attribute="signer_name", column_name="Nom du signataire", widget=TextWidget()
    )
    signer_title = fields.Field(
        attribute="signer_title", column_name="Qualité", widget=TextWidget()
    )
    status = fields.Field(column_name="Statut", readonly=True)
    signed_on = fields.Field(
        attribute="signed_on",
        column_name="Date de signature",
        readonly=True,
        widget=DateTextWidget(),
    )

    class Meta:
        model = Signatory
        import_id_fields = ["organisation"]
        fields = ["organisation", "position", "signer_name", "signer_title", "status", "signed_on"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, pact):
        super().__init__()
        self.pact = pact

    def get_queryset(self):
        return Signatory.objects.filter(pact=self.pact)

    def get_instance(self, instance_loader, row):
        organisation = self.fields["organisation"].clean(row)
        return self.get_queryset().filter(organisation=organisation).first()

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.pact = self.pact
        if instance.position is None:
            instance.position = 100

    def dehydrate_status(self, signatory):
        return signatory.get_status_display()

    def get_export_queryset(self, request=None):
        return (
            self.get_queryset()
            .select_related("organisation")
            .order_by("position", "organisation__name")
        )


SIGNATORY_FIELD_LABELS = {
    name: field.column_name for name, field in SignatoryResource.fields.items()
}
