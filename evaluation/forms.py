from django import forms
from django.utils import timezone

from actions.models import Action
from evaluation.enums import Scope, Source
from evaluation.models import Indicator
from evaluation.offer import SORTS as OFFER_SORTS
from pti.forms import StyledFormMixin
from pti.models import Territory


class PeriodForm(StyledFormMixin, forms.Form):
    """The year and territory of the evaluation pages (in the URL: ?annee=&territoire=)."""

    annee = forms.TypedChoiceField(label="Année", coerce=int)
    territoire = forms.ModelChoiceField(
        label="Territoire",
        queryset=Territory.objects.all(),
        required=False,
        empty_label="Tout le département",
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annee"].choices = [(year, year) for year in years]
        self.fields["annee"].initial = years[0] if years else timezone.localdate().year

    def period(self, years):
        if self.is_valid():
            return self.cleaned_data["annee"], self.cleaned_data["territoire"]
        return (years[0] if years else timezone.localdate().year), None


class OfferNeedForm(StyledFormMixin, forms.Form):
    """The territory and the order of the offer-against-need table (?territoire=&tri=)."""

    territoire = forms.ModelChoiceField(
        label="Territoire",
        queryset=Territory.objects.all(),
        required=False,
        empty_label="Tout le département",
    )
    tri = forms.ChoiceField(label="Trier par", choices=list(OFFER_SORTS.items()), required=False)

    def chosen(self):
        """(territory or None, sort key); an unknown value is ignored, as on the other pages."""
        if self.is_valid():
            return self.cleaned_data["territoire"], self.cleaned_data["tri"] or "ecart"
        return None, "ecart"


class TargetForm(StyledFormMixin, forms.Form):
    indicator = forms.ModelChoiceField(label="Indicateur", queryset=Indicator.objects.all())
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    scope = forms.ChoiceField(
        label="Périmètre",
        choices=[
            (s, label)
            for s, label in Scope.choices
            if s in (Scope.PACT, Scope.TERRITORY, Scope.ACTION)
        ],
    )
    territory = forms.ModelChoiceField(
        label="Territoire", queryset=Territory.objects.all(), required=False
    )
    action = forms.ModelChoiceField(
        label="Action", queryset=Action.objects.order_by("title"), required=False
    )
    value = forms.DecimalField(label="Cible", min_value=0, max_digits=12, decimal_places=2)

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        if scope == Scope.TERRITORY and not cleaned.get("territory"):
            self.add_error("territory", "Choisissez le territoire de la cible.")
        if scope == Scope.ACTION and not cleaned.get("action"):
            self.add_error("action", "Choisissez l'action de la cible.")
        return cleaned


class EntryForm(StyledFormMixin, forms.Form):
    indicator = forms.ModelChoiceField(
        label="Indicateur", queryset=Indicator.objects.filter(source=Source.DEPARTMENT)
    )
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    value = forms.DecimalField(label="Valeur", min_value=0, max_digits=14, decimal_places=2)


class PartnerEntryForm(StyledFormMixin, forms.Form):
    value = forms.DecimalField(label="Votre chiffre", min_value=0, max_digits=14, decimal_places=2)


class SnapshotForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    note = forms.CharField(label="Objet", required=False, max_length=200)
