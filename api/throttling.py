"""Per-key rate limits (DRF's throttling, counted in the cache: Redis in production), 429 with Retry-After.

Two budgets: every request of a key (API_RATE_LIMIT), and verifications, which each ask a registry
(API_VERIFY_RATE_LIMIT), so one script cannot spend the workspace's registry quota on its own.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class KeyRateThrottle(SimpleRateThrottle):
    scope = "key"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # no key: authentication answers 401 first
        return f"api:throttle:{self.scope}:{request.auth.pk}"


class VerifyRateThrottle(KeyRateThrottle):
    scope = "verify"

    def get_rate(self) -> str:
        return settings.API_VERIFY_RATE_LIMIT

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
