"""The registry limit in Redis: leases, a ticket queue, a learned window, all per (service, country).

Keys, for ``vies`` and ``DE`` under the prefix ``vatcrm:registry``:

- ``…:inflight:vies:DE``  sorted set of leases scored by their expiry (Redis server time, so worker
  clocks do not matter). A worker that crashes mid-call never releases its lease: it expires (the lease
  time is longer than any call can last, the connect and read timeouts bound it);
- ``…:queue:vies:DE``     sorted set of waiting tickets scored by priority x 10^12 + arrival number
  (``…:seq:vies:DE``): the order in which slots are handed out;
- ``…:alive:vies:DE``     when each waiter last asked: a waiter silent for ``ALIVE`` seconds (its process
  died) leaves the queue, so that it does not hold the line;
- ``…:wake:<ticket>``     a list a waiter blocks on (BLPOP): a release pushes to the tickets at the head;
- ``…:window:vies:DE``    the learned window: ``w``, ``ceiling`` and the time of the last cut (a day's TTL,
  refreshed by use);
- ``…:cooldown:vies:DE`` and ``…:cooldown:vies:ALL``  keys with a TTL: the state (or service) rests.

Every step is one Lua script, atomic in Redis: take a slot if our ticket is within the free slots at
the head of the queue; release and hand the freed slot on; learn from a refusal; give up a ticket.
"""

from __future__ import annotations

import logging
import time
import uuid

import redis

from verification.ratelimit import (
    _PRIORITY,
    BACKOFF,
    CUT_HOLD,
    PROBE_SUCCESSES,
    STATE_COOLDOWN,
    Lease,
    LocalSlotLimiter,
    Priority,
    RegistryBusy,
    _reason,
)

logger = logging.getLogger("verification.ratelimit")

POLL = 0.5  # seconds a waiter blocks for a wake-up before it asks again (a lost wake-up costs this)
ALIVE = 5.0  # seconds after which a silent waiter leaves the queue
WINDOW_TTL = 86_400.0  # a learned window is forgotten after a day without calls
REDIS_RETRY_AFTER = 30.0  # seconds the in-process fallback is used after Redis failed

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# The current limit of a window hash: floor(w) within [low, high]; w starts at `start`.
_LIMIT = """
local function window_w(key, start)
  return tonumber(redis.call('HGET', key, 'w') or start)
end
local function limit_of(w, low, high)
  return math.max(low, math.min(high, math.floor(w + 1e-9)))
end
"""

# Wake the tickets that the free slots belong to (the head of the queue).
_WAKE = """
local function wake(inflight, queue, free, prefix, ttl)
  if free <= 0 then return end
  for _, head in ipairs(redis.call('ZRANGE', queue, 0, free - 1)) do
    redis.call('RPUSH', prefix .. head, '1')
    redis.call('PEXPIRE', prefix .. head, ttl)
  end
end
"""

# KEYS: inflight, cool state, cool service, queue, alive, seq, window
# ARGV: token, priority, lease ms, start, low, high, alive ms
# Returns {1, in flight, limit} when taken, {0, cool ms, 0} while cooling, {0, -1, rank} when waiting.
_ACQUIRE = (
    _NOW
    + _LIMIT
    + """
local token = ARGV[1]
local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now)
for _, ticket in ipairs(dead) do redis.call('ZREM', KEYS[4], ticket) end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now) end
if not redis.call('ZSCORE', KEYS[4], token) then
  redis.call('ZADD', KEYS[4], tonumber(ARGV[2]) * 1e12 + redis.call('INCR', KEYS[6]), token)
end
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[7]), token)
for i = 4, 6 do redis.call('PEXPIRE', KEYS[i], 3600000) end
local cool = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3]))
if cool > 0 then return {0, cool, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = limit_of(window_w(KEYS[7], ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
local busy = redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[4], token)
if rank < limit - busy then
  redis.call('ZREM', KEYS[4], token)
  redis.call('ZREM', KEYS[5], token)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), token)
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
  return {1, busy + 1, limit}
end
return {0, -1, rank}
"""
)

# KEYS: inflight, queue, window
# ARGV: token, succeeded (1/0), in flight at grant, start, low, high, probe, wake prefix, wake ttl ms, window ttl ms
_RELEASE = (
    _NOW
    + _LIMIT
    + _WAKE
    + """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
local low, high = tonumber(ARGV[5]), tonumber(ARGV[6])
local w = window_w(KEYS[3], ARGV[4])
if removed == 1 and ARGV[2] == '1' and tonumber(ARGV[3]) >= limit_of(w, low, high) then
  local ceiling = tonumber(redis.call('HGET', KEYS[3], 'ceiling') or '0')
  local step = 1 / w
  if ceiling > 0 and w >= ceiling then step = 1 / tonumber(ARGV[7]) end
  w = math.min(high, w + step)
  redis.call('HSET', KEYS[3], 'w', tostring(w))
  redis.call('PEXPIRE', KEYS[3], ARGV[10])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
wake(KEYS[1], KEYS[2], limit_of(w, low, high) - redis.call('ZCARD', KEYS[1]), ARGV[8], ARGV[9])
return removed
"""
)

# KEYS: window, cool state
# ARGV: in flight at grant, start, low, high, backoff, cut hold ms, cool ms, window ttl ms
# Returns 1 when the key was told to cool down (even one call was refused).
_REFUSED = (
    _NOW
    + _LIMIT
    + """
local k, low = tonumber(ARGV[1]), tonumber(ARGV[3])
local w = window_w(KEYS[1], ARGV[2])
local known = math.max(low, k - 1)
local ceiling = known
if now - tonumber(redis.call('HGET', KEYS[1], 'cut') or '0') > tonumber(ARGV[6]) then
  w = w * tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], 'cut', tostring(now))
else
  local before = tonumber(redis.call('HGET', KEYS[1], 'ceiling') or '0')
  if before > 0 and before < known then ceiling = before end
end
w = math.max(low, math.min(w, ceiling))
redis.call('HSET', KEYS[1], 'w', tostring(w), 'ceiling', tostring(ceiling))
redis.call('PEXPIRE', KEYS[1], ARGV[8])
if k - 1 < low then
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[7]) then redis.call('SET', KEYS[2], '1', 'PX', ARGV[7]) end
  return 1
end
return 0
"""
)

# KEYS: inflight, queue, alive, window
# ARGV: token, start, low, high, wake prefix, wake ttl ms
_CANCEL = (
    _NOW
    + _LIMIT
    + _WAKE
    + """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', ARGV[5] .. ARGV[1])
local limit = limit_of(window_w(KEYS[4], ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
wake(KEYS[1], KEYS[2], limit - redis.call('ZCARD', KEYS[1]), ARGV[5], ARGV[6])
return 1
"""
)

_COUNT = (
    _NOW
    + """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""
)


class RedisSlotLimiter:
    """The shared limiter: every web process and worker asks the same Redis keys."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        limit: int,
        lease_seconds: float,
        low: int = 1,
        high: int | None = None,
        prefix: str = "vatcrm:registry",
        fallback: LocalSlotLimiter | None = None,
    ) -> None:
        self.client = client
        self.limit = limit
        self.low, self.high = low, max(limit, high if high is not None else limit)
        self.lease_ms = max(1, round(lease_seconds * 1000))
        self.prefix = prefix
        self.fallback = fallback or LocalSlotLimiter(limit, low=low, high=self.high)
        self._redis_down_until = 0.0
        self._acquire = client.register_script(_ACQUIRE)
        self._release_script = client.register_script(_RELEASE)
        self._refused = client.register_script(_REFUSED)
        self._cancel = client.register_script(_CANCEL)
        self._count = client.register_script(_COUNT)

    def _key(self, kind: str, service: str, country_code: str) -> str:
        return f"{self.prefix}:{kind}:{service}:{country_code}"

    def inflight_key(self, service: str, country_code: str) -> str:
        return self._key("inflight", service, country_code)

    def cooldown_key(self, service: str, country_code: str) -> str:
        return self._key("cooldown", service, country_code)

    def window_key(self, service: str, country_code: str) -> str:
        return self._key("window", service, country_code)

    def _wake_prefix(self) -> str:
        return f"{self.prefix}:wake:"

    def acquire(self, service: str, country_code: str, timeout: float, priority: Priority | None = None) -> Lease:
        priority = _PRIORITY.get() if priority is None else priority
        inflight, queue, alive = (self._key(k, service, country_code) for k in ("inflight", "queue", "alive"))
        keys = [
            inflight,
            self.cooldown_key(service, country_code),
            self.cooldown_key(service, "ALL"),
            queue,
            alive,
            self._key("seq", service, country_code),
            self.window_key(service, country_code),
        ]
        token = uuid.uuid4().hex
        args = [token, int(priority), self.lease_ms, self.limit, self.low, self.high, round(ALIVE * 1000)]
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() < self._redis_down_until:
                return self.fallback.acquire(service, country_code, max(0.0, deadline - time.monotonic()), priority)
            try:
                taken, value, _ = self._acquire(keys=keys, args=args)
                if taken:
                    return Lease(
                        service, country_code, token,
                        lambda ok, k=value: self._release(service, country_code, token, ok, k), in_flight=value,
                    )  # fmt: skip
                cool = value / 1000 if value > 0 else 0.0
                left = deadline - time.monotonic()
                if left <= 0 or cool >= left:
                    self._give_up(service, country_code, token)
                    raise RegistryBusy(service, country_code, _reason(cool))
                if cool:
                    time.sleep(min(cool, POLL))
                else:  # until a release hands us the slot, or POLL passes (then ask again)
                    self.client.blpop([self._wake_prefix() + token], timeout=min(left, POLL))
            except redis.RedisError as exc:
                # Do not pay a connection timeout on every call while Redis is away: try again later.
                self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER
                logger.warning("registry limiter: Redis unavailable (%s); limiting in this process only", exc)

    def _release(self, service: str, country_code: str, token: str, ok: bool, in_flight: int) -> None:
        keys = [self.inflight_key(service, country_code), self._key("queue", service, country_code)]
        keys.append(self.window_key(service, country_code))
        args = [token, int(ok), in_flight, self.limit, self.low, self.high, PROBE_SUCCESSES]
        args += [self._wake_prefix(), round(ALIVE * 1000), round(WINDOW_TTL * 1000)]
        try:
            self._release_script(keys=keys, args=args)
        except redis.RedisError as exc:  # the lease will expire on its own
            logger.warning("registry limiter: could not release a lease (%s); it will expire", exc)

    def _give_up(self, service: str, country_code: str, token: str) -> None:
        keys = [self._key(k, service, country_code) for k in ("inflight", "queue", "alive", "window")]
        try:
            args = [token, self.limit, self.low, self.high, self._wake_prefix(), round(ALIVE * 1000)]
            self._cancel(keys=keys, args=args)
        except redis.RedisError as exc:  # the ticket leaves the queue on its own after ALIVE
            logger.warning("registry limiter: could not leave the queue (%s)", exc)

    def refused(self, lease: Lease) -> None:
        service, country_code = lease.service, lease.country_code
        keys = [self.window_key(service, country_code), self.cooldown_key(service, country_code)]
        args = [lease.in_flight, self.limit, self.low, self.high, BACKOFF, round(CUT_HOLD * 1000)]
        args += [round(STATE_COOLDOWN * 1000), round(WINDOW_TTL * 1000)]
        try:
            self._refused(keys=keys, args=args)
        except redis.RedisError as exc:
            logger.warning("registry limiter: could not record a refusal (%s)", exc)
        self.fallback.refused(lease)

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

    def window(self, service: str, country_code: str) -> float:
        """The learned window of the key (the starting limit until a call has taught it anything)."""
        stored = self.client.hget(self.window_key(service, country_code), "w")
        return float(stored) if stored is not None else float(self.limit)
