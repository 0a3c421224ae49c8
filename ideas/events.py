"""Domain events of the ideas app, sent by its services after commit (crm/ or analytics may subscribe)."""

from __future__ import annotations

from portal.events import Event

# idea_status_changed(idea_id, from_status, to_status, changed_by_id): a reviewer moved an idea to a new status.
idea_status_changed = Event("idea_status_changed")
# idea_merged(duplicate_id, original_id, moved_voter_ids): a duplicate was folded into the original.
idea_merged = Event("idea_merged")
# idea_tagged(idea, tag, actor): staff added a tag to an idea (tag is a taggit Tag; once per newly added tag).
idea_tagged = Event("idea_tagged")
# idea_created(idea): a member posted an idea (insight analyses its text).
idea_created = Event("idea_created")
# comment_created(comment): a member commented on an idea.
comment_created = Event("comment_created")
