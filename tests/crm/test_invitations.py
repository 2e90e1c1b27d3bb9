"""Invitations: only the invited address, verified, joins; nobody else learns anything from the link."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm.models import Invitation, Membership, Role, Workspace
from crm.services import invitation_accept
from crm.services.workspaces import InvitationUnusable
from tests.factories import CounterpartyFactory, UserFactory

PASSPHRASE = "a long unusual passphrase"
COLLEAGUE = "colleague@example.com"


def _path(link: str) -> str:
    return "/" + link.split("//", 1)[1].split("/", 1)[1]


def _link_in_last_email(pattern: str) -> str:
    return _path(re.search(rf"https?://\S+{pattern}\S+/", mail.outbox[-1].body).group(0))


def _invite(owner, email: str = COLLEAGUE) -> Invitation:
    return Invitation.objects.create(workspace=owner.workspace, email=email, invited_by=owner.user)


def _url(invitation: Invitation) -> str:
    return reverse("crm:invitation_accept", args=[invitation.token])


def _unverify(user, *, keep_row: bool = True) -> None:
    addresses = EmailAddress.objects.filter(user=user)
    addresses.update(verified=False) if keep_row else addresses.delete()


def _shows_nothing_of(response, invitation: Invitation) -> bool:
    content = response.content.decode()
    return invitation.workspace.name not in content and invitation.email not in content


def test_an_invited_colleague_signs_up_verifies_and_lands_in_the_workspace(
    owner, client, django_capture_on_commit_callbacks
):
    """The whole path with mandatory verification (production): email, link, sign-up, verification, CRM."""
    CounterpartyFactory(workspace=owner.workspace, name="Shared Supplier Oy")
    with django_capture_on_commit_callbacks(execute=True):
        owner.client.post(reverse("crm:workspace_settings"), {"invite": "1", "email": COLLEAGUE})
    url = _link_in_last_email("/invitations/")
    invitation = Invitation.objects.get()

    login_page = client.get(url, follow=True)
    assert login_page.redirect_chain[0][0].startswith(reverse("account_login"))
    assert _shows_nothing_of(login_page, invitation)

    signup = {"email": COLLEAGUE, "password1": PASSPHRASE, "password2": PASSPHRASE, "next": url}
    client.post(reverse("account_signup"), signup)
    user = EmailAddress.objects.get(email=COLLEAGUE).user
    assert not Workspace.objects.for_user(user).exists()  # no workspace of its own while it waits
    assert client.get(reverse("crm:counterparty_list")).status_code == 302  # not signed in before verifying

    confirm = client.post(_link_in_last_email("/accounts/confirm-email/"), follow=True)
    assert [ws.pk for ws in Workspace.objects.for_user(user)] == [owner.workspace.pk]
    assert Membership.objects.get(user=user).role == Role.MEMBER
    # Back through the invitation link (allauth keeps `next` across the verification), joined, in the CRM.
    assert [location for location, _ in confirm.redirect_chain] == [url, reverse("crm:counterparty_list")]
    assert b"Shared Supplier Oy" in confirm.content
    assert Invitation.objects.get().accepted_by == user


def test_with_optional_verification_a_new_account_joins_only_once_it_has_verified(owner, client, settings):
    """`make run`'s setting signs the new account in at once: it still may not join before verifying."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    invitation = _invite(owner)
    url = _url(invitation)
    client.get(url)
    signup = {"email": COLLEAGUE, "password1": PASSPHRASE, "password2": PASSPHRASE, "next": url}
    page = client.post(reverse("account_signup"), signup, follow=True)
    assert page.status_code == 403 and b"Verify your email address first" in page.content
    assert owner.workspace.name.encode() not in page.content  # its own address, nothing of the workspace
    user = EmailAddress.objects.get(email=COLLEAGUE).user
    assert not Membership.objects.filter(workspace=owner.workspace, user=user).exists()

    client.post(_link_in_last_email("/accounts/confirm-email/"))
    assert Membership.objects.filter(workspace=owner.workspace, user=user).exists()
    assert client.get(reverse("crm:counterparty_list")).context["current_workspace"] == owner.workspace


def test_signing_up_through_the_link_with_another_address_gives_a_workspace_of_ones_own(owner, client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    url = _url(_invite(owner))
    client.get(url)
    other = {"email": "other@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE}
    client.post(reverse("account_signup"), other)
    user = EmailAddress.objects.get(email="other@example.com").user
    assert Workspace.objects.for_user(user).get() != owner.workspace
    assert client.get(url).status_code == 404


def test_a_verified_invited_user_sees_the_workspace_and_joins(owner, outsider):
    invitation = _invite(owner, outsider.user.email)
    url = _url(invitation)
    page = outsider.client.get(url)
    assert page.status_code == 200 and owner.workspace.name.encode() in page.content
    response = outsider.client.post(url)
    assert response.status_code == 302
    assert Membership.objects.filter(workspace=owner.workspace, user=outsider.user, role=Role.MEMBER).exists()
    assert outsider.client.get(reverse("crm:counterparty_list")).context["current_workspace"] == owner.workspace
    # The link, opened again, leads to the joined workspace.
    assert outsider.client.get(url)["Location"] == reverse("crm:counterparty_list")


@pytest.mark.parametrize("verification", ["mandatory", "optional", "none"])
@pytest.mark.parametrize("keep_row", [True, False], ids=["unverified-address", "no-address-row"])
def test_an_unverified_invited_address_cannot_join_and_sees_nothing_of_the_workspace(
    owner, outsider, settings, verification, keep_row
):
    settings.ACCOUNT_EMAIL_VERIFICATION = verification
    _unverify(outsider.user, keep_row=keep_row)
    invitation = _invite(owner, outsider.user.email)
    for method in ("get", "post"):
        response = getattr(outsider.client, method)(_url(invitation))
        assert response.status_code == 403
        assert b"Verify your email address first" in response.content
        assert owner.workspace.name.encode() not in response.content
    assert not Membership.objects.filter(workspace=owner.workspace, user=outsider.user).exists()
    with pytest.raises(InvitationUnusable):
        invitation_accept(invitation=invitation, user=outsider.user)


def test_after_verifying_the_address_the_link_works(owner, outsider):
    _unverify(outsider.user)
    invitation = _invite(owner, outsider.user.email)
    page = outsider.client.get(_url(invitation))
    # The page's button is allauth's own "send the verification email again".
    assert f'action="{reverse("account_email")}"'.encode() in page.content and b'name="action_send"' in page.content
    outsider.client.post(reverse("account_email"), {"email": outsider.user.email, "action_send": ""})
    assert mail.outbox[-1].to == [outsider.user.email]
    outsider.client.post(_link_in_last_email("/accounts/confirm-email/"))

    assert owner.workspace.name.encode() in outsider.client.get(_url(invitation)).content
    outsider.client.post(_url(invitation))
    assert Membership.objects.filter(workspace=owner.workspace, user=outsider.user).exists()


def test_a_user_the_invitation_is_not_for_gets_the_answer_of_a_bogus_token(owner, outsider):
    invitation = _invite(owner)
    for method in ("get", "post"):
        theirs = getattr(outsider.client, method)(_url(invitation))
        bogus = getattr(outsider.client, method)(reverse("crm:invitation_accept", args=["x" * 43]))
        assert theirs.status_code == bogus.status_code == 404
        assert [t.name for t in theirs.templates] == [t.name for t in bogus.templates]
        assert _shows_nothing_of(theirs, invitation)
    assert not Membership.objects.filter(workspace=owner.workspace, user=outsider.user).exists()


def test_an_expired_or_used_invitation_is_told_only_to_its_addressee(owner, teammate, outsider):
    expired = _invite(owner, outsider.user.email)
    Invitation.objects.filter(pk=expired.pk).update(created_at=timezone.now() - timedelta(days=15))
    assert outsider.client.post(_url(expired)).status_code == 410
    assert not Membership.objects.filter(workspace=owner.workspace, user=outsider.user).exists()

    stranger = UserFactory()
    used = Invitation.objects.create(
        workspace=owner.workspace, email=outsider.user.email, accepted_at=timezone.now(), accepted_by=stranger
    )
    assert outsider.client.post(_url(used)).status_code == 410
    # For anyone else, a dead invitation is a bogus token too.
    assert teammate.client.get(_url(expired)).status_code == 404


@pytest.mark.parametrize("invitation_exists", [True, False])
def test_anonymous_visitors_are_sent_to_sign_in_and_see_nothing(owner, client, invitation_exists):
    invitation = _invite(owner)
    url = _url(invitation) if invitation_exists else reverse("crm:invitation_accept", args=["y" * 43])
    response = client.get(url, follow=True)
    assert response.redirect_chain[0] == (f"{reverse('account_login')}?next={url}", 302)
    assert response.status_code == 200 and _shows_nothing_of(response, invitation)


MALFORMED_TOKENS = ["%00", "%ED%A0%80", "%00" * 40, "a" * 5000, "..%2F..%2Fetc", "%C3%BCnicode", "'%20OR%201=1", "%FF"]


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_a_malformed_token_is_never_a_500(owner, client, token):
    url = f"/invitations/{token}/"
    assert client.get(url).status_code in {302, 400, 404}
    assert owner.client.get(url).status_code in {400, 404}
    assert owner.client.post(url).status_code in {400, 404}


def test_an_invitation_with_the_mail_server_down_is_saved_and_sent_later(
    owner, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from crm import tasks

    sent = []
    monkeypatch.setattr(tasks.invitation_send, "delay", lambda invitation_id: sent.append(invitation_id))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: connection refused
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.client.post(reverse("crm:workspace_settings"), {"invite": "1", "email": COLLEAGUE})
    assert response.status_code == 302  # the page does not wait for, or fail on, the mail server
    invitation = Invitation.objects.get()
    assert sent == [invitation.pk]
    with pytest.raises(ConnectionRefusedError):
        tasks.invitation_send.run(invitation.pk)  # the task's autoretry covers OSError
