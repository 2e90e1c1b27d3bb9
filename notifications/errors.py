"""The one error every channel raises: the outbox reads `permanent` to fail a delivery or retry it later."""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


# What stops a task from outside: Celery's soft time limit raises this in the middle of whatever the task
# is doing. It subclasses Exception, so every `except Exception` on a send path must let it through.
INTERRUPTIONS: tuple[type[BaseException], ...] = (SoftTimeLimitExceeded,)
