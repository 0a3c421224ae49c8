"""Classification of insight's models in the personal-data registry."""

from consent.registry import Erasure, not_personal, register

register(
    "insight.ItemAnalysis",
    subject="member",
    category="insight_text_labels",
    export_fields=("kind", "object_id", "language", "label", "score", "keywords", "created_at", "analysed_at"),
    erasure=Erasure.DELETE,
    reason="The mood label, language and keywords derived from the member's own posts, ideas, comments and chat "
    "lines; shown to staff only in aggregates of at least five members.",
)
register(
    "insight.DigestSubscription",
    subject="user",
    category="insight_digest",
    export_fields=("created_at", "last_sent_at"),
    erasure=Erasure.DELETE,
)
not_personal("insight.DailyFigure", reason="Counts per day, source, forum or board and language; no member.")
not_personal("insight.SuggestionDay", reason="How many knowledge-base suggestions were shown per day; no member.")
not_personal("insight.AlertState", reason="When a forum's or product's negative share was last alerted; no member.")
