"""Signals the imports app sends, for apps that react without being imported here (the API's webhooks)."""

from django.dispatch import Signal

# Sent once per import, when every new counterparty of it has been verified (or, when it created none,
# when it is committed), with `job_id`. Sent inside the transaction that marks the job done: receivers
# write what must follow in it (the API's webhook outbox) and defer talking to the outside to the commit.
import_finished = Signal()
