"""The home page type (separate from 0001 so the user model has no dependency on Wagtail)."""

import django.db.models.deletion
from django.conf import settings
import wagtail.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name='HomePage',
            fields=[
                ('page_ptr', models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to=settings.WAGTAIL_PAGE_MODEL)),
                ('intro', models.CharField(blank=True, max_length=300, verbose_name='intro')),
                ('body', wagtail.fields.StreamField([('heading', 0), ('paragraph', 1), ('feature', 6)], blank=True, block_lookup={0: ('wagtail.blocks.CharBlock', (), {'form_classname': 'title', 'label': 'Heading'}), 1: ('wagtail.blocks.RichTextBlock', (), {'features': ['bold', 'italic', 'link', 'ol', 'ul'], 'label': 'Paragraph'}), 2: ('wagtail.blocks.CharBlock', (), {'label': 'Title'}), 3: ('wagtail.blocks.TextBlock', (), {'label': 'Text'}), 4: ('wagtail.blocks.CharBlock', (), {'label': 'Link (path or URL)', 'required': False}), 5: ('wagtail.blocks.CharBlock', (), {'label': 'Link text', 'required': False}), 6: ('wagtail.blocks.StructBlock', [[('title', 2), ('text', 3), ('link_url', 4), ('link_text', 5)]], {'icon': 'pick', 'label': 'Feature card', 'template': 'portal/blocks/feature.html'})})),
            ],
            options={
                'verbose_name': 'home page',
            },
            bases=('wagtailcore.page',),
        ),
    ]
