"""`Authorization: Bearer <key>` (or `Api-Key <key>`): the request acts for the key's workspace."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .models import ApiKey

SCHEMES = (b"bearer", b"api-key")


class ApiKeyAuthentication(BaseAuthentication):
    """Finds the active key; `request.auth` is the ApiKey, `request.user` the owner who issued it.

    The key, not the user, is the credential: it keeps working if its creator leaves the workspace, and
    an owner revokes it on the workspace's API page. Answers 401 (never 403) to a missing or wrong key.
    """

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as 'Authorization: Bearer <key>'."))
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        key = ApiKey.find(plaintext)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        key.touch()
        return key.created_by or AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key from the workspace's API page."}
