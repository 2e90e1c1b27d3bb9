"""EncryptedJSONField: a JSON value that the database only ever sees as a Fernet token (notifications/encryption.py).

Python code reads and writes a plain dict; the column holds text that no query can look into, so the field
is not for filtering (a token is different at every save) and stays out of forms and the admin
(`editable=False`): whoever edits it goes through a form that masks what it shows.

A token that no configured key opens (a key dropped too early, a database restored under other keys) is
not an exception when the row loads: pages, the admin and the senders must still work. It loads as a
`Sealed` value instead, which reads as empty, says why, and is written back unchanged if the row is
saved, so that restoring the right key recovers it.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from .encryption import InvalidToken, decrypt, encrypt


class Sealed(dict):
    """A stored token kept as it is: empty to whoever reads it as a dict, the same token once saved."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def __repr__(self) -> str:
        return "<Sealed: not decryptable with FIELD_ENCRYPTION_KEYS>"


class EncryptedJSONField(models.TextField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("editable") is False:
            del kwargs["editable"]
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else self._open(value)

    def to_python(self, value: Any) -> Any:
        # A string here is a token (a fixture, a serialized row): the field never holds plain strings.
        return self._open(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.token
        return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        """Serialized (dumpdata), the value stays a token."""
        return self.get_prep_value(self.value_from_object(obj)) or ""

    @staticmethod
    def _open(token: str) -> Any:
        try:
            return json.loads(decrypt(token))
        except InvalidToken:
            return Sealed(token)
