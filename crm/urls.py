from django.urls import path

from .views import counterparties, verify, workspaces

app_name = "crm"

urlpatterns = [
    path("crm/", counterparties.CounterpartyListView.as_view(), name="counterparty_list"),
    path("crm/export.csv", counterparties.counterparty_export, {"file_format": "csv"}, name="counterparty_export_csv"),
    path(
        "crm/export.xlsx", counterparties.counterparty_export, {"file_format": "xlsx"}, name="counterparty_export_xlsx"
    ),
    path("verify/", verify.verify, name="verify"),
    path("crm/counterparty/<int:pk>/", counterparties.CounterpartyDetailView.as_view(), name="counterparty_detail"),
    path("workspace/", workspaces.workspace_settings, name="workspace_settings"),
    path("workspace/<int:pk>/switch/", workspaces.workspace_switch, name="workspace_switch"),
    path("invitations/<slug:token>/", workspaces.invitation_accept_view, name="invitation_accept"),
]
