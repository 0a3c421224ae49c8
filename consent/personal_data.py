"""Classification of the privacy core's own models."""

from consent.registry import Erasure, not_personal, register

register(
    "consent.MemberConsent",
    subject="user",
    category="consents",
    export_fields=("purpose", "state", "notice_version", "event_index", "updated_at"),
    erasure=Erasure.DELETE,
)
register(
    "consent.ConsentEvent",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.RETAIN,
    reason="Proof of consent (GDPR Art. 7(1), 5(2)): the append-only ledger keeps every entry. Entries name the "
    "member only by an HMAC under the member's own subject key, which erasure destroys, so they stay verifiable "
    "but can no longer be linked to anyone. The export lists them with receipts through the subject key.",
)
register(
    "consent.SubjectKey",
    subject="user",
    category="",
    export_fields=(),
    erasure=Erasure.DELETE,
    reason="Destroying the key unlinks the member's ledger entries (crypto-shredding).",
)
register(
    "consent.PseudonymMapping",
    subject="user",
    category="pseudonyms",
    export_fields=("domain", "key_version", "pseudonym", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "consent.OptInToken",
    subject="user",
    category="consents",
    export_fields=("purpose", "email", "created_at", "expires_at", "used_at"),
    erasure=Erasure.DELETE,
)
register(
    "consent.AuditEntry",
    subject="subject",
    category="data_access_log",
    export_fields=("action", "reason", "created_at"),
    erasure=Erasure.RETAIN,
    reason="Accountability (GDPR Art. 5(2), 30, 32): accesses to personal data stay logged for three years.",
)
register(
    "consent.AuditEntry",
    subject="actor",
    category="staff_actions",
    export_fields=("action", "created_at"),
    erasure=Erasure.RETAIN,
    reason="Accountability (GDPR Art. 5(2)): what staff did with members' data stays attributable for three years.",
)
for model, reason in (
    ("consent.Purpose", "Purposes of processing defined by the controller."),
    ("consent.NoticeVersion", "Notice texts published by the controller."),
    ("consent.LedgerHead", "Size and hashes of the ledger."),
    ("consent.LedgerCheckpoint", "Signed tree sizes and root hashes."),
):
    not_personal(model, reason=reason)
