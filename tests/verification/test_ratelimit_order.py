"""The registry limit is fair and adaptive: arrival order, people before the night run, a learned window.

Deterministic where it can be: the waiters are started one by one and each is seen in the queue before
the next comes, so "arrival order" is an order the test chose. Against the real Redis (see
test_ratelimit.py for the fixtures) and the in-process limiter alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import redis

from verification import ratelimit, ratelimit_redis
from verification.ratelimit import (
    BACKOFF,
    PROBE_SUCCESSES,
    LocalSlotLimiter,
    Priority,
    RedisSlotLimiter,
    RegistryBusy,
    SlotLimiter,
    Window,
)

Factory = Callable[..., SlotLimiter]


def queued(limiter: SlotLimiter, service: str, country: str) -> int:
    """How many callers wait in the key's queue."""
    if isinstance(limiter, LocalSlotLimiter):
        with limiter._cond:
            return len(limiter._queues.get((service, country), []))
    return int(limiter.client.zcard(f"{limiter.prefix}:queue:{service}:{country}"))


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def line_up(limiter: SlotLimiter, callers: list[tuple[str, Priority]], hold: float = 0.02) -> list[str]:
    """One slot, held; `callers` arrive one after the other; then the slot is freed. Who was served when."""
    served: list[str] = []
    lock = threading.Lock()
    held = limiter.acquire("vies", "DE", timeout=1)

    def call(name: str, priority: Priority) -> None:
        lease = limiter.acquire("vies", "DE", timeout=10, priority=priority)
        with lock:
            served.append(name)
        time.sleep(hold)
        lease.release()

    threads = []
    for index, (name, priority) in enumerate(callers):
        thread = threading.Thread(target=call, args=(name, priority))
        thread.start()
        threads.append(thread)
        wait_for(lambda n=index + 1: queued(limiter, "vies", "DE") == n)
    held.release()
    for thread in threads:
        thread.join(timeout=20)
    return served


def test_callers_are_served_in_arrival_order(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    names = [f"caller {n}" for n in range(8)]
    assert line_up(limiter, [(name, Priority.BACKGROUND) for name in names]) == names


def test_a_person_is_served_before_the_night_run_that_was_there_first(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    callers = [("night 1", Priority.BACKGROUND), ("night 2", Priority.BACKGROUND), ("night 3", Priority.BACKGROUND)]
    callers += [("person", Priority.INTERACTIVE)]
    assert line_up(limiter, callers) == ["person", "night 1", "night 2", "night 3"]


def test_the_priority_of_a_block_applies_to_every_slot_taken_in_it() -> None:
    limiter = LocalSlotLimiter(1)
    ratelimit.reset_limiter(limiter)
    try:
        held = limiter.acquire("vies", "DE", timeout=1)
        order: list[str] = []

        def night() -> None:
            with ratelimit.registry_priority(Priority.BACKGROUND), ratelimit.registry_slot("vies", "DE", timeout=5):
                order.append("night")

        def person() -> None:
            with ratelimit.registry_slot("vies", "DE", timeout=5):  # the default: a person is waiting
                order.append("person")

        threads = [threading.Thread(target=night)]
        threads[0].start()
        wait_for(lambda: queued(limiter, "vies", "DE") == 1)
        threads.append(threading.Thread(target=person))
        threads[1].start()
        wait_for(lambda: queued(limiter, "vies", "DE") == 2)
        held.release()
        for thread in threads:
            thread.join(timeout=10)
        assert order == ["person", "night"]
    finally:
        ratelimit.reset_limiter()


def test_a_caller_that_gives_up_leaves_the_line(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    held = limiter.acquire("vies", "DE", timeout=1)
    with pytest.raises(RegistryBusy):
        limiter.acquire("vies", "DE", timeout=0.1)
    assert queued(limiter, "vies", "DE") == 0
    held.release()
    limiter.acquire("vies", "DE", timeout=0.5).release()


def test_a_waiter_whose_process_died_does_not_hold_the_line(
    redis_client: redis.Redis,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit_redis, "ALIVE", 0.3)
    limiter = RedisSlotLimiter(redis_client, limit=1, lease_seconds=30, prefix=redis_prefix)
    held = limiter.acquire("vies", "DE", timeout=1)
    # A ticket at the head of the queue whose waiter was killed: it never asks again.
    redis_client.zadd(f"{redis_prefix}:queue:vies:DE", {"dead": 0})
    redis_client.zadd(f"{redis_prefix}:alive:vies:DE", {"dead": time.time() * 1000 + 300})
    held.release()
    started = time.monotonic()
    limiter.acquire("vies", "DE", timeout=3).release()
    assert time.monotonic() - started < 2


def test_a_release_hands_the_slot_to_the_next_in_line_at_once(make_limiter: Factory) -> None:
    limiter = make_limiter(1)
    held = limiter.acquire("vies", "DE", timeout=1)
    granted: list[float] = []

    def waiter() -> None:
        lease = limiter.acquire("vies", "DE", timeout=5)
        granted.append(time.monotonic())
        lease.release()

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_for(lambda: queued(limiter, "vies", "DE") == 1)
    released = time.monotonic()
    held.release()
    thread.join(timeout=5)
    assert granted and granted[0] - released < 0.2, "woken by the release, not by its next poll"


# --- the adaptive window ---------------------------------------------------------------------------------
def test_the_window_grows_by_about_one_per_window_of_successes_while_full() -> None:
    window = Window(w=4.0, low=1, high=20)
    for _ in range(4):
        window.succeeded(in_flight=4)
    assert window.limit == 4 and window.w > 4.9
    window.succeeded(in_flight=4)
    assert window.limit == 5
    grown = window.w
    window.succeeded(in_flight=1)  # a call made while the window was not full says nothing
    assert window.w == grown


def test_a_refusal_caps_the_window_below_what_was_in_flight_and_growth_slows_above_it() -> None:
    window = Window(w=5.0, low=1, high=20)
    assert not window.refused(in_flight=3, now=100.0)  # refused with 3 in flight: the cap is 2 or less
    assert (window.limit, window.ceiling) == (2, 2.0)
    assert not window.refused(in_flight=3, now=100.1)  # the same burst: no second multiplication
    assert window.w == pytest.approx(2.0)
    for _ in range(PROBE_SUCCESSES - 1):
        window.succeeded(in_flight=2)
    assert window.limit == 2, "above the last refusal the window probes slowly"
    window.succeeded(in_flight=2)
    assert window.limit == 3


def test_the_refusals_of_one_burst_keep_the_lowest_level_whatever_their_order(make_limiter: Factory) -> None:
    window = Window(w=5.0, low=1, high=20)
    window.refused(in_flight=3, now=10.0)
    window.refused(in_flight=5, now=10.2)  # granted earlier, answered later: says less
    assert (window.limit, window.ceiling) == (2, 2.0)
    limiter = make_limiter(5)
    if isinstance(limiter, LocalSlotLimiter):
        return
    leases = [limiter.acquire("vies", "BE", timeout=1) for _ in range(5)]
    for lease in (leases[2], leases[4]):  # the third and the fifth refused, the fifth's answer last
        lease.refused = True
        limiter.refused(lease)
    for lease in leases:
        lease.release()
    assert limiter.window("vies", "BE") == pytest.approx(2.0, abs=0.02)


def test_a_refusal_well_below_the_window_multiplies_it_down() -> None:
    window = Window(w=12.0, low=1, high=20)
    window.refused(in_flight=13, now=5.0)
    assert window.w == pytest.approx(12.0 * BACKOFF)


def test_a_refusal_of_a_single_call_cools_the_key_down() -> None:
    assert Window(w=5.0, low=1, high=20).refused(in_flight=1, now=0.0)


def test_the_window_learned_by_one_worker_is_used_by_every_worker(make_limiter: Factory) -> None:
    first, second = make_limiter(5), make_limiter(5)
    if isinstance(first, LocalSlotLimiter):
        pytest.skip("the in-process limiter is one process's")
    leases = [first.acquire("vies", "BE", timeout=1) for _ in range(4)]
    leases[-1].refused = True
    first.refused(leases[-1])  # the registry refused the fourth call in flight: BE takes 3
    for lease in leases:
        lease.release()
    assert second.window("vies", "BE") == pytest.approx(3.0, abs=0.01)
    held = [second.acquire("vies", "BE", timeout=1) for _ in range(3)]
    with pytest.raises(RegistryBusy):
        second.acquire("vies", "BE", timeout=0.1)
    for lease in held:
        lease.release()


def test_the_window_stays_within_its_bounds(redis_client: redis.Redis, redis_prefix: str) -> None:
    limiter = RedisSlotLimiter(redis_client, limit=2, low=1, high=3, lease_seconds=30, prefix=redis_prefix)
    for _ in range(50):  # many calls, always with the window full
        leases = [limiter.acquire("vies", "NL", timeout=1) for _ in range(int(limiter.window("vies", "NL")))]
        for lease in leases:
            lease.release()
    assert limiter.window("vies", "NL") == pytest.approx(3.0)


def test_mark_cooldown_inside_a_slot_teaches_the_window() -> None:
    limiter = LocalSlotLimiter(5, high=20)
    ratelimit.reset_limiter(limiter)
    try:
        with (
            ratelimit.registry_slot("vies", "SE", timeout=1),
            ratelimit.registry_slot("vies", "SE", timeout=1),
            ratelimit.registry_slot("vies", "SE", timeout=1),
        ):
            ratelimit.mark_cooldown("vies", "SE")  # MS_MAX_CONCURRENT_REQ with 3 in flight
        assert limiter.window("vies", "SE") == pytest.approx(2.0, abs=0.01)
        with ratelimit.registry_slot("vies", "SE", timeout=0.1):
            ratelimit.mark_cooldown("vies", "SE")  # refused with one call: SE takes none now
        with pytest.raises(RegistryBusy) as info, ratelimit.registry_slot("vies", "SE", timeout=0.1):
            pass
        assert "cooling down" in info.value.reason
    finally:
        ratelimit.reset_limiter()
