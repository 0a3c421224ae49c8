"""Classification of the knowledge base's models in the personal-data registry."""

from consent.registry import Erasure, not_personal, register

register(
    "knowledgebase.HelpfulVote",
    subject="user",
    category="kb_helpful_votes",
    export_fields=("article", "helpful", "created_at"),
    erasure=Erasure.DELETE,
    reason="Anonymous votes hold only an HMAC of a random session key and no member link.",
)
register(
    "knowledgebase.ThreadArticleLink",
    subject="answerer",
    category="kb_credits",
    export_fields=("article", "thread", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"answerer": None},
    reason="The article stays; its credit line then names no one.",
)
register(
    "knowledgebase.ThreadArticleLink",
    subject="promoted_by",
    category="kb_promotions",
    export_fields=("article", "thread", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"promoted_by": None},
    reason="Staff action on content; the link to the staff account is cut.",
)
not_personal("knowledgebase.KBProduct", reason="Product names chosen by staff.")
not_personal("knowledgebase.KBIndexPage", reason="Editorial page content; authorship is on wagtailcore.Page.")
not_personal("knowledgebase.KBCategoryPage", reason="Editorial page content; authorship is on wagtailcore.Page.")
not_personal(
    "knowledgebase.KBArticlePage",
    reason="Editorial page content; a promoted answer's author is credited only through ThreadArticleLink.",
)
not_personal("knowledgebase.KBArticleTag", reason="Links between tags and articles.")
not_personal("knowledgebase.KBRelatedArticle", reason="Links between two articles.")
