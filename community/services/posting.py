"""Members' writes in the forums: threads, posts, edits, accepted answers, reactions, tags and flags."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import events, permissions, selectors
from community.models import (
    Flag,
    Forum,
    Mention,
    Post,
    PostRevision,
    Reaction,
    Tag,
    Thread,
)
from community.models.forum import TAG_MAX, TITLE_MAX, PostStatus, ThreadState
from community.models.moderation import FlagReason
from community.services.drafts import draft_clear, images_attach
from community.services.effects import _after_publish, _reindex
from community.services.rules import (
    PostingBlocked,
    _check_can_post,
    _clean_body,
    _clean_title,
    _must_hold,
    _rate_limit_post,
    _rendered,
    _settings,
)
from portal import ratelimit
from portal.events import enqueue_on_commit
from portal.markup import render_markdown
from portal.models import User

MAX_TAGS_PER_THREAD = 5
MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9-]{1,38}[a-z0-9])\b")


@transaction.atomic
def thread_create(
    *,
    forum: Forum,
    author: User,
    title: str,
    body: str,
    tags: list[str] | None = None,
    is_private: bool = False,
    clear_draft: bool = True,
) -> Thread:
    """Ask a question: the thread and its first post, held for approval when the author is new.

    A private thread (an offline chat message) is seen only by its author and the forum's
    moderators: it is never held (nobody else could see it anyway) and never counted in the forum.
    """
    _check_can_post(author)
    if not permissions.can_view_forum(author, forum):
        raise PermissionDenied
    title = _clean_title(title)
    body = _clean_body(body)
    tags = list(tags or [])
    if len({_normalise_tag(name)[1] for name in tags}) > MAX_TAGS_PER_THREAD:
        raise ValidationError({"tags": _("A thread has at most %(max)d tags.") % {"max": MAX_TAGS_PER_THREAD}})
    html = _rendered(body)
    config = _settings()
    _rate_limit_post(author, config)
    held = not is_private and _must_hold(author, config)
    now = timezone.now()
    thread = Thread.objects.create(
        forum=forum,
        author=author,
        title=title,
        is_held=held,
        is_private=is_private,
        created_at=now,
        last_activity_at=now,
    )
    post = Post.objects.create(
        thread=thread,
        author=author,
        is_question=True,
        body=body,
        body_html=html,
        status=PostStatus.HELD if held else PostStatus.PUBLISHED,
        created_at=now,
    )
    _record_mentions(post)
    images_attach(post=post)
    if clear_draft:
        draft_clear(author=author, forum=forum)
    for name in tags:
        _tag_add(thread=thread, name=name, actor=author, automatic=False)
    if not held:
        if not is_private:
            Forum.objects.filter(pk=forum.pk).update(
                thread_count=F("thread_count") + 1, post_count=F("post_count") + 1, last_activity_at=now
            )
        _after_publish(post)
    return thread


@transaction.atomic
def post_create(*, thread: Thread, author: User, body: str, clear_draft: bool = True) -> Post:
    """Reply to a thread; counters move in the same transaction, effects follow after commit.

    ``clear_draft=False``: the form said no draft was saved for it, so the request skips the DELETE;
    community.tasks.post_published still removes any draft older than the post (a save the page
    did not know of).
    """
    _check_can_post(author)
    if thread.forum.is_private and not permissions.can_view_forum(author, thread.forum):
        raise PermissionDenied
    if thread.is_private and not permissions.can_view_thread_for_notice(author, thread):
        raise PermissionDenied
    if not permissions.can_reply_to_thread(author, thread):
        if thread.state == ThreadState.LOCKED:
            raise PostingBlocked(_("This thread is locked; no new replies."))
        raise PermissionDenied
    body = _clean_body(body)
    html = _rendered(body)
    config = _settings()
    _rate_limit_post(author, config)
    held = _must_hold(author, config)
    now = timezone.now()
    post = Post.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=html,
        status=PostStatus.HELD if held else PostStatus.PUBLISHED,
        created_at=now,
    )
    if "@" in body:
        _record_mentions(post)
    images_attach(post=post)
    if clear_draft:
        draft_clear(author=author, thread=thread)
    if not held:
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + 1, last_activity_at=now)
        if thread.is_public:
            Forum.objects.filter(pk=thread.forum_id).update(post_count=F("post_count") + 1, last_activity_at=now)
        thread.reply_count += 1
        thread.last_activity_at = now
        _after_publish(post)
    return post


def _record_mentions(post: Post) -> None:
    handles = {m.lower() for m in MENTION.findall(post.body)}
    if not handles:
        return
    users = User.objects.filter(handle__in=list(handles)[:20], is_active=True, erased_at__isnull=True).exclude(
        pk=post.author_id
    )
    if post.thread.is_private:
        # Naming someone who cannot open a private thread must not tell them it exists.
        users = [u for u in users if permissions.can_view_thread_for_notice(u, post.thread)]
    Mention.objects.bulk_create([Mention(post=post, user=u) for u in users], ignore_conflicts=True)


@transaction.atomic
def post_edit(*, post: Post, editor: User, body: str) -> Post:
    """Change a post's text; the previous text is kept as a revision for moderators."""
    if not permissions.can_edit_post(editor, post):
        raise PermissionDenied
    body = _clean_body(body)
    if body == post.body:
        return post
    html = _rendered(body)
    PostRevision.objects.create(post=post, body=post.body, edited_by=editor)
    post.body = body
    post.body_html = html
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    images_attach(post=post)
    _reindex(post)
    events.post_edited.send_on_commit(post=post)
    return post


@transaction.atomic
def answer_accept(*, thread: Thread, post: Post, actor: User) -> Thread:
    """Mark ``post`` as the accepted answer; the thread becomes answered (locked threads stay locked)."""
    if not permissions.can_accept_answer(actor, thread):
        raise PermissionDenied
    if post.thread_id != thread.pk or post.is_question or not post.is_published:
        raise ValidationError(_("Only a published reply in this thread can be accepted."))
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    previous = locked.accepted_post_id
    locked.accepted_post = post
    if locked.state == ThreadState.OPEN:
        locked.state = ThreadState.ANSWERED
    locked.save(update_fields=["accepted_post", "state"])
    thread.accepted_post = post
    thread.state = locked.state
    if previous != post.pk:
        from community import tasks

        enqueue_on_commit(tasks.answer_accepted, post_id=post.pk, actor_id=actor.pk)
        events.answer_accepted.send_on_commit(thread=thread, post=post, actor=actor)
    return thread


@transaction.atomic
def answer_unaccept(*, thread: Thread, actor: User) -> Thread:
    """Take back an accepted answer; the thread is open again."""
    if not permissions.can_accept_answer(actor, thread):
        raise PermissionDenied
    thread.accepted_post = None
    if thread.state == ThreadState.ANSWERED:
        thread.state = ThreadState.OPEN
    thread.save(update_fields=["accepted_post", "state"])
    return thread


@transaction.atomic
def reaction_toggle(*, post: Post, user: User) -> bool:
    """Mark or unmark ``post`` as helpful; returns whether it is marked now."""
    if not permissions.can_react_to_post(user, post):
        raise PermissionDenied
    deleted, _rows = Reaction.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(helpful_count=F("helpful_count") - 1)
        post.helpful_count -= 1
        return False
    Reaction.objects.create(post=post, user=user)
    Post.objects.filter(pk=post.pk).update(helpful_count=F("helpful_count") + 1)
    post.helpful_count += 1
    return True


def _normalise_tag(name: str) -> tuple[str, str]:
    name = " ".join((name or "").strip().lstrip("#").split()).lower()
    if not name:
        raise ValidationError({"tag": _("A tag cannot be empty.")})
    if len(name) > TAG_MAX:
        raise ValidationError({"tag": _("A tag has at most %(max)d characters.") % {"max": TAG_MAX}})
    slug = slugify(name, allow_unicode=False)
    if not slug:
        raise ValidationError({"tag": _("A tag needs at least one letter or digit.")})
    return name, slug


def _tag_add(*, thread: Thread, name: str, actor: User | None, automatic: bool) -> Tag | None:
    name, slug = _normalise_tag(name)
    tag = Tag.objects.filter(slug=slug).first() or Tag.objects.create(name=name, slug=slug)
    if tag.is_internal and not automatic and not permissions.can_see_internal_tags(actor):
        # A staff-only routing tag (#lead) would send the thread to the CRM: only staff and rules set it.
        raise ValidationError({"tag": _("This tag is reserved for the team. Please choose another one.")})
    if thread.tags.filter(pk=tag.pk).exists():
        return None
    if thread.tags.count() >= MAX_TAGS_PER_THREAD:
        raise ValidationError({"tag": _("A thread has at most %(max)d tags.") % {"max": MAX_TAGS_PER_THREAD}})
    thread.tags.add(tag)
    _refresh_tag_labels(thread)
    events.thread_tagged.send_on_commit(thread=thread, tag=tag, actor=actor, automatic=automatic)
    return tag


def _labels_of(tags) -> list[list]:
    # A third element marks a staff-only tag, so lists can hide it without another query.
    return [[t.name, t.slug, True] if t.is_internal else [t.name, t.slug] for t in tags]


def _refresh_tag_labels(thread: Thread) -> None:
    thread.tag_labels = _labels_of(thread.tags.order_by("name"))
    Thread.objects.filter(pk=thread.pk).update(tag_labels=thread.tag_labels)


@transaction.atomic
def tag_visibility_set(*, name: str, internal: bool, actor: User | None) -> Tag:
    """Make a tag staff-only (a routing tag such as #lead) or public again; ``actor`` None is the CRM's rule set-up."""
    if actor is not None and not permissions.can_set_tag_visibility(actor):
        raise PermissionDenied
    name, slug = _normalise_tag(name)
    tag, _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name, "is_internal": internal})
    if tag.is_internal != internal:
        Tag.objects.filter(pk=tag.pk).update(is_internal=internal)
        tag.is_internal = internal
        threads = list(Thread.objects.filter(tags=tag).prefetch_related("tags"))
        for thread in threads:
            thread.tag_labels = _labels_of(sorted(thread.tags.all(), key=lambda t: t.name))
        Thread.objects.bulk_update(threads, ["tag_labels"], batch_size=500)
    return tag


@transaction.atomic
def thread_tag_add(*, thread: Thread, name: str, actor: User | None, automatic: bool = False) -> Tag | None:
    """Add a tag (created on first use); sends ``events.thread_tagged`` after commit. None if already there."""
    if not automatic and not permissions.can_tag_thread(actor, thread):
        raise PermissionDenied
    return _tag_add(thread=thread, name=name, actor=actor, automatic=automatic)


@transaction.atomic
def thread_tag_remove(*, thread: Thread, tag: Tag, actor: User) -> None:
    """Remove a tag from a thread (the tag itself stays for other threads)."""
    if not permissions.can_tag_thread(actor, thread):
        raise PermissionDenied
    thread.tags.remove(tag)
    _refresh_tag_labels(thread)


@transaction.atomic
def post_flag(*, post: Post, reporter: User, reason: str, note: str = "") -> Flag:
    """Report a post to the moderators, once per member (again only after the post was edited since the decision)."""
    if not permissions.can_flag_post(reporter, post):
        raise PermissionDenied
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("The note is too long: at most 500 characters.")})
    existing = selectors.flag_standing(reporter=reporter, post=post)
    if existing:
        return existing
    try:
        ratelimit.hit(f"community:flag:{reporter.pk}", limit=_settings().flags_per_hour, window=3600)
    except ratelimit.RateLimited:
        raise PostingBlocked(_("You have flagged many posts recently. Please try again later."))
    return Flag.objects.create(post=post, reporter=reporter, reason=reason, note=note)


@transaction.atomic
def blog_comment_thread(*, page) -> Thread:
    """The community thread that holds a blog post's comments (created on the first comment)."""
    existing = Thread.objects.filter(blog_page=page).select_related("forum").first()
    if existing:
        return existing
    forum, _created = Forum.objects.get_or_create(
        slug="blog-comments",
        defaults={
            "name": "Blog comments",
            "name_de": "Blog-Kommentare",
            "description": "Discussions under the company blog's posts.",
            "description_de": "Diskussionen unter den Beiträgen des Firmenblogs.",
            "order": 1000,
        },
    )
    now = timezone.now()
    thread = Thread.objects.create(
        forum=forum, author=None, title=page.title[:TITLE_MAX], blog_page=page, created_at=now
    )
    Post.objects.create(
        thread=thread,
        author=None,
        is_question=True,
        body=page.title,
        body_html=render_markdown(f"Comments on [{page.title}]({page.url or '/blog/'})"),
        created_at=now,
    )
    Forum.objects.filter(pk=forum.pk).update(
        thread_count=F("thread_count") + 1, post_count=F("post_count") + 1, last_activity_at=now
    )
    return thread
