"""The OpenAPI description and its documentation page (Swagger UI from drf-spectacular-sidecar, no CDN).

drf-spectacular's own page templates carry an inline <style> and <script>, which the Content-Security-
Policy refuses: ours loads the same sidecar assets plus a static init script that reads the schema's URL
from a data attribute.
"""

from __future__ import annotations

from django.views.generic import TemplateView


class ApiDocsView(TemplateView):
    template_name = "api/docs.html"
