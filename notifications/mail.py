"""Sending email through Django's backends (Anymail's in production, SMTP or the console elsewhere).

Everything a backend can raise comes out as a `TransportError`, so that the outbox treats email and chat
the same way. Permanent are only the failures that a resend cannot fix: a recipient the server or the
provider refuses (5xx), an address that is not one. A provider that is down, slow, rate limiting or
misconfigured (wrong credentials, unverified sender) is transient: the operator fixes it and the
backlog goes out, rather than every alert of the outage being lost.
"""

from __future__ import annotations

import logging
import smtplib

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.core.mail import EmailMessage, get_connection

from .errors import INTERRUPTIONS, TransportError

logger = logging.getLogger(__name__)


def describe(exc: Exception) -> str:
    try:
        text = str(exc)
    except Exception:  # some providers' exceptions cannot describe themselves without a response
        text = repr(exc.args)
    return f"{type(exc).__name__}: {text}"[:1000]


def email_error(exc: Exception) -> TransportError:
    message = describe(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Each refusal has its code: 4xx (greylisting, a full mailbox) may pass, 5xx will not.
        codes = [code for code, _ in exc.recipients.values()]
        return TransportError(message, permanent=bool(codes) and all(code >= 500 for code in codes))
    if isinstance(exc, smtplib.SMTPDataError):
        return TransportError(message, permanent=exc.smtp_code >= 500)
    # AnymailInvalidAddress is a ValueError; Django's SMTP backend raises ValueError for bad addresses.
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress | ValueError):
        return TransportError(message, permanent=True)
    return TransportError(message)


def provider_message_id(message: EmailMessage) -> str:
    """The ESP's id when the backend is Anymail's; else the Message-ID header we set ourselves."""
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        ids = status.message_id
        return ",".join(sorted(map(str, ids))) if isinstance(ids, set) else str(ids)
    return message.extra_headers.get("Message-ID", "")


class Mailer:
    """One backend connection for a batch of messages: an SMTP server gets one session, not one per email.

    Use as a context manager; `send()` returns the message id or raises TransportError. Once the server
    has failed in a way that is not about one recipient, the rest of the batch fails with the same error
    without asking it again: a server that is down or hanging costs one timeout per batch, not per email.
    """

    def __init__(self) -> None:
        self.connection = get_connection()
        self.broken: TransportError | None = None

    def __enter__(self) -> Mailer:
        try:
            self.connection.open()
        except INTERRUPTIONS:
            raise
        except Exception as exc:
            self.broken = TransportError(describe(exc))
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if kind is not None and issubclass(kind, INTERRUPTIONS):
            # The task's time is up: a polite QUIT to a hanging server could wait a whole EMAIL_TIMEOUT,
            # past the hard limit, before the outcomes are recorded. The socket goes with the object.
            return
        try:
            self.connection.close()
        except INTERRUPTIONS:
            raise
        except Exception:  # a server that hung up before QUIT: the messages were sent or recorded already
            logger.info("closing the email connection failed", exc_info=True)

    def send(self, message: EmailMessage) -> str:
        if self.broken is not None:
            raise TransportError(self.broken.message)
        message.connection = self.connection
        try:
            sent = message.send()
        except INTERRUPTIONS:
            raise  # not a provider's answer: the task is being stopped (services/batch.py)
        except Exception as exc:
            error = email_error(exc)
            if not error.permanent and not isinstance(exc, smtplib.SMTPRecipientsRefused):
                self.broken = error
            raise error from exc
        if not sent:
            raise TransportError("The email backend sent nothing (no recipient?)", permanent=True)
        return provider_message_id(message)
