from django.apps import AppConfig
from django.utils.translation import gettext_noop


class DsarConfig(AppConfig):
    """Access requests, MyData export, erasure and retention: part of the privacy core, own tables."""

    name = "consent.dsar"
    label = "dsar"
    verbose_name = "Access requests"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from portal.notifications import register_kind
        from portal.roles import Role, grant

        grant(Role.DPO, "dsar.manage_accessrequest", "dsar.view_accessrequest")
        register_kind("privacy_export", _("Your data export"), email_default=True)
        register_kind("privacy_request", _("Your privacy requests"), email_default=True)
        _schedule()


def _schedule():
    from datetime import timedelta

    from consent.dsar import tasks
    from portal import schedule

    schedule.register("dsar.retention", task=tasks.retention_run, every=timedelta(days=1))


# Strings of the "Your data" section that consent/templates/consent/privacy_centre.html shows; listed here so
# this app's catalogue (which ships their German) extracts them.
PRIVACY_CENTRE_STRINGS = (
    gettext_noop("Your data: download / erase / requests"),
    gettext_noop("Get a copy of all your data"),
    gettext_noop("Ask for erasure, correction or restriction"),
    gettext_noop("Your requests and their due dates"),
)
