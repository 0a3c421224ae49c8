from django.apps import AppConfig, apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="portal.sync_roles")


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    """Runs once per migrate, after the last app, when every permission row exists."""
    from portal.roles import sync_role_permissions

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is last:
        sync_role_permissions(using=using)
