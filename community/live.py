"""Live updates: a channel-layer group per thread; services schedule ``broadcast_post_on_commit``.

The message names the new post and nothing else. Each open page fetches the post's HTML for its
own viewer (``community.views.post_fragment``), rendered by the same include as the thread page, so
a live reply carries exactly the buttons that viewer would get after a reload, and no member's
permissions are ever sent to another.
"""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from portal.cache import OUTAGE_ERRORS

logger = logging.getLogger(__name__)


def thread_group(thread_id: int) -> str:
    return f"community.thread.{thread_id}"


def broadcast_post(*, thread_id: int, post_id: int) -> None:
    """Tell every open page of the thread that post ``post_id`` exists (never raises)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(thread_group(thread_id), {"type": "post.created", "post_id": post_id})
    except OUTAGE_ERRORS as error:
        # Redis is down: the post is saved, open pages fetch it when their socket reconnects.
        logger.warning("Live update for post %s skipped, channel layer unreachable: %s", post_id, error)
    except Exception:
        logger.exception("Live update for post %s failed", post_id)


def broadcast_post_on_commit(post) -> None:
    """Broadcast once the post is committed: open pages must never show a post that was rolled back."""
    transaction.on_commit(partial(broadcast_post, thread_id=post.thread_id, post_id=post.pk))
