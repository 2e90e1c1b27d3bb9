from django.conf import settings
from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict:
    from .models import Workspace

    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "current_workspace": request.workspace if authenticated else None,
        "user_workspaces": Workspace.objects.for_user(user).order_by("name") if authenticated else [],
        "registry_sandbox": settings.REGISTRY_MODE == "sandbox",
    }
