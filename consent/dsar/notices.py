"""The sentences of the privacy notifications, worded in the reader's language when shown."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.notifications import as_date, register_message


def _actor(value) -> str:
    return value or gettext("the system")


def register_messages() -> None:
    register_message(
        "dsar.export_ready",
        _("Your data export is ready"),
        body=_("Your data export is ready. The link works for 7 days, only when you are signed in."),
    )
    register_message(
        "dsar.received",
        _("We received your request"),
        body=_("We will answer by %(date)s at the latest."),
        values={"date": as_date},
    )
    register_message("dsar.completed", _("Your request was completed"), body="%(note)s", body_requires="note")
    register_message("dsar.rejected", _("Your request was rejected"), body="%(note)s", body_requires="note")
    register_message(
        "dsar.extended",
        _("We need more time for your request"),
        body=_("New due date: %(date)s. Reason: %(reason)s"),
        values={"date": as_date},
    )
    check = _("If you did not expect this change, check it in the audit log and with your administrator.")
    register_message(
        "dsar.dpo_granted",
        _("%(member)s was given the data protection officer role by %(actor)s"),
        body=check,
        values={"actor": _actor},
    )
    register_message(
        "dsar.dpo_revoked",
        _("%(member)s no longer holds the data protection officer role (changed by %(actor)s)"),
        body=check,
        values={"actor": _actor},
    )
    register_message(
        "dsar.restriction_lifted",
        _("The restriction of processing of your data has ended"),
        body=_("Reason: %(reason)s. You can give your consents again in the privacy centre."),
    )
