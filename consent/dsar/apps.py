from django.apps import AppConfig
from django.utils.translation import gettext_noop


class DsarConfig(AppConfig):
    """Access requests, MyData export, erasure and retention: part of the privacy core, own tables."""

    name = "consent.dsar"
    label = "dsar"
    verbose_name = "Access requests"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.utils.translation import gettext_lazy as _

        from consent.dsar import notices
        from consent.dsar.retention import register_core_categories
        from consent.models import AUDIT_ACTIONS
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        grant(Role.DPO, "dsar.manage_accessrequest", "dsar.view_accessrequest")
        grant(Role.DPO, "dsar.view_retentionpolicy", "dsar.change_retentionpolicy")
        grant(Role.ADMINISTRATOR, "dsar.view_retentionpolicy", "dsar.change_retentionpolicy")
        notices.register_messages()
        register_kind("privacy_export", _("Your data export"), processor="dsar.request_mail", email_default=True)
        register_kind("privacy_request", _("Your privacy requests"), processor="dsar.request_mail", email_default=True)
        register_kind(
            "dpo_role",
            _("Changes of the data protection officer role"),
            processor="portal.account",
            email_default=True,
            roles=(Role.DPO, Role.ADMINISTRATOR),
        )
        # How the member's access log ("who accessed my data") names this app's actions.
        AUDIT_ACTIONS.setdefault("restrict", _("restricted the processing of your data"))
        AUDIT_ACTIONS.setdefault("restriction_lift", _("lifted the restriction of processing"))
        AUDIT_ACTIONS.setdefault("retention_policy", _("changed a retention period"))
        AUDIT_ACTIONS.setdefault("retention_run", _("ran the retention policies"))
        AUDIT_ACTIONS.setdefault("erase_approve", _("approved the erasure of your data"))
        AUDIT_ACTIONS.setdefault("dpo_grant", _("gave you the data protection officer role"))
        AUDIT_ACTIONS.setdefault("dpo_revoke", _("took the data protection officer role from you"))
        AUDIT_ACTIONS.setdefault("view_request", _("opened your access request, with your e-mail and name"))
        register_core_categories()
        _schedule()
        user_logged_in.connect(_cancel_account_deletion, dispatch_uid="dsar.account_deletion.cancel")


def _schedule():
    from datetime import timedelta

    from consent.dsar import tasks
    from portal import schedule

    schedule.register("dsar.retention", task=tasks.retention_run, every=timedelta(days=1))
    schedule.register("dsar.account_deletions", task=tasks.account_deletions_sweep, every=timedelta(minutes=15))


def _cancel_account_deletion(sender, request, user, **kwargs):
    """Signing in during the grace period of a self-service deletion cancels it (consent.dsar.services)."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from consent.dsar.services import account_deletion_cancel

    if account_deletion_cancel(member=user) is not None and request is not None:
        messages.success(
            request,
            _("Welcome back! You signed in, so the deletion of your account is cancelled. We sent you an e-mail."),
            fail_silently=True,  # a sign-in without the messages middleware (tests' force_login) still cancels
        )


# Strings of the "Your data" section that consent/templates/consent/privacy_centre.html shows; listed here so
# this app's catalogue (which ships their German) extracts them.
PRIVACY_CENTRE_STRINGS = (
    gettext_noop("Your data: download / erase / requests"),
    gettext_noop("Get a copy of all your data"),
    gettext_noop("Ask for erasure, correction or restriction"),
    gettext_noop("Your requests and their due dates"),
)

# Labels of the chat's retention categories (registered in community/chat/apps.py); listed here so this
# app's catalogue, which ships the German of every retention page string, extracts them.
RETENTION_CATEGORY_STRINGS = (
    gettext_noop("Chat transcripts without consent"),
    gettext_noop("Closed chats whose member did not agree to keeping the transcript, this many days after closing."),
    gettext_noop("Chat transcripts kept with consent"),
    gettext_noop("Closed chats kept with the member's chat_transcript consent, this many days after closing."),
)
