"""Classification of the ideas app's models for export and erasure."""

from consent.registry import Erasure, not_personal, register, rewrite_text

register(
    "ideas.Idea",
    subject="author",
    category="ideas",
    export_fields=("title", "body", "status", "board", "created_at", "vote_count"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason="Ideas stay readable for other voters under “deleted member”; the link to the account is cut.",
)
register(
    "ideas.Vote",
    subject="voter",
    category="votes",
    export_fields=("idea", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"voter": None},
    reason="The vote stays counted (the idea's demand is aggregate, not personal) but no longer names the member.",
)
register(
    "ideas.Follow",
    subject="user",
    category="idea_follows",
    export_fields=("idea", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "ideas.Comment",
    subject="author",
    category="idea_comments",
    export_fields=("idea", "body", "created_at", "hidden_at", "hidden_reason"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason="Comments stay readable in the discussion under “deleted member”.",
)
register(
    "ideas.Comment",
    subject="hidden_by",
    category="moderation_actions",
    export_fields=("idea", "hidden_at", "hidden_reason"),
    erasure=Erasure.ANONYMISE,
    anonymise={"hidden_by": None},
    reason="The moderation record stays; the moderator's account link is cut.",
)
register(
    "ideas.StatusChange",
    subject="changed_by",
    category="idea_status_changes",
    export_fields=("idea", "from_status", "to_status", "response", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"changed_by": None},
    reason="The public status history stays; the staff member's account link is cut.",
)
register(
    "ideas.InternalNote",
    subject="author",
    category="idea_internal_notes",
    export_fields=("idea", "body", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason="Staff notes are product records; the staff member's account link is cut.",
)
not_personal("ideas.Board", reason="Product boards configured by staff.")
not_personal("ideas.Category", reason="Topic areas of a board configured by staff.")
not_personal("ideas.InternalTag", reason="Tag names staff mark as internal routing labels; no member in them.")
# Ideas and comments may quote or @-mention a member: erasure rewrites the handle there.
rewrite_text("ideas.Idea", fields=("title", "body", "body_html"))
rewrite_text("ideas.Comment", fields=("body", "body_html"))
