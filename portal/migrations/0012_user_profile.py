"""A member's public profile: short bio, profile picture, and the mirror of the ``public_profile`` consent."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0011_user_identity_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="avatar",
            field=models.FileField(
                blank=True, db_index=True, max_length=120, upload_to="avatars/", verbose_name="profile picture"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="bio",
            field=models.TextField(blank=True, max_length=300, verbose_name="short bio"),
        ),
        migrations.AddField(
            model_name="user",
            name="public_profile",
            field=models.BooleanField(default=False, editable=False),
        ),
    ]
