from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm

from pti.forms import DateInput, StyledFormMixin


class SecondFactorForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label="Code de vérification",
        max_length=32,
        help_text=(
            "Le code à 6 chiffres affiché par votre application d'authentification, "
            "ou l'un de vos codes de secours."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": "Saisissez le code affiché par votre application."},
    )


class EnrolmentForm(StyledFormMixin, forms.Form):
    code = forms.RegexField(
        label="Code à 6 chiffres affiché par l'application",
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={
            "required": "Saisissez le code à 6 chiffres affiché par l'application.",
            "invalid": "Le code compte 6 chiffres, par exemple 123456.",
        },
    )


class OwnPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    """Django's form (current password, new password twice, AUTH_PASSWORD_VALIDATORS), in
    French; the save is `pti.account_services.password_change`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Mot de passe actuel"
        self.fields["old_password"].error_messages["required"] = (
            "Saisissez votre mot de passe actuel."
        )
        self.fields["new_password1"].error_messages["required"] = (
            "Saisissez votre nouveau mot de passe."
        )
        self.fields["new_password2"].error_messages["required"] = (
            "Saisissez une seconde fois votre nouveau mot de passe."
        )

    def validate_password_for_user(self, user, *args, **kwargs):
        # What is wrong with the new password shows beside it, not beside its confirmation.
        super().validate_password_for_user(user, "new_password1")


class ItPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's « changer le mot de passe » form: a password set by IT is temporary, the
    person chooses their own at their next login."""

    def save(self, commit=True):
        self.user.must_change_password = True
        return super().save(commit=commit)


class LoginFailureFilterForm(StyledFormMixin, forms.Form):
    day_from = forms.DateField(label="Du", required=False, widget=DateInput)
    day_to = forms.DateField(label="Au", required=False, widget=DateInput)
    username = forms.CharField(label="Identifiant saisi", required=False, max_length=150)

    def clean(self):
        cleaned = super().clean()
        day_from, day_to = cleaned.get("day_from"), cleaned.get("day_to")
        if day_from and day_to and day_to < day_from:
            self.add_error("day_to", "La date de fin doit suivre la date de début.")
        return cleaned
