"""Anymail's test backend, made to answer like a real ESP for some addresses.

- "refused...@" : the ESP rejects the recipient (Anymail raises AnymailRecipientsRefused)
- "down...@"    : the ESP's API answers 503 (AnymailAPIError)
"""

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus


class EmailBackend(AnymailTestBackend):
    def post_to_esp(self, payload, message):
        recipients = payload.recipient_emails
        if any(address.startswith("refused") for address in recipients):
            rejected = AnymailRecipientStatus(message_id=None, status="rejected")
            message.anymail_test_response = {"recipient_status": dict.fromkeys(recipients, rejected)}
        elif any(address.startswith("down") for address in recipients):
            message.anymail_test_response = AnymailAPIError("503 Service Unavailable")
        return super().post_to_esp(payload, message)
