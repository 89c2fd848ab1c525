from django.urls import path

from beneficiaries import views

app_name = "beneficiaries"

urlpatterns = [
    path("portefeuille/", views.portfolio, name="portfolio"),
    path("beneficiaires/", views.beneficiary_list, name="list"),
    path("beneficiaires/export.<export:fmt>", views.beneficiary_export, name="list_export"),
    path("beneficiaires/nouveau/", views.beneficiary_create, name="create"),
    path("beneficiaires/import/", views.beneficiary_import, name="import"),
    path("beneficiaires/import/coordonnees-caf/", views.contacts_import, name="import_contacts"),
    path("beneficiaires/import/flux-caf/", views.flux_import, name="import_flux"),
    path("beneficiaires/flux-a-traiter/", views.held_households, name="held_households"),
    path("beneficiaires/qualite/", views.data_quality, name="data_quality"),
    path("beneficiaires/conservation/", views.retention, name="retention"),
    path(
        "beneficiaires/flux-a-traiter/<int:pk>/traite/",
        views.held_household_resolve,
        name="held_household_resolve",
    ),
    path("suivis-apres-sortie/", views.exit_follow_ups, name="exit_follow_ups"),
    path("beneficiaires/<int:pk>/", views.beneficiary_file, name="file"),
    path("beneficiaires/<int:pk>/modifier/", views.beneficiary_update, name="update"),
    path("beneficiaires/<int:pk>/acces/", views.file_accesses, name="accesses"),
    path("beneficiaires/<int:pk>/entretiens/", views.interview_add, name="interview_add"),
    path("beneficiaires/<int:pk>/freins/", views.obstacle_add, name="obstacle_add"),
    path("freins/<int:pk>/etat/", views.obstacle_progress, name="obstacle_progress"),
    path("beneficiaires/<int:pk>/prescriptions/", views.prescription_add, name="prescription_add"),
    path("prescriptions/<int:pk>/envoyer/", views.prescription_send, name="prescription_send"),
    path("prescriptions/<int:pk>/annuler/", views.prescription_cancel, name="prescription_cancel"),
    path(
        "prescriptions/<int:pk>/refus-pris-en-compte/",
        views.prescription_refusal_seen,
        name="prescription_refusal_seen",
    ),
    path(
        "beneficiaires/<int:pk>/demande-de-reorientation/",
        views.reorientation_request_add,
        name="reorientation_request_add",
    ),
    path("reorientations/", views.reorientation_list, name="reorientation_list"),
    path(
        "reorientations/<int:pk>/accepter/", views.reorientation_accept, name="reorientation_accept"
    ),
    path(
        "reorientations/<int:pk>/refuser/", views.reorientation_refuse, name="reorientation_refuse"
    ),
    path("beneficiaires/<int:pk>/sortie/", views.exit_add, name="exit_add"),
    path(
        "beneficiaires/<int:pk>/sortie/suivi-<str:milestone>-mois/",
        views.exit_follow_up_record,
        name="exit_follow_up_record",
    ),
    path("beneficiaires/<int:pk>/orientation/", views.orientation_add, name="orientation_add"),
    path("beneficiaires/<int:pk>/referent/", views.referent_assign, name="referent_assign"),
    path("beneficiaires/<int:pk>/contrat/", views.contract_edit, name="contract_create"),
    path(
        "beneficiaires/<int:pk>/contrat/revision/",
        views.contract_edit,
        {"revise": True},
        name="contract_revise",
    ),
    path("structure/", views.caseload, name="caseload"),
    path("structure/depart/", views.referent_departure, name="referent_departure"),
    path("structure/reaffectation/", views.reassign_select, name="reassign"),
    path("structure/reaffectation/confirmation/", views.reassign_confirm, name="reassign_confirm"),
    path("journal/", views.journal, name="journal"),
    path("journal/tentatives-refusees/", views.refused_accesses, name="refused_accesses"),
    path("operateur/prescriptions/", views.operator_inbox, name="operator_inbox"),
    path(
        "operateur/prescriptions/<int:pk>/",
        views.operator_prescription,
        name="operator_prescription",
    ),
    path(
        "operateur/prescriptions/<int:pk>/accepter/", views.operator_accept, name="operator_accept"
    ),
    path(
        "operateur/prescriptions/<int:pk>/refuser/", views.operator_refuse, name="operator_refuse"
    ),
    path("operateur/prescriptions/<int:pk>/entree/", views.operator_start, name="operator_start"),
    path(
        "operateur/prescriptions/<int:pk>/presences/",
        views.operator_attendance,
        name="operator_attendance",
    ),
    path("operateur/prescriptions/<int:pk>/heures/", views.operator_hours, name="operator_hours"),
    path("operateur/actions/<int:pk>/heures/", views.operator_week, name="operator_week"),
    path("operateur/prescriptions/<int:pk>/sortie/", views.operator_end, name="operator_end"),
]
