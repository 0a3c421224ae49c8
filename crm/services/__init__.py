"""Writes of the CRM integration: cards from tags, the outbox and its delivery, claims, status and redaction.

The card and its outbox row are written in one transaction; the send happens in a task after
commit, and every state change of a row is a guarded UPDATE so two workers never both own it.

Callers import from here (``from crm import services``); the submodules hold one concern each.
"""

from crm.services.cards import (
    CHAT_MESSAGES_MAX,
    active_rule_for,
    card_create,
    chat_tagged,
    idea_tagged,
    keyword_tags_for,
    outside_card_create,
    outside_cards_delete,
    thread_autotag,
    thread_tagged,
)
from crm.services.connections import SECRET_FIELDS, connection_save, normalise_tag, tag_rule_save
from crm.services.delivery import (
    CLAIM_BATCH,
    MAX_ATTEMPTS,
    RETRY_AFTER_CAP_SECONDS,
    backoff_seconds,
    outbox_deliver,
    outbox_drain,
    outbox_sweep,
)
from crm.services.demo_receiver import demo_receipt_record, demo_status_report, demo_task_complete
from crm.services.leases import LEASABLE_STATES, LEASE, SEND_RELATED, _lease
from crm.services.outbox import OPEN_STATES, enqueue_delivery
from crm.services.redaction import consent_changed, erased_members_redact, member_redact, outside_cards_erase
from crm.services.staff_actions import (
    card_answered,
    card_claim,
    card_reassign,
    card_release,
    card_reply_record,
    outbox_retry,
)
from crm.services.status import card_status_apply, connection_poll

__all__ = [
    "CHAT_MESSAGES_MAX",
    "CLAIM_BATCH",
    "LEASABLE_STATES",
    "LEASE",
    "MAX_ATTEMPTS",
    "OPEN_STATES",
    "RETRY_AFTER_CAP_SECONDS",
    "SECRET_FIELDS",
    "SEND_RELATED",
    "_lease",
    "active_rule_for",
    "backoff_seconds",
    "card_answered",
    "card_reply_record",
    "card_claim",
    "card_reassign",
    "card_release",
    "card_create",
    "card_status_apply",
    "chat_tagged",
    "connection_poll",
    "connection_save",
    "consent_changed",
    "demo_receipt_record",
    "demo_status_report",
    "demo_task_complete",
    "enqueue_delivery",
    "erased_members_redact",
    "idea_tagged",
    "keyword_tags_for",
    "member_redact",
    "normalise_tag",
    "outside_card_create",
    "outside_cards_delete",
    "outside_cards_erase",
    "tag_rule_save",
    "outbox_deliver",
    "outbox_drain",
    "outbox_retry",
    "outbox_sweep",
    "thread_autotag",
    "thread_tagged",
]
