"""What happens when a page's review workflow approves its last step (Wagtail's ``WAGTAIL_FINISH_WORKFLOW_ACTION``).

Editors cannot publish (``portal.roles``): a page goes live only through its workflow, whose last
approval publishes it, now or at the time the editor scheduled. Wagtail's default action would also
require the last approver to hold the publish permission, which would let that department publish
around the earlier steps; here the completed workflow itself is the authority.
"""

from __future__ import annotations


def publish_approved(workflow_state, user=None):
    """Publish the revision the workflow approved (a future ``go_live_at`` makes it scheduled, not live)."""
    revision = workflow_state.content_object.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
