"""A person's own settings, whichever workspace they are in: for now, the language they read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def language_choices() -> list[tuple[str, str]]:
    # A callable, so that adding a language to settings.LANGUAGES needs no migration.
    return list(settings.LANGUAGES)


class UserPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    # The pages, the emails and the digests of this person are in this language. Recorded at the first
    # sign-in from what the browser asked for, changed by the language switch.
    language = models.CharField(_("language"), max_length=15, choices=language_choices)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
