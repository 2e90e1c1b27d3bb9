"""Workspaces and the people in them: creation, invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.language import in_language_of

from ..models import Company, Invitation, Membership, Role, Workspace


@transaction.atomic
def workspace_create_for_user(*, user: AbstractBaseUser, name: str | None = None) -> Workspace:
    """Create a workspace owned by `user`; its name defaults to the part of the email before the @."""
    label = name or f"{(user.email or user.get_username()).split('@')[0]}'s workspace"
    workspace = Workspace(name=label[:120], slug=Workspace.unique_slug_for(label))
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


def invitation_create(
    *, workspace: Workspace, email: str, invited_by: AbstractBaseUser, role: str = Role.MEMBER
) -> Invitation:
    """Invite a colleague by email with a role; sending waits for the commit so no mail names a rolled-back row.

    Inviting an address that has a pending invitation sends that one again, with the new role and a fresh
    validity (the link stays the same, so an earlier email still works).
    """
    email = email.strip().lower()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().filter(workspace=workspace, email=email, accepted_at=None).first()
        )
        if invitation is None:
            invitation = Invitation(workspace=workspace, email=email, invited_by=invited_by, role=role)
            invitation.full_clean()
            invitation.save()
        else:
            invitation.created_at, invitation.role, invitation.invited_by = timezone.now(), role, invited_by
            invitation.save(update_fields=["created_at", "role", "invited_by"])
        from ..tasks import invitation_send

        # Sent by a task after the commit: a mail server that is down delays the email, not the page.
        transaction.on_commit(lambda: invitation_send.delay(invitation.pk))
    return invitation


def invitation_email_send(*, invitation: Invitation) -> None:
    """Email the invitation link to the invited address (raises on a mail server error, for retries)."""
    link = settings.PUBLIC_BASE_URL + reverse("crm:invitation_accept", args=[invitation.token])
    context = {"invitation": invitation, "link": link}
    # The invited person has no account, hence no language yet: the inviter's is the best guess.
    with in_language_of(invitation.invited_by):
        subject = _("[vatcrm] You are invited to %(workspace)s") % {"workspace": invitation.workspace.name}
        text, html = (render_to_string(f"emails/invitation.{kind}", context) for kind in ("txt", "html"))
    send_mail(subject=subject, message=text, from_email=None, recipient_list=[invitation.email], html_message=html)


class InvitationUnusable(Exception):
    """The invitation was used by someone else, or `user` has not verified the invited address."""


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Join the invitation's workspace with the invitation's role (an existing membership is kept as it is).

    Only the invited address, verified, may accept: a forwarded link does not let someone else in.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_for(user):
        raise InvitationUnusable("The invited address is not a verified address of this user.")
    if invitation.accepted_at is not None and invitation.accepted_by_id != user.pk:
        raise InvitationUnusable("This invitation has already been used.")
    try:
        with transaction.atomic():
            membership, _ = Membership.objects.get_or_create(
                workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
            )
    except IntegrityError:  # the same user accepting twice at once
        membership = Membership.objects.get(workspace=invitation.workspace, user=user)
    if invitation.accepted_at is None:
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def invitation_accept_pending_for(*, user: AbstractBaseUser, token: str | None) -> Membership | None:
    """Accept the pending invitation a link's token names, if the user has verified the invited address."""
    invitation = Invitation.objects.pending().filter(token=token).first() if token else None
    if invitation is None or not invitation.is_for(user):
        return None
    try:
        return invitation_accept(invitation=invitation, user=user)
    except InvitationUnusable:  # accepted by someone else in the meantime
        return None


@transaction.atomic
def company_set_requester(
    *, workspace: Workspace, vat_number: str, name: str, registry_status: str = "", registered_name: str = ""
) -> Company:
    """Make (vat_number, name) the workspace's requester company, creating it if it is new.

    `registry_status` and `registered_name` are what the registry said of the number as it was entered
    (crm.services.requester); empty when it was not asked.
    """
    company, _ = Company.objects.update_or_create(
        workspace=workspace,
        vat_number=vat_number,
        defaults={
            "name": name,
            "is_default": True,
            "registry_status": registry_status,
            "registered_name": registered_name[:300],
            "registry_checked_at": timezone.now() if registry_status else None,
            "requester_rejected_at": None,
        },
    )
    workspace.companies.exclude(pk=company.pk).update(is_default=False)
    return company
