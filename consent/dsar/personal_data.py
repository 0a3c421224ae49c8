"""Classification of the access-request models."""

from consent.registry import Erasure, register

register(
    "dsar.DataExport",
    subject="user",
    category="data_exports",
    export_fields=("status", "created_at", "ready_at", "expires_at", "downloads"),
    erasure=Erasure.DELETE,
    reason="Export files are deleted with the rows (after commit) and after 7 days anyway.",
)
register(
    "dsar.AccessRequest",
    subject="member",
    category="access_requests",
    export_fields=("kind", "state", "channel", "details", "received_at", "due_on", "extended_due_on", "closed_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"details": "", "result": ""},
    reason="Proof that the request was answered in time (GDPR Art. 5(2), 12): kind, dates and states stay, "
    "linked only to the anonymised account; free text goes.",
)
register(
    "dsar.AccessRequest",
    subject="assignee",
    category="access_requests_assigned",
    export_fields=("kind", "state", "received_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"assignee": None},
    reason="Requests worked by a DPO stay; the link to the erased staff account is cut.",
)
register(
    "dsar.RequestEvent",
    subject="request__member",
    category="access_request_history",
    export_fields=("request", "action", "from_state", "to_state", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"note": ""},
    reason="The history proves the deadline was kept; notes may quote the member and are blanked.",
)
register(
    "dsar.RequestEvent",
    subject="actor",
    category="access_request_actions",
    export_fields=("request", "action", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"actor": None},
    reason="What staff did stays in the history; the link to the erased account is cut.",
)
register(
    "dsar.VerificationCode",
    subject="request__member",
    category="",
    export_fields=(),
    erasure=Erasure.DELETE,
    reason="Only a hash of a short-lived code.",
)
register(
    "dsar.ErasureReport",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.RETAIN,
    reason="Accountability of the erasure itself (Art. 5(2), 17, 19): lists model names and row counts, "
    "linked only to the anonymised account, no identifier.",
)
