"""The Celery broker as operators see it: reachable within a short timeout, and how many messages wait.

Both the readiness check and the metrics ask here, with timeouts of their own: a probe that waits for an
unreachable Redis as long as a worker would (kombu retries forever by default) holds a web worker and
answers nothing. `queue_declare` answers the queue's length on every transport (Redis: LLEN of each
priority list; the file broker: files in the folder), so the same code runs on the embedded defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import current_app
from kombu import Connection

DEFAULT_TIMEOUT = 2.0  # seconds, to connect and to each answer


@contextmanager
def broker_connection(*, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Connection]:
    """A connection to the broker that fails within about `timeout` instead of retrying."""
    options = {
        "max_retries": 0,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry_on_timeout": False,
    }
    with current_app.connection_for_read(connect_timeout=timeout, transport_options=options) as connection:
        yield connection


def queue_lengths(*, timeout: float = DEFAULT_TIMEOUT) -> dict[str, int]:
    """Messages waiting in each queue that workers consume (not the ones they have reserved)."""
    with broker_connection(timeout=timeout) as connection:
        channel = connection.default_channel
        return {name: channel.queue_declare(queue=name).message_count for name in sorted(current_app.amqp.queues)}
