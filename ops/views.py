"""Health and metrics endpoints: for load balancers, container healthchecks and Prometheus, not people."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import health
from .access import metrics_allowed, metrics_enabled
from .metrics import metrics_registry


@never_cache
@require_safe
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers. Nothing else: a database outage must not get every web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request: HttpRequest) -> JsonResponse:
    """Each check's status; 503 when the database or the broker fails (ops/health.py says why only those)."""
    report = health.readiness()
    return JsonResponse(report.as_dict(), status=503 if report.status == health.Overall.UNAVAILABLE else 200)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a token or an allowed network; 404 while neither is configured."""
    if not metrics_enabled():
        raise Http404
    if not metrics_allowed(request):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
