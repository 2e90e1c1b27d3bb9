"""API clients for the cast: the owner's workspace with a read-write and a read-only key, the outsider's own;
a loopback receiver for webhooks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from api.models import ApiKey, KeyScope
from crm.models import Workspace
from tests.notifications.fakes import FakeHTTP


@dataclass
class KeyClient:
    key: ApiKey
    plaintext: str
    client: APIClient
    workspace: Workspace


def key_client(workspace: Workspace, scope: str = KeyScope.WRITE, user=None) -> KeyClient:
    issued = ApiKey.issue(workspace=workspace, name=f"{scope} key", scope=scope, created_by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    return KeyClient(key=issued.api_key, plaintext=issued.plaintext, client=client, workspace=workspace)


@pytest.fixture
def api(owner) -> KeyClient:
    """A read-write key of the owner's workspace, issued by the owner."""
    return key_client(owner.workspace, KeyScope.WRITE, owner.user)


@pytest.fixture
def read_api(owner) -> KeyClient:
    return key_client(owner.workspace, KeyScope.READ, owner.user)


@pytest.fixture
def outsider_api(outsider) -> KeyClient:
    return key_client(outsider.workspace, KeyScope.WRITE, outsider.user)


@pytest.fixture
def receiver(settings):
    """A webhook receiver on loopback (tests/notifications/fakes.py), allowed past the SSRF guard."""
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = True
    settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = settings.NOTIFICATIONS_HTTP_READ_TIMEOUT = 2.0
    with FakeHTTP() as fake:
        yield fake
