"""A new account joins the workspace it was invited to, or else gets a workspace of its own."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from .middleware import SESSION_KEY
from .services import invitation_accept_pending_for, workspace_create_for_user

INVITATION_SESSION_KEY = "invitation_token"


@receiver(user_signed_up)
def place_new_user_in_a_workspace(sender, request, user, **kwargs) -> None:
    token = request.session.pop(INVITATION_SESSION_KEY, None) if request is not None else None
    membership = invitation_accept_pending_for(user=user, token=token)
    if membership is not None:
        request.session[SESSION_KEY] = membership.workspace_id
    else:
        workspace_create_for_user(user=user)
