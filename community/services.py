"""Every write of the forums goes through here: permission check, validation, write, after-commit effects."""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import events, permissions
from community.models import (
    Flag,
    Forum,
    Mention,
    ModerationAction,
    ModerationSettings,
    Post,
    PostRevision,
    Reaction,
    Tag,
    Thread,
)
from community.models.forum import BODY_MAX, TAG_MAX, TITLE_MAX, PostStatus, ThreadState
from community.models.moderation import FlagReason, ModerationActionKind
from portal import ratelimit
from portal.markup import render_markdown
from portal.models import User

MAX_TAGS_PER_THREAD = 5
MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9-]{1,38}[a-z0-9])\b")


class PostingBlocked(PermissionDenied):
    """The member may not post right now; ``message`` is shown to them as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- validation -------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Please give your question a title.")})
    if len(title) < 5:
        raise ValidationError({"title": _("The title is too short: use at least 5 characters.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("The title is too long: at most %(max)d characters.") % {"max": TITLE_MAX}})
    return title


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": _("Please write something.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("The text is too long: at most %(max)d characters.") % {"max": BODY_MAX}})
    return body


def _rendered(body: str) -> str:
    html = render_markdown(body)
    if not html.strip():
        raise ValidationError({"body": _("The text has no visible content.")})
    return html


def _check_can_post(user: User) -> None:
    reason = permissions.posting_block_reason(user)
    if reason == "suspended":
        until = timezone.localtime(user.suspended_until)
        raise PostingBlocked(
            _("Your account is suspended until %(until)s. You cannot post until then.")
            % {"until": until.strftime("%Y-%m-%d %H:%M")}
        )
    if reason:
        raise PostingBlocked(_("You cannot post with this account."))


def _settings() -> ModerationSettings:
    return ModerationSettings.load()


def _rate_limit_post(user: User, config: ModerationSettings) -> None:
    try:
        ratelimit.hit(f"community:post:{user.pk}", limit=config.posts_per_hour, window=3600)
    except ratelimit.RateLimited as exc:
        raise PostingBlocked(
            _("You are posting too fast. Please wait %(minutes)d minutes.") % {"minutes": max(1, exc.retry_after // 60)}
        )


def _must_hold(user: User, config: ModerationSettings) -> bool:
    """A new member's first post waits for a moderator (when configured)."""
    if not config.hold_first_posts or permissions.is_moderator(user):
        return False
    return not Post.objects.filter(author=user, status=PostStatus.PUBLISHED).exists()


def _log(*, moderator, kind, thread=None, post=None, member=None, reason="", **details) -> ModerationAction:
    return ModerationAction.objects.create(
        moderator=moderator, kind=kind, thread=thread, post=post, member=member, reason=reason[:500], details=details
    )


# --- after-commit effects -----------------------------------------------------------


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


# --- counters --------------------------------------------------------------------------


def thread_recount(thread: Thread) -> None:
    """Recompute the thread's denormalised counters from its published posts (exact after any moderation)."""
    stats = Post.objects.filter(thread=thread, status=PostStatus.PUBLISHED).aggregate(
        n=Count("pk"), last=Max("created_at")
    )
    thread.reply_count = max(0, (stats["n"] or 0) - 1)
    thread.last_activity_at = stats["last"] or thread.created_at
    if (
        thread.accepted_post_id
        and not Post.objects.filter(pk=thread.accepted_post_id, thread=thread, status=PostStatus.PUBLISHED).exists()
    ):
        thread.accepted_post = None
    if thread.state == ThreadState.ANSWERED and not thread.accepted_post_id:
        thread.state = ThreadState.OPEN
    thread.save(update_fields=["reply_count", "last_activity_at", "accepted_post", "state"])


def forum_recount(forum: Forum) -> None:
    """Recompute the forum's counters from its public threads and their published posts."""
    public = Thread.objects.filter(forum=forum, is_held=False, is_private=False).exclude(state=ThreadState.HIDDEN)
    stats = public.aggregate(n=Count("pk"), last=Max("last_activity_at"))
    forum.thread_count = stats["n"] or 0
    forum.post_count = Post.objects.filter(thread__in=public, status=PostStatus.PUBLISHED).count()
    forum.last_activity_at = stats["last"]
    forum.save(update_fields=["thread_count", "post_count", "last_activity_at"])


# --- members' actions ---------------------------------------------------------------


@transaction.atomic
def thread_create(
    *,
    forum: Forum,
    author: User,
    title: str,
    body: str,
    tags: list[str] | None = None,
    is_private: bool = False,
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
    for name in (tags or [])[:MAX_TAGS_PER_THREAD]:
        _tag_add(thread=thread, name=name, actor=author, automatic=False)
    if not held:
        if not is_private:
            Forum.objects.filter(pk=forum.pk).update(
                thread_count=F("thread_count") + 1, post_count=F("post_count") + 1, last_activity_at=now
            )
        _after_publish(post)
    return thread


@transaction.atomic
def post_create(*, thread: Thread, author: User, body: str) -> Post:
    """Reply to a thread; counters move in the same transaction, effects follow after commit."""
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
    _reindex(post)
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

        transaction.on_commit(
            lambda: (
                tasks.answer_accepted.enqueue(post_id=post.pk, actor_id=actor.pk),
                events.answer_accepted.send(thread=thread, post=post, actor=actor),
            )
        )
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
    if thread.tags.filter(pk=tag.pk).exists():
        return None
    if thread.tags.count() >= MAX_TAGS_PER_THREAD:
        raise ValidationError({"tag": _("A thread has at most %(max)d tags.") % {"max": MAX_TAGS_PER_THREAD}})
    thread.tags.add(tag)
    _refresh_tag_labels(thread)
    transaction.on_commit(lambda: events.thread_tagged.send(thread=thread, tag=tag, actor=actor, automatic=automatic))
    return tag


def _refresh_tag_labels(thread: Thread) -> None:
    thread.tag_labels = [[t.name, t.slug] for t in thread.tags.order_by("name")]
    Thread.objects.filter(pk=thread.pk).update(tag_labels=thread.tag_labels)


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
    """Report a post to the moderators (one open flag per member and post)."""
    if not permissions.can_flag_post(reporter, post):
        raise PermissionDenied
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("The note is too long: at most 500 characters.")})
    existing = Flag.objects.filter(post=post, reporter=reporter, resolved_at__isnull=True).first()
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
        defaults={"name": "Blog comments", "description": "Discussions under the company blog's posts.", "order": 1000},
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


# --- moderation --------------------------------------------------------------------------


def _require_moderator(user: User, thread: Thread) -> None:
    if not permissions.can_moderate_thread(user, thread):
        raise PermissionDenied


def _resolve_flags(post_ids, moderator: User, resolution: str) -> int:
    return Flag.objects.filter(post_id__in=list(post_ids), resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator, resolution=resolution
    )


def _notify_moderation(*, member, message: str, params: dict, url: str, reason: str = "") -> None:
    """Tell the member after commit, in their own language (``message`` is a key of tasks.MODERATION_MESSAGES)."""
    if member is None:
        return
    from community import tasks

    member_id = member.pk
    transaction.on_commit(
        lambda: tasks.moderation_notice.enqueue(
            user_id=member_id, message=message, params=params, url=url, reason=reason
        )
    )


@transaction.atomic
def post_approve(*, post: Post, moderator: User) -> Post:
    """Publish a held post (and its thread when it is the question)."""
    thread = post.thread
    _require_moderator(moderator, thread)
    if post.status != PostStatus.HELD:
        raise ValidationError(_("Only a held post can be approved."))
    post.status = PostStatus.PUBLISHED
    post.save(update_fields=["status"])
    if post.is_question and thread.is_held:
        thread.is_held = False
        thread.save(update_fields=["is_held"])
    thread_recount(thread)
    forum_recount(thread.forum)
    _log(moderator=moderator, kind=ModerationActionKind.APPROVE, thread=thread, post=post, member=post.author)
    _after_publish(post)
    return post


@transaction.atomic
def post_hide(*, post: Post, moderator: User, reason: str) -> Post:
    """Hide a post with a reason the author sees; hiding the question hides the thread."""
    thread = post.thread
    _require_moderator(moderator, thread)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; the author will see it.")})
    if post.status == PostStatus.HIDDEN:
        return post
    post.status = PostStatus.HIDDEN
    post.hidden_reason = reason[:500]
    post.save(update_fields=["status", "hidden_reason"])
    _resolve_flags([post.pk], moderator, "hidden")
    if post.is_question:
        thread.state = ThreadState.HIDDEN
        thread.save(update_fields=["state"])
    thread_recount(thread)
    forum_recount(thread.forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.HIDE_POST,
        thread=thread,
        post=post,
        member=post.author,
        reason=reason,
    )
    _notify_moderation(
        member=post.author,
        message="post_hidden",
        params={"title": thread.title},
        url=post.get_absolute_url(),
        reason=reason,
    )
    _reindex(post)
    return post


@transaction.atomic
def post_restore(*, post: Post, moderator: User) -> Post:
    """Undo a hide."""
    thread = post.thread
    _require_moderator(moderator, thread)
    if post.status != PostStatus.HIDDEN:
        raise ValidationError(_("Only a hidden post can be restored."))
    post.status = PostStatus.PUBLISHED
    post.hidden_reason = ""
    post.save(update_fields=["status", "hidden_reason"])
    if post.is_question and thread.state == ThreadState.HIDDEN:
        thread.state = ThreadState.ANSWERED if thread.accepted_post_id else ThreadState.OPEN
        thread.save(update_fields=["state"])
    thread_recount(thread)
    forum_recount(thread.forum)
    _log(moderator=moderator, kind=ModerationActionKind.RESTORE_POST, thread=thread, post=post, member=post.author)
    _reindex(post)
    return post


@transaction.atomic
def flags_dismiss(*, post: Post, moderator: User) -> int:
    """Close a post's open flags without acting on it."""
    _require_moderator(moderator, post.thread)
    count = _resolve_flags([post.pk], moderator, "dismissed")
    _log(
        moderator=moderator,
        kind=ModerationActionKind.DISMISS_FLAG,
        thread=post.thread,
        post=post,
        member=post.author,
        count=count,
    )
    return count


@transaction.atomic
def thread_set_locked(*, thread: Thread, moderator: User, locked: bool, reason: str = "") -> Thread:
    """Close or reopen a thread for replies; logged."""
    _require_moderator(moderator, thread)
    if thread.state == ThreadState.HIDDEN:
        raise ValidationError(_("Restore the thread first."))
    thread.state = (
        ThreadState.LOCKED if locked else (ThreadState.ANSWERED if thread.accepted_post_id else ThreadState.OPEN)
    )
    thread.save(update_fields=["state"])
    _log(
        moderator=moderator,
        kind=ModerationActionKind.LOCK if locked else ModerationActionKind.UNLOCK,
        thread=thread,
        member=thread.author,
        reason=reason,
    )
    return thread


@transaction.atomic
def thread_set_hidden(*, thread: Thread, moderator: User, hidden: bool, reason: str = "") -> Thread:
    """Hide a whole thread with a reason the author is told, or restore it; logged."""
    _require_moderator(moderator, thread)
    reason = (reason or "").strip()
    if hidden and not reason:
        raise ValidationError({"reason": _("Give a reason; the author will see it.")})
    if hidden:
        thread.state = ThreadState.HIDDEN
    elif thread.state == ThreadState.HIDDEN:
        thread.state = ThreadState.ANSWERED if thread.accepted_post_id else ThreadState.OPEN
    thread.save(update_fields=["state"])
    forum_recount(thread.forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.HIDE_THREAD if hidden else ModerationActionKind.RESTORE_THREAD,
        thread=thread,
        member=thread.author,
        reason=reason,
    )
    if hidden:
        _notify_moderation(
            member=thread.author,
            message="thread_hidden",
            params={"title": thread.title},
            url=thread.get_absolute_url(),
            reason=reason,
        )
    _reindex(thread)
    return thread


@transaction.atomic
def thread_set_pinned(*, thread: Thread, moderator: User, pinned: bool) -> Thread:
    """Keep a thread at the top of its forum; logged."""
    _require_moderator(moderator, thread)
    thread.is_pinned = pinned
    thread.save(update_fields=["is_pinned"])
    _log(moderator=moderator, kind=ModerationActionKind.PIN if pinned else ModerationActionKind.UNPIN, thread=thread)
    return thread


@transaction.atomic
def thread_move(*, thread: Thread, moderator: User, forum: Forum, reason: str = "") -> Thread:
    """Move a thread to another forum; both forums' counters stay exact."""
    _require_moderator(moderator, thread)
    if not permissions.can_moderate_forum(moderator, forum) and not permissions.is_moderator(moderator):
        raise PermissionDenied
    source = thread.forum
    if source.pk == forum.pk:
        return thread
    thread.forum = forum
    thread.save(update_fields=["forum"])
    forum_recount(source)
    forum_recount(forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.MOVE,
        thread=thread,
        member=thread.author,
        reason=reason,
        source=source.slug,
        target=forum.slug,
    )
    _reindex(thread)
    return thread


@transaction.atomic
def thread_merge(*, source: Thread, target: Thread, moderator: User, reason: str = "") -> Thread:
    """Move every post of ``source`` into ``target`` (its question becomes a reply) and hide ``source``."""
    _require_moderator(moderator, source)
    _require_moderator(moderator, target)
    if source.pk == target.pk:
        raise ValidationError(_("A thread cannot be merged into itself."))
    if source.blog_page_id or target.blog_page_id:
        raise ValidationError(_("Blog comment threads cannot be merged."))
    if source.is_private or target.is_private:
        # Merging would show a private question to others (or others' posts to its author).
        raise ValidationError(_("Private threads cannot be merged."))
    moved = list(Post.objects.filter(thread=source).values_list("pk", flat=True))
    Post.objects.filter(thread=source).update(thread=target, is_question=False)
    for tag in source.tags.all():
        target.tags.add(tag)
    _refresh_tag_labels(target)
    source.state = ThreadState.HIDDEN
    source.accepted_post = None
    source.save(update_fields=["state", "accepted_post"])
    thread_recount(source)
    thread_recount(target)
    forum_recount(source.forum)
    if target.forum_id != source.forum_id:
        forum_recount(target.forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.MERGE,
        thread=target,
        member=source.author,
        reason=reason,
        source_thread=source.pk,
        moved_posts=len(moved),
    )
    from community import tasks

    transaction.on_commit(lambda: tasks.reindex.enqueue(refs=[("community.Post", pk) for pk in moved]))
    return target


@transaction.atomic
def member_suspend(*, member: User, moderator: User, until: datetime, reason: str) -> User:
    """Stop a member from posting until ``until``; they are told why."""
    if not permissions.is_moderator(moderator):
        raise PermissionDenied
    if member.pk == moderator.pk:
        raise ValidationError(_("You cannot suspend yourself."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; the member will see it.")})
    if until <= timezone.now():
        raise ValidationError({"until": _("Choose a time in the future.")})
    User.objects.filter(pk=member.pk).update(suspended_until=until)
    member.suspended_until = until
    _log(moderator=moderator, kind=ModerationActionKind.SUSPEND, member=member, reason=reason, until=until.isoformat())
    _notify_moderation(
        member=member,
        message="suspended",
        params={"until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")},
        url="/forums/",
        reason=reason,
    )
    return member


def forum_grant_access(*, forum: Forum, user: User | None = None, group=None, moderate: bool = False) -> None:
    """Give a member or group access to a private forum (or moderation of it) through guardian."""
    from guardian.shortcuts import assign_perm

    codename = f"community.{permissions.MODERATE_FORUM if moderate else permissions.VIEW_FORUM}"
    assign_perm(codename, user or group, forum)


def forum_revoke_access(*, forum: Forum, user: User | None = None, group=None, moderate: bool = False) -> None:
    """Take back access to (or moderation of) a private forum."""
    from guardian.shortcuts import remove_perm

    codename = f"community.{permissions.MODERATE_FORUM if moderate else permissions.VIEW_FORUM}"
    remove_perm(codename, user or group, forum)
