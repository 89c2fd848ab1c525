from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from pti import account_services, communes
from pti.account_forms import ItPasswordChangeForm
from pti.enums import PactStatus
from pti.models import (
    Commune,
    Objective,
    Organisation,
    Orientation,
    Pact,
    PostalCode,
    Territory,
    User,
)

admin.site.site_header = "Administration du PTI"
admin.site.site_title = "Administration du PTI"
admin.site.index_title = "Comptes et référentiels"


@admin.register(User)
class PtiUserAdmin(UserAdmin):
    list_display = [
        "username",
        "last_name",
        "first_name",
        "role",
        "organisation",
        "is_active",
        "has_second_factor",
        "must_change_password",
    ]
    list_filter = ["role", "is_active", "organisation__kind", "must_change_password", "departed_on"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Rôle dans le PTI", {"fields": ["role", "organisation", "departed_on"]}),
        ("Connexion", {"fields": ["must_change_password"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (
            "Rôle dans le PTI",
            {"fields": ["first_name", "last_name", "email", "role", "organisation"]},
        ),
    ]
    # A password that IT sets is temporary: the person chooses their own at the next login.
    change_password_form = ItPasswordChangeForm
    actions = ["reset_second_factor"]

    def get_queryset(self, request):
        devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(second_factor=Exists(devices))

    @admin.display(description="double authentification", boolean=True, ordering="second_factor")
    def has_second_factor(self, user):
        return user.second_factor

    def save_model(self, request, obj, form, change):
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    @admin.action(description="Réinitialiser la double authentification")
    def reset_second_factor(self, request, queryset):
        count = account_services.second_factor_reset(users=list(queryset))
        self.message_user(
            request,
            f"Double authentification réinitialisée pour {count} "
            f"compte{'s' if count > 1 else ''} : à sa prochaine connexion, la personne la "
            "remettra en place si son rôle l'exige.",
            messages.SUCCESS,
        )


class CommuneInline(admin.TabularInline):
    model = Commune
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    inlines = [CommuneInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for commune in form.instance.communes.all():
            communes.commune_postal_code_keep(commune=commune)


class PostalCodeInline(admin.TabularInline):
    model = PostalCode
    extra = 1
    fields = ["code", "delivery_label", "localities"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "postal_code", "insee_code", "territory"]
    list_filter = ["territory"]
    list_select_related = ["territory"]
    search_fields = ["name", "insee_code", "postal_codes__code"]
    inlines = [PostalCodeInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        communes.commune_postal_code_keep(commune=form.instance)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "territory", "is_active"]
    list_filter = ["kind", "territory", "is_active"]
    list_select_related = ["territory"]
    search_fields = ["name", "short_name", "siret"]


# --- The pact: read-only once it is no longer a draft -------------------------------------------
# The pages of the pact change a draft through pti.services; the models refuse any change to a
# version that is no longer one (Pact.clean, Orientation.clean, Objective.clean). Here IT sees
# an adopted, signed or archived version as it is, without a save button.


def _is_draft(pact):
    return pact is None or pact.status == PactStatus.DRAFT


class DraftOnlyInline(admin.TabularInline):
    extra = 0

    def _pact_of(self, obj):
        return obj

    def has_add_permission(self, request, obj=None):
        return _is_draft(self._pact_of(obj)) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(self._pact_of(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(self._pact_of(obj)) and super().has_delete_permission(request, obj)


class OrientationInline(DraftOnlyInline):
    model = Orientation
    fields = ["position", "title"]


@admin.register(Pact)
class PactAdmin(admin.ModelAdmin):
    list_display = ["title", "period_label", "version", "status"]
    list_filter = ["status"]
    inlines = [OrientationInline]

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


class ObjectiveInline(DraftOnlyInline):
    model = Objective
    fields = ["position", "title"]

    def _pact_of(self, obj):
        return obj.pact if obj is not None else None


@admin.register(Orientation)
class OrientationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pact"]
    list_filter = ["pact"]
    list_select_related = ["pact"]
    inlines = [ObjectiveInline]

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj.pact if obj else None) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj.pact if obj else None) and super().has_delete_permission(request, obj)


# --- The trail of changes: ids only for people ----------------------------------------------------
# django-auditlog's own admin shows each entry's object as its text (a person's name, « Santé
# (identifié) ») and the values that changed. IT has no need of either for the people's files:
# their entries show the kind of object, its number, who, when, and the names of the fields.

admin.site.unregister(LogEntry)


# The apps whose models hold people's data (the trail of the others is shown in full).
PERSONAL_DATA_APPS = {"beneficiaries"}


def _is_personal(entry):
    return entry.content_type.app_label in PERSONAL_DATA_APPS


@admin.register(LogEntry)
class PtiLogEntryAdmin(admin.ModelAdmin):
    list_display = ["when", "who", "operation", "kind", "object_label", "changed_fields"]
    list_filter = ["action", "content_type"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_pk", "actor__username"]
    date_hierarchy = "timestamp"
    list_display_links = None

    @admin.display(description="date", ordering="timestamp")
    def when(self, entry):
        return entry.timestamp

    @admin.display(description="par")
    def who(self, entry):
        return entry.actor or "—"

    @admin.display(description="opération")
    def operation(self, entry):
        return {
            LogEntry.Action.CREATE: "création",
            LogEntry.Action.UPDATE: "modification",
            LogEntry.Action.DELETE: "suppression",
        }.get(entry.action, entry.get_action_display())

    @admin.display(description="type d'objet")
    def kind(self, entry):
        return entry.content_type.name

    @admin.display(description="objet")
    def object_label(self, entry):
        if _is_personal(entry):
            return f"{entry.content_type.name} n° {entry.object_pk}"
        return entry.object_repr

    @admin.display(description="champs modifiés")
    def changed_fields(self, entry):
        names = sorted((entry.changes_dict or {}).keys())
        if _is_personal(entry):
            return ", ".join(names) or "—"
        return (
            "; ".join(
                f"{name} : {before} → {after}"
                for name, (before, after) in sorted((entry.changes_dict or {}).items())
            )
            or "—"
        )

    def has_view_permission(self, request, obj=None):
        # The list only: an entry's own page would title it with its text (a person's name).
        return obj is None and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
