import django_filters
from django import forms
from django.db.models import F, Q

from actions.enums import ActionStatus, Obstacle
from actions.models import Action
from pti.models import Organisation, Territory


def _style(filterset):
    for field in filterset.form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs["class"] = "form-check-input"
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs["class"] = "form-select"
        else:
            field.widget.attrs["class"] = "form-control"


class CatalogueFilter(django_filters.FilterSet):
    """The référents' search in the catalogue; every criterion is in the URL."""

    q = django_filters.CharFilter(label="Mots-clés", method="filter_text")
    orientation = django_filters.ChoiceFilter(
        label="Orientation du pacte", method="filter_orientation", empty_label="Toutes"
    )
    territory = django_filters.ModelChoiceFilter(
        label="Territoire",
        field_name="territories",
        queryset=Territory.objects.all(),
        empty_label="Tous",
    )
    obstacle = django_filters.ChoiceFilter(
        label="Frein traité",
        field_name="obstacles__obstacle",
        choices=Obstacle.choices,
        empty_label="Tous",
    )
    places = django_filters.BooleanFilter(
        label="Avec des places libres",
        method="filter_places",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.OrderingFilter(
        label="Trier par",
        fields=(("title", "title"), ("start_date", "start_date"), ("places_left", "places_left")),
        field_labels={
            "title": "intitulé",
            "start_date": "date de début",
            "places_left": "places libres",
        },
        empty_label="intitulé",
    )

    class Meta:
        model = Action
        fields = []

    def __init__(self, *args, orientations, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["orientation"].extra["choices"] = [
            (str(o.key), f"{o.position}. {o.title}") for o in orientations
        ]
        _style(self)

    def filter_text(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(target_public__icontains=value)
            | Q(operator__name__icontains=value)
        )

    def filter_orientation(self, queryset, name, value):
        return queryset.under_orientation_key(value)

    def filter_places(self, queryset, name, value):
        if value:
            return queryset.filter(places_taken__lt=F("capacity"))
        return queryset

    @property
    def qs(self):
        return super().qs.distinct()


class ActionAdminFilter(django_filters.FilterSet):
    """The pilot's list of every action."""

    q = django_filters.CharFilter(label="Mots-clés", method="filter_text")
    status = django_filters.ChoiceFilter(
        label="Statut", choices=ActionStatus.choices, empty_label="Tous"
    )
    operator = django_filters.ModelChoiceFilter(
        label="Opérateur",
        queryset=Organisation.objects.filter(actions__isnull=False).distinct(),
        empty_label="Tous",
    )
    territory = django_filters.ModelChoiceFilter(
        label="Territoire",
        field_name="territories",
        queryset=Territory.objects.all(),
        empty_label="Tous",
    )

    class Meta:
        model = Action
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(reference__icontains=value))

    @property
    def qs(self):
        return super().qs.distinct()
