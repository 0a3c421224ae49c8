"""The address a double opt-in confirmation went to is stored encrypted."""

from django.db import migrations

import portal.encrypted_fields
from portal.encrypted_fields import encrypt_columns


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_checkpoint_proofs_and_truncate_guard"),
    ]

    operations = [
        migrations.AlterField(
            model_name="optintoken",
            name="email",
            field=portal.encrypted_fields.EncryptedEmailField(max_length=254),
        ),
        encrypt_columns("consent", "OptInToken", "email"),
    ]
