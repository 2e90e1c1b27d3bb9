"""Idempotency keys: a POST sent again with the same `Idempotency-Key` gets the first answer again.

One row per (workspace, key), made before the view runs (the unique constraint decides between two
concurrent requests) and completed with the response once the view has answered. The request is
remembered by a fingerprint of its method, path and parsed body, so the same key with another request is
refused instead of silently answered with an unrelated response (api/idempotency.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Workspace

# How long a response is kept for replay: a client retrying after an outage retries within hours.
RETENTION = timedelta(hours=24)


class IdempotentRequest(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    key = models.CharField(max_length=255, verbose_name=_("idempotency key"))
    fingerprint = models.CharField(max_length=64, verbose_name=_("request fingerprint"))
    # Null while the first request is still being answered.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status code"))
    response = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder, verbose_name=_("response"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="idempotent_request_unique_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"

    @property
    def is_complete(self) -> bool:
        return self.status_code is not None
