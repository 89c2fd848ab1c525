from django import forms

from pti.forms import DateInput, LockVersionFormMixin, StyledFormMixin
from pti.models import Organisation, Territory
from signatories.enums import Attendance, SignatoryStatus
from signatories.models import (
    BodyObjective,
    Convention,
    FollowUp,
    GovernanceBody,
    Meeting,
    Signatory,
)


class SignatoryAddForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Signatory
        fields = ["organisation", "signer_name", "signer_title", "position"]

    def __init__(self, *args, pact, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.active().exclude(
            signatures__pact=pact
        )
        self.fields["organisation"].empty_label = "Choisissez une organisation"
        self.fields["signer_name"].help_text = "Vous pourrez le compléter à la signature."


class SignatoryForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Signatory
        fields = ["signer_name", "signer_title", "position"]


class SignatureForm(StyledFormMixin, forms.Form):
    signer_name = forms.CharField(label="Nom de la personne qui a signé", max_length=150)
    signer_title = forms.CharField(label="Sa qualité", max_length=200)
    signed_on = forms.DateField(label="Date de signature", widget=DateInput)


class DeclineForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="Motif du refus", widget=forms.Textarea(attrs={"rows": 3}))


class AmendmentForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label="Objet de l'avenant",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ce que l'avenant change, par exemple : intégration du contrat d'engagement.",
    )


class CommitmentForm(LockVersionFormMixin, StyledFormMixin, forms.Form):
    orientation = forms.ModelChoiceField(label="Orientation", queryset=None)
    title = forms.CharField(label="Engagement", max_length=250)
    description = forms.CharField(
        label="Précisions", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, pact, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "orientation": instance.orientation_id,
                    "title": instance.title,
                    "description": instance.description,
                },
            )
        self.instance = instance
        super().__init__(*args, **kwargs)
        self.fields["orientation"].queryset = pact.orientations.order_by("position")
        self.fields["orientation"].empty_label = "Choisissez une orientation"


class ConventionForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Convention
        fields = [
            "partner",
            "kind",
            "title",
            "purpose",
            "start_date",
            "end_date",
            "amount",
            "status",
            "signed_on",
            "pact",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 5}),
            "start_date": DateInput,
            "end_date": DateInput,
            "signed_on": DateInput,
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "La fin doit suivre le début.")
        if cleaned.get("status") != "draft" and not cleaned.get("signed_on"):
            self.add_error("signed_on", "Une convention signée a une date de signature.")
        return cleaned


class GovernanceBodyForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = GovernanceBody
        fields = ["kind", "name", "territory", "chair", "remit"]
        widgets = {"remit": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = Territory.objects.all()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "ctip" and not cleaned.get("territory"):
            self.add_error("territory", "Une commission territoriale a un territoire.")
        return cleaned


class BodyObjectiveForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = BodyObjective
        fields = ["year", "label", "target", "unit"]


class MeetingForm(LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    present = forms.ModelMultipleChoiceField(
        label="Organisations présentes",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    excused = forms.ModelMultipleChoiceField(
        label="Organisations excusées",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Meeting
        fields = ["date", "place", "agenda", "decisions"]
        widgets = {
            "date": DateInput,
            "agenda": forms.Textarea(attrs={"rows": 3}),
            "decisions": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.active()
        self.fields["present"].queryset = organisations
        self.fields["excused"].queryset = organisations
        if self.instance.pk:
            attendance = list(self.instance.attendance.all())
            self.initial["present"] = [
                a.organisation_id for a in attendance if a.attendance == Attendance.PRESENT
            ]
            self.initial["excused"] = [
                a.organisation_id for a in attendance if a.attendance == Attendance.EXCUSED
            ]

    def clean(self):
        cleaned = super().clean()
        both = set(cleaned.get("present") or []) & set(cleaned.get("excused") or [])
        if both:
            names = ", ".join(sorted(str(o) for o in both))
            self.add_error("excused", f"Présente et excusée à la fois : {names}.")
        return cleaned


class FollowUpForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["description", "owner", "due_date"]
        widgets = {"due_date": DateInput}


class SignatureRowForm(forms.Form):
    """One party's answer on the signatures page; the rules are the service's
    (services.signature_row_errors), the form only reads the values."""

    signatory_id = forms.IntegerField(widget=forms.HiddenInput)
    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Réponse",
        choices=[
            (SignatoryStatus.EXPECTED, "sans réponse"),
            (SignatoryStatus.SIGNED, "signé"),
            (SignatoryStatus.DECLINED, "refusé"),
        ],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    signed_on = forms.DateField(
        label="Date de signature",
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    signer_name = forms.CharField(
        label="Nom de la personne qui signe",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    signer_title = forms.CharField(
        label="Sa qualité",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    decline_reason = forms.CharField(
        label="Motif du refus",
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def describe_errors(self):
        """Tie each field in error to its message (aria-describedby) and mark it invalid."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = f"{self[name].auto_id}-erreur"
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class BaseSignatureFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        ids = [form.cleaned_data.get("signatory_id") for form in self.forms if form.cleaned_data]
        if len(ids) != len(set(ids)):
            raise forms.ValidationError("Une partie figure deux fois : rechargez la page.")


SignatureFormSet = forms.formset_factory(
    SignatureRowForm, formset=BaseSignatureFormSet, extra=0, max_num=500, validate_max=True
)
