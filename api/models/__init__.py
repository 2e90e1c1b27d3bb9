"""The REST API's own rows: keys and idempotent responses."""

from .idempotency import IdempotentRequest
from .keys import ApiKey, KeyScope

__all__ = ["ApiKey", "IdempotentRequest", "KeyScope"]
