"""What a write schedules after commit: live updates, notification tasks, events and search reindexing."""

from __future__ import annotations

from community.models import (
    Post,
)
from portal.events import enqueue_on_commit
from portal.tasks import reindex


def _after_publish(post: Post) -> None:
    """Index, notify and broadcast once the post is committed and visible."""
    from community import live, tasks

    live.broadcast_post_on_commit(post)
    # post_published sends the post_created event from the worker (see community.tasks).
    enqueue_on_commit(tasks.post_published, post_id=post.pk)


def _reindex(*objects) -> None:
    refs = [(obj._meta.label, obj.pk) for obj in objects]
    enqueue_on_commit(reindex, refs=refs)
