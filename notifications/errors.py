"""The one error every channel raises: the outbox reads `permanent` to fail a delivery or retry it later."""

from __future__ import annotations


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
