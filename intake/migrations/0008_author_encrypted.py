"""An intake author's name and address are stored encrypted; the address is found by its blind index."""

from django.db import migrations

import portal.encrypted_fields
from portal.encrypted_fields import encrypt_columns


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0007_poll_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="intakemail",
            name="author_address_index",
            field=portal.encrypted_fields.BlindIndexField(db_index=True, source="author_address"),
        ),
        migrations.AlterField(
            model_name="intakemail",
            name="author_address",
            field=portal.encrypted_fields.EncryptedEmailField(
                blank=True, max_length=254, verbose_name="author's e-mail address"
            ),
        ),
        migrations.AlterField(
            model_name="intakemail",
            name="author_name",
            field=portal.encrypted_fields.EncryptedCharField(blank=True, max_length=200, verbose_name="author"),
        ),
        encrypt_columns("intake", "IntakeMail", "author_address", "author_name"),
    ]
