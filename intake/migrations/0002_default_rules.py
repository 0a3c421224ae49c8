from django.db import migrations


def install(apps, schema_editor):
    from intake.defaults import rules_install

    rules_install(apps.get_model("intake", "ParsingRule"))


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
