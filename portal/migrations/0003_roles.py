"""Create the role groups; permissions are granted after every migrate (portal.roles)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from portal.roles import create_role_groups

    create_role_groups(apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_homepage"),
        ("wagtailcore", "__latest__"),
        ("wagtailadmin", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
