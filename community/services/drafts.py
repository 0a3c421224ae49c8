"""Drafts kept on the server while a member writes, and the images they upload into posts."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions, uploads
from community.models import Draft, Forum, Post, PostImage, Thread
from community.models.drafts import POST_IMAGE_DIR
from community.models.forum import BODY_MAX, TITLE_MAX
from community.services.rules import PostingBlocked, _check_can_post, images_for, render_post_body
from portal import ratelimit
from portal.markup import upload_name, upload_urls
from portal.models import User

DRAFT_SAVES_PER_MINUTE = 60  # the editor saves 1.5 s after the last key: a fast typist stays far below
IMAGE_UPLOADS_PER_HOUR = 60
TAGS_MAX = 250
JUST_POSTED_MINUTES = 2


# --- drafts ---------------------------------------------------------------------------------


def _draft_target(*, thread: Thread | None, forum: Forum | None) -> dict:
    if (thread is None) == (forum is None):
        raise ValueError("a draft belongs to exactly one thread or one forum")
    return {"thread": thread} if thread is not None else {"forum": forum}


@transaction.atomic
def draft_save(
    *,
    author: User,
    body: str,
    thread: Thread | None = None,
    forum: Forum | None = None,
    title: str = "",
    tags: str = "",
) -> Draft | None:
    """Keep what the member is writing (one draft per member and thread or forum); empty text removes it.

    Returns the stored draft, or None when the draft was emptied. Too long a text is refused whole:
    nothing is stored, so the previous draft stays as it was.
    """
    target = _draft_target(thread=thread, forum=forum)
    if thread is not None and not permissions.can_reply_to_thread(author, thread):
        raise PermissionDenied
    if forum is not None and (posting := permissions.posting_block_reason(author)):
        raise PermissionDenied(posting)
    if forum is not None and not permissions.can_view_forum(author, forum):
        raise PermissionDenied
    body = (body or "").replace("\r\n", "\n").replace("\x00", "")
    title = (title or "").replace("\x00", "")
    tags = (tags or "").replace("\x00", "")
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("The text is too long: at most %(max)d characters.") % {"max": BODY_MAX}})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("The title is too long: at most %(max)d characters.") % {"max": TITLE_MAX}})
    if len(tags) > TAGS_MAX:
        raise ValidationError({"tags": _("The tags are too long: at most %(max)d characters.") % {"max": TAGS_MAX}})
    try:
        ratelimit.hit(f"community:draft:{author.pk}", limit=DRAFT_SAVES_PER_MINUTE, window=60)
    except ratelimit.RateLimited:
        raise PostingBlocked(_("Your draft is saved very often. Please wait a moment.")) from None
    if (not body.strip() and not title.strip() and not tags.strip()) or _just_posted(author, body, **target):
        Draft.objects.filter(author=author, **target).delete()
        return None
    draft, _created = Draft.objects.update_or_create(
        author=author,
        **target,
        defaults={"body": body, "title": title, "tags": tags, "updated_at": timezone.now()},
    )
    return draft


def _just_posted(author: User, body: str, *, thread: Thread | None = None, forum: Forum | None = None) -> bool:
    """A save that raced the post it drafted (sent as the member clicked "Post") must not bring the draft back."""
    recent = Post.objects.filter(
        author=author, body=body.strip(), created_at__gte=timezone.now() - timedelta(minutes=JUST_POSTED_MINUTES)
    )
    if thread is not None:
        return recent.filter(thread=thread).exists()
    return recent.filter(thread__forum=forum, is_question=True).exists()


def draft_clear(*, author: User, thread: Thread | None = None, forum: Forum | None = None) -> None:
    """The member posted what they drafted: the draft goes in the same transaction as the post."""
    Draft.objects.filter(author=author, **_draft_target(thread=thread, forum=forum)).delete()


def drafts_posted_clear(*, post: Post) -> int:
    """After a post: its author's draft for the same thread (or, for a question, forum) saved before it goes.

    The request clears the draft when the form knew of one; this catches a save it did not know of.
    """
    if post.author_id is None:
        return 0
    target = {"forum_id": post.thread.forum_id} if post.is_question else {"thread_id": post.thread_id}
    deleted, _by_model = Draft.objects.filter(
        author_id=post.author_id, updated_at__lte=post.created_at, **target
    ).delete()
    return deleted


def drafts_due(cutoff: datetime):
    return Draft.objects.filter(updated_at__lt=cutoff)


def drafts_purge(*, cutoff: datetime) -> int:
    """Retention: drafts untouched since ``cutoff`` are deleted."""
    deleted, _by_model = drafts_due(cutoff).delete()
    return deleted


# --- images in posts ------------------------------------------------------------------------


def images_attach(*, post: Post) -> int:
    """The author's waiting uploads that the post embeds now belong to it (and follow it from then on)."""
    urls = upload_urls(post.body)
    if not urls or post.author_id is None:
        return 0
    names = [f"{POST_IMAGE_DIR}/{upload_name(url)}" for url in urls]
    return PostImage.objects.filter(owner_id=post.author_id, post__isnull=True, file__in=names).update(post=post)


def post_image_upload(*, owner: User, data: bytes) -> PostImage:
    """Store an image for the member's next post: content checked and re-encoded, a random name.

    Refused uploads store nothing (no row, no file); the file is written before the row and removed
    again when the row cannot be written.
    """
    _check_can_post(owner)
    if len(data) > settings.POST_IMAGE_MAX_BYTES:
        raise uploads.ImageRefused(too_large_message())
    try:
        ratelimit.hit(f"community:image:{owner.pk}", limit=IMAGE_UPLOADS_PER_HOUR, window=3600)
    except ratelimit.RateLimited:
        raise PostingBlocked(_("You have uploaded many images recently. Please try again later.")) from None
    clean = uploads.sanitise(data)
    token = secrets.token_urlsafe(24)
    stored = default_storage.save(f"{POST_IMAGE_DIR}/{token}.{clean.extension}", ContentFile(clean.content))
    try:
        with transaction.atomic():
            return PostImage.objects.create(
                owner=owner,
                token=token,
                file=stored,
                content_type=clean.content_type,
                width=clean.width,
                height=clean.height,
                size=len(clean.content),
            )
    except Exception:
        default_storage.delete(stored)
        raise


def too_large_message() -> str:
    megabytes = settings.POST_IMAGE_MAX_BYTES / (1024 * 1024)
    return _("The image is too large: at most %(size)s MB.") % {"size": f"{megabytes:g}"}


def _delete_stored(name: str) -> None:
    default_storage.delete(name)


def _images_remove(queryset) -> int:
    """Delete upload rows, take them out of every post that shows them, and their files after commit."""
    rows = list(queryset.values_list("pk", "file"))
    if not rows:
        return 0
    PostImage.objects.filter(pk__in=[pk for pk, _name in rows]).delete()
    urls = [f"{settings.MEDIA_URL}{name}" for _pk, name in rows]
    posts_rerender(urls=urls)
    for _pk, name in rows:
        transaction.on_commit(partial(_delete_stored, name))
    return len(rows)


def posts_rerender(*, urls: list[str]) -> int:
    """Render again every post that embeds one of these upload addresses (a removed image disappears)."""
    query = Q()
    for url in urls:
        query |= Q(body__contains=url)
    changed = []
    for post in Post.objects.filter(query).only("pk", "body", "body_html").iterator(chunk_size=500):
        html = render_post_body(post.body)
        if html != post.body_html:
            post.body_html = html
            changed.append(post)
    # Cached post fragments are keyed by body_html: the changed posts are rendered afresh.
    Post.objects.bulk_update(changed, ["body_html"], batch_size=500)
    return len(changed)


@transaction.atomic
def post_image_delete(*, image: PostImage, actor: User) -> None:
    """The owner (or a moderator) removes an upload: it leaves storage and every post that shows it."""
    if actor.pk != image.owner_id and not permissions.is_moderator(actor):
        raise PermissionDenied
    _images_remove(PostImage.objects.filter(pk=image.pk))


def post_images_unattached_due(cutoff: datetime):
    return PostImage.objects.filter(post__isnull=True, created_at__lt=cutoff)


@transaction.atomic
def post_images_purge(*, cutoff: datetime) -> int:
    """Retention: uploads never posted (or whose post is gone) since ``cutoff`` leave storage."""
    return _images_remove(post_images_unattached_due(cutoff))


@transaction.atomic
def posts_without_erased_images() -> int:
    """After an erasure deleted a member's uploads: posts that still embed a missing upload are rendered again."""
    prefix = f"{settings.MEDIA_URL}{POST_IMAGE_DIR}/"
    missing: set[str] = set()
    for body in Post.objects.filter(body__contains=prefix).values_list("body", flat=True).iterator(chunk_size=500):
        urls = upload_urls(body)
        existing = images_for(body) if urls else {}
        missing.update(url for url in urls if url not in existing)
    return posts_rerender(urls=sorted(missing)) if missing else 0
