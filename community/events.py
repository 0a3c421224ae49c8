"""Domain events the community emits after commit; other apps (crm/) subscribe with ``.connect``."""

from __future__ import annotations

from portal.events import Event

# thread_tagged(thread, tag, actor, automatic): a tag was added to a thread.
thread_tagged = Event("thread_tagged")
# post_created(post): a post was published; sent from the worker by community.tasks.post_published
# (after commit, once per post even when a run is repeated), so receivers cost the member's request nothing.
post_created = Event("post_created")
# answer_accepted(thread, post, actor)
answer_accepted = Event("answer_accepted")
# post_edited(post): the text of a post changed (insight re-analyses it).
post_edited = Event("post_edited")
