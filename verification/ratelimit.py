"""A shared limit on registry calls in flight, per service and member state, across every worker.

Why: VIES forwards each call to the member state's own system and answers ``MS_MAX_CONCURRENT_REQ`` when
too many arrive at once. Limiting per worker would let N workers send N times the limit, so the limit is
a counting semaphore in Redis that every web process and Celery worker shares.

How: one sorted set per (service, state), ``vatcrm:registry:inflight:<service>:<CC>``, whose members are
lease tokens scored by their expiry time (Redis server time, so worker clocks do not matter). A Lua script
drops expired leases, then adds ours if fewer than the limit remain. A worker that crashes mid-call never
releases its lease, and the lease simply expires: the lease time is longer than any call can last (the
connect and read timeouts bound it).

After ``MS_MAX_CONCURRENT_REQ`` (or the ``GLOBAL_`` variant) the state (or the whole service) *cools down*
for a few seconds: a key with a TTL that every worker checks before taking a slot.

When no slot frees up within the wait, :class:`RegistryBusy` is raised and the call is not made: the caller
records ``unverified`` / ``RATE_LIMITED`` and retries later.

Without Redis (``REDIS_URL`` empty: the embedded defaults of ``make run``) the limit is an in-process
semaphore: correct for one process, which is all the embedded defaults run. If Redis becomes unreachable,
the Redis limiter falls back to the in-process one and logs a warning rather than stopping all checks.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "Lease",
    "LocalSlotLimiter",
    "RedisSlotLimiter",
    "RegistryBusy",
    "SlotLimiter",
    "get_limiter",
    "mark_cooldown",
    "registry_slot",
    "reset_limiter",
]

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 5
# Waiters poll at most this far apart. Longer pauses let newcomers overtake callers that have waited
# longest (slots go to whoever asks first after a release): a person's check could time out behind a
# night run. A few polls a second per waiter is nothing for Redis.
MAX_POLL_PAUSE = 0.05
DEFAULT_WAIT = 10.0  # seconds a caller waits for a slot before giving up (setting REGISTRY_SLOT_WAIT)
STATE_COOLDOWN = 10.0  # seconds a state rests after MS_MAX_CONCURRENT_REQ
SERVICE_COOLDOWN = 10.0  # seconds the whole service rests after GLOBAL_MAX_CONCURRENT_REQ
ALL_STATES = "ALL"  # the cool-down key of a whole service
REDIS_RETRY_AFTER = 30.0  # seconds the in-process fallback is used after Redis failed


class RegistryBusy(Exception):
    """No slot was free within the wait, or the state is cooling down: do not call the registry."""

    def __init__(self, service: str, country_code: str, reason: str) -> None:
        super().__init__(f"{service}/{country_code}: {reason}")
        self.service = service
        self.country_code = country_code
        self.reason = reason


@dataclass
class Lease:
    """A slot held by one call; release it exactly once (``registry_slot`` does)."""

    service: str
    country_code: str
    token: str
    _release: Callable[[], None] = field(repr=False)
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._release()


class SlotLimiter(Protocol):
    def acquire(self, service: str, country_code: str, timeout: float) -> Lease: ...

    def cool_down(self, service: str, country_code: str, seconds: float) -> None: ...

    def in_flight(self, service: str, country_code: str) -> int: ...


class LocalSlotLimiter:
    """The in-process fallback: a condition variable and a counter per (service, state)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._cond = threading.Condition()
        self._counts: dict[tuple[str, str], int] = {}
        self._cool_until: dict[tuple[str, str], float] = {}

    def acquire(self, service: str, country_code: str, timeout: float) -> Lease:
        key = (service, country_code)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                cool = max(self._cool_until.get(key, 0.0), self._cool_until.get((service, ALL_STATES), 0.0)) - now
                if cool <= 0 and self._counts.get(key, 0) < self.limit:
                    self._counts[key] = self._counts.get(key, 0) + 1
                    return Lease(service, country_code, uuid.uuid4().hex, lambda: self._release(key))
                if now + max(cool, 0.0) >= deadline:
                    raise RegistryBusy(service, country_code, _reason(cool))
                self._cond.wait(max(cool, 0.0) if cool > 0 else deadline - now)

    def _release(self, key: tuple[str, str]) -> None:
        with self._cond:
            self._counts[key] = max(0, self._counts.get(key, 0) - 1)
            self._cond.notify_all()

    def cool_down(self, service: str, country_code: str, seconds: float) -> None:
        with self._cond:
            key = (service, country_code)
            self._cool_until[key] = max(self._cool_until.get(key, 0.0), time.monotonic() + seconds)

    def in_flight(self, service: str, country_code: str) -> int:
        with self._cond:
            return self._counts.get((service, country_code), 0)


# Returns {1, 0} when the lease was taken, {0, ms} while cooling down (ms left), {0, -1} when full.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cool = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3]))
if cool > 0 then return {0, cool} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
  return {1, 0}
end
return {0, -1}
"""

_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


class RedisSlotLimiter:
    """The shared limiter: leases in a Redis sorted set, reclaimed when they expire."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        limit: int,
        lease_seconds: float,
        prefix: str = "vatcrm:registry",
        fallback: LocalSlotLimiter | None = None,
    ) -> None:
        self.client = client
        self.limit = limit
        self.lease_ms = max(1, round(lease_seconds * 1000))
        self.prefix = prefix
        self.fallback = fallback or LocalSlotLimiter(limit)
        self._redis_down_until = 0.0
        self._acquire = client.register_script(_ACQUIRE)
        self._count = client.register_script(_COUNT)

    def inflight_key(self, service: str, country_code: str) -> str:
        return f"{self.prefix}:inflight:{service}:{country_code}"

    def cooldown_key(self, service: str, country_code: str) -> str:
        return f"{self.prefix}:cooldown:{service}:{country_code}"

    def acquire(self, service: str, country_code: str, timeout: float) -> Lease:
        keys = [
            self.inflight_key(service, country_code),
            self.cooldown_key(service, country_code),
            self.cooldown_key(service, ALL_STATES),
        ]
        token = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        pause = 0.02
        while True:
            if time.monotonic() < self._redis_down_until:
                return self.fallback.acquire(service, country_code, max(0.0, deadline - time.monotonic()))
            try:
                taken, cool_ms = self._acquire(keys=keys, args=[self.limit, self.lease_ms, token])
            except redis.RedisError as exc:
                # Do not pay a connection timeout on every call while Redis is away: try again later.
                self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER
                logger.warning("registry limiter: Redis unavailable (%s); limiting in this process only", exc)
                continue
            if taken:
                return Lease(service, country_code, token, lambda: self._release(keys[0], token))
            cool = cool_ms / 1000 if cool_ms > 0 else 0.0
            left = deadline - time.monotonic()
            if cool >= left or left <= 0:
                raise RegistryBusy(service, country_code, _reason(cool))
            # Poll with jittered backoff; a cooling state is retried right when its cool-down ends.
            time.sleep(min(left, cool if cool else pause * random.uniform(0.5, 1.5)))
            pause = min(pause * 2, MAX_POLL_PAUSE)

    def _release(self, key: str, token: str) -> None:
        try:
            self.client.zrem(key, token)
        except redis.RedisError as exc:  # the lease will expire on its own
            logger.warning("registry limiter: could not release a lease (%s); it will expire", exc)

    def cool_down(self, service: str, country_code: str, seconds: float) -> None:
        try:
            # Only lengthen a running cool-down, never shorten it.
            key = self.cooldown_key(service, country_code)
            ms = max(1, round(seconds * 1000))
            if self.client.pttl(key) < ms:
                self.client.set(key, "1", px=ms)
        except redis.RedisError as exc:
            logger.warning("registry limiter: could not record a cool-down (%s)", exc)
        self.fallback.cool_down(service, country_code, seconds)

    def in_flight(self, service: str, country_code: str) -> int:
        return int(self._count(keys=[self.inflight_key(service, country_code)]))


def _reason(cool: float) -> str:
    if cool > 0:
        return f"the registry asked us to slow down; cooling down for {cool:.1f} s"
    return "every slot for this member state is busy"


_limiter_lock = threading.Lock()
_limiter: SlotLimiter | None = None


def get_limiter() -> SlotLimiter:
    """The process's limiter, built once from settings: Redis when REDIS_URL is set, else in-process."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = _limiter_from_settings()
        return _limiter


def reset_limiter(limiter: SlotLimiter | None = None) -> None:
    """Replace the process's limiter (tests), or forget it so settings are read again."""
    global _limiter
    with _limiter_lock:
        _limiter = limiter


def _forget_after_fork() -> None:
    """A forked child starts with no leases of its own: the parent's in-process counts are not its."""
    global _limiter, _limiter_lock
    _limiter_lock = threading.Lock()
    _limiter = None


os.register_at_fork(after_in_child=_forget_after_fork)


def _limiter_from_settings() -> SlotLimiter:
    from django.conf import settings

    limit = int(getattr(settings, "REGISTRY_MAX_IN_FLIGHT_PER_STATE", DEFAULT_LIMIT))
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        return LocalSlotLimiter(limit)
    # A lease outlives the longest call: a WSDL load and an operation, each bounded by its timeouts.
    call = float(getattr(settings, "VIES_CONNECT_TIMEOUT", 5.0)) + float(getattr(settings, "VIES_READ_TIMEOUT", 20.0))
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),  # fail fast to the in-process fallback rather than stall every call
    )
    return RedisSlotLimiter(client, limit=limit, lease_seconds=2 * call + 5)


def _wait_from_settings() -> float:
    from django.conf import settings

    return float(getattr(settings, "REGISTRY_SLOT_WAIT", DEFAULT_WAIT))


@contextmanager
def registry_slot(service: str, country_code: str, *, timeout: float | None = None) -> Iterator[Lease]:
    """Hold one of the state's slots for the duration of a registry call.

    Raises :class:`RegistryBusy` (before the body runs) when no slot is free within ``timeout`` seconds
    (default: setting REGISTRY_SLOT_WAIT, 10 s); the caller must then not call the registry.
    """
    wait = _wait_from_settings() if timeout is None else timeout
    lease = get_limiter().acquire(service, country_code.upper(), wait)
    try:
        yield lease
    finally:
        lease.release()


def mark_cooldown(service: str, country_code: str | None = None, seconds: float | None = None) -> None:
    """Make every worker back off a state (or, with ``country_code=None``, the whole service)."""
    if country_code is None:
        get_limiter().cool_down(service, ALL_STATES, SERVICE_COOLDOWN if seconds is None else seconds)
    else:
        get_limiter().cool_down(service, country_code.upper(), STATE_COOLDOWN if seconds is None else seconds)
