"""The OpenAPI description and its documentation page (Swagger UI from drf-spectacular-sidecar, no CDN).

drf-spectacular's own page templates carry an inline <style> and <script>, which the Content-Security-
Policy refuses: ours loads the same sidecar assets plus a static init script that reads the schema's URL
from a data attribute. Swagger UI draws its icons (copy, expand, lock) as `data:` SVG images, so this page's
policy is the site's with `img-src 'self' data:`; scripts and styles stay as strict as everywhere else.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override, csp_report_only_override
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView


def with_data_images(policy: dict[str, Any]) -> dict[str, Any]:
    """The site's policy, plus images from `data:` URLs (an image cannot run code)."""
    return {**policy, "img-src": [CSP.SELF, "data:"]}


# The page only reads: any other method is a 405 problem (api/middleware.py), not the CSRF failure page.
@method_decorator(csrf_exempt, name="dispatch")
class ApiDocsView(TemplateView):
    template_name = "api/docs.html"
    http_method_names = ["get", "head", "options"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handler = super().dispatch
        # Read at each request, as the middleware reads them: enforced, or report-only (CSP_REPORT_ONLY).
        if settings.SECURE_CSP:
            handler = csp_override(with_data_images(settings.SECURE_CSP))(handler)
        if settings.SECURE_CSP_REPORT_ONLY:
            handler = csp_report_only_override(with_data_images(settings.SECURE_CSP_REPORT_ONLY))(handler)
        return handler(request, *args, **kwargs)
