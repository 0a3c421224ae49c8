from django.apps import AppConfig, apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="portal.sync_roles")
        user_logged_in.connect(_remember_second_factor, dispatch_uid="portal.two_factor.login")
        _register_jobs()
        _connect_live_notifications()


def _register_jobs():
    from datetime import timedelta

    from portal import schedule, tasks

    schedule.register("portal.task_recovery", task=tasks.recover_lost_tasks, every=timedelta(minutes=1))


def _connect_live_notifications():
    from portal import events, notifications

    events.notifications_changed.connect(notifications.push_notifications_changed)


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    """Runs once per migrate, after the last app, when every permission row exists."""
    from portal.roles import sync_role_permissions

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is last:
        sync_role_permissions(using=using)


def _remember_second_factor(sender, request, user, **kwargs):
    """A new session records whether the account has an authenticator (portal.two_factor.policy)."""
    from portal.two_factor.policy import remember_login

    remember_login(request=request, user=user)
