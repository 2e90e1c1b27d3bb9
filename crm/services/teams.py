"""The people of a workspace: changing a role, removing a member, leaving, resending and revoking invitations.

A workspace always keeps an owner. Every change of a membership first locks the workspace's row, so the
changes of one workspace queue behind one another, then reads the roles again under that lock: two owners
demoting (or removing) each other at the same moment cannot both succeed, because the second one finds
that it is no longer an owner, or that the other is now the last one. Counting owners without the lock
would let both see two owners and leave none (`tests/crm/test_teams.py` runs that race).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..models import Invitation, Membership, Role, Workspace
from ..permissions import REFUSALS
from .workspaces import invitation_create


class LastOwner(Exception):
    """The change would leave the workspace without an owner."""

    def __init__(self) -> None:
        super().__init__(
            _("A workspace needs an owner: make someone else an owner first, then change this membership.")
        )


def _lock(workspace: Workspace) -> None:
    Workspace.objects.select_for_update().filter(pk=workspace.pk).values_list("pk").get()


def _owner_count(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


def _require_owner(workspace: Workspace, actor: AbstractBaseUser) -> None:
    """Read again under the lock: the actor may have been demoted while their request waited for it."""
    if not Membership.objects.filter(workspace=workspace, user=actor, role=Role.OWNER).exists():
        raise PermissionDenied(REFUSALS[Role.OWNER])


def _locked_membership(workspace: Workspace, membership: Membership) -> Membership:
    # Membership.DoesNotExist when it was removed meanwhile: the view answers 404, as for any missing row.
    return Membership.objects.select_related("user").get(workspace=workspace, pk=membership.pk)


@transaction.atomic
def membership_set_role(
    *, workspace: Workspace, membership: Membership, role: str, actor: AbstractBaseUser
) -> Membership:
    """An owner gives a member of the workspace another role; the last owner cannot be demoted."""
    role = Role(role)
    _lock(workspace)
    _require_owner(workspace, actor)
    membership = _locked_membership(workspace, membership)
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(workspace) == 1:
        raise LastOwner
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, workspace: Workspace, membership: Membership, actor: AbstractBaseUser) -> None:
    """Remove someone from the workspace: an owner removes anyone, anyone removes themselves (leaving).

    The last owner can do neither. What the person did stays: their checks and changes keep their name.
    """
    _lock(workspace)
    membership = _locked_membership(workspace, membership)
    if membership.user_id != actor.pk:
        _require_owner(workspace, actor)
    if membership.role == Role.OWNER and _owner_count(workspace) == 1:
        raise LastOwner
    membership.delete()


def membership_leave(*, workspace: Workspace, user: AbstractBaseUser) -> None:
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise PermissionDenied(_("You are not a member of this workspace."))
    membership_remove(workspace=workspace, membership=membership, actor=user)


def invitation_resend(*, invitation: Invitation, actor: AbstractBaseUser) -> Invitation:
    """Send a pending (or expired, not accepted) invitation again, valid for a full period from now."""
    return invitation_create(
        workspace=invitation.workspace, email=invitation.email, invited_by=actor, role=invitation.role
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> bool:
    """Withdraw an invitation not accepted yet: its link then works for nobody. False if it was accepted meanwhile."""
    deleted, _rows = Invitation.objects.filter(pk=invitation.pk, accepted_at=None).delete()
    return bool(deleted)
