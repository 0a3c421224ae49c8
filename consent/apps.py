from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Privacy"

    def ready(self):
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        import consent.registry  # noqa: F401  (registers the system check)
        from portal.roles import Role, grant

        autodiscover_modules("personal_data")
        grant(
            Role.DPO,
            "consent.reidentify_pseudonym",
            "consent.view_record_of_processing",
            "consent.verify_ledger",
            "consent.view_auditentry",
            "consent.view_purpose",
            "consent.change_purpose",
            "consent.view_noticeversion",
            "consent.add_noticeversion",
        )
        grant(
            Role.ADMINISTRATOR,
            "consent.view_record_of_processing",
            "consent.verify_ledger",
            "consent.view_purpose",
            "consent.change_purpose",
            "consent.view_noticeversion",
            "consent.add_noticeversion",
        )
        post_migrate.connect(_install_defaults, sender=self, dispatch_uid="consent.install_defaults")
        _schedule()


def _schedule():
    from datetime import timedelta

    from django.conf import settings

    from consent import tasks
    from portal import schedule

    minutes = settings.CONSENT_CHECKPOINT_MINUTES
    schedule.register("consent.checkpoint", task=tasks.sign_ledger_checkpoint, every=timedelta(minutes=minutes))
    schedule.register("consent.expire_opt_ins", task=tasks.expire_pending_opt_ins, every=timedelta(hours=1))


def _install_defaults(sender, using="default", **kwargs):
    """Default purposes exist after every migrate and every test flush."""
    from consent.models import NoticeVersion, Purpose
    from consent.purposes import install_default_purposes

    install_default_purposes(Purpose, NoticeVersion)
