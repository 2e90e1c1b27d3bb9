"""The registry limit holds across threads and processes' clients, reclaims crashed leases, and cools down.

The Redis tests use the real Redis (REDIS_URL, else 127.0.0.1:6379) under a key prefix of their own,
deleted afterwards; they skip when Redis is not there, unless VATCRM_TEST_REQUIRE_SERVICES=1 (the
fixtures are in conftest.py).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from verification import ratelimit
from verification.ratelimit import LocalSlotLimiter, RedisSlotLimiter, RegistryBusy, SlotLimiter

Factory = Callable[..., SlotLimiter]


def test_never_more_than_the_limit_in_flight(make_limiter: Factory) -> None:
    limit, workers = 3, 16
    limiters = [make_limiter(limit) for _ in range(4)]  # four "workers" sharing one limit
    lock = threading.Lock()
    in_flight = peak = done = 0

    def call(index: int) -> None:
        nonlocal in_flight, peak, done
        lease = limiters[index % len(limiters)].acquire("vies", "DE", timeout=10)
        try:
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            assert limiters[0].in_flight("vies", "DE") <= limit
            time.sleep(0.03)
            with lock:
                in_flight -= 1
                done += 1
        finally:
            lease.release()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done == workers
    assert 1 < peak <= limit
    assert limiters[0].in_flight("vies", "DE") == 0


def test_states_have_separate_limits(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    de = limiter.acquire("vies", "DE", timeout=1)
    fr = limiter.acquire("vies", "FR", timeout=0.1)  # DE being full does not block FR
    with pytest.raises(RegistryBusy):
        limiter.acquire("vies", "DE", timeout=0.1)
    de.release()
    fr.release()


def test_busy_after_the_wait(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    held = limiter.acquire("vies", "DE", timeout=1)
    started = time.monotonic()
    with pytest.raises(RegistryBusy) as info:
        limiter.acquire("vies", "DE", timeout=0.2)
    assert 0.15 <= time.monotonic() - started < 2
    assert info.value.country_code == "DE" and "busy" in info.value.reason
    held.release()
    limiter.acquire("vies", "DE", timeout=0.2).release()


def test_released_slot_is_taken_by_a_waiter(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    held = limiter.acquire("vies", "DE", timeout=1)
    threading.Timer(0.2, held.release).start()
    lease = limiter.acquire("vies", "DE", timeout=3)
    lease.release()


def test_cooldown_makes_everyone_wait(make_limiter: Factory) -> None:
    limiter, other_worker = make_limiter(3), make_limiter(3)
    limiter.cool_down("vies", "DE", 0.4)
    with pytest.raises(RegistryBusy) as info:
        other_worker.acquire("vies", "DE", timeout=0.1)  # gives up at once: the wait is shorter
    assert "cooling down" in info.value.reason
    started = time.monotonic()
    other_worker.acquire("vies", "DE", timeout=3).release()
    assert time.monotonic() - started >= 0.2
    other_worker.acquire("vies", "FR", timeout=0.1).release()  # other states are not affected


def test_service_wide_cooldown(make_limiter: Factory) -> None:
    limiter = make_limiter(3)
    limiter.cool_down("vies", ratelimit.ALL_STATES, 0.5)
    with pytest.raises(RegistryBusy):
        limiter.acquire("vies", "FR", timeout=0.1)
    limiter.acquire("hmrc", "XI", timeout=0.1).release()  # another service is not affected


def test_expired_leases_of_a_crashed_worker_are_reclaimed(redis_client: redis.Redis, redis_prefix: str) -> None:
    crashed = RedisSlotLimiter(redis_client, limit=2, lease_seconds=0.3, prefix=redis_prefix)
    crashed.acquire("vies", "DE", timeout=1)  # never released: the worker died mid-call
    crashed.acquire("vies", "DE", timeout=1)
    survivor = RedisSlotLimiter(redis_client, limit=2, lease_seconds=30, prefix=redis_prefix)
    with pytest.raises(RegistryBusy):
        survivor.acquire("vies", "DE", timeout=0.1)
    started = time.monotonic()
    lease = survivor.acquire("vies", "DE", timeout=3)
    assert time.monotonic() - started < 2
    time.sleep(0.35)  # the second crashed lease expires a moment after the first, which made room
    assert survivor.in_flight("vies", "DE") == 1
    lease.release()
    assert redis_client.zcard(f"{redis_prefix}:inflight:vies:DE") == 0


def test_keys_are_named_as_documented(redis_client: redis.Redis, redis_prefix: str) -> None:
    limiter = RedisSlotLimiter(redis_client, limit=2, lease_seconds=30, prefix=redis_prefix)
    lease = limiter.acquire("vies", "DE", timeout=1)
    assert redis_client.zcard(f"{redis_prefix}:inflight:vies:DE") == 1
    assert 0 < redis_client.pttl(f"{redis_prefix}:inflight:vies:DE") <= 60_000, "idle keys expire"
    lease.release()
    lease.release()  # releasing twice is harmless
    limiter.cool_down("vies", "DE", 5)
    assert 0 < redis_client.pttl(f"{redis_prefix}:cooldown:vies:DE") <= 5000
    assert RedisSlotLimiter(redis_client, limit=1, lease_seconds=1).inflight_key("vies", "DE") == (
        "vatcrm:registry:inflight:vies:DE"
    )


def test_redis_down_falls_back_to_the_process_limit() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    limiter = RedisSlotLimiter(dead, limit=1, lease_seconds=5)
    lease = limiter.acquire("vies", "DE", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RegistryBusy):
        limiter.acquire("vies", "DE", timeout=0.1)
    assert time.monotonic() - started < 0.5, "Redis is not tried again on every call while it is down"
    lease.release()
    limiter.acquire("vies", "DE", timeout=0.1).release()


def test_registry_slot_uses_the_process_limiter() -> None:
    ratelimit.reset_limiter(LocalSlotLimiter(1))
    try:
        with ratelimit.registry_slot("vies", "de", timeout=0.1) as lease:
            assert lease.country_code == "DE"
            with pytest.raises(RegistryBusy), ratelimit.registry_slot("vies", "DE", timeout=0.05):
                pytest.fail("the body must not run without a slot")
        ratelimit.mark_cooldown("vies", "DE", seconds=0.3)
        with pytest.raises(RegistryBusy), ratelimit.registry_slot("vies", "DE", timeout=0.05):
            pass
        ratelimit.mark_cooldown("vies", None, seconds=0.3)
        with pytest.raises(RegistryBusy), ratelimit.registry_slot("vies", "FR", timeout=0.05):
            pass
    finally:
        ratelimit.reset_limiter()


def test_limiter_is_rebuilt_when_its_settings_change(settings) -> None:
    settings.REDIS_URL = ""
    settings.REGISTRY_MAX_IN_FLIGHT_PER_STATE = 1
    first = ratelimit.get_limiter()
    assert isinstance(first, LocalSlotLimiter) and first.limit == 1
    settings.REGISTRY_MAX_IN_FLIGHT_PER_STATE = 4
    second = ratelimit.get_limiter()
    assert second is not first and second.limit == 4


def test_limiter_is_redis_backed_when_redis_url_is_set(settings, redis_client: redis.Redis) -> None:
    settings.REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"  # reachable: see the fixture
    limiter = ratelimit.get_limiter()
    assert isinstance(limiter, RedisSlotLimiter)
    assert limiter.lease_ms == round((2 * (settings.VIES_CONNECT_TIMEOUT + settings.VIES_READ_TIMEOUT) + 5) * 1000)
