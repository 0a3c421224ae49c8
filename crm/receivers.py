"""Subscriptions to other apps' events; each one hands straight to a service."""

from __future__ import annotations

from crm import services


def on_thread_tagged(*, thread, tag, actor, automatic, **kwargs) -> None:
    services.thread_tagged(thread=thread, tag=tag, actor=actor, automatic=automatic)


def on_chat_tagged(*, chat, tag, actor, **kwargs) -> None:
    services.chat_tagged(chat=chat, tag=tag, actor=actor)


def on_idea_tagged(*, idea, tag, actor, **kwargs) -> None:
    services.idea_tagged(idea=idea, tag=tag, actor=actor)


def on_post_created(*, post, **kwargs) -> None:
    services.thread_autotag(post=post)


def on_consent_changed(*, user_id, purpose, state, **kwargs) -> None:
    services.consent_changed(user_id=user_id, purpose=purpose, state=state)


def on_member_erased(*, user_id: int, **kwargs) -> None:
    """Erasure finished in the privacy core: the CRM copies lose the identity now, not at the next sweep."""
    services.erased_members_redact()
