from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("actions/", views.action_list, name="action_list"),
    path("actions/catalogue/", views.catalogue, name="catalogue"),
    path("actions/mes-actions/", views.my_actions, name="my_actions"),
    path("actions/nouvelle/", views.action_edit, name="action_create"),
    path("actions/import/", views.action_import, name="action_import"),
    path("actions/export.<export:fmt>", views.action_export, name="action_export"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/<int:pk>/modifier/", views.action_edit, name="action_update"),
    path("appels-a-projets/", views.call_list, name="call_list"),
    path("appels-a-projets/nouveau/", views.call_edit, name="call_create"),
    path("appels-a-projets/<int:pk>/", views.call_detail, name="call_detail"),
    path("appels-a-projets/<int:pk>/modifier/", views.call_edit, name="call_update"),
    path("appels-a-projets/<int:pk>/candidatures/", views.application_add, name="application_add"),
    path("candidatures/<int:pk>/decision/", views.application_decide, name="application_decide"),
    path("conventions-pluriannuelles/", views.agreement_list, name="agreement_list"),
    path("conventions-pluriannuelles/nouvelle/", views.agreement_edit, name="agreement_create"),
    path(
        "conventions-pluriannuelles/actions-de-l-operateur/",
        views.agreement_action_choices,
        name="agreement_action_choices",
    ),
    path("conventions-pluriannuelles/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path(
        "conventions-pluriannuelles/<int:pk>/modifier/",
        views.agreement_edit,
        name="agreement_update",
    ),
    path(
        "conventions-pluriannuelles/<int:pk>/objectifs/",
        views.agreement_objective_add,
        name="agreement_objective_add",
    ),
    path(
        "objectifs-de-convention/<int:pk>/resultat/",
        views.agreement_objective_report,
        name="agreement_objective_report",
    ),
    path(
        "conventions-pluriannuelles/<int:pk>/renouvellement/",
        views.agreement_renewal,
        name="agreement_renewal",
    ),
]
