"""The shapes the API reads and writes (its OpenAPI components); members appear only as the client's pseudonyms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Path, Schema

# Ids in paths: a positive 64-bit integer, so an out-of-range number is a 422 and never reaches the database.
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Field(ge=1, le=100)]
# Slugs and codes in paths: what the portal's URLs can hold (control characters never reach the API).
Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", max_length=120)]


class Member(Schema):
    """A member as this API client sees them: a pseudonym of its own, stable for the client, unlinkable across clients."""

    pseudonym: str
    is_you: bool


class Forum(Schema):
    slug: str
    name: str
    description: str
    product: str
    is_private: bool
    thread_count: int
    post_count: int
    last_activity_at: datetime | None
    url: str


class Thread(Schema):
    id: int
    forum: str
    title: str
    state: str
    is_pinned: bool
    is_private: bool
    is_held: bool
    is_answered: bool
    reply_count: int
    tags: list[str]
    author: Member | None
    created_at: datetime
    last_activity_at: datetime
    url: str


class Post(Schema):
    id: int
    thread_id: int
    author: Member | None
    is_question: bool
    is_accepted: bool
    status: str
    body_html: str
    helpful_count: int
    created_at: datetime
    edited_at: datetime | None


class ThreadDetail(Thread):
    question: Post | None


class ThreadPage(Schema):
    items: list[Thread]
    next_cursor: str | None


class PostPage(Schema):
    items: list[Post]
    next_cursor: str | None


class ThreadIn(Schema):
    title: str = Field(..., max_length=300)
    body: str = Field(..., max_length=20000)
    tags: list[str] = Field(default_factory=list, max_length=5)


class PostIn(Schema):
    body: str = Field(..., max_length=20000)


class Board(Schema):
    slug: str
    name: str
    description: str
    is_active: bool


class Idea(Schema):
    id: int
    board: str
    title: str
    body_html: str
    status: str
    public_response_html: str
    vote_count: int
    comment_count: int
    has_voted: bool
    author: Member | None
    merged_into_id: int | None
    created_at: datetime
    status_changed_at: datetime | None
    url: str


class IdeaPage(Schema):
    items: list[Idea]
    next_cursor: str | None


class VoteIn(Schema):
    voted: bool


class Vote(Schema):
    idea_id: int
    voted: bool
    changed: bool
    vote_count: int


class IdeaStatusIn(Schema):
    status: str = Field(..., max_length=20)
    response: str = Field("", max_length=5000)


class Article(Schema):
    id: int
    title: str
    summary: str
    url: str
    last_reviewed: date | None
    first_published_at: datetime | None


class ArticleDetail(Article):
    body_html: str


class ArticlePage(Schema):
    items: list[Article]
    next_cursor: str | None


class ArticleHit(Schema):
    id: int
    title: str
    url: str
    excerpt: str


class Card(Schema):
    id: int
    key: str
    source_type: str
    source_url: str
    reply_url: str
    title: str
    text: str
    product: str
    tag: str
    action_type: str
    priority: str
    due_on: date
    state: str
    member: Member | None
    assignee: Member | None
    claimed_at: datetime | None
    remote_status: str
    reply: str
    replied_at: datetime | None
    processed_at: datetime | None
    created_at: datetime


class CardPage(Schema):
    items: list[Card]
    next_cursor: str | None


class Claim(Schema):
    claimed: bool
    card: Card


class CardReplyIn(Schema):
    text: str = Field(..., min_length=1, max_length=2000)


class CardStatusIn(Schema):
    status: str = Field(..., min_length=1, max_length=60)
    done: bool = False


class Consent(Schema):
    purpose: str
    name: str
    description: str
    state: str
    granted: bool
    notice_version: int
    current_notice_version: int | None
    updated_at: datetime | None


class ConsentIn(Schema):
    granted: bool
    notice_version: int | None = None


class Receipt(Schema):
    """The ledger event a grant or withdrawal wrote: the same receipt the privacy centre offers."""

    record_id: str
    kind: str
    state: str
    created_at: datetime
    receipt_url: str
    jws: str


class ConsentChange(Schema):
    consent: Consent
    changed: bool
    receipt: Receipt | None


class Export(Schema):
    id: str
    status: str
    created_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None
    download_url: str | None
