"""The verification app: VAT number formats, registry clients and verdicts. It owns no models."""

from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _

# Settings the process-wide registry limiter is built from (see verification/ratelimit.py).
_LIMITER_SETTINGS = frozenset(
    {
        "REDIS_URL",
        "REGISTRY_MAX_IN_FLIGHT_PER_STATE",
        "REGISTRY_MIN_IN_FLIGHT",
        "REGISTRY_MAX_IN_FLIGHT",
        "VIES_CONNECT_TIMEOUT",
        "VIES_READ_TIMEOUT",
    }
)


def _rebuild_limiter(*, setting: str, **kwargs: Any) -> None:
    """override_settings in tests: the next registry call builds its limiter from the new values."""
    if setting in _LIMITER_SETTINGS:
        from verification import ratelimit

        ratelimit.reset_limiter()


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = _("Verification")

    def ready(self) -> None:
        setting_changed.connect(_rebuild_limiter, dispatch_uid="verification.rebuild_limiter")
