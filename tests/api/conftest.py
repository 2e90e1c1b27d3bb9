"""API clients for the cast: the owner's workspace with a read-write and a read-only key, the outsider's own."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from api.models import ApiKey, KeyScope
from crm.models import Workspace


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
