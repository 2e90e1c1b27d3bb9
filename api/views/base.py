"""What every API view shares: the key's workspace scopes every queryset; another workspace's id is a 404."""

from __future__ import annotations

from crm.models import Workspace


class StrictBody:
    """A body is parsed before the view acts, even by a view that reads none: a malformed one is a 400 on
    every route, never ignored on some."""

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        request.data  # noqa: B018 -- parsing raises ParseError (a 400) for a body that is not a JSON object


class WorkspaceScoped(StrictBody):
    """Mixed into API views: `self.workspace` is the key's; querysets start from it."""

    model = None

    @property
    def workspace(self) -> Workspace:
        return self.request.auth.workspace

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator has no key
            return self.model.objects.none()
        return self.model.objects.filter(workspace=self.workspace)

    def filter_queryset(self, queryset):
        # The list's filters narrow the list; they do not hide one object asked for by its id.
        return super().filter_queryset(queryset) if self.action == "list" else queryset
