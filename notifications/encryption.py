"""Encryption of credentials at rest: Fernet tokens under the keys of FIELD_ENCRYPTION_KEYS.

The keys are a list, newest first (cryptography's MultiFernet): the first one encrypts, every one of them
decrypts. Rotating is therefore: put a new key in front, run `manage.py reencrypt_secrets` (every stored
token is written again under the new key), then drop the old key (docs/notifications.md, "Credentials at
rest"). A database dump or a backup holds tokens only; a leaked key without the database, or the database
without the key, gives nothing away.

Only under DEBUG may the list be empty (`make run` on embedded defaults): a key is then derived from
SECRET_KEY, with a warning, so that data made in development stays readable from one run to the next.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "fernet", "rotate"]

logger = logging.getLogger(__name__)


def fernet() -> MultiFernet:
    """The keys of the current settings (cached per list of keys: override_settings in tests changes them)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:  # only under DEBUG: the settings refuse to load without keys otherwise
        logger.warning(
            "FIELD_ENCRYPTION_KEYS is not set: chat credentials are encrypted with a key derived from SECRET_KEY. "
            "Development only: set FIELD_ENCRYPTION_KEYS before storing real credentials."
        )
        derived = hashlib.sha256(b"vatcrm field encryption\0" + secret_key.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    # Each key was checked when the settings loaded (vatcrm/settings.py).
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text of `token`; InvalidToken when no configured key opens it (or it is not a token at all)."""
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """`token` encrypted again under the first key; InvalidToken when no configured key opens it."""
    return fernet().rotate(token.encode()).decode()
