from django import forms
from django.contrib.auth.forms import AuthenticationForm


class StyledFormMixin:
    """Gives every widget its Bootstrap class; errors and labels come from forms/field.html."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
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
