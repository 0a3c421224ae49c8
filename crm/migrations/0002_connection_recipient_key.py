"""Each CRM connection gets its own pseudonym domain; the connections that exist keep the shared one."""

from django.db import migrations, models

import crm.models

# The domain every connection used before; their CRMs hold records under it, so they keep it.
LEGACY_RECIPIENT_KEY = "crm"


def keep_the_shared_domain(apps, schema_editor):
    apps.get_model("crm", "CrmConnection").objects.update(recipient_key=LEGACY_RECIPIENT_KEY)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="crmconnection",
            name="recipient_key",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(keep_the_shared_domain, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="crmconnection",
            name="recipient_key",
            field=models.CharField(
                default=crm.models.new_recipient_key,
                editable=False,
                help_text="Selects this connection's own pseudonym domain; never changes, or the CRM's records break.",
                max_length=64,
                verbose_name="pseudonym recipient key",
            ),
        ),
        migrations.AddConstraint(
            model_name="crmconnection",
            constraint=models.UniqueConstraint(
                condition=models.Q(("recipient_key", "crm"), _negated=True),
                fields=("recipient_key",),
                name="crm_connection_own_recipient_key",
            ),
        ),
    ]
