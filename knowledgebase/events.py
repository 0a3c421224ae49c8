"""Domain events of the knowledge base, sent after commit (api/webhooks subscribes)."""

from __future__ import annotations

from portal.events import Event

# article_published(article): a KB article went live (first publication or a new published revision).
article_published = Event("article_published")
# suggestions_shown(count): articles were suggested to someone typing a question (an aggregate: no user, no text).
suggestions_shown = Event("suggestions_shown")
