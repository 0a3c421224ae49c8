"""Every write of the ideas app: posting, voting, following, commenting, reviewing, merging."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ideas import events, permissions
from ideas.models import (
    Board,
    Category,
    Comment,
    Follow,
    Idea,
    InternalNote,
    InternalTag,
    Status,
    StatusChange,
    Vote,
)
from portal import ratelimit
from portal.events import enqueue_on_commit
from portal.markup import render_markdown
from portal.tasks import reindex

TITLE_MIN = 5
TITLE_MAX = 140
BODY_MAX = 10_000
COMMENT_MAX = 10_000
RESPONSE_MAX = 5_000
NOTE_MAX = 5_000
HIDE_REASON_MAX = 300

IDEA_RATE = {"limit": 5, "window": 3600}
COMMENT_RATE = {"limit": 10, "window": 600}
VOTE_RATE = {"limit": 60, "window": 60}


@dataclass(frozen=True)
class VoteResult:
    """The state after a vote request: whether the member votes now and the exact count."""

    idea: Idea
    voted: bool
    changed: bool
    vote_count: int


def _rate(key: str, rule: dict) -> None:
    try:
        ratelimit.hit(key, **rule)
    except ratelimit.RateLimited as exc:
        raise ValidationError(
            _("You are doing that too often. Please try again in %(seconds)s seconds.") % {"seconds": exc.retry_after},
            code="rate_limited",
        )


def _reindex(*idea_ids: int) -> None:
    """Refresh the ideas' search entries once the write commits (the index keeps status and merge as filters)."""
    enqueue_on_commit(reindex, refs=[("ideas.Idea", pk) for pk in idea_ids])


def _clean_text(value: str, *, field: str, maximum: int, minimum: int = 1) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise ValidationError({field: _("Please write at least %(n)s characters.") % {"n": minimum}})
    if len(text) > maximum:
        raise ValidationError({field: _("Please keep it under %(n)s characters.") % {"n": maximum}})
    return text


def idea_create(*, board: Board, author, title: str, body: str, category: Category | None = None) -> Idea:
    """Publish a member's idea; the author follows it so they hear about its status."""
    if not permissions.can_post_idea(author, board):
        raise PermissionDenied(_("You cannot post ideas on this board."))
    title = _clean_text(title, field="title", minimum=TITLE_MIN, maximum=TITLE_MAX)
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("Please keep it under %(n)s characters.") % {"n": BODY_MAX}})
    if category is not None and category.board_id != board.pk:
        raise ValidationError({"category": _("This category belongs to another board.")})
    _rate(f"ideas:post:{author.pk}", IDEA_RATE)
    with transaction.atomic():
        idea = Idea.objects.create(
            board=board, category=category, author=author, title=title, body=body, body_html=render_markdown(body)
        )
        Follow.objects.create(idea=idea, user=author)
        _reindex(idea.pk)
        events.idea_created.send_on_commit(idea=idea)
    return idea


def vote_set(*, idea_id: int, voter, voted: bool) -> VoteResult:
    """Make the member's vote match ``voted``; repeating the same request changes nothing.

    The idea row is locked first, so concurrent votes on one idea serialise and the
    denormalised count stays equal to the number of vote rows.
    """
    if not (voter and voter.is_authenticated):
        raise PermissionDenied(_("Log in to vote."))
    _rate(f"ideas:vote:{voter.pk}", VOTE_RATE)
    try:
        idea_id = int(idea_id)
    except (TypeError, ValueError):
        raise Http404("No such idea")
    # savepoint=False keeps the vote at four statements; nothing inside raises, so an outer
    # transaction is never left marked for rollback: refusals are decided here, raised below.
    refusal = None
    changed = False
    with transaction.atomic(savepoint=False):
        idea = Idea.objects.select_for_update().filter(pk=idea_id).first()
        if idea is None:
            refusal = Http404("No such idea")
        elif not permissions.can_vote_idea(voter, idea):
            if idea.merged_into_id or idea.is_closed:
                refusal = ValidationError(_("Voting on this idea is closed."), code="closed")
            else:
                refusal = PermissionDenied(_("You cannot vote."))
        elif voted:
            changed = not Vote.objects.filter(idea=idea, voter=voter).exists()
            if changed:
                Vote.objects.create(idea=idea, voter=voter)
                Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
                idea.vote_count += 1
        else:
            deleted, _detail = Vote.objects.filter(idea=idea, voter=voter).delete()
            changed = bool(deleted)
            if changed:
                Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") - 1)
                idea.vote_count -= 1
    if refusal is not None:
        raise refusal
    count = idea.vote_count
    idea.vote_count = count
    return VoteResult(idea=idea, voted=voted, changed=changed, vote_count=count)


def follow_set(*, idea: Idea, user, following: bool) -> bool:
    """Follow or unfollow an idea; returns whether anything changed."""
    if not permissions.can_follow_idea(user, idea):
        raise PermissionDenied(_("Log in to follow ideas."))
    if following:
        _follow, created = Follow.objects.get_or_create(idea=idea, user=user)
        return created
    deleted, _detail = Follow.objects.filter(idea=idea, user=user).delete()
    return bool(deleted)


def comment_create(*, idea: Idea, author, body: str) -> Comment:
    """Add a member's comment (Markdown, sanitised) and keep the idea's comment count exact."""
    if author.is_authenticated and author.is_suspended():
        raise PermissionDenied(_("Your account is suspended; you cannot comment right now."))
    if not permissions.can_comment_idea(author, idea):
        raise PermissionDenied(_("You cannot comment on this idea."))
    body = _clean_text(body, field="body", maximum=COMMENT_MAX)
    _rate(f"ideas:comment:{author.pk}", COMMENT_RATE)
    with transaction.atomic():
        comment = Comment.objects.create(idea=idea, author=author, body=body, body_html=render_markdown(body))
        Idea.objects.filter(pk=idea.pk).update(comment_count=F("comment_count") + 1)
        events.comment_created.send_on_commit(comment=comment)
    return comment


def comment_hide(*, comment: Comment, by, reason: str) -> Comment:
    """A moderator hides a comment; the reason is shown in its place."""
    if not permissions.can_hide_comment(by, comment):
        raise PermissionDenied(_("Only moderators can hide comments."))
    reason = _clean_text(reason, field="reason", maximum=HIDE_REASON_MAX)
    if comment.hidden_at:
        raise ValidationError(_("This comment is already hidden."))
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_reason=reason, hidden_by=by
        )
        if updated:
            Idea.objects.filter(pk=comment.idea_id).update(comment_count=F("comment_count") - 1)
    comment.refresh_from_db()
    return comment


def idea_set_status(
    *, idea: Idea, by, status: str, response: str = "", tags: list[str] | None = None
) -> StatusChange | None:
    """A product manager answers an idea with a status and a public response; followers and voters hear of it.

    Returns None when only the (staff-facing) tags changed: no history entry, nobody notified.
    """
    if not permissions.can_change_idea_status(by, idea):
        raise PermissionDenied(_("Only product managers can change the status of ideas."))
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == Status.DUPLICATE:
        raise ValidationError({"status": _("Use “merge” to mark an idea as a duplicate of another.")})
    response = (response or "").strip()
    if len(response) > RESPONSE_MAX:
        raise ValidationError({"response": _("Please keep it under %(n)s characters.") % {"n": RESPONSE_MAX}})
    with transaction.atomic():
        locked = Idea.objects.select_for_update().get(pk=idea.pk)
        if locked.merged_into_id:
            raise ValidationError(_("This idea was merged into another; change the original instead."))
        if locked.status == status and locked.public_response == response:
            if tags is not None and sorted(tags) != sorted(locked.tags.names()):
                _tags_set(idea=locked, tags=tags, by=by)
                return None
            raise ValidationError(_("Nothing changed: the idea already has this status and response."))
        now = timezone.now()
        change = StatusChange.objects.create(
            idea=locked,
            from_status=locked.status,
            to_status=status,
            response=response,
            response_html=render_markdown(response),
            changed_by=by,
            created_at=now,
        )
        Idea.objects.filter(pk=idea.pk).update(
            status=status,
            public_response=response,
            public_response_html=change.response_html,
            status_changed_at=now,
        )
        if tags is not None:
            _tags_set(idea=locked, tags=tags, by=by)
        if locked.status != status:
            from ideas.tasks import notify_status_change

            _reindex(idea.pk)
            enqueue_on_commit(notify_status_change, change_id=change.pk)
            events.idea_status_changed.send_on_commit(
                idea_id=change.idea_id,
                from_status=change.from_status,
                to_status=change.to_status,
                changed_by_id=by.pk,
            )
    idea.refresh_from_db()
    return change


def _tags_set(*, idea: Idea, tags: list[str], by) -> None:
    """Replace the idea's tags; each newly added one is announced after commit (the CRM's interest)."""
    before = set(idea.tags.names())
    idea.tags.set(tags)
    added = [name for name in tags if name not in before]
    if not added:
        return
    for tag in idea.tags.filter(name__in=added).order_by("name"):
        events.idea_tagged.send_on_commit(idea=idea, tag=tag, actor=by)


@transaction.atomic
def tag_visibility_set(*, name: str, internal: bool, actor) -> None:
    """Make an idea tag staff-only (a CRM routing tag) or public again; ``actor`` None is the CRM's rule set-up."""
    if actor is not None and not permissions.can_review_ideas(actor):
        raise PermissionDenied
    name = " ".join(str(name).split()).lower()
    if not name:
        raise ValidationError({"tag": _("A tag cannot be empty.")})
    if internal:
        InternalTag.objects.get_or_create(name=name)
    else:
        InternalTag.objects.filter(name=name).delete()


def note_add(*, idea: Idea, author, body: str) -> InternalNote:
    """Record a staff-only note on an idea."""
    if not permissions.can_add_internal_note(author, idea):
        raise PermissionDenied(_("Only staff can write internal notes."))
    body = _clean_text(body, field="body", maximum=NOTE_MAX)
    return InternalNote.objects.create(idea=idea, author=author, body=body)


def idea_merge(*, duplicate: Idea, original: Idea, by, response: str = "") -> Idea:
    """Fold a duplicate into the original: votes move (a member who voted for both counts once),
    comments and followers move along, and the duplicate's voters are told and may take their vote back.
    """
    if not permissions.can_merge_idea(by, duplicate, original):
        raise PermissionDenied(_("You cannot merge these ideas."))
    response = (response or "").strip()[:RESPONSE_MAX]
    with transaction.atomic():
        locked = {
            i.pk: i for i in Idea.objects.select_for_update().filter(pk__in=[duplicate.pk, original.pk]).order_by("pk")
        }
        dup, orig = locked.get(duplicate.pk), locked.get(original.pk)
        if dup is None or orig is None:
            raise ValidationError(_("One of the ideas no longer exists."))
        if dup.merged_into_id or orig.merged_into_id:
            raise ValidationError(_("One of the ideas was already merged."))
        dup_voter_ids = set(Vote.objects.filter(idea=dup).exclude(voter=None).values_list("voter_id", flat=True))
        orig_voter_ids = set(
            Vote.objects.filter(idea=orig, voter_id__in=dup_voter_ids).values_list("voter_id", flat=True)
        )
        Vote.objects.filter(idea=dup, voter_id__in=orig_voter_ids).delete()
        Vote.objects.filter(idea=dup).update(idea=orig, moved_from=dup)
        # The duplicate's author and followers are told where its discussion went, even without a vote.
        told_ids = set(Follow.objects.filter(idea=dup).values_list("user_id", flat=True))
        if dup.author_id:
            told_ids.add(dup.author_id)
        follower_ids = set(Follow.objects.filter(idea=orig).values_list("user_id", flat=True))
        Follow.objects.filter(idea=dup, user_id__in=follower_ids).delete()
        Follow.objects.filter(idea=dup).update(idea=orig)
        Comment.objects.filter(idea=dup).update(idea=orig)
        now = timezone.now()
        text = response or _("Merged into “%(title)s”.") % {"title": orig.title}
        StatusChange.objects.create(
            idea=dup,
            from_status=dup.status,
            to_status=Status.DUPLICATE,
            response=text,
            response_html=render_markdown(text),
            changed_by=by,
            created_at=now,
        )
        Idea.objects.filter(pk=dup.pk).update(
            status=Status.DUPLICATE,
            merged_into=orig,
            public_response=text,
            public_response_html=render_markdown(text),
            status_changed_at=now,
            vote_count=0,
            comment_count=0,
        )
        Idea.objects.filter(pk=orig.pk).update(
            vote_count=Vote.objects.filter(idea=orig).count(),
            comment_count=Comment.objects.filter(idea=orig, hidden_at__isnull=True).count(),
        )
        from ideas.tasks import notify_merge

        enqueue_on_commit(
            notify_merge,
            duplicate_id=dup.pk,
            original_id=orig.pk,
            user_ids=sorted(dup_voter_ids - {by.pk}),
            follower_ids=sorted(told_ids - dup_voter_ids - {by.pk}),
        )
        events.idea_merged.send_on_commit(
            duplicate_id=dup.pk, original_id=orig.pk, moved_voter_ids=sorted(dup_voter_ids)
        )
        _reindex(dup.pk, orig.pk)
    duplicate.refresh_from_db()
    original.refresh_from_db()
    return original
