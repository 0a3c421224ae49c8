from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0003_thread_is_private"),
    ]

    operations = [
        migrations.AddField(
            model_name="tag",
            name="is_internal",
            field=models.BooleanField(
                default=False,
                help_text="Shown only to moderators; left out of public pages, feeds and search.",
                verbose_name="staff only",
            ),
        ),
    ]
