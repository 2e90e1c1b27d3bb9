"""CRM signals: a new account's workspace, and the announcement of new alerts."""

from allauth.account.signals import user_signed_up
from django.dispatch import Signal, receiver

from .middleware import SESSION_KEY
from .services import invitation_accept_pending_for, workspace_create_for_user

INVITATION_SESSION_KEY = "invitation_token"

# Sent, inside the transaction that stores them, with `alerts=[Alert, ...]` when monitoring creates alerts.
# Delivery (notifications/) listens; the sender needs to know nothing about delivery.
alerts_created = Signal()


@receiver(user_signed_up)
def place_new_user_in_a_workspace(sender, request, user, **kwargs) -> None:
    token = request.session.pop(INVITATION_SESSION_KEY, None) if request is not None else None
    membership = invitation_accept_pending_for(user=user, token=token)
    if membership is not None:
        request.session[SESSION_KEY] = membership.workspace_id
    else:
        workspace_create_for_user(user=user)
