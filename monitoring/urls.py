from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("run-now/", views.run_now, name="run_now"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("counterparties/<int:pk>/", views.counterparty_monitoring, name="counterparty_monitoring"),
    path("counterparties/bulk/", views.bulk_monitoring, name="bulk_monitoring"),
]
