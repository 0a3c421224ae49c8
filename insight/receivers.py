"""insight's subscriptions to the domain apps' events: every new or edited member text is analysed after commit."""

from __future__ import annotations

from insight import tasks
from insight.models import ItemKind
from portal.events import enqueue_on_commit


def _analyse(kind: str, pk: int) -> None:
    enqueue_on_commit(tasks.analyse_items, kind=str(kind), item_ids=[pk])


def on_post_created(*, post, **kwargs) -> None:
    _analyse(ItemKind.POST, post.pk)


def on_post_edited(*, post, **kwargs) -> None:
    _analyse(ItemKind.POST, post.pk)


def on_idea_created(*, idea, **kwargs) -> None:
    _analyse(ItemKind.IDEA, idea.pk)


def on_comment_created(*, comment, **kwargs) -> None:
    _analyse(ItemKind.IDEA_COMMENT, comment.pk)


def on_message_posted(*, message, **kwargs) -> None:
    if message.author_id == message.chat.member_id:
        _analyse(ItemKind.CHAT_MESSAGE, message.pk)


def on_suggestions_shown(*, count: int, **kwargs) -> None:
    from insight.services import suggestions_count

    if count:
        suggestions_count(shown=1)


def on_processing_stopped(*, member_id: int, **kwargs) -> None:
    enqueue_on_commit(tasks.member_analyses_drop, member_id=member_id)
