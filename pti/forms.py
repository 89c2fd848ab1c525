from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from pti import dates
from pti.models import Objective, Organisation, Orientation, Pact
from pti.services import MISSING_VERSION


class StyledFormMixin:
    """Gives every widget its Bootstrap class; errors and labels come from forms/field.html."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            hidden = isinstance(field.widget, forms.HiddenInput)
            if isinstance(field, forms.DecimalField) and not hidden:
                # "12 000,50" as the French type it.
                field.localize = True
                field.widget = forms.TextInput(attrs={**field.widget.attrs, "inputmode": "decimal"})
                field.widget.is_localized = True
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect
            ):
                css_class = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css_class = "form-select"
            else:
                css_class = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css_class}".strip()


class LoginForm(StyledFormMixin, AuthenticationForm):
    # One message whether the account exists or not, so the form reveals nothing.
    error_messages = {
        "invalid_login": "Identifiant ou mot de passe incorrect.",
        "inactive": "Identifiant ou mot de passe incorrect.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Identifiant"
        self.fields["password"].label = "Mot de passe"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FrenchDateField(forms.DateField):
    """A date read as the imports read it (pti.dates): jj/mm/aaaa, j/m/aaaa, jj-mm-aaaa,
    jj.mm.aaaa, ISO (what a date input sends), with the same messages for an impossible date
    or a date written month first. `century` gives a two-digit year its century."""

    century = "near"

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return dates.parse_date(value, today=timezone.localdate(), century=self.century)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


class PastDateField(FrenchDateField):
    """A date of the past (a date of the right): 02/01/26 is 2026."""

    century = "past"


class BirthDateField(FrenchDateField):
    """A birth date: a two-digit year is of the previous century (see pti.dates)."""

    century = "previous"


class LockVersionFormMixin:
    """Carries the record's lock version through the form, to refuse a concurrent save. When
    the form edits an existing record, a post without its version is refused (the same
    message as `pti.services.check_lock_version`, which refuses it again below the form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        self.fields["lock_version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            required=False,
            initial=getattr(instance, "lock_version", None),
        )

    @property
    def edits_existing_record(self):
        instance = getattr(self, "instance", None)
        return instance is not None and instance.pk is not None

    def clean(self):
        cleaned = super().clean()
        if self.edits_existing_record and cleaned.get("lock_version") is None:
            raise forms.ValidationError(MISSING_VERSION, code="missing_version")
        return cleaned


RICH_TEXT_HELP = (
    "Séparez les paragraphes par une ligne vide. Une ligne qui commence par « - » est un "
    "élément de liste ; une ligne qui commence par « ## » est un intertitre."
)


class PactForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Pact
        fields = [
            "title",
            "department_name",
            "period_start",
            "period_end",
            "preamble",
            "legal_frame",
        ]
        widgets = {
            "preamble": forms.Textarea(attrs={"rows": 14}),
            "legal_frame": forms.Textarea(attrs={"rows": 8}),
        }
        help_texts = {"preamble": RICH_TEXT_HELP, "legal_frame": RICH_TEXT_HELP}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "La dernière année doit suivre la première.")
        if start and end and end - start > 9:
            self.add_error("period_end", "Un pacte couvre au plus dix ans.")
        return cleaned


class AdoptionForm(StyledFormMixin, forms.Form):
    deliberation_date = forms.DateField(
        label="Date de la délibération de l'assemblée départementale", widget=DateInput
    )


class OrientationForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Orientation
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ObjectiveForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Objective
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class OrganisationForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Organisation
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
