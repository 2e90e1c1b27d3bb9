"""`manage.py reencrypt_secrets`: the middle step of a key rotation (docs/notifications.md, "Credentials at rest")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from notifications.services import secrets_reencrypt


class Command(BaseCommand):
    # Every EncryptedJSONField of every installed app: chat channels' credentials, the API's webhook secrets.
    help = (
        "Encrypt every stored credential (chat channels, webhook signing secrets) again with the first key "
        "of FIELD_ENCRYPTION_KEYS, so that the other keys can be dropped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = secrets_reencrypt()
        self.stdout.write(f"Re-encrypted {result.rewritten} values with the first key.")
        if result.unreadable:
            # Dropping the old keys now would lose these for good.
            raise CommandError(
                f"{len(result.unreadable)} values open with none of the keys ({', '.join(result.unreadable)}): "
                "keep every key until they are entered again or the key that opens them is added."
            )
