"""Background work of the ideas app: telling voters and followers what happened to an idea."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from ideas.models import Follow, Idea, Status, StatusChange, Vote
from portal.models import User
from portal.notifications import in_language, notification_send
from portal.task_leases import effect_once


def _status_recipients(idea: Idea, exclude_id: int | None) -> list[User]:
    voter_ids = Vote.objects.filter(idea=idea).exclude(voter=None).values_list("voter_id", flat=True)
    follower_ids = Follow.objects.filter(idea=idea).values_list("user_id", flat=True)
    ids = set(voter_ids) | set(follower_ids)
    ids.discard(exclude_id)
    return list(User.objects.filter(pk__in=ids, is_active=True, erased_at__isnull=True).order_by("pk"))


@task(queue_name="default")
def notify_status_change(*, change_id: int) -> int:
    """Notify every voter and follower of an idea's new status, each in their own language."""
    change = StatusChange.objects.select_related("idea").filter(pk=change_id).first()
    if change is None:
        return 0
    idea = change.idea
    sent = 0
    for user in _status_recipients(idea, change.changed_by_id):
        with in_language(user):
            title = _("Idea “%(title)s” is now: %(status)s") % {
                "title": idea.title,
                "status": Status(change.to_status).label,
            }
            with effect_once("notify", user.pk) as first:
                if first:  # a run whose worker died may have told this member already
                    notification_send(
                        recipient=user,
                        kind="idea_status",
                        title=title,
                        url=idea.get_absolute_url(),
                        body=change.response,
                    )
        sent += 1
    return sent


@task(queue_name="default")
def notify_merge(*, duplicate_id: int, original_id: int, user_ids: list[int]) -> int:
    """Tell the duplicate's voters where their vote went and that they can take it back."""
    duplicate = Idea.objects.filter(pk=duplicate_id).first()
    original = Idea.objects.filter(pk=original_id).first()
    if duplicate is None or original is None:
        return 0
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True, erased_at__isnull=True).order_by("pk"):
        with in_language(user):
            title = _("“%(duplicate)s” was merged into “%(original)s”; your vote now counts there") % {
                "duplicate": duplicate.title,
                "original": original.title,
            }
            body = _(
                "Your vote now counts for “%(original)s”. If you do not want to support it, open the idea and take your vote back."
            ) % {"original": original.title}
            with effect_once("notify", user.pk) as first:
                if first:
                    notification_send(
                        recipient=user, kind="idea_status", title=title, url=original.get_absolute_url(), body=body
                    )
        sent += 1
    return sent
