"""Domain events of the ideas app, sent by its services after commit (crm/ or analytics may subscribe)."""

from django.dispatch import Signal

from portal.events import Event

# kwargs: idea_id, from_status, to_status, changed_by_id
idea_status_changed = Signal()
# kwargs: duplicate_id, original_id, moved_voter_ids
idea_merged = Signal()
# idea_tagged(idea, tag, actor): staff added a tag to an idea (tag is a taggit Tag; once per newly added tag).
idea_tagged = Event("idea_tagged")
