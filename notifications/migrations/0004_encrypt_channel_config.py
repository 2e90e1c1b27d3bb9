"""Chat channels' config (Slack URLs, bot tokens, webhook secrets) encrypted at rest.

The plaintext JSON column is copied into an encrypted one, row by row, then dropped, and the new column
takes its name. Backwards, the rows are decrypted into a JSON column again; a row that none of the
configured keys opens stops the reversal rather than be lost.
"""

from django.db import migrations, models

import notifications.fields


def encrypt_configs(apps, schema_editor):
    ChatChannel = apps.get_model("notifications", "ChatChannel")
    for channel in ChatChannel.objects.only("pk", "config").iterator(chunk_size=500):
        ChatChannel.objects.filter(pk=channel.pk).update(config_sealed=channel.config or {})


def decrypt_configs(apps, schema_editor):
    ChatChannel = apps.get_model("notifications", "ChatChannel")
    for channel in ChatChannel.objects.only("pk", "config_sealed").iterator(chunk_size=500):
        if isinstance(channel.config_sealed, notifications.fields.Sealed):
            raise RuntimeError(
                f"Chat channel {channel.pk}: its config cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
                "add the key it was encrypted with before migrating backwards"
            )
        ChatChannel.objects.filter(pk=channel.pk).update(config=channel.config_sealed)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_digest_run"),
    ]

    operations = [
        migrations.AddField(
            model_name="chatchannel",
            name="config_sealed",
            field=notifications.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(encrypt_configs, decrypt_configs),
        migrations.RemoveField(model_name="chatchannel", name="config"),
        migrations.RenameField(model_name="chatchannel", old_name="config_sealed", new_name="config"),
    ]
