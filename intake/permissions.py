"""Who may see intake cards, run the mailboxes and edit parsing rules."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from consent.dsar.permissions import can_manage_requests
from intake.models import IntakeMail

VIEW_INTAKE = "intake.view_intakemail"
VIEW_MAILBOXES = "intake.view_mailbox"
CHANGE_MAILBOXES = "intake.change_mailbox"
VIEW_RULES = "intake.view_parsingrule"


def _has(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.has_perm(perm)))


def can_view_intake(user) -> bool:
    return _has(user, VIEW_INTAKE)


def can_view_mailboxes(user) -> bool:
    return _has(user, VIEW_MAILBOXES)


def can_poll_mailbox(user) -> bool:
    return _has(user, CHANGE_MAILBOXES)


def can_test_rules(user) -> bool:
    return _has(user, VIEW_RULES)


def access_intake_mail(user, mail_id: int) -> IntakeMail:
    """The intake record, when the user may see intake cards; 404 and 403 look the same to outsiders."""
    if not can_view_intake(user):
        raise PermissionDenied
    found = IntakeMail.objects.filter(pk=mail_id).first()
    if found is None:
        raise PermissionDenied
    return found


def can_reply(user, record: IntakeMail) -> bool:
    """Staff who may work cards answer them; a card is answered once."""
    return can_view_intake(user) and _has(user, "crm.claim_interestcard") and record.replied_at is None


def can_handle_address_requests(user) -> bool:
    """Access and erasure requests of outside people: the DPO, like every other request."""
    return can_manage_requests(user)


def can_bring_to_community(user, record: IntakeMail) -> bool:
    """Staff who work cards move an outside question into a forum, once."""
    return can_view_intake(user) and _has(user, "crm.claim_interestcard") and record.thread_id is None
