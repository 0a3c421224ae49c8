"""Mirror the live ``public_profile`` consents of existing members onto ``User.public_profile`` (handle links)."""

from django.db import migrations
from django.db.models import F


def flags_fill(apps, schema_editor):
    User = apps.get_model("portal", "User")
    MemberConsent = apps.get_model("consent", "MemberConsent")
    live = MemberConsent.objects.filter(
        purpose__code="public_profile",
        state="granted",
        notice_version__gte=F("purpose__required_notice_version"),
    ).values("user_id")
    User.objects.filter(pk__in=live, erased_at__isnull=True).update(public_profile=True)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0004_opt_in_address_encrypted"),
        ("portal", "0012_user_profile"),
    ]

    operations = [migrations.RunPython(flags_fill, migrations.RunPython.noop)]
