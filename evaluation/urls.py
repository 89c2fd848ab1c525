from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("evaluation/", views.dashboard, name="dashboard"),
    path("evaluation/tableau.<export:fmt>", views.dashboard_export, name="dashboard_export"),
    path("evaluation/oarsa.xlsx", views.oarsa_export, name="oarsa_export"),
    path("evaluation/territoires/", views.territories, name="territories"),
    path("evaluation/offre-et-besoins/", views.offer_and_need, name="offer_and_need"),
    path("evaluation/orientations/", views.orientations, name="orientations"),
    path("evaluation/actions/", views.actions_view, name="actions"),
    path("evaluation/actions.<export:fmt>", views.actions_export, name="actions_export"),
    path("evaluation/cibles/", views.targets, name="targets"),
    path("evaluation/saisies/", views.entries, name="entries"),
    path("evaluation/instantanes/", views.snapshots, name="snapshots"),
    path("evaluation/engagements/", views.partner_commitments, name="partner_commitments"),
    path("evaluation/engagements/<int:pk>/chiffre/", views.partner_entry, name="partner_entry"),
    path(
        "evaluation/engagements/<int:pk>/indicateurs/",
        views.commitment_indicators,
        name="commitment_indicators",
    ),
    path("evaluation/signataires/", views.signatory_reporting, name="signatory_reporting"),
    path(
        "evaluation/signataires/<int:pk>/relance/",
        views.signatory_remind,
        name="signatory_remind",
    ),
]
