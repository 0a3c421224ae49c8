from django.db import migrations
from django.utils.text import slugify


def rule_tags_internal(apps, schema_editor):
    """Every tag a rule routes on is a staff-only tag in the forums and on idea boards."""
    TagRule = apps.get_model("crm", "TagRule")
    Tag = apps.get_model("community", "Tag")
    Thread = apps.get_model("community", "Thread")
    InternalTag = apps.get_model("ideas", "InternalTag")
    for name in TagRule.objects.values_list("tag", flat=True):
        slug = slugify(name)
        if slug:
            Tag.objects.update_or_create(
                slug=slug, defaults={"is_internal": True}, create_defaults={"name": name, "is_internal": True}
            )
        InternalTag.objects.get_or_create(name=name)
    threads = list(Thread.objects.filter(tags__is_internal=True).distinct().prefetch_related("tags"))
    for thread in threads:
        thread.tag_labels = [
            [t.name, t.slug, True] if t.is_internal else [t.name, t.slug]
            for t in sorted(thread.tags.all(), key=lambda t: t.name)
        ]
    Thread.objects.bulk_update(threads, ["tag_labels"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_connection_recipient_key"),
        ("community", "0004_tag_is_internal"),
        ("ideas", "0002_internal_tag"),
    ]

    operations = [
        migrations.RunPython(rule_tags_internal, migrations.RunPython.noop),
    ]
