"""CRM signals: a new account's workspace, joining through an invitation, the announcement of new alerts."""

from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import Signal, receiver

from .middleware import SESSION_KEY
from .models import Addressee, Invitation
from .services import invitation_accept_pending_for, workspace_create_for_user

# The token of the invitation link an anonymous visitor opened, kept while they sign up or sign in.
INVITATION_SESSION_KEY = "invitation_token"

# Sent, inside the transaction that stores them, with `alerts=[Alert, ...]` when monitoring creates alerts.
# Delivery (notifications/) listens; the sender needs to know nothing about delivery.
alerts_created = Signal()


@receiver(user_signed_up)
def place_new_user_in_a_workspace(sender, request, user, **kwargs) -> None:
    """A new account gets a workspace of its own, unless it signed up through an invitation to its address.

    A new address is not verified yet, so that invitation is accepted when it is (below). Until then the
    account has no workspace; if it is used before that (`ACCOUNT_EMAIL_VERIFICATION=optional`),
    crm.middleware gives it one of its own.
    """
    token = request.session.get(INVITATION_SESSION_KEY) if request is not None else None
    if token and _join(request, user):
        return
    invitation = Invitation.objects.pending().filter(token=token).first() if token else None
    if invitation is None or invitation.addressee(user) is Addressee.SOMEONE_ELSE:
        workspace_create_for_user(user=user)


@receiver(email_confirmed)
def join_the_invitation_once_the_address_is_verified(sender, request, email_address, **kwargs) -> None:
    """The visitor opened an invitation link, then verified the invited address: they join the workspace."""
    if request is not None:
        _join(request, email_address.user)


def _join(request, user) -> bool:
    """Accept the invitation whose link this session opened, if `user` may; the session then shows it."""
    membership = invitation_accept_pending_for(user=user, token=request.session.get(INVITATION_SESSION_KEY))
    if membership is None:
        return False
    del request.session[INVITATION_SESSION_KEY]
    request.session[SESSION_KEY] = membership.workspace_id
    return True
