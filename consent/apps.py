from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Privacy"

    def ready(self):
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        import consent.checks  # noqa: F401  (registers the deploy checks of the ledger)
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
        _register_processors()
        _audit_second_factor_resets()
        _install_profile_check()


def _register_processors():
    """The privacy core's own processors and the foundation's (which cannot import consent), and the check."""
    from django.utils.translation import gettext_lazy as _

    from consent.processors import LegalBasis, ProcessorKind, may_process, register_processor
    from portal import tasks

    tasks.set_processing_check(may_process)
    register_processor(
        "portal.account",
        purpose=None,
        legal_basis=LegalBasis.CONTRACT,
        description=_("Account and security mail the member asked for: password reset, role changes."),
        kind=ProcessorKind.MAIL,
        serves_request=True,
    )
    register_processor(
        "consent.newsletter",
        purpose="newsletter",
        legal_basis=LegalBasis.CONSENT,
        description=_("The newsletter, to members with a live newsletter consent."),
        kind=ProcessorKind.MAIL,
    )
    register_processor(
        "consent.opt_in_mail",
        purpose="newsletter",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        description=_("The double opt-in link that proves a consent the member is giving (Art. 7(1))."),
        kind=ProcessorKind.MAIL,
    )
    register_processor(
        "dsar.request_mail",
        purpose=None,
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        description=_("Verification codes and answers to the member's privacy requests (Art. 12)."),
        kind=ProcessorKind.MAIL,
        serves_request=True,
    )
    register_processor(
        "dsar.inactivity_warning",
        purpose=None,
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        description=_(
            "The warning before an inactive account is erased (storage limitation); a restricted account is held, "
            "so it is not warned."
        ),
        kind=ProcessorKind.MAIL,
    )


def _audit_second_factor_resets():
    """An administrator's reset of another account's two-factor sign-in is in the audit log (portal cannot import consent)."""
    from django.utils.translation import gettext_lazy as _

    from consent.models import AUDIT_ACTIONS
    from consent.services import audit_record
    from portal.two_factor.events import second_factor_reset

    AUDIT_ACTIONS.setdefault("second_factor_reset", _("reset your two-factor sign-in"))

    def record(*, actor, user, reason, **kwargs):
        audit_record(actor=actor, subject=user, action="second_factor_reset", reason=reason)

    second_factor_reset.connect(record)


def _install_profile_check():
    """Profile pages ask the live ``public_profile`` consent on every request (portal cannot import consent)."""
    from functools import partial

    from consent.selectors import has_consent
    from portal import profiles

    profiles.set_visibility_check(partial(has_consent, purpose_code="public_profile"))


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
