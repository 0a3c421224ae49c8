"""The member's e-mail address and real name are stored encrypted; the address is found by its blind index."""

from django.db import migrations

import portal.encrypted_fields
from portal.encrypted_fields import encrypt_columns


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0010_legal_pages"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_index",
            field=portal.encrypted_fields.BlindIndexField(default="", source="email"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=portal.encrypted_fields.EncryptedEmailField(max_length=254, verbose_name="e-mail address"),
        ),
        migrations.AlterField(
            model_name="user",
            name="first_name",
            field=portal.encrypted_fields.EncryptedCharField(blank=True, max_length=150, verbose_name="first name"),
        ),
        migrations.AlterField(
            model_name="user",
            name="last_name",
            field=portal.encrypted_fields.EncryptedCharField(blank=True, max_length=150, verbose_name="last name"),
        ),
        encrypt_columns("portal", "User", "email", "first_name", "last_name"),
        migrations.AlterField(
            model_name="user",
            name="email_index",
            field=portal.encrypted_fields.BlindIndexField(source="email", unique=True),
        ),
    ]
