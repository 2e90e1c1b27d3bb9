"""A key is the only way in; read-only keys may only read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiKey


class HasApiKey(BasePermission):
    message = _("This API key is read-only: ask an owner for a read-write key.")

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        return request.method in SAFE_METHODS or key.can_write
