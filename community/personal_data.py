"""Classification of the community's models in the personal-data registry."""

from consent.registry import Erasure, not_personal, register, rewrite_text

DELETED = "Posts stay readable under “deleted member”: the link to the account is cut, the rendered text kept."

register(
    "community.Thread",
    subject="author",
    category="threads",
    export_fields=("title", "forum", "state", "created_at", "last_activity_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason=DELETED,
)
register(
    "community.Post",
    subject="author",
    category="posts",
    export_fields=("thread", "body", "status", "hidden_reason", "created_at", "edited_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason=DELETED,
)
register(
    "community.PostRevision",
    subject="post__author",
    category="post_revisions",
    export_fields=("post", "body", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"edited_by": None},
    reason="Edit history of a post follows the post; the editor link is cut.",
)
register(
    "community.PostRevision",
    subject="edited_by",
    category="post_edits",
    export_fields=("post", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"edited_by": None},
    reason="Edits made by the member on others' posts (moderators): the link is cut.",
)
register(
    "community.Reaction",
    subject="user",
    category="reactions",
    export_fields=("post", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "community.Mention",
    subject="user",
    category="mentions",
    export_fields=("post", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "community.Flag",
    subject="reporter",
    category="flags",
    export_fields=("post", "reason", "note", "created_at", "resolved_at", "resolution"),
    erasure=Erasure.ANONYMISE,
    anonymise={"reporter": None, "note": ""},
    reason="Moderation needs the flag itself; who flagged and the free-text note go.",
)
register(
    "community.Flag",
    subject="resolved_by",
    category="flags_resolved",
    export_fields=("post", "resolution", "resolved_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"resolved_by": None},
    reason="The moderation outcome stays; the link to the moderator is cut.",
)
register(
    "community.ModerationAction",
    subject="member",
    category="moderation_actions",
    export_fields=("kind", "reason", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"member": None},
    reason="The moderation log is kept as an accountability record; the link to the erased member is cut.",
)
register(
    "community.ModerationAction",
    subject="moderator",
    category="moderation_actions_taken",
    export_fields=("kind", "reason", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"moderator": None},
    reason="Actions taken by a moderator stay in the log; the link to the erased account is cut.",
)
register(
    "community.BlogPage",
    subject="author",
    category="blog_posts",
    export_fields=("title", "date"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason="Published blog posts stay; the byline link to the erased account is cut.",
)
register(
    "community.Draft",
    subject="author",
    category="drafts",
    export_fields=("thread", "forum", "title", "body", "tags", "updated_at"),
    erasure=Erasure.DELETE,
)
register(
    "community.PostImage",
    subject="owner",
    category="post_images",
    export_fields=("file", "post", "content_type", "width", "height", "size", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "community.Watch",
    subject="user",
    category="watches",
    export_fields=("thread", "forum", "tag", "level", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "community.Bookmark",
    subject="user",
    category="bookmarks",
    export_fields=("thread", "post", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "community.ThreadRead",
    subject="user",
    category="read_positions",
    export_fields=("thread", "last_read_post_id", "read_at"),
    erasure=Erasure.DELETE,
)

for model, reason in (
    ("community.Forum", "Forum configuration; access grants are guardian object permissions, registered there."),
    ("community.Tag", "Topic names."),
    ("community.BlogIndexPage", "Editorial page; ownership is registered on wagtailcore.Page."),
    ("community.BlogPageTag", "Links between tags and blog posts."),
    ("community.DepartmentApprovalTask", "Workflow configuration: a step and the groups that approve it."),
    ("community.ModerationSettings", "Configuration."),
):
    not_personal(model, reason=reason)
# Others quote and @-mention members in posts and revisions: erasure rewrites the handle there.
rewrite_text("community.Thread", fields=("title",))
rewrite_text("community.Post", fields=("body", "body_html"))
rewrite_text("community.PostRevision", fields=("body",))
