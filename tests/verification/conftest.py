"""Fixtures for the verification tests: a fake VIES on loopback and a client pointed at it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from tests.fixtures.registries import OFFICIAL_WSDL
from tests.verification.fakes import FakeVies
from verification import ratelimit, vies
from verification.ratelimit import LocalSlotLimiter, RedisSlotLimiter, SlotLimiter


@pytest.fixture(autouse=True)
def _fresh_vies_cache() -> Iterator[None]:
    """Each test loads its own WSDL: the process-wide cache must not leak between tests."""
    vies.clear_client_cache()
    yield
    vies.clear_client_cache()


@pytest.fixture
def official_wsdl() -> bytes:
    return OFFICIAL_WSDL.read_bytes()


@pytest.fixture
def fake_vies(official_wsdl: bytes) -> Iterator[FakeVies]:
    fake = FakeVies(wsdl=official_wsdl).start()
    yield fake
    fake.stop()


@pytest.fixture
def vies_config(fake_vies: FakeVies) -> vies.ViesConfig:
    """The official WSDL, read from its fixture file, with the endpoint moved to the fake."""
    return vies.ViesConfig(
        wsdl_url=str(OFFICIAL_WSDL.resolve()),
        service_url=fake_vies.service_url,
        connect_timeout=1.0,
        read_timeout=2.0,
    )


@pytest.fixture
def vies_client(vies_config: vies.ViesConfig) -> vies.ViesClient:
    return vies.ViesClient(vies_config)


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    """The in-process limiter keeps cool-downs: one test's MS_MAX_CONCURRENT_REQ must not slow the next."""
    ratelimit.reset_limiter()
    yield
    ratelimit.reset_limiter()


# --- the registry limit: the real Redis under a key prefix of the test's own ------------------------------
@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        message = f"needs Redis at {url}"
        pytest.fail(message) if os.environ.get("VATCRM_TEST_REQUIRE_SERVICES") == "1" else pytest.skip(message)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    prefix = f"vatcrm-test:{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}:*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture(params=["local", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> Callable[..., SlotLimiter]:
    """Build limiters of one kind; several Redis limiters share the state, like several workers."""
    if request.param == "local":
        shared: dict[int, LocalSlotLimiter] = {}

        def local(limit: int = 3, lease_seconds: float = 30.0) -> SlotLimiter:
            return shared.setdefault(limit, LocalSlotLimiter(limit))

        return local
    client = request.getfixturevalue("redis_client")
    prefix = request.getfixturevalue("redis_prefix")

    def shared_redis(limit: int = 3, lease_seconds: float = 30.0) -> SlotLimiter:
        worker_client = redis.Redis(connection_pool=redis.ConnectionPool(**client.connection_pool.connection_kwargs))
        return RedisSlotLimiter(worker_client, limit=limit, lease_seconds=lease_seconds, prefix=prefix)

    return shared_redis
