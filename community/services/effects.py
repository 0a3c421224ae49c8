"""What a write schedules after commit: live updates, notification tasks, events and search reindexing."""

from __future__ import annotations

from django.db import transaction

from community import events
from community.models import (
    Post,
)


def _after_publish(post: Post) -> None:
    """Index, notify and broadcast once the post is committed and visible."""
    from community import live, tasks

    def effects():
        live.broadcast_post(post)
        tasks.post_published.enqueue(post_id=post.pk)
        if events.post_created.has_receivers:
            events.post_created.send(post=post)

    transaction.on_commit(effects)


def _reindex(*objects) -> None:
    from community import tasks

    refs = [(obj._meta.label, obj.pk) for obj in objects]
    transaction.on_commit(lambda: tasks.reindex.enqueue(refs=refs))
