"""Re-check messages leave a chunk at a time: one Redis round trip, the same messages apply_async sends.

On the real Redis broker (REDIS_URL), with eager mode off for the test: the messages are read back from
the queue's list, not run. A real worker consuming them is tests/monitoring/test_end_to_end.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import redis
from celery import current_app
from django.conf import settings

from monitoring.publish import publish_tasks
from monitoring.tasks import monitoring_recheck

pytestmark = pytest.mark.usefixtures("require_redis")


@pytest.fixture
def require_redis() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the fast path is Redis's")


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """The broker's Redis, the queue emptied before and after, tasks sent rather than run."""
    client = redis.Redis.from_url(current_app.conf.broker_url)
    queue = current_app.conf.task_default_queue
    client.delete(queue)
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    yield client
    current_app.conf.task_always_eager = eager
    client.delete(queue)


def queued(client: redis.Redis) -> list[dict]:
    """The queue's messages, oldest first (workers pop from the right)."""
    return [json.loads(raw) for raw in reversed(client.lrange(current_app.conf.task_default_queue, 0, -1))]


def shape(message: dict) -> dict:
    """A message without what differs from one message to the next (ids, the arguments)."""
    headers = {k: v for k, v in message["headers"].items() if k not in {"id", "root_id", "argsrepr"}}
    properties = {k: v for k, v in message["properties"].items() if k not in {"correlation_id", "delivery_tag"}}
    return {**message, "body": None, "headers": headers, "properties": properties}


def decoded(message: dict) -> list:
    return json.loads(base64.b64decode(message["body"]))


def test_a_chunk_is_what_apply_async_would_have_sent(broker, monkeypatch):
    monitoring_recheck.apply_async(args=[7, 1])
    reference = queued(broker)[0]
    broker.delete(current_app.conf.task_default_queue)
    commands: list[str] = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    publish_tasks(monitoring_recheck, [(7, n) for n in range(2, 502)])
    monkeypatch.undo()
    assert commands.count("LPUSH") == 1, "500 messages, one round trip"
    messages = queued(broker)
    assert len(messages) == 500
    assert all(shape(message) == shape(reference) for message in messages)
    assert [decoded(message)[0] for message in messages] == [[7, n] for n in range(2, 502)], "in order"
    assert decoded(messages[0])[1:] == decoded(reference)[1:]
    ids = {message["headers"]["id"] for message in messages}
    assert len(ids) == 500 and all(m["properties"]["correlation_id"] == m["headers"]["id"] for m in messages)
    assert messages[0]["headers"]["argsrepr"] == "[7, 2]"


def test_attempts_travel_as_the_third_argument(broker):
    publish_tasks(monitoring_recheck, [(7, 1, 3)])
    assert decoded(queued(broker)[0])[0] == [7, 1, 3]


def test_eager_mode_runs_the_tasks_here(broker, monkeypatch):
    current_app.conf.task_always_eager = True
    ran: list[tuple] = []
    monkeypatch.setattr(monitoring_recheck, "apply_async", lambda args, **options: ran.append(tuple(args)))
    publish_tasks(monitoring_recheck, [(7, 1), (7, 2)])
    assert ran == [(7, 1), (7, 2)] and queued(broker) == []
