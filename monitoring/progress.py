"""A run's finished re-checks, counted in Redis: a hint of when to ask the database "was that the last?"

The database answers that question exactly (no Recheck row of the run still pending), but asking it after
each of 100,000 re-checks is a statement each. The hint: each re-check that finished its row adds one to
a counter of its run, after its commit; only when the counter reaches the run's `enqueued` (as the
re-check read it) is the database asked. The counter only ever undercounts (a process killed between its
commit and the increment, Redis restarted empty): then the reconciler, which asks the database every
minute, ends the run instead. Without Redis (the embedded defaults) the database is asked every time.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import redis
from django.conf import settings

logger = logging.getLogger("monitoring")

TTL_SECONDS = 2 * 24 * 3600  # longer than a run's window

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}


def _client() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        return None
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return _clients[url]


def run_finished_one(*, run_id: int, started_at: datetime) -> int | None:
    """Count one more finished re-check of the run; the new count, or None when Redis cannot say."""
    client = _client()
    if client is None:
        return None
    key = f"vatcrm:monitoring:finished:{run_id}:{started_at.timestamp():.6f}"  # run ids repeat across databases
    try:
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, TTL_SECONDS)
        return int(pipe.execute()[0])
    except redis.RedisError as exc:
        logger.warning("monitoring: could not count a finished re-check in Redis (%s); asking the database", exc)
        return None
