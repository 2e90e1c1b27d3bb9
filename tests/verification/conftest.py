"""Fixtures for the verification tests: a fake VIES on loopback and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.registries import OFFICIAL_WSDL
from tests.verification.fakes import FakeVies
from verification import ratelimit, vies


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
