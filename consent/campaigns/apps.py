from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Newsletter campaigns: content sent under the newsletter purpose to confirmed subscribers only."""

    name = "consent.campaigns"
    label = "campaigns"
    verbose_name = _("Newsletter campaigns")

    def ready(self):
        from datetime import timedelta

        from consent.campaigns import services, tasks
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from portal import mail, schedule
        from portal.roles import Role, grant

        register_processor(
            "campaigns.test_mail",
            purpose=None,
            legal_basis=LegalBasis.CONTRACT,
            description=_("A campaign's test copy, sent to the staff member who asked for it."),
            kind=ProcessorKind.MAIL,
        )
        staff = (
            "campaigns.add_campaign",
            "campaigns.change_campaign",
            "campaigns.view_campaign",
            "campaigns.delete_campaign",
            "campaigns.send_campaign",
        )
        grant(Role.EDITOR, *staff)
        grant(Role.ADMINISTRATOR, *staff)
        schedule.register("campaigns.tick", task=tasks.campaigns_tick, every=timedelta(minutes=1))
        mail.mail_left.connect(services.campaign_mail_outcome)
