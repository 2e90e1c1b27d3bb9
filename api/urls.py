"""/api/v1/: the REST API (docs/api.md)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from .views import alerts, batches, checks, counterparties, docs, verify

app_name = "api"

router = SimpleRouter()
router.register("counterparties", counterparties.CounterpartyViewSet, basename="counterparty")
router.register("checks", checks.CheckViewSet, basename="check")
router.register("alerts", alerts.AlertViewSet, basename="alert")
router.register("batches", batches.BatchViewSet, basename="batch")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.ApiDocsView.as_view(), name="docs"),
    path("verify/", verify.VerifyView.as_view(), name="verify"),
    *router.urls,
]
