"""Workspaces are the tenants: every row of the CRM belongs to exactly one of them."""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from .counterparties import Company

INVITATION_VALIDITY = timedelta(days=14)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")
    # Reads and exports, changes nothing.
    VIEWER = "viewer", _("Viewer")


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> WorkspaceQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Workspace(models.Model):
    name = models.CharField(max_length=120, verbose_name=_("name"))
    slug = models.SlugField(max_length=60, unique=True, verbose_name=_("slug"))
    monitor_new_counterparties = models.BooleanField(
        default=False,
        help_text=_("Turn on daily monitoring for every counterparty added from now on."),
        verbose_name=_("monitor new counterparties"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    # Kept by the API app when its webhook endpoints change (api/receivers.py), so that a stored check costs
    # no query to learn that nobody is listening: the nightly re-check's statement budget is eight.
    has_webhooks = models.BooleanField(
        default=False, db_default=False, editable=False, verbose_name=_("has enabled webhooks")
    )

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
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

    @property
    def default_monitoring(self) -> str:
        """The monitoring a counterparty gets when it joins the workspace: its "monitor new" setting."""
        from .counterparties import MonitoringFrequency  # that module imports this one

        return MonitoringFrequency.DAILY if self.monitor_new_counterparties else MonitoringFrequency.OFF

    def is_owner(self, user: AbstractBaseUser) -> bool:
        return self.memberships.filter(user=user, role=Role.OWNER).exists()

    def default_company(self) -> Company | None:
        return self.companies.order_by("-is_default", "id").first()


class Membership(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("workspace")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER, verbose_name=_("role"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user_per_workspace")
        ]

    def __str__(self) -> str:
        return _("%(user)s in %(workspace)s (%(role)s)") % {
            "user": self.user,
            "workspace": self.workspace,
            "role": self.get_role_display(),
        }


class Addressee(enum.Enum):
    """Who a signed-in user is to an invitation."""

    VERIFIED = "verified"  # the invited address is theirs and verified: they may join
    UNVERIFIED = "unverified"  # theirs, not verified yet: they are asked to verify it first
    SOMEONE_ELSE = "someone_else"  # not theirs: they learn nothing about the invitation


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        """Not accepted yet and younger than INVITATION_VALIDITY (the same rule as `Invitation.is_pending`)."""
        return self.filter(accepted_at=None, created_at__gt=timezone.now() - INVITATION_VALIDITY)


def _new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An owner's invitation to a colleague's email; the secret token in the link is the only key."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("workspace")
    )
    email = models.EmailField(verbose_name=_("email"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    token = models.CharField(
        max_length=64, unique=True, default=_new_invitation_token, editable=False, verbose_name=_("token")
    )
    # The role the invited person joins with (an existing membership keeps its own).
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER, verbose_name=_("role"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return _("Invitation of %(email)s to %(workspace)s") % {"email": self.email, "workspace": self.workspace}

    def addressee(self, user: AbstractBaseUser) -> Addressee:
        """Whether the invited address is one of `user`'s, and whether allauth has it as verified.

        Only a verified address counts, whatever ACCOUNT_EMAIL_VERIFICATION says: under `optional` an account
        may name any address it likes, and a forwarded link must not let its holder in.
        """
        from allauth.account.models import EmailAddress

        address = EmailAddress.objects.filter(user=user, email__iexact=self.email).order_by("-verified").first()
        if address is not None:
            return Addressee.VERIFIED if address.verified else Addressee.UNVERIFIED
        # An account made outside signup (createsuperuser, the admin) has no EmailAddress row until allauth
        # adds one, unverified, when it is asked to send the verification email.
        if (user.email or "").lower() == self.email.lower():
            return Addressee.UNVERIFIED
        return Addressee.SOMEONE_ELSE

    def is_for(self, user: AbstractBaseUser) -> bool:
        """Whether `user` may accept: the invited address is theirs and verified."""
        return self.addressee(user) is Addressee.VERIFIED

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and timezone.now() < self.created_at + INVITATION_VALIDITY
