"""Domain events of the ideas app, sent by its services after commit (crm/ or analytics may subscribe)."""

from django.dispatch import Signal

# kwargs: idea_id, from_status, to_status, changed_by_id
idea_status_changed = Signal()
# kwargs: duplicate_id, original_id, moved_voter_ids
idea_merged = Signal()
