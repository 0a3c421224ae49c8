"""Classification of the CRM models in the personal-data registry."""

from consent.registry import ERASURE_REPORT, Erasure, not_personal, register, rewrite_text

register(
    "crm.InterestCard",
    subject="member",
    category="crm_cards",
    export_fields=(
        "key",
        "source_url",
        "title",
        "text",
        "action_type",
        "tag",
        "identity_sent",
        "remote_id",
        "remote_status",
        "reply_text",
        "replied_at",
        "processed_at",
        "created_at",
    ),
    erasure=Erasure.ANONYMISE,
    anonymise={
        "member": None,
        "text": "",
        "title": "(erased)",
        "reply_text": "",
        "erasure_report_id": ERASURE_REPORT,
    },
    reason="The CRM task stays for the company's follow-up; the link to the member and the copied title and text go. "
    "Every CRM that received the card, with the identity or only a pseudonym, gets a redaction through the outbox, "
    "retried until it is acknowledged; the erasure report lists each recipient's outcome (Art. 19).",
)
register(
    "crm.InterestCard",
    subject="assignee",
    category="crm_assignments",
    export_fields=("key", "title", "claimed_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"assignee": None},
    reason="Staff who worked a card: the card stays, the link to the staff member is cut.",
)
register(
    "crm.InterestCard",
    subject="replied_by",
    category="crm_replies",
    export_fields=("key", "title", "replied_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"replied_by": None},
    reason="Staff who recorded a card's reply: the card and the reply stay, the link to the staff member is cut.",
)
register(
    "crm.OutboxMessage",
    subject="card__member",
    category="crm_deliveries",
    export_fields=("kind", "state", "payload", "with_identity", "remote_ref", "sent_at", "created_at"),
    erasure=Erasure.DELETE,
    reason="What was sent to the CRM and when; the payload may hold the member's name and e-mail.",
)
register(
    "crm.DemoReceipt",
    subject="card__member",
    category="crm_demo_receipts",
    export_fields=("payload", "received_at"),
    erasure=Erasure.DELETE,
    reason="The built-in demo CRM's copy of received cards.",
)
register(
    "crm.TagRule",
    subject="owner",
    category="crm_rule_ownership",
    export_fields=("tag", "action_type"),
    erasure=Erasure.ANONYMISE,
    anonymise={"owner": None},
    reason="Staff named as fixed owner of a tag rule: the rule stays, the owner is cleared.",
)
not_personal(
    "crm.CrmConnection",
    reason="Endpoint, options and encrypted company credentials of a CRM; no member data.",
)
# A card about one member may quote another (a reply naming them): erasure rewrites the copied texts.
rewrite_text("crm.InterestCard", fields=("title", "text"))
