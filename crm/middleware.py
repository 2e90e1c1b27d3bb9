"""Puts the signed-in user's current workspace on the request, for views to scope every query by."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

if TYPE_CHECKING:
    from .models import Workspace

SESSION_KEY = "workspace_id"
# A link may name the workspace it belongs to (`?workspace=<id>`): an alert email's link opens the alert's
# workspace, not the one the reader last looked at. A workspace the user is not a member of is ignored.
QUERY_PARAMETER = "workspace"


def current_workspace(request: HttpRequest) -> Workspace | None:
    """The workspace a link names or this session chose, else the user's first one; None if anonymous."""
    from .models import Workspace
    from .services import workspace_create_for_user

    user = request.user
    if not user.is_authenticated:
        return None
    workspaces = Workspace.objects.for_user(user)
    named = request.GET.get(QUERY_PARAMETER, "")
    if named.isdigit() and _is_navigation(request) and workspaces.filter(pk=named).exists():
        request.session[SESSION_KEY] = int(named)
    chosen = request.session.get(SESSION_KEY)
    workspace = (chosen and workspaces.filter(pk=chosen).first()) or workspaces.order_by("id").first()
    if workspace is None:
        # An account made outside signup (createsuperuser, the admin) still gets a place to work.
        workspace = workspace_create_for_user(user=user)
    return workspace


def _is_navigation(request: HttpRequest) -> bool:
    """A person opening a page (a link in an email included), not an image or script another site embeds.

    Browsers say so in Fetch Metadata; clients that send none (older browsers, tests) count as navigation.
    """
    mode, destination = request.headers.get("Sec-Fetch-Mode"), request.headers.get("Sec-Fetch-Dest")
    return mode in (None, "navigate") and destination in (None, "document")


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = SimpleLazyObject(lambda: current_workspace(request))
        return self.get_response(request)
