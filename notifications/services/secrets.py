"""Key rotation: every encrypted value written again under the first key of FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

from ..encryption import InvalidToken, rotate
from ..fields import EncryptedJSONField, Sealed


@dataclass
class Reencryption:
    rewritten: int = 0
    unreadable: list[str] = field(default_factory=list)  # "notifications.ChatChannel 7": no key opens them


def secrets_reencrypt() -> Reencryption:
    """Re-encrypt every EncryptedJSONField of every model, so that the keys after the first may be dropped.

    Tokens are rotated as they are (`MultiFernet.rotate`: decrypted with whichever key opens them, encrypted
    with the first), each by a conditional UPDATE on the token read: a row saved meanwhile already holds
    a token under the first key, and is left alone. Running it twice does no harm.
    """
    result = Reencryption()
    for model in apps.get_models():
        for column in model._meta.concrete_fields:
            if isinstance(column, EncryptedJSONField):
                _reencrypt(model, column.name, result)
    return result


def _reencrypt(model: type[models.Model], name: str, result: Reencryption) -> None:
    rows = model._base_manager.exclude(**{f"{name}__isnull": True})
    # Cast: the stored text itself, not the field's decrypted value.
    tokens = rows.annotate(token=Cast(name, models.TextField())).values_list("pk", "token")
    for pk, token in tokens.iterator(chunk_size=500):
        try:
            rotated = rotate(token)
        except InvalidToken:
            result.unreadable.append(f"{model._meta.label} {pk}")
            continue
        result.rewritten += model._base_manager.filter(pk=pk, **{name: Sealed(token)}).update(**{name: Sealed(rotated)})
