"""Every error under /api/ is `application/problem+json`, whoever answered it.

The API's views answer problems themselves (api/problems.py), but some answers under /api/ never reach one:
a path no route matches (Django's 404 handler), a method a plain Django view refuses, a crash (the 500
handler), a host or URL refused before any view (the 400 handler, crm's StorableURLMiddleware). Those come
back as the HTML pages people see; a client that parses problems would choke on them. This middleware,
outside everything that can answer such an error, reshapes them, keeping their status and headers (`Allow`
for a 405). It runs on every response, so it costs one comparison of the path for the rest of the site.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware import common
from django.urls import is_valid_path
from django.utils.translation import gettext as _

from .problems import PROBLEM_CONTENT_TYPE, problem_body

API_PREFIX = "/api/"
KINDS = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
# A short plain-text reason (crm's "the address contains characters that cannot be stored") is kept.
MAX_KEPT_DETAIL = 300
SKIPPED_HEADERS = {"content-type", "content-length", "content-disposition"}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that a path of the API is never redirected to add its slash.

    A redirect of a POST loses its body (clients follow it as a GET, or not at all): the client gets a 404
    problem that names the path it meant instead.
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        return not is_api(request) and super().should_redirect_with_slash(request)


class ProblemResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request):
            return response
        if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        return self._reshaped(request, response)

    def _reshaped(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        kind = KINDS.get(status, "server_error" if status >= 500 else "error")
        body = json.dumps(problem_body(status, kind=kind, detail=_detail(request, response)), ensure_ascii=False)
        reshaped = HttpResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
        for header, value in response.items():
            if header.lower() not in SKIPPED_HEADERS:
                reshaped[header] = value
        reshaped.cookies = response.cookies
        return reshaped


def _detail(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 404:
        path = request.path_info
        if not path.endswith("/") and is_valid_path(f"{path}/", getattr(request, "urlconf", None)):
            return _("The API's paths end with a slash: %(path)s") % {"path": f"{request.path}/"}
        return _("There is no API endpoint at this path.")
    if status == 405:
        return _("This path does not accept the %(method)s method.") % {"method": request.method}
    if status >= 500:
        return _("Something went wrong on our side. It has been logged; please try again later.")
    text = _plain_text(response)
    if text:
        return text
    if status == 403:
        return _("You are not allowed to do this.")
    return _("The request could not be understood.")


def _plain_text(response: HttpResponse) -> str:
    """The body of a short text/plain answer, which says why in words of ours."""
    if response.streaming or not response.get("Content-Type", "").startswith("text/plain"):
        return ""
    text = response.content.decode(response.charset or "utf-8", errors="replace").strip()
    return text if 0 < len(text) <= MAX_KEPT_DETAIL else ""
