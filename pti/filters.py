import django_filters
from django import forms
from django.db.models import Q

from pti.enums import OrganisationKind
from pti.models import Organisation, Territory


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Nom ou sigle", method="filter_name")
    kind = django_filters.ChoiceFilter(
        label="Type", choices=OrganisationKind.choices, empty_label="Tous"
    )
    territory = django_filters.ModelChoiceFilter(
        label="Territoire", queryset=Territory.objects.all(), empty_label="Tous"
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "territory"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
