from django.conf import settings
from django.http import HttpRequest

from .models import Role


def workspace(request: HttpRequest) -> dict:
    from .models import Workspace
    from .permissions import current_role, role_at_least

    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    role = current_role(request) if authenticated else None
    return {
        "current_workspace": request.workspace if authenticated else None,
        "user_workspaces": Workspace.objects.for_user(user).order_by("name") if authenticated else [],
        "registry_sandbox": settings.REGISTRY_MODE == "sandbox",
        # What the templates may offer: a viewer sees no button that would only answer 403.
        "workspace_role": role,
        "can_change": role_at_least(role, Role.MEMBER),
        "is_workspace_owner": role_at_least(role, Role.OWNER),
        # Every page reminds a workspace with no requester company that its checks carry no proof.
        "requester_missing": bool(role) and not request.workspace.companies.exists(),
    }
