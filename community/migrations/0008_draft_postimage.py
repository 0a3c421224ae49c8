# Drafts kept on the server and images uploaded into posts (issue 17).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0007_departmentapprovaltask"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PostImage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(editable=False, max_length=40, unique=True)),
                ("file", models.FileField(max_length=120, upload_to="posts", verbose_name="file")),
                ("content_type", models.CharField(max_length=20)),
                ("width", models.PositiveIntegerField(verbose_name="width")),
                ("height", models.PositiveIntegerField(verbose_name="height")),
                ("size", models.PositiveIntegerField(verbose_name="size in bytes")),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="uploaded"),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="community_post_images",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "post",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="images",
                        to="community.post",
                        verbose_name="post",
                    ),
                ),
            ],
            options={
                "verbose_name": "image in a post",
                "verbose_name_plural": "images in posts",
            },
        ),
        migrations.CreateModel(
            name="Draft",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(blank=True, max_length=200, verbose_name="title")),
                ("body", models.TextField(blank=True, max_length=20000, verbose_name="text")),
                ("tags", models.CharField(blank=True, max_length=250, verbose_name="tags")),
                (
                    "updated_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="saved"),
                ),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="community_drafts",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "forum",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="community.forum",
                    ),
                ),
                (
                    "thread",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="community.thread",
                    ),
                ),
            ],
            options={
                "verbose_name": "draft",
                "verbose_name_plural": "drafts",
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("thread__isnull", False)),
                        fields=("author", "thread"),
                        name="draft_one_per_thread",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("forum__isnull", False)),
                        fields=("author", "forum"),
                        name="draft_one_per_forum",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("forum__isnull", True), ("thread__isnull", False)),
                            models.Q(("forum__isnull", False), ("thread__isnull", True)),
                            _connector="OR",
                        ),
                        name="draft_one_target",
                    ),
                ],
            },
        ),
    ]
