"""Errors as `application/problem+json` (RFC 9457): type, title, status, detail, and per-field errors.

Every error the API's views answer goes through `problem_exception_handler` (DRF's EXCEPTION_HANDLER): DRF's
own (validation, authentication, permission, throttling, parse errors, 404s) keep their status and headers
(`WWW-Authenticate`, `Retry-After`) and get the problem shape. What Django answers under /api/ without a DRF
view (an unknown path, a crash, a refused host or URL) is reshaped by api/middleware.py. `type` is a URN
naming the kind of problem (`urn:vatcrm:problem:validation`, the list is in docs/api.md), so a client can
branch on it without parsing English.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:vatcrm:problem:"

TITLES = {
    400: _("The request is not valid"),
    401: _("Authentication required"),
    403: _("Not allowed"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    415: _("Unsupported media type"),
    422: _("Unprocessable request"),
    429: _("Too many requests"),
    500: _("Server error"),
}


def problem_body(status_code: int, *, kind: str, detail: str, errors: Any = None, **extra: Any) -> dict[str, Any]:
    """The problem document: what a DRF view answers, and what api/middleware.py answers for the rest."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": detail,
        **extra,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem(status_code: int, *, kind: str, detail: str, errors: Any = None, **extra: Any) -> Response:
    """A problem response built by a view (not from an exception)."""
    body = problem_body(status_code, kind=kind, detail=detail, errors=errors, **extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django answers 500 and logs it
    kind, detail, errors = _describe(exc, response)
    body = problem(response.status_code, kind=kind, detail=detail, errors=errors)
    for header, value in response.items():
        if header.lower() not in {"content-type", "content-length"}:
            body[header] = value
    return body


def _describe(exc: Exception, response: Response) -> tuple[str, str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return "validation", str(_("Some fields are not valid: see errors.")), errors
    detail = exc.detail if isinstance(exc, exceptions.APIException) else None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.Throttled):
        code = "rate_limited"
    elif response.status_code == status.HTTP_404_NOT_FOUND:
        code = "not_found"
    text = str(detail) if detail is not None and not isinstance(detail, dict | list) else str(response.status_text)
    return str(code), text, None
