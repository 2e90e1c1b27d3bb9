"""Accounts: email login through allauth, a workspace per new user, invitations, the admin behind allauth."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from crm.models import Invitation, Membership, Role
from tests.factories import PASSWORD, CounterpartyFactory, UserFactory

PASSPHRASE = "a long unusual passphrase"
SIGNUP = {"email": "new.person@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE}


def test_signup_gives_the_user_a_workspace_of_their_own(client, db, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.person@example.com")
    assert membership.role == Role.OWNER
    assert client.get(reverse("crm:counterparty_list")).context["current_workspace"] == membership.workspace


def test_email_verification_is_mandatory_by_default(client, db):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert "confirm-email" in response["Location"] or "verification" in response["Location"]
    assert len(mail.outbox) == 1  # the confirmation email
    # Not signed in until the address is confirmed.
    assert client.get(reverse("crm:counterparty_list")).status_code == 302


def test_login_with_email_and_logout(client, db):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("crm:counterparty_list")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("crm:counterparty_list")).status_code == 302


def test_failed_logins_are_rate_limited(client, db):
    user = UserFactory()
    for _ in range(6):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert b"Too many failed login attempts" in response.content
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 200 and b"Too many failed login attempts" in response.content


def test_admin_login_goes_through_allauth(client, db):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert b'name="login"' in response.content


def test_signed_in_non_staff_cannot_use_the_admin(owner):
    assert owner.client.get(reverse("admin:login")).status_code == 403


def test_members_cannot_invite_or_change_settings(teammate):
    response = teammate.client.post(reverse("crm:workspace_settings"), {"invite": "1", "email": "x@example.com"})
    assert response.status_code == 403  # a member sees the page: a refusal hides nothing (crm.permissions)
    assert not Invitation.objects.exists()


def test_owner_turns_on_monitoring_of_new_counterparties(owner):
    owner.client.post(
        reverse("crm:workspace_settings"), {"save": "1", "name": "Acme", "monitor_new_counterparties": "on"}
    )
    owner.workspace.refresh_from_db()
    assert owner.workspace.monitor_new_counterparties is True


@pytest.mark.parametrize("count", [2])
def test_user_with_several_workspaces_switches(owner, outsider, count):
    Membership.objects.create(workspace=outsider.workspace, user=owner.user, role=Role.MEMBER)
    owner.client.post(reverse("crm:workspace_switch", args=[outsider.workspace.pk]))
    assert owner.client.get(reverse("crm:counterparty_list")).context["current_workspace"] == outsider.workspace


def test_password_reset_by_email(client, db):
    user = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("//", 1)[1].split("/", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    new = "another long unusual passphrase"
    response = client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_change(owner):
    new = "another long unusual passphrase"
    response = owner.client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password(new)


def test_a_link_naming_one_of_my_workspaces_opens_it(owner, outsider):
    """Email links carry ?workspace=: a member of two workspaces lands in the one the link is about."""
    Membership.objects.create(workspace=outsider.workspace, user=owner.user, role=Role.MEMBER)
    theirs = CounterpartyFactory(workspace=outsider.workspace)
    url = reverse("crm:counterparty_detail", args=[theirs.pk])
    assert owner.client.get(url).status_code == 404  # the session is on the owner's own workspace
    assert owner.client.get(url, {"workspace": outsider.workspace.pk}).status_code == 200
    assert owner.client.get(url).status_code == 200  # and it stays there


def test_another_site_embedding_the_link_as_an_image_switches_nothing(owner, outsider):
    Membership.objects.create(workspace=outsider.workspace, user=owner.user, role=Role.MEMBER)
    owner.client.get(
        reverse("crm:counterparty_list"),
        {"workspace": outsider.workspace.pk},
        headers={"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Sec-Fetch-Site": "cross-site"},
    )
    assert owner.client.get(reverse("crm:counterparty_list")).context["current_workspace"] == owner.workspace


def test_a_link_naming_a_foreign_workspace_changes_nothing(owner, outsider):
    theirs = CounterpartyFactory(workspace=outsider.workspace)
    url = reverse("crm:counterparty_detail", args=[theirs.pk])
    assert owner.client.get(url, {"workspace": outsider.workspace.pk}).status_code == 404
    assert owner.client.get(reverse("crm:counterparty_list")).context["current_workspace"] == owner.workspace
