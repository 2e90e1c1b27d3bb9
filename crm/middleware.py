"""Request checks before any view: the URL holds nothing unstorable; the current workspace for scoping."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .permissions import ROLE_ANNOTATION
from .untrusted import is_storable_text, object_id

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
    # The user's role comes with the workspace, from the membership its lookup joins anyway: one query
    # where crm.permissions.current_role would make a second on every page.
    workspaces = Workspace.objects.for_user(user).annotate(**{ROLE_ANNOTATION: F("memberships__role")})
    named = object_id(request.GET.get(QUERY_PARAMETER))
    if named and _is_navigation(request) and workspaces.filter(pk=named).exists():
        request.session[SESSION_KEY] = named
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


class StorableURLMiddleware:
    """Answers 400 to a path or query string that carries a NUL character, before any view sees it.

    No link of ours holds one, and PostgreSQL cannot compare text with it: code that hands a URL's value
    to a lookup as it is (the admin's changelist filters, a `<str:>` path argument) would fail with a 500.
    Lone surrogates cannot come this way (Django decodes the URL's bytes with replacement). Form bodies are
    left to the forms (crm.untrusted.StorableInputMixin), which can say which field is wrong.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        parts = [request.path, *(text for key, values in request.GET.lists() for text in (key, *values))]
        if not all(is_storable_text(part) for part in parts):
            return HttpResponseBadRequest(
                _("The address contains characters that cannot be stored (NUL)."), content_type="text/plain"
            )
        return self.get_response(request)
