from django.urls import path

from .views import alerts, audit, home, proofs

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/acknowledge/", alerts.alert_bulk_acknowledge, name="alert_bulk_acknowledge"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("checks/<int:pk>/proof/", proofs.check_proof, name="check_proof"),
    path("checks/<int:pk>/proof.pdf", proofs.check_proof_pdf, name="check_proof_pdf"),
    path("audit/", audit.audit, name="audit"),
    path("audit/checks.csv", audit.audit_export, {"file_format": "csv"}, name="audit_export_csv"),
    path("audit/checks.xlsx", audit.audit_export, {"file_format": "xlsx"}, name="audit_export_xlsx"),
]
