"""Email as files, one per message, for the processes of a fault-injection test; and the reader of them.

Django's file-based backend names its file after the time and the backend object's id(), which forked
worker processes share, so two processes may append to one file at once. Here every message gets a file of
its own, written under a temporary name and renamed, so the test never reads half a message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from notifications.content import ALERT_HEADER


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = Path(settings.EMAIL_FILE_PATH)
        for message in email_messages:
            name = uuid.uuid4().hex
            partial = directory / f"{name}.part"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(directory / f"{name}.eml")
        return len(email_messages)


@dataclass(frozen=True)
class Received:
    to: str
    alert_id: int | None
    message_id: str


def read_mailbox(directory: Path) -> list[Received]:
    parser = BytesHeaderParser()
    received = []
    for path in sorted(directory.glob("*.eml")):
        headers = parser.parsebytes(path.read_bytes())
        alert = headers.get(ALERT_HEADER)
        received.append(Received(str(headers["To"]), int(alert) if alert else None, str(headers["Message-ID"])))
    return received
