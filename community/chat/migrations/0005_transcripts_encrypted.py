"""Chat transcripts (the topic and every line) are stored encrypted."""

from django.db import migrations

import portal.encrypted_fields
from portal.encrypted_fields import encrypt_columns


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_help_bot"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chat",
            name="topic",
            field=portal.encrypted_fields.EncryptedCharField(max_length=200, verbose_name="topic"),
        ),
        migrations.AlterField(
            model_name="chatmessage",
            name="body",
            field=portal.encrypted_fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="chatmessage",
            name="body_html",
            field=portal.encrypted_fields.EncryptedTextField(blank=True),
        ),
        encrypt_columns("chat", "Chat", "topic"),
        encrypt_columns("chat", "ChatMessage", "body", "body_html"),
    ]
