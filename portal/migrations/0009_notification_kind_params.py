"""Notifications become a message code plus parameters, worded in the reader's language when shown.

Existing rows were stored as English (or German) sentences: the known English sentences are turned
back into their message and parameters; any other row keeps its sentence as the fallback text.
"""

import re

from django.db import migrations, models

import portal.models

# (message code, the sentence it was stored as) for the notices whose parameters can be read back.
KNOWN = [
    ("community.reply", r"@(?P<handle>.+?) replied to “(?P<title>.*)”"),
    ("community.mention", r"@(?P<handle>.+?) mentioned you in “(?P<title>.*)”"),
    ("community.accepted", r"Your answer in “(?P<title>.*)” was accepted"),
    ("community.post_hidden", r"A moderator hid your post in “(?P<title>.*)”"),
    ("community.thread_hidden", r"A moderator hid your thread “(?P<title>.*)”"),
    ("chat.transferred", r"A chat was transferred to you: (?P<topic>.*)"),
    ("dsar.export_ready", r"Your data export is ready"),
    ("dsar.completed", r"Your request was completed"),
    ("dsar.rejected", r"Your request was rejected"),
    ("dsar.restriction_lifted", r"The restriction of processing of your data has ended"),
]


def to_params(apps, schema_editor):
    Notification = apps.get_model("portal", "Notification")
    patterns = [(code, re.compile(rf"{pattern}\Z")) for code, pattern in KNOWN]
    for row in Notification.objects.only("pk", "title").iterator(chunk_size=2000):
        message, params = "portal.text", {"title": row.title}
        for code, pattern in patterns:
            match = pattern.match(row.title)
            if match:
                message, params = code, match.groupdict()
                if code in ("dsar.completed", "dsar.rejected", "dsar.restriction_lifted"):
                    params = {"note": ""} if code != "dsar.restriction_lifted" else {"reason": ""}
                break
        Notification.objects.filter(pk=row.pk).update(message=message, params=params)


def to_title(apps, schema_editor):
    from portal.notifications import wording

    Notification = apps.get_model("portal", "Notification")
    for row in Notification.objects.only("pk", "message", "params").iterator(chunk_size=2000):
        Notification.objects.filter(pk=row.pk).update(title=wording(row.message, row.params)[0][:300])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_user_display_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="message",
            field=models.CharField(default="portal.text", max_length=60),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, encoder=portal.models.ReadableJSONEncoder),
        ),
        migrations.AlterField(
            model_name="notification",
            name="title",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(to_params, to_title),
        migrations.RemoveField(
            model_name="notification",
            name="title",
        ),
    ]
