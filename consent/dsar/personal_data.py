"""Classification of the access-request models."""

from consent.registry import Erasure, not_personal, register

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
    export_fields=(
        "kind",
        "state",
        "channel",
        "origin",
        "details",
        "received_at",
        "due_on",
        "extended_due_on",
        "erase_after",
        "closed_at",
    ),
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
register(
    "dsar.ProcessingRestriction",
    subject="member",
    category="processing_restrictions",
    export_fields=("kind", "since", "lifted_at", "lift_reason"),
    erasure=Erasure.DELETE,
    reason="A restriction only matters while the member exists; erasure ends every processing anyway.",
)
register(
    "dsar.ProcessingRestriction",
    subject="placed_by",
    category="processing_restrictions_placed",
    export_fields=("kind", "since"),
    erasure=Erasure.ANONYMISE,
    anonymise={"placed_by": None},
    reason="Restrictions placed by a DPO stay; the link to the erased staff account is cut.",
)
register(
    "dsar.ProcessingRestriction",
    subject="lifted_by",
    category="processing_restrictions_lifted",
    export_fields=("kind", "lifted_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"lifted_by": None, "lift_reason": ""},
    reason="Restrictions lifted by a DPO stay; the link to the erased staff account and the free text go.",
)
register(
    "dsar.InactivityWarning",
    subject="user",
    category="inactivity_warnings",
    export_fields=("warned_at", "last_activity_at", "mailed_at"),
    erasure=Erasure.DELETE,
)
register(
    "dsar.RetentionPolicy",
    subject="updated_by",
    category="retention_policies_changed",
    export_fields=("code", "days", "enabled", "updated_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"updated_by": None},
    reason="The policy stays; the link to the erased staff account who last changed it is cut.",
)
register(
    "dsar.RetentionRun",
    subject="actor",
    category="retention_runs_started",
    export_fields=("started_at", "trigger"),
    erasure=Erasure.ANONYMISE,
    anonymise={"actor": None},
    reason="The history of retention runs proves enforcement (Art. 5(1)(e), 5(2)); the starter's link is cut.",
)
not_personal(
    "dsar.EvidenceKey",
    reason="Random key material per day; it names no one (the evidence it keys is in the ledger, hashed).",
)
