"""API keys: a workspace's credentials for scripts and ERPs, shown once and stored only as a hash.

A key reads `vcrm_<prefix>_<secret>`. The prefix (8 hex characters) is stored as it is: it finds the row
and lets an owner tell keys apart on the page. The secret is 43 characters of `secrets.token_urlsafe(32)`,
256 random bits, so a plain SHA-256 of the whole key is enough: a slow password hash defends guessable
secrets, and nobody guesses 256 bits. The key itself is never stored or logged (ops/redact.py masks it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Workspace

KEY_PREFIX = "vcrm_"
# last_used_at is written at most this often per key: a busy script costs one UPDATE a minute, not one
# per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the row, and the key itself, which exists only in this object and on the owner's screen."""

    api_key: ApiKey
    plaintext: str


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("workspace")
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=5, choices=KeyScope.choices, default=KeyScope.READ)
    prefix = models.CharField(max_length=8, unique=True, editable=False, verbose_name=_("prefix"))
    digest = models.CharField(max_length=64, editable=False, verbose_name=_("SHA-256 of the key"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({KEY_PREFIX}{self.prefix}_…)"

    @property
    def masked(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}_••••"

    @property
    def can_write(self) -> bool:
        return self.scope == KeyScope.WRITE

    @classmethod
    def issue(cls, *, workspace: Workspace, name: str, scope: str, created_by=None) -> IssuedKey:
        """Make a new key; the plaintext is returned once and never stored."""
        while True:
            prefix = secrets.token_hex(4)
            if not cls.objects.filter(prefix=prefix).exists():
                break
        plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        api_key = cls.objects.create(
            workspace=workspace, name=name, scope=scope, prefix=prefix, digest=_digest(plaintext), created_by=created_by
        )
        return IssuedKey(api_key=api_key, plaintext=plaintext)

    @classmethod
    def find(cls, plaintext: str) -> ApiKey | None:
        """The active key `plaintext` is, or None; the comparison takes the same time for any wrong secret."""
        if not plaintext.startswith(KEY_PREFIX):
            return None
        prefix, _, secret = plaintext[len(KEY_PREFIX) :].partition("_")
        if len(prefix) != 8 or not secret or not plaintext.isascii():
            return None
        key = cls.objects.active().select_related("workspace").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.digest, _digest(plaintext)):
            return None
        return key

    def touch(self) -> None:
        """Record a use, at most once per LAST_USED_RESOLUTION (a conditional UPDATE: two requests, one write)."""
        now = timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        stale = models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ApiKey.objects.filter(stale, pk=self.pk).update(last_used_at=now)
        self.last_used_at = now

    def revoke(self) -> None:
        ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.refresh_from_db(fields=["revoked_at"])
