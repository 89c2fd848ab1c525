from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pti.models import Commune, Objective, Organisation, Orientation, Pact, Territory, User

admin.site.site_header = "Administration du PTI"
admin.site.site_title = "Administration du PTI"
admin.site.index_title = "Comptes et référentiels"


@admin.register(User)
class PtiUserAdmin(UserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "organisation", "is_active"]
    list_filter = ["role", "is_active", "organisation__kind"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Rôle dans le PTI", {"fields": ["role", "organisation"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (
            "Rôle dans le PTI",
            {"fields": ["first_name", "last_name", "email", "role", "organisation"]},
        ),
    ]


class CommuneInline(admin.TabularInline):
    model = Commune
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    inlines = [CommuneInline]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "postal_code", "insee_code", "territory"]
    list_filter = ["territory"]
    list_select_related = ["territory"]
    search_fields = ["name", "insee_code", "postal_code"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "territory", "is_active"]
    list_filter = ["kind", "territory", "is_active"]
    list_select_related = ["territory"]
    search_fields = ["name", "short_name", "siret"]


class OrientationInline(admin.TabularInline):
    model = Orientation
    extra = 0
    fields = ["position", "title"]


@admin.register(Pact)
class PactAdmin(admin.ModelAdmin):
    list_display = ["title", "period_label", "version", "status"]
    list_filter = ["status"]
    inlines = [OrientationInline]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    extra = 0
    fields = ["position", "title"]


@admin.register(Orientation)
class OrientationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pact"]
    list_filter = ["pact"]
    list_select_related = ["pact"]
    inlines = [ObjectiveInline]
