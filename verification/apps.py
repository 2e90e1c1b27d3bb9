"""The verification app: VAT number formats, registry clients and verdicts. It owns no models."""

from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Verification"
