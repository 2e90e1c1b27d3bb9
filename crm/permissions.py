"""Who may do what in a workspace: one rule, used by every view that changes something.

Three roles, each allowed what the one below it is, and more:

- **viewer**: reads every page of the workspace and exports; changes nothing of the workspace's data
  (their own notification preferences, leaving, and making a workspace of their own are theirs);
- **member**: verifies, edits, archives and deletes counterparties, runs bulk actions, turns monitoring
  on and off, sets the requester company;
- **owner**: besides, the workspace's settings, its people (invitations, roles, removals) and its chat
  channels and failed deliveries.

A member of the workspace who lacks the role gets a 403: the page they read already shows the object, so
there is nothing to hide. Someone outside the workspace never gets this far: every lookup is scoped to
`request.workspace`, and another workspace's id is a 404. `tests/crm/test_roles.py` posts to every URL of
the project as a viewer and fails on one that changes a row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .models import Membership, Role

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# Rank of each role: a role may do everything a lower one may.
_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.OWNER: 2}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_CACHE_ATTRIBUTE = "_workspace_role"
# The request user's role, annotated on request.workspace by the middleware that finds it (crm/middleware.py).
ROLE_ANNOTATION = "request_user_role"

REFUSALS = {
    Role.MEMBER: _("Your role in this workspace is viewer: you can read and export, not change anything."),
    Role.OWNER: _("Only the workspace's owners can do this."),
}


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and _RANK[Role(role)] >= _RANK[Role(minimum)]


def current_role(request: HttpRequest) -> str | None:
    """The signed-in user's role in `request.workspace` (None if anonymous), read once per request."""
    if not hasattr(request, _CACHE_ATTRIBUTE):
        role = getattr(request.workspace, ROLE_ANNOTATION, None) if request.user.is_authenticated else None
        if role is None and request.user.is_authenticated:
            # A workspace made for this request (crm.middleware.current_workspace) carries no annotation.
            role = (
                Membership.objects.filter(workspace=request.workspace, user=request.user)
                .values_list("role", flat=True)
                .first()
            )
        setattr(request, _CACHE_ATTRIBUTE, role)
    return getattr(request, _CACHE_ATTRIBUTE)


def may(request: HttpRequest, minimum: str) -> bool:
    return role_at_least(current_role(request), minimum)


def require_role(request: HttpRequest, minimum: str, *, reason: str | None = None) -> None:
    """Raise PermissionDenied (a 403 with the reason) unless the user's role is `minimum` or above; `reason`
    says what the page is, where the general refusal would say less."""
    if not may(request, minimum):
        raise PermissionDenied(reason or REFUSALS[Role(minimum)])


def role_required(minimum: str, *, to_read: bool = False) -> Callable:
    """A view decorator: a request that may change something needs `minimum`; with `to_read`, every request.

    Use it under `login_required`. A view that reads on GET and writes on POST needs no more than this.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if to_read or request.method not in SAFE_METHODS:
                require_role(request, minimum)
            return view(request, *args, **kwargs)

        return checked

    return decorator
