"""Background work of the ideas app: telling voters and followers what happened to an idea."""

from __future__ import annotations

from django_tasks import task

from ideas.models import Follow, Idea, StatusChange, Vote
from portal.models import User
from portal.notifications import notification_send
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
        with effect_once("notify", user.pk) as first:
            if first:  # a run whose worker died may have told this member already
                notification_send(
                    recipient=user,
                    kind="idea_status",
                    message="ideas.status",
                    params={"title": idea.title, "status": change.to_status, "response": change.response},
                    url=idea.get_absolute_url(),
                )
        sent += 1
    return sent


@task(queue_name="default")
def notify_merge(
    *, duplicate_id: int, original_id: int, user_ids: list[int], follower_ids: list[int] | None = None
) -> int:
    """Tell the duplicate's voters where their vote went and that they can take it back, and its author and
    followers (``follower_ids``, who did not vote) where its discussion continues."""
    duplicate = Idea.objects.filter(pk=duplicate_id).first()
    original = Idea.objects.filter(pk=original_id).first()
    if duplicate is None or original is None:
        return 0
    params = {"duplicate": duplicate.title, "original": original.title}
    sent = 0
    for ids, message in ((user_ids, "ideas.merged_vote"), (follower_ids or [], "ideas.merged")):
        for user in User.objects.filter(pk__in=list(ids), is_active=True, erased_at__isnull=True).order_by("pk"):
            with effect_once("notify", user.pk) as first:
                if first:
                    notification_send(
                        recipient=user,
                        kind="idea_status",
                        message=message,
                        params=params,
                        url=original.get_absolute_url(),
                    )
            sent += 1
    return sent
