"""The name of a card's outside author is stored encrypted."""

from django.db import migrations

import portal.encrypted_fields
from portal.encrypted_fields import encrypt_columns


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_card_reply"),
    ]

    operations = [
        migrations.AlterField(
            model_name="interestcard",
            name="outside_author",
            field=portal.encrypted_fields.EncryptedCharField(
                blank=True,
                help_text="Who wrote it outside the portal, as the source named them (no member).",
                max_length=200,
                verbose_name="outside author",
            ),
        ),
        encrypt_columns("crm", "InterestCard", "outside_author"),
    ]
