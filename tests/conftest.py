"""The cast every test can use: an owner, a teammate and a viewer of one workspace, and an outsider of another.

A permission test reads the same way everywhere: the owner's world is set up, the outsider asks for it,
and sees nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation

from crm.models import Role, Workspace
from verification.ratelimit import reset_limiter

from .factories import MembershipFactory, UserFactory, WorkspaceFactory

pytest_plugins = ["tests.fixtures.simulator", "tests.fixtures.celery"]

# .ci/run sets this so that a test needing PostgreSQL or Redis fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("VATCRM_TEST_REQUIRE_SERVICES") == "1"


@dataclass
class Actor:
    user: object
    workspace: Workspace
    client: Client


def _actor(workspace: Workspace, role: str) -> Actor:
    user = UserFactory()
    MembershipFactory(workspace=workspace, user=user, role=role)
    client = Client()
    client.force_login(user)
    return Actor(user=user, workspace=workspace, client=client)


@pytest.fixture
def workspace(db) -> Workspace:
    return WorkspaceFactory(name="Acme Finance")


@pytest.fixture
def owner(workspace) -> Actor:
    return _actor(workspace, Role.OWNER)


@pytest.fixture
def teammate(workspace, owner) -> Actor:
    return _actor(workspace, Role.MEMBER)


@pytest.fixture
def viewer(workspace, owner) -> Actor:
    """A member of the owner's workspace with the viewer role: reads and exports, changes nothing."""
    return _actor(workspace, Role.VIEWER)


@pytest.fixture
def outsider(db) -> Actor:
    """A user of another workspace, which has data of its own: must never see the owner's."""
    return _actor(WorkspaceFactory(name="Other Corp"), Role.OWNER)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth's rate limits keep state in the cache; the registry limiter keeps slots and pauses in Redis
    # or, without Redis, in this process.
    cache.clear()
    reset_limiter()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    # A request or a test that switched to Russian leaves it active on the thread; the next test must start
    # in the default language (a command's output, an email's words).
    yield
    translation.deactivate()


@pytest.fixture
def require_postgres(db) -> None:
    if connection.vendor != "postgresql":
        message = "needs PostgreSQL: set DATABASE_URL=postgres://..."
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        message = "needs Redis: set REDIS_URL=redis://..."
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    return url
