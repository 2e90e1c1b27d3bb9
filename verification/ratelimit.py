"""A shared limit on registry calls in flight, per registry and country, across every worker: fair and adaptive.

Why: VIES forwards each call to the member state's own system and answers ``MS_MAX_CONCURRENT_REQ`` when
too many arrive at once (HMRC, the UID and Brønnøysund registers have limits of their own). Limiting per
worker would let N workers send N times the limit, so the limit lives in Redis, shared by every web
process and Celery worker, keyed by (registry, country): ``registry_slot("vies", "DE")``,
``registry_slot("hmrc", "GB")``.

Three properties (docs/concurrency.md, "The registry limit"):

- **Fair.** Callers are served in arrival order: each takes a ticket in a queue and a free slot goes to
  the head of the queue, never to whoever polls first. A release wakes the waiters at the head at once.
- **Priorities.** A person at the Verify page (``Priority.INTERACTIVE``, the default) is served ahead of
  every background caller (``Priority.BACKGROUND``: monitoring's re-checks); within a priority, arrival
  order. A caller says which it is with ``with registry_priority(Priority.BACKGROUND): ...`` around its
  calls, or ``registry_slot(..., priority=...)``.
- **Adaptive.** The registries do not publish their caps, and VIES's differ per member state. Each key has
  a window (how many calls may be in flight) that grows while calls succeed and shrinks when the registry
  refuses one (``mark_cooldown``, called by the clients after ``MS_MAX_CONCURRENT_REQ`` and the like):
  additive increase, multiplicative decrease, within ``REGISTRY_MIN_IN_FLIGHT`` and
  ``REGISTRY_MAX_IN_FLIGHT``, starting at ``REGISTRY_MAX_IN_FLIGHT_PER_STATE``. The window is in Redis,
  so every worker learns what one of them found. See :class:`Window`.

When no slot frees up within the wait, :class:`RegistryBusy` is raised and the call is not made: the caller
records ``unverified`` / ``RATE_LIMITED`` and retries later. A refusal with a single call in flight (the
registry takes none now), an explicit ``seconds``, or a whole service's refusal cools the key down: every
worker waits that long before asking again.

Without Redis (``REDIS_URL`` empty: the embedded defaults of ``make run``) the limit is in-process, with
the same order, priorities and window: correct for one process, which is all the embedded defaults run.
If Redis becomes unreachable, the Redis limiter falls back to the in-process one and logs a warning
rather than stopping all checks.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

__all__ = [
    "Lease",
    "LocalSlotLimiter",
    "Priority",
    "RedisSlotLimiter",  # noqa: F822  (module __getattr__)
    "RegistryBusy",
    "SlotLimiter",
    "Window",
    "get_limiter",
    "mark_cooldown",
    "registry_priority",
    "registry_slot",
    "reset_limiter",
]

DEFAULT_LIMIT = 5  # the starting window (setting REGISTRY_MAX_IN_FLIGHT_PER_STATE)
DEFAULT_MIN, DEFAULT_MAX = 1, 20  # the window's bounds (REGISTRY_MIN_IN_FLIGHT, REGISTRY_MAX_IN_FLIGHT)
DEFAULT_WAIT = 10.0  # seconds a caller waits for a slot before giving up (setting REGISTRY_SLOT_WAIT)
STATE_COOLDOWN = 10.0  # seconds a key rests when the registry refuses even one call
SERVICE_COOLDOWN = 10.0  # seconds the whole service rests after GLOBAL_MAX_CONCURRENT_REQ
ALL_STATES = "ALL"  # the cool-down key of a whole service
# The window's rules (Window): growth +1 per window of successes below the last refusal, +1 per
# PROBE_SUCCESSES above it; a refusal multiplies by BACKOFF (once per CUT_HOLD seconds) and never leaves
# more than the calls that were in flight before the refused one.
PROBE_SUCCESSES = 200
BACKOFF = 0.75
CUT_HOLD = 1.0


class Priority(IntEnum):
    """Who is waiting: lower is served first."""

    INTERACTIVE = 0  # a person at the Verify page, an API client waiting for its answer
    BACKGROUND = 1  # monitoring's nightly re-checks: they can wait, a person should not


_PRIORITY: ContextVar[Priority] = ContextVar("registry_priority", default=Priority.INTERACTIVE)
_CURRENT: ContextVar[Lease | None] = ContextVar("registry_lease", default=None)


@contextmanager
def registry_priority(priority: Priority) -> Iterator[None]:
    """Every registry slot taken in this block (this thread or task) waits with `priority`."""
    token = _PRIORITY.set(priority)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


class RegistryBusy(Exception):
    """No slot was free within the wait, or the key is cooling down: do not call the registry."""

    def __init__(self, service: str, country_code: str, reason: str) -> None:
        super().__init__(f"{service}/{country_code}: {reason}")
        self.service = service
        self.country_code = country_code
        self.reason = reason


@dataclass
class Lease:
    """A slot held by one call; release it exactly once (``registry_slot`` does).

    `in_flight` is how many calls of this key were in flight with this one when it was granted: if the
    registry refuses this call, its cap is below that.
    """

    service: str
    country_code: str
    token: str
    _release: Callable[[bool], None] = field(repr=False)
    in_flight: int = 1
    refused: bool = False
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._release(not self.refused)


@dataclass
class Window:
    """How many calls of one key may be in flight: additive increase, multiplicative decrease.

    - A call that succeeded while the window was full adds 1/w (one more slot per window of successes),
      until the level of the last refusal (`ceiling`); above it, 1/PROBE_SUCCESSES: the window probes
      again now and then (a cap may rise), at the cost of one refusal per PROBE_SUCCESSES calls.
    - A refused call that was granted with k calls in flight shows that the cap is below k: the window
      becomes at most k - 1 (and the ceiling k - 1, the lowest of one burst's refusals), and is
      multiplied by BACKOFF once per CUT_HOLD (one burst cuts once). At k = 1 the registry takes no call
      now: cool down.

    RedisSlotLimiter runs the same rules in Lua (ratelimit_redis.py).
    """

    w: float
    low: int
    high: int
    ceiling: float = 0.0  # 0: no refusal seen
    cut_at: float = 0.0

    @property
    def limit(self) -> int:
        return max(self.low, min(self.high, int(self.w + 1e-9)))  # 200 x 1/200 is 1, not 0.99999

    def succeeded(self, in_flight: int) -> None:
        if in_flight < self.limit:  # the window was not the limit: no evidence it could be larger
            return
        step = 1 / PROBE_SUCCESSES if self.ceiling and self.w >= self.ceiling else 1 / self.w
        self.w = min(float(self.high), self.w + step)

    def refused(self, in_flight: int, now: float) -> bool:
        """Shrink after a refusal; True when even one call was refused (the key must cool down)."""
        known = float(max(self.low, in_flight - 1))
        if now - self.cut_at > CUT_HOLD:
            self.w, self.cut_at, self.ceiling = self.w * BACKOFF, now, known
        else:  # the same burst: its refusals arrive in any order, the lowest level is the one that holds
            self.ceiling = min(self.ceiling or known, known)
        self.w = max(float(self.low), min(self.w, self.ceiling))
        return in_flight - 1 < self.low


class SlotLimiter(Protocol):
    def acquire(self, service: str, country_code: str, timeout: float, priority: Priority | None = None) -> Lease: ...

    def cool_down(self, service: str, country_code: str, seconds: float) -> None: ...

    def refused(self, lease: Lease) -> None: ...

    def in_flight(self, service: str, country_code: str) -> int: ...

    def window(self, service: str, country_code: str) -> float: ...


@dataclass(order=True)
class _Ticket:
    priority: int
    seq: int
    token: str = field(compare=False)


class LocalSlotLimiter:
    """The in-process limit: a queue of tickets, a counter and a window per (service, country)."""

    def __init__(self, limit: int, *, low: int = DEFAULT_MIN, high: int | None = None) -> None:
        self.limit = limit
        self.low, self.high = low, max(limit, high if high is not None else limit)
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._counts: dict[tuple[str, str], int] = {}
        self._queues: dict[tuple[str, str], list[_Ticket]] = {}
        self._windows: dict[tuple[str, str], Window] = {}
        self._cool_until: dict[tuple[str, str], float] = {}

    def _window(self, key: tuple[str, str]) -> Window:
        return self._windows.setdefault(key, Window(float(self.limit), self.low, self.high))

    def acquire(self, service: str, country_code: str, timeout: float, priority: Priority | None = None) -> Lease:
        key = (service, country_code)
        deadline = time.monotonic() + timeout
        ticket = _Ticket(int(_PRIORITY.get() if priority is None else priority), next(self._seq), uuid.uuid4().hex)
        with self._cond:
            queue = self._queues.setdefault(key, [])
            heapq.heappush(queue, ticket)
            try:
                while True:
                    now = time.monotonic()
                    cool = max(self._cool_until.get(key, 0.0), self._cool_until.get((service, ALL_STATES), 0.0)) - now
                    free = self._window(key).limit - self._counts.get(key, 0)
                    if cool <= 0 and free > 0 and ticket in heapq.nsmallest(free, queue):
                        self._counts[key] = self._counts.get(key, 0) + 1
                        return self._lease(key, ticket.token, self._counts[key])
                    if now + max(cool, 0.0) >= deadline:
                        raise RegistryBusy(service, country_code, _reason(cool))
                    self._cond.wait(cool if cool > 0 else deadline - now)
            finally:
                if ticket in queue:
                    queue.remove(ticket)
                    heapq.heapify(queue)
                self._cond.notify_all()

    def _lease(self, key: tuple[str, str], token: str, in_flight: int) -> Lease:
        return Lease(key[0], key[1], token, lambda ok: self._release(key, ok, in_flight), in_flight)

    def _release(self, key: tuple[str, str], ok: bool, in_flight: int) -> None:
        with self._cond:
            self._counts[key] = max(0, self._counts.get(key, 0) - 1)
            if ok:
                self._window(key).succeeded(in_flight)
            self._cond.notify_all()

    def refused(self, lease: Lease) -> None:
        key = (lease.service, lease.country_code)
        with self._cond:
            if self._window(key).refused(lease.in_flight, time.monotonic()):
                self._cool(key, STATE_COOLDOWN)

    def cool_down(self, service: str, country_code: str, seconds: float) -> None:
        with self._cond:
            self._cool((service, country_code), seconds)

    def _cool(self, key: tuple[str, str], seconds: float) -> None:
        self._cool_until[key] = max(self._cool_until.get(key, 0.0), time.monotonic() + seconds)

    def in_flight(self, service: str, country_code: str) -> int:
        with self._cond:
            return self._counts.get((service, country_code), 0)

    def window(self, service: str, country_code: str) -> float:
        with self._cond:
            return self._window((service, country_code)).w


def _reason(cool: float) -> str:
    if cool > 0:
        return f"the registry asked us to slow down; cooling down for {cool:.1f} s"
    return "every slot for this member state is busy"


def __getattr__(name: str) -> object:
    """``RedisSlotLimiter`` lives in ratelimit_redis.py, which builds on the names above."""
    if name == "RedisSlotLimiter":
        from verification.ratelimit_redis import RedisSlotLimiter

        return RedisSlotLimiter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    import redis
    from django.conf import settings
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    limit = int(getattr(settings, "REGISTRY_MAX_IN_FLIGHT_PER_STATE", DEFAULT_LIMIT))
    low = int(getattr(settings, "REGISTRY_MIN_IN_FLIGHT", DEFAULT_MIN))
    high = int(getattr(settings, "REGISTRY_MAX_IN_FLIGHT", DEFAULT_MAX))
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        return LocalSlotLimiter(limit, low=low, high=high)
    # A lease outlives the longest call: a WSDL load and an operation, each bounded by its timeouts.
    call = float(getattr(settings, "VIES_CONNECT_TIMEOUT", 5.0)) + float(getattr(settings, "VIES_READ_TIMEOUT", 20.0))
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=5,  # above the longest wait for a wake-up (BLPOP)
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),  # fail fast to the in-process fallback rather than stall every call
    )
    from verification.ratelimit_redis import RedisSlotLimiter

    return RedisSlotLimiter(client, limit=limit, low=low, high=high, lease_seconds=2 * call + 5)


def _wait_from_settings() -> float:
    from django.conf import settings

    return float(getattr(settings, "REGISTRY_SLOT_WAIT", DEFAULT_WAIT))


@contextmanager
def registry_slot(
    service: str, country_code: str, *, timeout: float | None = None, priority: Priority | None = None
) -> Iterator[Lease]:
    """Hold one of the key's slots for the duration of a registry call.

    Raises :class:`RegistryBusy` (before the body runs) when no slot is free within ``timeout`` seconds
    (default: setting REGISTRY_SLOT_WAIT, 10 s); the caller must then not call the registry. `priority`
    defaults to the one of the enclosing ``registry_priority`` block, else INTERACTIVE.
    """
    wait = _wait_from_settings() if timeout is None else timeout
    lease = get_limiter().acquire(service, country_code.upper(), wait, priority)
    token = _CURRENT.set(lease)
    try:
        yield lease
    finally:
        _CURRENT.reset(token)
        lease.release()


def mark_cooldown(service: str, country_code: str | None = None, seconds: float | None = None) -> None:
    """The registry refused a call for load: shrink the key's window, or make every worker back off.

    Called inside ``registry_slot`` without ``seconds`` (``MS_MAX_CONCURRENT_REQ``, an HTTP 429), it is
    the adaptive window's signal (see :class:`Window`). With ``seconds`` (a Retry-After), or for a whole
    service (``country_code=None``: ``GLOBAL_MAX_CONCURRENT_REQ``), every worker waits that long.
    """
    limiter = get_limiter()
    if country_code is None:
        limiter.cool_down(service, ALL_STATES, SERVICE_COOLDOWN if seconds is None else seconds)
        return
    lease = _CURRENT.get()
    if seconds is None and lease is not None and (lease.service, lease.country_code) == (service, country_code.upper()):
        lease.refused = True
        limiter.refused(lease)
    else:
        limiter.cool_down(service, country_code.upper(), STATE_COOLDOWN if seconds is None else seconds)
