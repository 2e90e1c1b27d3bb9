"""`Idempotency-Key` on POST: the first answer is stored and replayed; the key with another body is refused.

The key is reserved (a row) before the handler runs, in its own transaction, so of two concurrent
requests with one key exactly one runs; the other answers 409 until the first has finished, then gets its
answer replayed. Only successful (2xx) answers are kept: after an error the key is released, so that a
client may correct the request and send it again with the same key. Keys are per workspace and kept for
24 hours (api.models.idempotency.RETENTION).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from crm.untrusted import is_storable_text

from .models import IdempotentRequest
from .models.idempotency import RETENTION
from .problems import problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """For a view's POST handler; authentication and throttling have run before it."""

    @wraps(handler)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not is_storable_text(key) or not key.isprintable():
            return problem(
                400,
                kind="idempotency_key_invalid",
                detail=_("Idempotency-Key must be 1 to %(limit)d printable characters.") % {"limit": MAX_KEY_LENGTH},
            )
        workspace = request.auth.workspace
        print_ = fingerprint(request)
        record = _reserve(workspace=workspace, key=key, fingerprint=print_)
        if not isinstance(record, IdempotentRequest):
            return record
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300:
            IdempotentRequest.objects.filter(pk=record.pk).update(
                status_code=response.status_code, response=response.data
            )
        else:
            record.delete()
        return response

    return wrapper


def _reserve(*, workspace, key: str, fingerprint: str) -> IdempotentRequest | Response:
    """The new reservation of `key`, or the answer to give instead (a replay, a conflict)."""
    IdempotentRequest.objects.filter(workspace=workspace, key=key, created_at__lt=timezone.now() - RETENTION).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(workspace=workspace, key=key, fingerprint=fingerprint)
    except IntegrityError:
        pass
    existing = IdempotentRequest.objects.filter(workspace=workspace, key=key).first()
    if existing is not None and existing.fingerprint != fingerprint:
        return problem(
            422,
            kind="idempotency_key_reused",
            detail=_("This Idempotency-Key was used with another request; use a new key for a new request."),
        )
    if existing is None or not existing.is_complete:
        return problem(
            409,
            kind="idempotency_key_in_use",
            detail=_("A request with this Idempotency-Key is still being answered; retry in a moment."),
        )
    return Response(existing.response, status=existing.status_code, headers={REPLAYED_HEADER: "true"})
