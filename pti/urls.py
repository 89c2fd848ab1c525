from django.contrib import admin
from django.urls import include, path, register_converter

from pti import account_views, organisation_views, pact_views, run_views, views
from pti.converters import ExportFormatConverter

register_converter(ExportFormatConverter, "export")

pti_patterns = [
    # The home page counts what is to do in every app: it lives in `home`, the app on the right
    # of all the others, and keeps its name pti:home (home/urls.py names no namespace).
    path("", include("home.urls")),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    # The account: second factor, own password; failed logins (pilot)
    path("connexion/code/", account_views.second_factor, name="second_factor"),
    path("compte/", account_views.account, name="account"),
    path("compte/mot-de-passe/", account_views.password_change, name="password_change"),
    path(
        "compte/double-authentification/",
        account_views.second_factor_enrol,
        name="second_factor_enrol",
    ),
    path(
        "compte/double-authentification/desactiver/",
        account_views.second_factor_disable,
        name="second_factor_disable",
    ),
    path("compte/codes-de-secours/", account_views.recovery_codes, name="recovery_codes"),
    path(
        "compte/codes-de-secours/nouveaux/",
        account_views.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("connexions/echecs/", account_views.login_failures, name="login_failures"),
    # Background runs
    path("traitements/", run_views.run_list, name="run_list"),
    path("traitements/<int:pk>/", run_views.run_detail, name="run_detail"),
    path("traitements/<int:pk>/relancer/", run_views.run_restart, name="run_restart"),
    path("traitements/<int:pk>/confirmer/", run_views.run_confirm, name="run_confirm"),
    path("traitements/<int:pk>/rapport.csv", run_views.run_report, name="run_report"),
    path("traitements/<int:pk>/fichier/", run_views.run_result, name="run_result"),
    path("traitements/<int:pk>/annuler/", run_views.run_cancel, name="run_cancel"),
    path(
        "traitements/<int:pk>/lignes-masquees/", run_views.run_hidden_rows, name="run_hidden_rows"
    ),
    # The pact
    path("pacte/", pact_views.pact_list, name="pact_list"),
    path("pacte/nouveau/", pact_views.pact_create, name="pact_create"),
    path("pacte/<int:pk>/", pact_views.pact_detail, name="pact_detail"),
    path("pacte/<int:pk>/modifier/", pact_views.pact_update, name="pact_update"),
    path("pacte/<int:pk>/adopter/", pact_views.pact_adopt, name="pact_adopt"),
    path("pacte/<int:pk>/archiver/", pact_views.pact_archive, name="pact_archive"),
    path("pacte/<int:pk>/pdf/", pact_views.pact_pdf, name="pact_pdf"),
    path("pacte/<int:pk>/chiffres.pdf", pact_views.pact_figures_pdf, name="pact_figures_pdf"),
    path(
        "pacte/<int:pk>/orientations/nouvelle/",
        pact_views.orientation_create,
        name="orientation_create",
    ),
    path(
        "orientations/<int:pk>/modifier/", pact_views.orientation_update, name="orientation_update"
    ),
    path(
        "orientations/<int:pk>/supprimer/", pact_views.orientation_delete, name="orientation_delete"
    ),
    path("orientations/<int:pk>/deplacer/", pact_views.orientation_move, name="orientation_move"),
    path(
        "orientations/<int:pk>/objectifs/nouveau/",
        pact_views.objective_create,
        name="objective_create",
    ),
    path("objectifs/<int:pk>/modifier/", pact_views.objective_update, name="objective_update"),
    path("objectifs/<int:pk>/supprimer/", pact_views.objective_delete, name="objective_delete"),
    path("objectifs/<int:pk>/deplacer/", pact_views.objective_move, name="objective_move"),
    # Organisations
    path("organisations/", organisation_views.organisation_list, name="organisation_list"),
    path(
        "organisations/nouvelle/",
        organisation_views.organisation_edit,
        name="organisation_create",
    ),
    path(
        "organisations/<int:pk>/modifier/",
        organisation_views.organisation_edit,
        name="organisation_update",
    ),
    path(
        "organisations/import/", organisation_views.organisation_import, name="organisation_import"
    ),
    path(
        "organisations/export.<export:fmt>",
        organisation_views.organisation_export,
        name="organisation_export",
    ),
]

urlpatterns = [
    path("", include((pti_patterns, "pti"))),
    path("", include("signatories.urls")),
    path("", include("actions.urls")),
    path("", include("beneficiaries.urls")),
    path("", include("evaluation.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "pti.views.server_error"
