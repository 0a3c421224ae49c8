"""What a webhook carries: one versioned, documented schema per event, built when the delivery is sent.

Every payload is ``{"type", "version", "timestamp", "data"}`` (the Standard Webhooks shape plus a
version). Members appear only as a pseudonym from the subscription's own domain, texts have their
@handles replaced the same way and contact data removed (``crm.payloads.scrub``), and anything not
public (a private or hidden thread, a private forum, an unpublished post or page) is withheld.
``WEBHOOK_EVENTS`` maps each event type to its schema; the API's OpenAPI document lists them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.utils import timezone
from ninja import Schema

from consent.pseudonyms import pseudonym_for
from crm.payloads import scrub

VERSION = 1


class Withheld(Exception):
    """The event's object is not public (any more), or gone: nothing about it leaves the portal."""


# --- Schemas ------------------------------------------------------------------------------


# Named ``Webhook…`` so they never collide with the API's own schemas in the OpenAPI components.


class WebhookMember(Schema):
    """A member as this subscriber sees them: a pseudonym of its own, stable, unlinkable to other recipients."""

    pseudonym: str | None = None


class WebhookForum(Schema):
    id: int
    slug: str
    name: str


class WebhookThread(Schema):
    id: int
    title: str
    url: str
    forum: WebhookForum
    state: str
    tags: list[str]
    created_at: datetime
    author: WebhookMember


class WebhookPost(Schema):
    id: int
    thread_id: int
    url: str
    is_question: bool
    body: str
    created_at: datetime
    author: WebhookMember


class WebhookBoard(Schema):
    id: int
    slug: str
    name: str


class WebhookIdea(Schema):
    id: int
    title: str
    url: str
    board: WebhookBoard
    status: str
    body: str
    vote_count: int
    created_at: datetime
    author: WebhookMember


class WebhookCard(Schema):
    key: str
    source_type: str
    source_url: str
    action_type: str
    tag: str
    priority: str
    product: str
    due_on: date
    state: str
    created_at: datetime
    processed_at: datetime | None
    member: WebhookMember | None


class WebhookArticle(Schema):
    id: int
    title: str
    summary: str
    url: str
    locale: str
    first_published_at: datetime | None
    last_published_at: datetime | None


class ThreadCreatedWebhookData(Schema):
    thread: WebhookThread
    post: WebhookPost


class PostCreatedWebhookData(Schema):
    thread: WebhookThread
    post: WebhookPost


class ThreadTaggedWebhookData(Schema):
    thread: WebhookThread
    tag: str
    automatic: bool


class ThreadAnsweredWebhookData(Schema):
    thread: WebhookThread
    answer: WebhookPost


class IdeaCreatedWebhookData(Schema):
    idea: WebhookIdea


class IdeaStatusChangedWebhookData(Schema):
    idea: WebhookIdea
    from_status: str
    to_status: str
    response: str


class CardWebhookData(Schema):
    card: WebhookCard


class ConsentChangedWebhookData(Schema):
    member: WebhookMember
    purpose: str
    state: str


class ArticlePublishedWebhookData(Schema):
    article: WebhookArticle


class TestWebhookData(Schema):
    subscription: str
    message: str


def _envelope(event_type: str, data_schema: type[Schema], doc: str) -> type[Schema]:
    """The versioned envelope of one event type, named after it for the OpenAPI document."""
    name = "".join(part.capitalize() for part in event_type.replace("_", ".").split(".")) + "Webhook"
    schema = type(
        name,
        (Schema,),
        {
            "__annotations__": {
                "type": Literal[event_type],  # type: ignore[valid-type]
                "version": Literal[VERSION],  # type: ignore[valid-type]
                "timestamp": datetime,
                "data": data_schema,
            },
            "__doc__": doc,
            "__module__": __name__,
        },
    )
    return schema


WEBHOOK_EVENTS: dict[str, type[Schema]] = {
    "thread.created": _envelope("thread.created", ThreadCreatedWebhookData, "A public question was published."),
    "post.created": _envelope("post.created", PostCreatedWebhookData, "A reply was published in a public thread."),
    "thread.tagged": _envelope("thread.tagged", ThreadTaggedWebhookData, "A public thread got a tag."),
    "thread.answered": _envelope("thread.answered", ThreadAnsweredWebhookData, "A reply was accepted as the answer."),
    "idea.created": _envelope("idea.created", IdeaCreatedWebhookData, "A member posted an idea."),
    "idea.status_changed": _envelope(
        "idea.status_changed", IdeaStatusChangedWebhookData, "A product manager moved an idea to a new status."
    ),
    "card.created": _envelope("card.created", CardWebhookData, "An interest card was created (no free text)."),
    "card.processed": _envelope("card.processed", CardWebhookData, "The CRM reported an interest card's task done."),
    "consent.changed": _envelope(
        "consent.changed", ConsentChangedWebhookData, "A member granted or withdrew a consent (pseudonymous)."
    ),
    "kb.article.published": _envelope("kb.article.published", ArticlePublishedWebhookData, "A KB article went live."),
    "webhook.test": _envelope("webhook.test", TestWebhookData, "Sent by “Send test event” in the back office."),
}
# What administrators subscribe to (the test event goes to one subscription on request).
SUBSCRIBABLE = tuple(name for name in WEBHOOK_EVENTS if name != "webhook.test")


# --- Building ------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return path if path.startswith("http") else settings.PORTAL_BASE_URL + path


class _Context:
    """One delivery's recipient: its pseudonym domain, applied to members and texts."""

    def __init__(self, subscription):
        self.domain = subscription.pseudonym_domain

    def member(self, user) -> WebhookMember:
        if user is None or getattr(user, "erased_at", None):
            return WebhookMember(pseudonym=None)
        return WebhookMember(pseudonym=pseudonym_for(user, self.domain))

    def text(self, text: str, author) -> str:
        if author is None or getattr(author, "erased_at", None):
            return scrub(text, member=None, identity=False, domain=self.domain)
        return scrub(text, member=author, identity=False, domain=self.domain)


def _public_thread(thread_id: int):
    from community.models import Thread as ThreadModel

    thread = ThreadModel.objects.select_related("forum", "author").filter(pk=thread_id).first()
    if thread is None or not thread.is_public or thread.forum.is_private:
        raise Withheld("the thread is not public")
    return thread


def _published_post(post_id: int, thread):
    from community.models import Post as PostModel

    post = PostModel.objects.select_related("author").filter(pk=post_id, thread=thread).first()
    if post is None or not post.is_published:
        raise Withheld("the post is not published")
    return post


def _thread(ctx: _Context, thread) -> WebhookThread:
    return WebhookThread(
        id=thread.pk,
        title=ctx.text(thread.title, thread.author),
        url=_absolute(thread.get_absolute_url()),
        forum=WebhookForum(id=thread.forum.pk, slug=thread.forum.slug, name=thread.forum.name),
        state=thread.state,
        tags=[name for name, _slug in (thread.tag_labels or [])],
        created_at=thread.created_at,
        author=ctx.member(thread.author),
    )


def _post(ctx: _Context, post) -> WebhookPost:
    return WebhookPost(
        id=post.pk,
        thread_id=post.thread_id,
        url=_absolute(post.get_absolute_url()),
        is_question=post.is_question,
        body=ctx.text(post.body, post.author),
        created_at=post.created_at,
        author=ctx.member(post.author),
    )


def _idea(ctx: _Context, idea_id: int) -> WebhookIdea:
    from ideas.models import Idea as IdeaModel

    idea = IdeaModel.objects.select_related("board", "author").filter(pk=idea_id).first()
    if idea is None:
        raise Withheld("the idea is gone")
    return WebhookIdea(
        id=idea.pk,
        title=ctx.text(idea.title, idea.author),
        url=_absolute(idea.get_absolute_url()),
        board=WebhookBoard(id=idea.board.pk, slug=idea.board.slug, name=idea.board.name),
        status=idea.status,
        body=ctx.text(idea.body, idea.author),
        vote_count=idea.vote_count,
        created_at=idea.created_at,
        author=ctx.member(idea.author),
    )


def _card(ctx: _Context, card_id: int) -> WebhookCard:
    from crm.models import InterestCard, SourceType

    card = InterestCard.objects.select_related("member").filter(pk=card_id).first()
    if card is None:
        raise Withheld("the card is gone")
    if card.source_type == SourceType.THREAD:
        _public_thread(card.source_id)
    return WebhookCard(
        key=str(card.key),
        source_type=card.source_type,
        source_url=card.source_url,
        action_type=card.action_type,
        tag=card.tag,
        priority=card.priority,
        product=card.product,
        due_on=card.due_on,
        state=card.state,
        created_at=card.created_at,
        processed_at=card.processed_at,
        member=ctx.member(card.member) if card.member_id else None,
    )


def _article(page_id: int) -> WebhookArticle:
    from knowledgebase.models import KBArticlePage

    page = KBArticlePage.objects.live().public().select_related("locale").filter(pk=page_id).first()
    if page is None:
        raise Withheld("the article is not live and public")
    return WebhookArticle(
        id=page.pk,
        title=page.title,
        summary=page.summary,
        url=page.get_full_url() or _absolute(page.url or ""),
        locale=page.locale.language_code,
        first_published_at=page.first_published_at,
        last_published_at=page.last_published_at,
    )


def _data(event_type: str, refs: dict, ctx: _Context, delivery) -> Schema:
    if event_type in ("thread.created", "post.created", "thread.answered"):
        thread = _public_thread(refs["thread_id"])
        post = _published_post(refs["post_id"], thread)
        if event_type == "thread.created":
            return ThreadCreatedWebhookData(thread=_thread(ctx, thread), post=_post(ctx, post))
        if event_type == "post.created":
            return PostCreatedWebhookData(thread=_thread(ctx, thread), post=_post(ctx, post))
        return ThreadAnsweredWebhookData(thread=_thread(ctx, thread), answer=_post(ctx, post))
    if event_type == "thread.tagged":
        thread = _public_thread(refs["thread_id"])
        return ThreadTaggedWebhookData(
            thread=_thread(ctx, thread), tag=refs["tag"], automatic=bool(refs.get("automatic"))
        )
    if event_type == "idea.created":
        return IdeaCreatedWebhookData(idea=_idea(ctx, refs["idea_id"]))
    if event_type == "idea.status_changed":
        idea = _idea(ctx, refs["idea_id"])
        from ideas.models import Idea as IdeaModel

        response = IdeaModel.objects.filter(pk=refs["idea_id"]).values_list("public_response", flat=True).first()
        return IdeaStatusChangedWebhookData(
            idea=idea, from_status=refs["from_status"], to_status=refs["to_status"], response=response or ""
        )
    if event_type in ("card.created", "card.processed"):
        return CardWebhookData(card=_card(ctx, refs["card_id"]))
    if event_type == "consent.changed":
        if delivery.member is None:
            raise Withheld("the member is gone")
        return ConsentChangedWebhookData(
            member=ctx.member(delivery.member), purpose=refs["purpose"], state=refs["state"]
        )
    if event_type == "kb.article.published":
        return ArticlePublishedWebhookData(article=_article(refs["page_id"]))
    if event_type == "webhook.test":
        return TestWebhookData(
            subscription=delivery.subscription.name,
            message="A test event from the community portal: the signature and the URL work.",
        )
    raise Withheld(f"unknown event type {event_type}")


def build(delivery) -> dict:
    """The JSON body of one delivery, as its schema documents it; raises ``Withheld`` for non-public objects."""
    ctx = _Context(delivery.subscription)
    data = _data(delivery.event_type, delivery.refs or {}, ctx, delivery)
    envelope = WEBHOOK_EVENTS[delivery.event_type](
        type=delivery.event_type,
        version=VERSION,
        timestamp=delivery.occurred_at or timezone.now(),
        data=data,
    )
    return envelope.model_dump(mode="json")
