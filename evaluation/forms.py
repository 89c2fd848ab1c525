from django import forms
from django.utils import timezone

from actions.models import Action
from evaluation.enums import Scope, Source
from evaluation.models import Indicator
from evaluation.offer import SORTS as OFFER_SORTS
from pti.forms import StyledFormMixin, frenchify_number_field
from pti.models import Orientation, Territory
from signatories.models import Commitment


class CommitmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.choice_label


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
    """A target of the reference pact, one of its orientations, a territory, an action, or
    the commitment of a signatory (of the pact's version being prepared, or of the pact)."""

    indicator = forms.ModelChoiceField(label="Indicateur", queryset=Indicator.objects.all())
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    scope = forms.ChoiceField(
        label="Périmètre",
        choices=[
            (s, label)
            for s, label in Scope.choices
            if s in (Scope.PACT, Scope.ORIENTATION, Scope.TERRITORY, Scope.ACTION, Scope.COMMITMENT)
        ],
    )
    orientation = forms.ModelChoiceField(
        label="Orientation", queryset=Orientation.objects.none(), required=False
    )
    territory = forms.ModelChoiceField(
        label="Territoire", queryset=Territory.objects.all(), required=False
    )
    action = forms.ModelChoiceField(
        label="Action", queryset=Action.objects.order_by("title"), required=False
    )
    commitment = CommitmentChoiceField(
        label="Engagement d'un signataire", queryset=Commitment.objects.none(), required=False
    )
    value = forms.DecimalField(label="Cible", min_value=0, max_digits=12, decimal_places=2)

    def __init__(self, *args, pact=None, commitments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pact = pact
        if pact is not None:
            self.fields["orientation"].queryset = pact.orientations.order_by("position")
        if commitments is not None:
            self.fields["commitment"].queryset = commitments

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        year = cleaned.get("year")
        if scope == Scope.ORIENTATION and not cleaned.get("orientation"):
            self.add_error("orientation", "Choisissez l'orientation de la cible.")
        if scope == Scope.TERRITORY and not cleaned.get("territory"):
            self.add_error("territory", "Choisissez le territoire de la cible.")
        if scope == Scope.ACTION and not cleaned.get("action"):
            self.add_error("action", "Choisissez l'action de la cible.")
        if scope == Scope.COMMITMENT and not cleaned.get("commitment"):
            self.add_error("commitment", "Choisissez l'engagement de la cible.")
        pact = self.pact
        if scope == Scope.COMMITMENT and cleaned.get("commitment"):
            pact = cleaned["commitment"].signatory.pact
        if (
            year
            and pact is not None
            and scope in (Scope.PACT, Scope.ORIENTATION, Scope.COMMITMENT)
            and not pact.period_start <= year <= pact.period_end
        ):
            self.add_error(
                "year",
                f"Choisissez une année de la période du pacte ({pact.period_label}).",
            )
        return cleaned


class CommitmentIndicatorForm(StyledFormMixin, forms.Form):
    """An indicator tied to a commitment, with one target per year of the pact's period
    (« cible_2023 »...); a year left empty has no target."""

    indicator = forms.ModelChoiceField(label="Indicateur", queryset=Indicator.objects.none())

    def __init__(self, *args, pact, indicators, fixed_indicator=None, **kwargs):
        self.pact = pact
        self.years = list(range(pact.period_start, pact.period_end + 1))
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators
        self.fields["indicator"].empty_label = "Choisissez un indicateur"
        if fixed_indicator is not None:
            self.fields["indicator"].widget = forms.HiddenInput()
            self.fields["indicator"].queryset = Indicator.objects.filter(pk=fixed_indicator.pk)
        for year in self.years:
            field = forms.DecimalField(
                label=f"Cible {year}",
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
            )
            # The mixin styled the fields it found: a year's field is added after it ran.
            frenchify_number_field(f"cible_{year}", field)
            field.widget.attrs["class"] = "form-control"
            self.fields[f"cible_{year}"] = field

    def year_fields(self):
        return [(year, self[f"cible_{year}"]) for year in self.years]

    def clean(self):
        cleaned = super().clean()
        start = self.add_prefix("cible_")
        posted_years = [
            int(key.removeprefix(start))
            for key in self.data
            if key.startswith(start) and key.removeprefix(start).isdigit()
        ]
        if any(year not in self.years for year in posted_years):
            raise forms.ValidationError(
                "Une cible ne se fixe que pour une année de la période du pacte "
                f"({self.pact.period_label})."
            )
        if not self.errors and all(cleaned.get(f"cible_{year}") is None for year in self.years):
            raise forms.ValidationError("Donnez une cible pour au moins une année du pacte.")
        return cleaned

    def values(self):
        return {year: self.cleaned_data.get(f"cible_{year}") for year in self.years}


class EntryForm(StyledFormMixin, forms.Form):
    indicator = forms.ModelChoiceField(
        label="Indicateur", queryset=Indicator.objects.filter(source=Source.DEPARTMENT)
    )
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    value = forms.DecimalField(label="Valeur", min_value=0, max_digits=14, decimal_places=2)


class PartnerEntryForm(StyledFormMixin, forms.Form):
    """A partner's figure for an indicator of its commitment; `based_on` is the latest figure
    the page showed, so that an entry made meanwhile is not silently put over."""

    value = forms.DecimalField(label="Votre chiffre", min_value=0, max_digits=14, decimal_places=2)
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    indicator = forms.ModelChoiceField(
        queryset=Indicator.objects.filter(source=Source.PARTNER), widget=forms.HiddenInput
    )
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReminderForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)
    message = forms.CharField(
        label="Message",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SnapshotForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    note = forms.CharField(label="Objet", required=False, max_length=200)
