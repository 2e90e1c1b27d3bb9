"""Workspaces are the tenants: every row of the CRM belongs to exactly one of them."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from .counterparties import Company

INVITATION_VALIDITY = timedelta(days=14)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MEMBER = "member", "Member"


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> WorkspaceQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    monitor_new_counterparties = models.BooleanField(
        default=False,
        help_text="Turn on daily monitoring for every counterparty added from now on.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def unique_slug_for(cls, name: str) -> str:
        base = slugify(name)[:48] or "workspace"
        slug = base
        while cls.objects.filter(slug=slug).exists():
            slug = f"{base}-{secrets.token_hex(3)}"
        return slug

    def owners(self) -> models.QuerySet:
        from django.contrib.auth import get_user_model

        # One filter() call: both conditions on the same membership, not "a member here, an owner anywhere".
        return get_user_model().objects.filter(memberships__workspace=self, memberships__role=Role.OWNER)

    @property
    def members(self) -> models.QuerySet:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(memberships__workspace=self)

    def is_owner(self, user: AbstractBaseUser) -> bool:
        return self.memberships.filter(user=user, role=Role.OWNER).exists()

    def default_company(self) -> Company | None:
        return self.companies.order_by("-is_default", "id").first()


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user_per_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


def _new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An owner's invitation to a colleague's email; the secret token in the link is the only key."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=_new_invitation_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.workspace}"

    def is_for(self, user: AbstractBaseUser) -> bool:
        """Whether `user` has the invited address (their login email, or another verified one)."""
        if (user.email or "").lower() == self.email:
            return True
        return user.emailaddress_set.filter(email__iexact=self.email, verified=True).exists()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and timezone.now() < self.created_at + INVITATION_VALIDITY
