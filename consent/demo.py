"""Demo content of the privacy core: a consent history for the demo customer."""

from __future__ import annotations

from consent import services
from consent.models import Channel, MemberConsent
from portal.models import User


def seed(*, stdout) -> list[str]:
    """Give customer@example.com a few ledger events (once), so the privacy centre shows history."""
    customer = User.objects.with_email("customer@example.com").first()
    if customer is None or MemberConsent.objects.filter(user=customer).exists():
        return []
    services.consent_grant(user=customer, purpose="analytics", channel=Channel.WEB, language="en")
    services.consent_grant(user=customer, purpose="crm_followup", channel=Channel.WEB, language="en")
    services.consent_withdraw(user=customer, purpose="crm_followup", channel=Channel.WEB, language="en")
    return []
