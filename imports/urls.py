from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("template.csv", views.template, {"file_format": "csv"}, name="template_csv"),
    path("template.xlsx", views.template, {"file_format": "xlsx"}, name="template_xlsx"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/columns/", views.mapping, name="mapping"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/discard/", views.discard, name="discard"),
    path("<int:pk>/progress.json", views.progress, name="progress"),
    path("<int:pk>/report.csv", views.report, {"file_format": "csv"}, name="report_csv"),
    path("<int:pk>/report.xlsx", views.report, {"file_format": "xlsx"}, name="report_xlsx"),
]
