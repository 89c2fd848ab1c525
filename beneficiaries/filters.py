import django_filters
from django import forms
from django.db.models import F

from beneficiaries.deadlines import DUE_LABELS
from beneficiaries.enums import Parcours
from beneficiaries.quality import QUALITY_LABELS, quality_condition
from beneficiaries.traces import search_fingerprint
from pti.enums import Role
from pti.forms import DateInput
from pti.models import Territory, User

# Everything past its deadline at once (BeneficiaryQuerySet.late): what the home pages count.
LATE_CHOICE = ("late", "au moins une échéance en retard")

SORTS = {
    "nom": ("last_name", "first_name"),
    "-nom": ("-last_name", "-first_name"),
    "entretien": (F("last_interview_on").asc(nulls_first=True),),
    "contrat": (F("contract_end").asc(nulls_last=True),),
    "droit": ("right_known_on",),
}
SORT_LABELS = {
    "nom": "nom (A à Z)",
    "-nom": "nom (Z à A)",
    "entretien": "dernier entretien (le plus ancien d'abord)",
    "contrat": "fin du contrat (la plus proche d'abord)",
    "droit": "ouverture du droit (la plus ancienne d'abord)",
}


class BeneficiaryFilter(django_filters.FilterSet):
    """Search and filters of the people lists. Every criterion stays in the URL but the search
    text, which is posted and replaced by a handle (pti.searches).

    Needs a queryset annotated by `with_followup()` and `today` for the deadlines.
    """

    q = django_filters.CharFilter(
        label="Nom, n° d'allocataire ou date de naissance", method="filter_search"
    )
    territory = django_filters.ModelChoiceFilter(
        label="Territoire",
        field_name="household__territory",
        queryset=Territory.objects.all(),
        empty_label="Tous",
    )
    parcours = django_filters.ChoiceFilter(
        label="Parcours", choices=Parcours.choices, empty_label="Tous"
    )
    referent = django_filters.ModelChoiceFilter(
        label="Référent", method="filter_referent", queryset=User.objects.none(), empty_label="Tous"
    )
    due = django_filters.ChoiceFilter(
        label="À faire",
        choices=[LATE_CHOICE, *DUE_LABELS.items()],
        method="filter_due",
        empty_label="Tout",
    )
    anomaly = django_filters.ChoiceFilter(
        label="Anomalie",
        choices=list(QUALITY_LABELS.items()),
        method="filter_anomaly",
        empty_label="Toutes",
    )
    state = django_filters.ChoiceFilter(
        label="Situation",
        choices=[("active", "dans le dispositif"), ("exited", "sortis"), ("all", "tous")],
        method="filter_state",
        empty_label=None,
    )
    sort = django_filters.ChoiceFilter(
        label="Trier par", choices=list(SORT_LABELS.items()), method="filter_sort", empty_label=None
    )

    class Meta:
        fields = []

    def __init__(self, data=None, *args, user, today, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", "active")
        data.setdefault("sort", "nom")
        super().__init__(data, *args, **kwargs)
        self.today = today
        referents = User.objects.filter(role=Role.REFERENT).order_by("last_name", "first_name")
        if user.role == Role.MANAGER:
            referents = referents.filter(organisation_id=user.organisation_id)
        if user.role == Role.REFERENT:
            del self.filters["referent"]
        else:
            self.filters["referent"].queryset = referents
        for field in self.form.fields.values():
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def criteria(self):
        """{label: value as shown} of the criteria in use, the search text excepted: what the
        trace of the look keeps (beneficiaries.traces)."""
        if not self.form.is_valid():
            return {}
        shown = {}
        for name, value in self.form.cleaned_data.items():
            if name == "q" or value in (None, ""):
                continue
            field = self.form.fields[name]
            choices = dict(getattr(field, "choices", ()))
            shown[str(field.label)] = str(choices.get(value, value))
        return shown

    @property
    def search_text(self):
        return self.form.cleaned_data.get("q", "") if self.form.is_valid() else ""

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_referent(self, queryset, name, value):
        return queryset.filter(referent_id=value.pk)

    def filter_due(self, queryset, name, value):
        if value == LATE_CHOICE[0]:
            return queryset.late(self.today)
        return queryset.due(value, self.today)

    def filter_anomaly(self, queryset, name, value):
        """The people of a check of the data-quality board (beneficiaries.quality)."""
        return queryset.filter(quality_condition(value))

    def filter_state(self, queryset, name, value):
        if value == "active":
            return queryset.filter(exit__isnull=True)
        if value == "exited":
            return queryset.filter(exit__isnull=False)
        return queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["nom"]), "pk")


class TraceFilter(django_filters.FilterSet):
    """The pilot's filters of the traces: who, from when, until when (dates included)."""

    user = django_filters.ModelChoiceFilter(
        label="Utilisateur",
        queryset=User.objects.order_by("last_name", "first_name", "username"),
        empty_label="Tous",
    )
    since = django_filters.DateFilter(
        label="Du", field_name="at", lookup_expr="date__gte", widget=DateInput
    )
    until = django_filters.DateFilter(
        label="Au", field_name="at", lookup_expr="date__lte", widget=DateInput
    )

    class Meta:
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    @property
    def qs(self):
        """The traces, or none with the error beside « Au » when the dates are reversed."""
        if self.form.is_valid():
            since, until = self.form.cleaned_data["since"], self.form.cleaned_data["until"]
            if since and until and until < since:
                self.form.add_error("until", "Cette date précède celle du début (« Du »).")
                return self.queryset.none()
        return super().qs


class ListTraceFilter(TraceFilter):
    """The looks at lists, also by the person searched for: the text typed by the pilot is
    turned into the fingerprint the traces keep (beneficiaries.traces.search_fingerprint)."""

    q = django_filters.CharFilter(
        label="Recherche d'une personne (nom, n° d'allocataire ou date de naissance)",
        method="filter_searched",
    )

    def filter_searched(self, queryset, name, value):
        return queryset.filter(search_fingerprint=search_fingerprint(value))
