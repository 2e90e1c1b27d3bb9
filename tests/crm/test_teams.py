"""Teams: invitations with a role, resent and withdrawn; roles changed; members removed; leaving; a second
workspace; and the rule that a workspace always keeps an owner, raced on purpose."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm.middleware import SESSION_KEY
from crm.models import Invitation, Membership, Role, Workspace
from crm.services import teams
from crm.services.teams import LastOwner, membership_set_role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

SETTINGS = reverse("crm:workspace_settings")


def _membership(actor) -> Membership:
    return Membership.objects.get(workspace=actor.workspace, user=actor.user)


def test_an_invitation_carries_its_role_into_the_membership(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner.client.post(SETTINGS, {"invite": "1", "email": "reader@example.com", "role": Role.VIEWER})
    invitation = Invitation.objects.get()
    assert invitation.role == Role.VIEWER and len(mail.outbox) == 1
    reader = UserFactory(email="reader@example.com")
    reader_client = owner.client.__class__()
    reader_client.force_login(reader)
    reader_client.post(reverse("crm:invitation_accept", args=[invitation.token]))
    assert Membership.objects.get(user=reader, workspace=owner.workspace).role == Role.VIEWER


def test_resending_renews_the_invitation_and_keeps_its_link(owner, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(workspace=owner.workspace, role=Role.VIEWER)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=20))
    assert not Invitation.objects.get().is_pending
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.client.post(reverse("crm:invitation_resend", args=[invitation.pk]))
    assert response.status_code == 302
    renewed = Invitation.objects.get()
    assert renewed.is_pending and renewed.token == invitation.token and renewed.role == Role.VIEWER
    assert invitation.token in mail.outbox[-1].body


def test_a_withdrawn_invitation_lets_nobody_in(owner):
    invitation = InvitationFactory(workspace=owner.workspace)
    owner.client.post(reverse("crm:invitation_revoke", args=[invitation.pk]))
    assert not Invitation.objects.exists()
    invited = UserFactory(email=invitation.email)
    invited_client = owner.client.__class__()
    invited_client.force_login(invited)
    assert invited_client.get(reverse("crm:invitation_accept", args=[invitation.token])).status_code == 404


def test_an_accepted_invitation_can_be_neither_resent_nor_withdrawn(owner, teammate):
    invitation = InvitationFactory(workspace=owner.workspace, accepted_at=timezone.now(), accepted_by=teammate.user)
    for name in ("crm:invitation_resend", "crm:invitation_revoke"):
        assert owner.client.post(reverse(name, args=[invitation.pk])).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_an_owner_changes_a_role_and_removes_a_member(owner, teammate):
    membership = _membership(teammate)
    owner.client.post(reverse("crm:membership_role", args=[membership.pk]), {"role": Role.VIEWER})
    assert _membership(teammate).role == Role.VIEWER
    owner.client.post(reverse("crm:membership_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert teammate.client.get(reverse("crm:counterparty_list")).status_code == 200  # a workspace of their own now
    assert not Workspace.objects.for_user(teammate.user).filter(pk=owner.workspace.pk).exists()


def test_a_member_manages_nobody(owner, teammate):
    theirs = _membership(owner)
    assert teammate.client.post(reverse("crm:membership_role", args=[theirs.pk]), {"role": "viewer"}).status_code == 403
    assert teammate.client.post(reverse("crm:membership_remove", args=[theirs.pk])).status_code == 403
    assert _membership(owner).role == Role.OWNER


@pytest.mark.parametrize("action", ["demote", "remove", "leave"])
def test_the_last_owner_stays(owner, teammate, action):
    membership = _membership(owner)
    if action == "demote":
        response = owner.client.post(reverse("crm:membership_role", args=[membership.pk]), {"role": Role.MEMBER})
    elif action == "remove":
        with pytest.raises(LastOwner):
            teams.membership_remove(workspace=owner.workspace, membership=membership, actor=owner.user)
        response = owner.client.post(reverse("crm:membership_remove", args=[membership.pk]))
    else:
        response = owner.client.post(reverse("crm:workspace_leave"))
    assert response.status_code == 302
    assert _membership(owner).role == Role.OWNER
    page = owner.client.get(SETTINGS).content.decode()
    assert "A workspace needs an owner" in page


def test_with_a_second_owner_the_first_may_step_down_and_leave(owner, teammate):
    owner.client.post(reverse("crm:membership_role", args=[_membership(teammate).pk]), {"role": Role.OWNER})
    owner.client.post(reverse("crm:membership_role", args=[_membership(owner).pk]), {"role": Role.VIEWER})
    assert _membership(owner).role == Role.VIEWER
    owner.client.post(reverse("crm:workspace_leave"))
    assert not Membership.objects.filter(workspace=owner.workspace, user=owner.user).exists()
    assert list(owner.workspace.owners()) == [teammate.user]


def test_a_viewer_leaves(viewer):
    assert viewer.client.post(reverse("crm:workspace_leave")).status_code == 302
    assert not Membership.objects.filter(workspace=viewer.workspace, user=viewer.user).exists()


def test_a_demoted_owner_is_refused_under_the_lock(owner, teammate):
    """The actor's role is read again after the lock: an owner demoted while waiting changes nothing."""
    Membership.objects.filter(pk=_membership(owner).pk).update(role=Role.MEMBER)
    Membership.objects.filter(pk=_membership(teammate).pk).update(role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        membership_set_role(
            workspace=owner.workspace, membership=_membership(teammate), role=Role.VIEWER, actor=owner.user
        )


def test_a_second_workspace_is_created_and_switched_to(owner):
    response = owner.client.post(reverse("crm:workspace_create"), {"name": "Subsidiary GmbH"})
    second = Workspace.objects.get(name="Subsidiary GmbH")
    assert response["Location"] == reverse("crm:requester_setup")  # its first step: its own company
    assert owner.client.session[SESSION_KEY] == second.pk
    assert Membership.objects.get(workspace=second, user=owner.user).role == Role.OWNER
    page = owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert reverse("crm:workspace_switch", args=[owner.workspace.pk]) in page  # the switcher offers both
    owner.client.post(reverse("crm:workspace_switch", args=[owner.workspace.pk]))
    assert owner.client.session[SESSION_KEY] == owner.workspace.pk


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(require_postgres):
    """Two requests at the same moment, each an owner demoting the other: one wins, one owner remains.

    The first counts the owners (two), then the test starts the second and waits a moment for it to count
    too, before the first demotes. Under the workspace's lock the second waits for the first to commit and
    then finds itself demoted; without the lock both would count two owners and both demote, leaving no
    owner, and this test fails.
    """
    workspace = Workspace.objects.create(name="Twin owners", slug="twin-owners")
    first, second = (MembershipFactory(workspace=workspace, role=Role.OWNER) for _ in range(2))
    inside = threading.Event()
    count_owners = teams._owner_count
    outcomes: dict[str, object] = {}

    def counting(ws):
        owners = count_owners(ws)
        if not inside.is_set():
            inside.set()  # the first has counted, under the lock: start the rival and give it time to count too
            rival.start()
            rival.join(timeout=1.5)
        return owners

    def demote(name: str, actor: Membership, target: Membership) -> None:
        try:
            membership_set_role(workspace=workspace, membership=target, role=Role.MEMBER, actor=actor.user)
            outcomes[name] = "demoted"
        except (LastOwner, PermissionDenied) as refusal:
            outcomes[name] = type(refusal).__name__
        finally:
            connection.close()

    rival = threading.Thread(target=demote, args=("second", second, first))
    with mock.patch.object(teams, "_owner_count", counting):
        demote("first", first, second)
        rival.join(timeout=10)
    assert sorted(outcomes.values()) == ["PermissionDenied", "demoted"]  # the loser is no owner any more
    assert Membership.objects.filter(workspace=workspace, role=Role.OWNER).count() == 1
