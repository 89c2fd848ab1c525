from django.urls import path

from signatories import views

app_name = "signatories"

urlpatterns = [
    path("pacte/<int:pact_pk>/signataires/", views.signatory_list, name="signatory_list"),
    path(
        "pacte/<int:pact_pk>/signataires/import/", views.signatory_import, name="signatory_import"
    ),
    path(
        "pacte/<int:pact_pk>/signataires/export.<export:fmt>",
        views.signatory_export,
        name="signatory_export",
    ),
    path(
        "pacte/<int:pact_pk>/cloturer-signature/",
        views.signature_round_close,
        name="signature_round_close",
    ),
    path("pacte/<int:pact_pk>/signatures/", views.signatures_edit, name="signatures_edit"),
    path("pacte/<int:pact_pk>/avenant/", views.pact_amend, name="pact_amend"),
    path("signataires/<int:pk>/", views.signatory_detail, name="signatory_detail"),
    path("signataires/<int:pk>/modifier/", views.signatory_update, name="signatory_update"),
    path("signataires/<int:pk>/retirer/", views.signatory_remove, name="signatory_remove"),
    path("signataires/<int:pk>/signature/", views.signature_record, name="signature_record"),
    path("signataires/<int:pk>/refus/", views.signatory_decline, name="signatory_decline"),
    path(
        "signataires/<int:pk>/engagements/nouveau/",
        views.commitment_create,
        name="commitment_create",
    ),
    path("engagements/<int:pk>/modifier/", views.commitment_update, name="commitment_update"),
    path("engagements/<int:pk>/supprimer/", views.commitment_delete, name="commitment_delete"),
    path("conventions/", views.convention_list, name="convention_list"),
    path("conventions/nouvelle/", views.convention_edit, name="convention_create"),
    path("conventions/<int:pk>/", views.convention_detail, name="convention_detail"),
    path("conventions/<int:pk>/modifier/", views.convention_edit, name="convention_update"),
    path("gouvernance/", views.body_list, name="body_list"),
    path("gouvernance/nouvelle/", views.body_edit, name="body_create"),
    path("gouvernance/<int:pk>/", views.body_detail, name="body_detail"),
    path("gouvernance/<int:pk>/modifier/", views.body_edit, name="body_update"),
    path("gouvernance/<int:pk>/objectifs/", views.body_objective_add, name="body_objective_add"),
    path("gouvernance/<int:body_pk>/reunions/nouvelle/", views.meeting_edit, name="meeting_create"),
    path("reunions/<int:pk>/modifier/", views.meeting_edit, name="meeting_update"),
    path("reunions/<int:pk>/suites/", views.follow_up_add, name="follow_up_add"),
    path("suites/<int:pk>/fait/", views.follow_up_toggle, name="follow_up_toggle"),
]
