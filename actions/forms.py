from django import forms
from django.urls import reverse

from actions.enums import (
    ApplicationDecision,
    FundingSource,
    ObjectiveMeasure,
    Obstacle,
    RenewalDecision,
)
from actions.models import Action, AgreementObjective, CallForProjects, FundingAgreement
from pti.forms import DateInput, LockVersionFormMixin, StyledFormMixin
from pti.models import Objective, Organisation, Orientation, Territory


class ActionForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    territories = forms.ModelMultipleChoiceField(
        label="Territoires desservis",
        queryset=Territory.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    obstacles = forms.MultipleChoiceField(
        label="Freins traités",
        choices=Obstacle.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Action
        fields = [
            "reference",
            "title",
            "description",
            "orientation",
            "objective",
            "operator",
            "target_public",
            "place",
            "contact",
            "capacity",
            "start_date",
            "end_date",
            "status",
            "budget",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "start_date": DateInput,
            "end_date": DateInput,
        }

    def __init__(self, *args, pact, **kwargs):
        super().__init__(*args, **kwargs)
        orientations = Orientation.objects.filter(pact=pact).order_by("position")
        if self.instance.pk and self.instance.orientation_id:
            orientations = orientations | Orientation.objects.filter(
                pk=self.instance.orientation_id
            )
        self.fields["orientation"].queryset = orientations
        self.fields["objective"].queryset = Objective.objects.filter(
            orientation__in=orientations
        ).select_related("orientation")
        self.fields["objective"].label_from_instance = lambda o: f"{o.code} {o.title}"
        self.fields["operator"].queryset = Organisation.objects.active()
        if self.instance.pk:
            self.initial["territories"] = list(self.instance.territories.all())
            self.initial["obstacles"] = list(
                self.instance.obstacles.values_list("obstacle", flat=True)
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "La fin doit suivre le début.")
        objective, orientation = cleaned.get("objective"), cleaned.get("orientation")
        if objective and orientation and objective.orientation_id != orientation.pk:
            self.add_error("objective", "Cet objectif n'appartient pas à l'orientation choisie.")
        return cleaned


class FundingLineForm(StyledFormMixin, forms.Form):
    source = forms.ChoiceField(label="Financeur", choices=[("", "—"), *FundingSource.choices])
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    amount = forms.DecimalField(label="Montant (€)", min_value=0, max_digits=12, decimal_places=2)


FundingFormSet = forms.formset_factory(FundingLineForm, extra=2, can_delete=True)


class CallForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    axes = forms.CharField(
        label="Axes",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Un axe par ligne, dans l'ordre.",
    )

    class Meta:
        model = CallForProjects
        fields = ["year", "title", "description", "deadline", "status"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4}), "deadline": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["axes"] = "\n".join(a.title for a in self.instance.axes.all())

    def clean_axes(self):
        axes = [line.strip() for line in self.cleaned_data["axes"].splitlines() if line.strip()]
        if not axes:
            raise forms.ValidationError("Indiquez au moins un axe.")
        return axes


class ApplicationForm(StyledFormMixin, forms.Form):
    action = forms.ModelChoiceField(label="Action", queryset=Action.objects.none())
    axis = forms.ModelChoiceField(label="Axe", queryset=None)
    requested_amount = forms.DecimalField(
        label="Montant demandé (€)", min_value=0, max_digits=12, decimal_places=2
    )

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["axis"].queryset = call.axes.all()
        self.fields["action"].queryset = (
            Action.objects.exclude(applications__call=call)
            .select_related("operator")
            .order_by("title")
        )
        self.fields["action"].label_from_instance = lambda a: f"{a.title} ({a.operator})"


class DecisionForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[c for c in ApplicationDecision.choices if c[0] != ApplicationDecision.PENDING],
        widget=forms.RadioSelect,
    )
    granted_amount = forms.DecimalField(
        label="Montant accordé (€)", min_value=0, max_digits=12, decimal_places=2, required=False
    )
    reason = forms.CharField(
        label="Motif", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    decided_on = forms.DateField(label="Date de la décision", widget=DateInput)


def narrow_action_choices(field, operator_id, checked=()):
    """Offer in the « Actions financées » field `field` only the actions of the operator
    `operator_id` (none until an operator is chosen), plus those `checked` (pks) so that a
    wrong choice stays visible beside its error. Every action stays valid for the field, so
    that a wrong one is refused by AgreementForm.clean with a French message naming it."""
    field.queryset = Action.objects.order_by("title")
    offered = Action.objects.none()
    if operator_id:
        offered = Action.objects.filter(operator_id=operator_id)
    checked_ids = [int(pk) for pk in checked if str(pk).isdigit()]
    if checked_ids:
        offered = offered | Action.objects.filter(pk__in=checked_ids)
    field.widget.choices = [(action.pk, str(action)) for action in offered.order_by("title")]
    field.help_text = (
        "Les actions de l'opérateur choisi."
        if operator_id
        else "Choisissez d'abord l'opérateur : ses actions s'afficheront ici."
    )


class AgreementForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    actions = forms.ModelMultipleChoiceField(
        label="Actions financées",
        queryset=Action.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = FundingAgreement
        fields = ["reference", "title", "operator", "start_year", "end_year", "status", "signed_on"]
        widgets = {"signed_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = Organisation.objects.active()
        self.fields["operator"].template_name = "actions/includes/agreement_operator_field.html"
        self.fields["operator"].widget.attrs.update(
            {
                "hx-get": reverse("actions:agreement_action_choices"),
                "hx-target": "#actions-de-l-operateur",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        self.fields["actions"].template_name = "actions/includes/agreement_actions_field.html"
        self.operator_id = self._operator_id()
        narrow_action_choices(self.fields["actions"], self.operator_id, self._checked_actions())
        ordinals = ["1re", "2e", "3e", "4e"]
        for offset, ordinal in enumerate(ordinals):
            self.fields[f"amount_{offset}"] = forms.DecimalField(
                label=f"Montant de la {ordinal} année (€)",
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
            )
        if self.instance.pk:
            self.initial["actions"] = list(self.instance.actions.all())
            for amount in self.instance.amounts.all():
                self.initial[f"amount_{amount.year - self.instance.start_year}"] = amount.amount

    def _operator_id(self):
        """The operator chosen: posted, asked for (the « Choisir l'opérateur » step), or the
        agreement's; None when none is chosen yet."""
        value = self.data.get("operator") or self.initial.get("operator")
        if value in (None, ""):
            return self.instance.operator_id
        try:
            return int(getattr(value, "pk", value))
        except (TypeError, ValueError):
            return None

    def _checked_actions(self):
        if self.is_bound:
            return self.data.getlist("actions") if hasattr(self.data, "getlist") else []
        return [getattr(a, "pk", a) for a in self.initial.get("actions") or []]

    def clean(self):
        cleaned = super().clean()
        operator = cleaned.get("operator")
        if operator is not None:
            for action in cleaned.get("actions") or []:
                if action.operator_id != operator.pk:
                    self.add_error(
                        "actions",
                        f"« {action.title} » n'est pas une action de {operator} : une "
                        "convention ne finance que les actions de son opérateur.",
                    )
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if start and end and not 0 <= end - start <= 3:
            self.add_error("end_year", "Une convention pluriannuelle couvre de 1 à 4 années.")
        if cleaned.get("status") != "draft" and not cleaned.get("signed_on"):
            self.add_error("signed_on", "Une convention signée a une date de signature.")
        if start and end and 0 <= end - start <= 3:
            for offset in range(end - start + 1, 4):
                if cleaned.get(f"amount_{offset}") is not None:
                    self.add_error(
                        f"amount_{offset}",
                        f"La convention ne couvre que {end - start + 1} année(s) : "
                        "retirez ce montant ou allongez la période.",
                    )
        return cleaned

    def amounts(self):
        start, end = self.cleaned_data["start_year"], self.cleaned_data["end_year"]
        amounts = {}
        for offset, year in enumerate(range(start, end + 1)):
            value = self.cleaned_data.get(f"amount_{offset}")
            if value is not None:
                amounts[year] = value
        return amounts


class AgreementObjectiveForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = AgreementObjective
        fields = ["action", "year", "measure", "label", "target"]

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = agreement.actions.all()
        self.fields["year"] = forms.TypedChoiceField(
            label="Année", coerce=int, choices=[(y, y) for y in agreement.years]
        )
        self.fields["year"].widget.attrs["class"] = "form-select"
        self.fields["measure"].initial = ObjectiveMeasure.PEOPLE_ACCOMPANIED


class ReportedValueForm(StyledFormMixin, forms.Form):
    value = forms.DecimalField(
        label="Résultat déclaré", min_value=0, max_digits=10, decimal_places=2
    )


class RenewalForm(LockVersionFormMixin, StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Décision", choices=RenewalDecision.choices, widget=forms.RadioSelect
    )
    justification = forms.CharField(
        label="Justification au regard des objectifs",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    decided_on = forms.DateField(label="Date de la décision", widget=DateInput)

    def __init__(self, *args, instance, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
