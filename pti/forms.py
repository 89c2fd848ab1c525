from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from pti import dates
from pti.models import Objective, Organisation, Orientation, Pact
from pti.numbers import parse_french_number
from pti.services import MISSING_VERSION
from pti.templatetags.pti_format import NARROW_NBSP, format_number

INVALID_INTEGER = (
    "Saisissez un nombre entier, sans décimales, par exemple 12 ou 1 500 "
    "(une espace peut séparer les milliers)."
)
INVALID_DECIMAL = (
    "Saisissez un nombre, par exemple 1 500 ou 12,5 (une espace peut séparer les milliers, "
    "une virgule sépare les décimales)."
)


def french_number_text(value, *, grouping=True):
    """A number as a form shows it: 1500 -> « 1 500 » (a narrow no-break space), Decimal
    12.50 -> « 12,50 » (the decimals the value holds), a float as many as it needs; without
    `grouping` (a year), 2026 -> « 2026 »."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    elif isinstance(value, float):
        decimals = max(0, -Decimal(repr(value)).normalize().as_tuple().exponent)
    else:
        decimals = 0
    text = format_number(value, decimals)
    return text if grouping else text.replace(NARROW_NBSP, "")


class FrenchNumberInput(forms.TextInput):
    """A number typed as French writes it (« 1 500 », « 12,5 »): a text input (a number
    input refuses spaces and commas) with the keyboard of digits on phones. What is posted
    reaches the field as Python reads it (« 1500 », « 12.5 »); what does not read as a number
    reaches it untouched, for the field's message. Numbers are shown the French way, without
    thousands separator when `grouping` is false (years)."""

    def __init__(self, attrs=None, *, decimal=False, grouping=True):
        attrs = {"inputmode": "decimal" if decimal else "numeric", **(attrs or {})}
        super().__init__(attrs)
        self.grouping = grouping

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        if isinstance(value, str):
            try:
                number = parse_french_number(value)
            except ValueError:
                return value
            return f"{number:f}"
        return value

    def format_value(self, value):
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return french_number_text(value, grouping=self.grouping)
        if isinstance(value, str) and value.strip():
            try:
                return french_number_text(parse_french_number(value), grouping=self.grouping)
            except ValueError:
                return value
        return super().format_value(value)


class SmallDecimalInput(forms.NumberInput):
    """A small number with decimals and no thousands (hours in a week): a number input, its
    spin buttons and limits (`min`, `max`, `step` in attrs) kept, the decimal keyboard on
    phones. A browser without it (a text box) may post « 15,5 »: it is read as French writes
    it (pti.numbers), as FrenchNumberInput reads it."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        if isinstance(value, str):
            try:
                return f"{parse_french_number(value):f}"
            except ValueError:
                return value  # for the field's message
        return value

    def format_value(self, value):
        # A number input shows a dot whatever the language: « 15.5 », never « 15,5 ».
        if isinstance(value, Decimal):
            return f"{value.normalize():f}"
        return super().format_value(value)


def frenchify_number_field(name, field):
    """Gives an IntegerField or DecimalField typed in a box the French input (FrenchNumberInput,
    without thousands separator for a field named « year » or « …_year ») and a message that
    says how to write the number. Other fields (hidden, a list to choose from) are left
    alone."""
    if isinstance(field.widget, forms.HiddenInput | SmallDecimalInput) or not isinstance(
        field.widget, forms.NumberInput | forms.TextInput
    ):
        return
    if not isinstance(field, forms.IntegerField | forms.DecimalField):
        return
    decimal = isinstance(field, forms.DecimalField)
    kept = {
        key: value
        for key, value in field.widget.attrs.items()
        if key not in ("min", "max", "step", "type")
    }
    field.localize = False
    field.widget = FrenchNumberInput(
        kept, decimal=decimal, grouping=not (name == "year" or name.endswith("_year"))
    )
    field.error_messages["invalid"] = INVALID_DECIMAL if decimal else INVALID_INTEGER


class LimitedTextField(forms.CharField):
    """A text of at most `max_length` characters, refused above with Django's French message
    (« Assurez-vous que cette valeur comporte au plus 500 caractères (actuellement 612). »),
    what was typed kept. The browser gets no `maxlength`, which would cut a pasted text
    without a word; `data-pti-max` lets static/js/text_limits.js count as the user types."""

    def __init__(self, *, max_length, widget=None, **kwargs):
        super().__init__(
            max_length=max_length, widget=widget or forms.Textarea(attrs={"rows": 3}), **kwargs
        )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs["data-pti-max"] = str(self.max_length)
        return attrs


class StyledFormMixin:
    """Gives every widget its Bootstrap class, and every number field the French input
    (`frenchify_number_field`); errors and labels come from forms/field.html."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            frenchify_number_field(name, field)
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
        # At most ten years: Pact.clean (Pact.period_error), run by the model form.
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
