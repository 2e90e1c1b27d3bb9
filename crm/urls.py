from django.urls import path

from .views import counterparties, counterparty_actions, requester, teams, verify, workspaces
from .views import exports as export_views

app_name = "crm"

urlpatterns = [
    path("crm/", counterparties.CounterpartyListView.as_view(), name="counterparty_list"),
    path("crm/export.csv", counterparties.counterparty_export, {"file_format": "csv"}, name="counterparty_export_csv"),
    path(
        "crm/export.xlsx", counterparties.counterparty_export, {"file_format": "xlsx"}, name="counterparty_export_xlsx"
    ),
    path("crm/exports/<int:pk>/", export_views.export_detail, name="export_detail"),
    path("crm/exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("verify/", verify.verify, name="verify"),
    path("crm/counterparty/<int:pk>/", counterparties.CounterpartyDetailView.as_view(), name="counterparty_detail"),
    path("crm/counterparty/<int:pk>/edit/", counterparty_actions.counterparty_edit, name="counterparty_edit"),
    path("crm/counterparty/<int:pk>/archive/", counterparty_actions.counterparty_archive, name="counterparty_archive"),
    path(
        "crm/counterparty/<int:pk>/restore/",
        counterparty_actions.counterparty_archive,
        {"archive": False},
        name="counterparty_restore",
    ),
    path(
        "crm/counterparty/<int:pk>/delete/", counterparty_actions.counterparty_delete_view, name="counterparty_delete"
    ),
    path("crm/bulk/", counterparty_actions.counterparty_bulk, name="counterparty_bulk"),
    path("workspace/", workspaces.workspace_settings, name="workspace_settings"),
    path("workspace/requester/", requester.requester_setup, name="requester_setup"),
    path("workspace/new/", teams.workspace_create, name="workspace_create"),
    path("workspace/leave/", teams.workspace_leave, name="workspace_leave"),
    path("workspace/members/<int:pk>/role/", teams.membership_role, name="membership_role"),
    path("workspace/members/<int:pk>/remove/", teams.membership_remove_view, name="membership_remove"),
    path("workspace/invitations/<int:pk>/resend/", teams.invitation_resend_view, name="invitation_resend"),
    path("workspace/invitations/<int:pk>/revoke/", teams.invitation_revoke_view, name="invitation_revoke"),
    path("workspace/<int:pk>/switch/", workspaces.workspace_switch, name="workspace_switch"),
    path("invitations/<slug:token>/", workspaces.invitation_accept_view, name="invitation_accept"),
]
