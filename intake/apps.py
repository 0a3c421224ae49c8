from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake")

    def ready(self):
        from datetime import timedelta

        from consent import retention
        from consent.dsar import address_sources
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from intake import selectors, services, tasks
        from portal import schedule
        from portal.roles import Role, grant

        register_processor(
            "intake.replies",
            purpose=None,
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
            description=_("Staff answer a mail that reached the company's intake mailbox, by e-mail from its card."),
            kind=ProcessorKind.MAIL,
        )

        retention.register(
            "intake.cards",
            label=_("Cards from outside the portal"),
            description=_(
                "Mails, feed entries and hook messages that became interest cards (with the author, the text and "
                "the reply), this many days after the card was processed; skipped mails this many days after arrival."
            ),
            default_days=180,
            min_days=1,
            preview=lambda cutoff: services.retention_due(cutoff).count(),
            apply=lambda cutoff: services.retention_apply(cutoff),
            order=60,
        )
        # Requests of outside people (and a member's erasure) find the intake's records by address.
        address_sources.register(
            code="intake",
            label=_("Mails and cards from outside the portal"),
            find=selectors.address_summary,
            export=lambda address: services.address_export(address=address)["records"],
            erase=services.erase_address,
        )
        schedule.register("intake.poll", task=tasks.poll_mailboxes, every=timedelta(minutes=1))
        schedule.register("intake.feeds", task=tasks.poll_feeds, every=timedelta(minutes=15))
        staff = ("intake.view_intakemail",)
        grant(Role.MODERATOR, *staff)
        grant(
            Role.ADMINISTRATOR,
            *staff,
            *(
                f"intake.{verb}_{model}"
                for model in ("mailbox", "parsingrule", "product", "hooksource", "feed")
                for verb in ("view", "add", "change", "delete")
            ),
        )
