"""Live updates: a channel-layer group per thread; services schedule ``broadcast_post_on_commit``."""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.template.loader import render_to_string

from portal.cache import OUTAGE_ERRORS

logger = logging.getLogger(__name__)


def thread_group(thread_id: int) -> str:
    return f"community.thread.{thread_id}"


def live_html(post) -> str:
    """The viewer-neutral HTML of a post as live pages show it (pushed, or fetched after a reconnect)."""
    return render_to_string("community/includes/post_live.html", {"post": post})


def broadcast_post(post) -> None:
    """Send the new post's viewer-neutral HTML to every open page of its thread (never raises)."""
    layer = get_channel_layer()
    if layer is None:
        return
    html = live_html(post)
    try:
        async_to_sync(layer.group_send)(
            thread_group(post.thread_id), {"type": "post.created", "post_id": post.pk, "html": html}
        )
    except OUTAGE_ERRORS as error:
        # Redis is down: the post is saved, open pages fetch it when their socket reconnects.
        logger.warning("Live update for post %s skipped, channel layer unreachable: %s", post.pk, error)
    except Exception:
        logger.exception("Live update for post %s failed", post.pk)


def broadcast_post_on_commit(post) -> None:
    """Broadcast once the post is committed: open pages must never show a post that was rolled back."""
    transaction.on_commit(partial(broadcast_post, post))
