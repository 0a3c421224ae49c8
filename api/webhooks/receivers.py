"""Subscriptions to the domain apps' events; each one hands straight to a service."""

from __future__ import annotations

from api.webhooks import services


def on_post_created(*, post, **kwargs) -> None:
    services.post_published(post=post)


def on_thread_tagged(*, thread, tag, automatic=False, **kwargs) -> None:
    services.thread_tagged(thread=thread, tag=tag, automatic=automatic)


def on_answer_accepted(*, thread, post, **kwargs) -> None:
    services.thread_answered(thread=thread, post=post)


def on_idea_created(*, idea, **kwargs) -> None:
    services.idea_created(idea=idea)


def on_idea_status_changed(*, idea_id, from_status, to_status, **kwargs) -> None:
    services.idea_status_changed(idea_id=idea_id, from_status=from_status, to_status=to_status)


def on_card_created(*, card, **kwargs) -> None:
    services.card_event(event_type="card.created", card=card)


def on_card_processed(*, card, **kwargs) -> None:
    services.card_event(event_type="card.processed", card=card)


def on_consent_changed(*, user_id, purpose, state, event_index=None, **kwargs) -> None:
    services.consent_changed(user_id=user_id, purpose=purpose, state=state, event_index=event_index)


def on_article_published(*, article, **kwargs) -> None:
    services.article_published(article=article)
