"""Services of the ideas app: posting, voting, following, comments, status, merge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from ideas import services
from ideas.models import Board, Category, Comment, Follow, Idea, InternalNote, Status, StatusChange, Vote
from portal.models import Notification
from portal.notifications import in_language
from portal.roles import Role
from tests.factories import make_member


def test_idea_create_renders_markdown_and_follows(customer, board):
    """A posted idea stores sanitised HTML, starts new with no votes, and its author follows it."""
    idea = services.idea_create(
        board=board, author=customer, title="  Dark mode please ", body="**bold** <script>x</script>"
    )
    assert idea.title == "Dark mode please"
    assert idea.body_html == "<p><strong>bold</strong> &lt;script&gt;x&lt;/script&gt;</p>"
    assert (idea.status, idea.vote_count, idea.comment_count) == (Status.NEW, 0, 0)
    assert list(Follow.objects.filter(idea=idea).values_list("user_id", flat=True)) == [customer.pk]


def test_idea_create_rejects_short_title(customer, board):
    """A title under five characters is refused and nothing is stored."""
    with pytest.raises(ValidationError) as exc:
        services.idea_create(board=board, author=customer, title="abc", body="")
    assert "title" in exc.value.message_dict
    assert Idea.objects.count() == 0


def test_idea_create_rejects_category_of_other_board(customer, board):
    """A category from another board is refused."""
    other = Board.objects.create(name="Mobile", slug="mobile")
    category = Category.objects.create(board=other, name="Offline")
    with pytest.raises(ValidationError) as exc:
        services.idea_create(board=board, author=customer, title="Offline mode", body="", category=category)
    assert "category" in exc.value.message_dict
    assert Idea.objects.count() == 0


def test_suspended_member_cannot_post(board):
    """A suspended member cannot post ideas."""
    member = make_member(suspended_until=timezone.now() + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.idea_create(board=board, author=member, title="Something new", body="")
    assert Idea.objects.count() == 0


def test_closed_board_takes_no_ideas(customer, board):
    """A board closed for new ideas refuses them."""
    board.is_active = False
    board.save()
    with pytest.raises(PermissionDenied):
        services.idea_create(board=board, author=customer, title="Something new", body="")
    assert Idea.objects.count() == 0


def test_posting_is_rate_limited(customer, board):
    """The sixth idea within an hour is refused with a clear message."""
    for n in range(5):
        services.idea_create(board=board, author=customer, title=f"Idea title {n}", body="")
    with pytest.raises(ValidationError) as exc:
        services.idea_create(board=board, author=customer, title="One too many", body="")
    assert exc.value.code == "rate_limited"
    assert Idea.objects.count() == 5


def test_vote_is_idempotent_and_exact(idea, customer):
    """Voting twice counts once; taking the vote back twice leaves zero."""
    first = services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    second = services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    assert (first.changed, first.vote_count, second.changed, second.vote_count) == (True, 1, False, 1)
    idea.refresh_from_db()
    assert idea.vote_count == 1
    assert Vote.objects.filter(idea=idea).count() == 1
    services.vote_set(idea_id=idea.pk, voter=customer, voted=False)
    again = services.vote_set(idea_id=idea.pk, voter=customer, voted=False)
    idea.refresh_from_db()
    assert (again.changed, idea.vote_count, Vote.objects.count()) == (False, 0, 0)


@pytest.mark.parametrize("status", [Status.SHIPPED, Status.DECLINED])
def test_vote_on_closed_idea_is_refused(idea, customer, product_manager, status):
    """Votes on shipped or declined ideas are refused and nothing changes."""
    services.idea_set_status(idea=idea, by=product_manager, status=status, response="Done.")
    with pytest.raises(ValidationError) as exc:
        services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    assert exc.value.code == "closed"
    idea.refresh_from_db()
    assert (idea.vote_count, Vote.objects.count()) == (0, 0)


def test_vote_on_merged_idea_is_refused(make_idea, customer, product_manager):
    """A merged duplicate takes no more votes."""
    original, duplicate = make_idea(title="PDF export"), make_idea(title="Export as PDF")
    services.idea_merge(duplicate=duplicate, original=original, by=product_manager)
    with pytest.raises(ValidationError):
        services.vote_set(idea_id=duplicate.pk, voter=customer, voted=True)
    assert Vote.objects.count() == 0


def test_vote_on_unknown_idea_is_404(customer, db):
    """An unknown idea id raises 404."""
    with pytest.raises(Http404):
        services.vote_set(idea_id=99999, voter=customer, voted=True)
    assert Vote.objects.count() == 0


def test_suspended_member_cannot_vote(idea):
    """A suspended member's vote is refused."""
    member = make_member(suspended_until=timezone.now() + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        services.vote_set(idea_id=idea.pk, voter=member, voted=True)
    assert Vote.objects.count() == 0


def test_follow_set_is_idempotent(idea, customer):
    """Following twice stores one row; unfollowing removes it."""
    assert services.follow_set(idea=idea, user=customer, following=True) is True
    assert services.follow_set(idea=idea, user=customer, following=True) is False
    assert Follow.objects.filter(idea=idea, user=customer).count() == 1
    assert services.follow_set(idea=idea, user=customer, following=False) is True
    assert Follow.objects.filter(idea=idea, user=customer).count() == 0


def test_comment_create_counts_and_sanitises(idea, customer):
    """A comment is rendered through the sanitiser and counted on the idea."""
    comment = services.comment_create(idea=idea, author=customer, body="[x](javascript:alert(1)) *yes*")
    assert comment.body_html == "<p>[x](javascript:alert(1)) <em>yes</em></p>"
    idea.refresh_from_db()
    assert idea.comment_count == 1


def test_suspended_member_cannot_comment(idea):
    """A suspended member cannot comment; nothing is stored."""
    member = make_member(suspended_until=timezone.now() + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        services.comment_create(idea=idea, author=member, body="Hello")
    assert Comment.objects.count() == 0


def test_empty_comment_is_refused(idea, customer):
    """A blank comment is refused."""
    with pytest.raises(ValidationError):
        services.comment_create(idea=idea, author=customer, body="   ")
    assert Comment.objects.count() == 0


def test_commenting_is_rate_limited(idea, customer):
    """The eleventh comment within ten minutes is refused."""
    for n in range(10):
        services.comment_create(idea=idea, author=customer, body=f"Comment {n}")
    with pytest.raises(ValidationError):
        services.comment_create(idea=idea, author=customer, body="Too many")
    assert Comment.objects.count() == 10


def test_moderator_hides_comment_with_reason(idea, customer, moderator):
    """A moderator hides a comment with a reason; it no longer counts."""
    comment = services.comment_create(idea=idea, author=customer, body="Rude words")
    services.comment_hide(comment=comment, by=moderator, reason="Off topic")
    comment.refresh_from_db()
    idea.refresh_from_db()
    assert (comment.hidden_reason, comment.hidden_by_id, idea.comment_count) == ("Off topic", moderator.pk, 0)


def test_customer_cannot_hide_comment(idea, customer, other_customer):
    """A customer cannot hide someone's comment; it stays visible."""
    comment = services.comment_create(idea=idea, author=customer, body="Fine words")
    with pytest.raises(PermissionDenied):
        services.comment_hide(comment=comment, by=other_customer, reason="Dislike")
    comment.refresh_from_db()
    assert comment.hidden_at is None


def test_status_change_records_history_and_notifies(
    idea, customer, other_customer, product_manager, django_capture_on_commit_callbacks
):
    """A PM's status change is kept in the history and notifies voters and followers once each."""
    services.vote_set(idea_id=idea.pk, voter=customer, voted=True)
    services.follow_set(idea=idea, user=other_customer, following=True)
    with django_capture_on_commit_callbacks(execute=True):
        change = services.idea_set_status(
            idea=idea, by=product_manager, status=Status.PLANNED, response="Next *quarter*."
        )
    idea.refresh_from_db()
    assert (idea.status, idea.public_response_html) == (Status.PLANNED, "<p>Next <em>quarter</em>.</p>")
    assert (change.from_status, change.to_status, change.changed_by_id) == (
        Status.NEW,
        Status.PLANNED,
        product_manager.pk,
    )
    recipients = sorted(Notification.objects.filter(kind="idea_status").values_list("recipient_id", flat=True))
    assert recipients == sorted([customer.pk, other_customer.pk, idea.author_id])
    note = Notification.objects.get(recipient=customer)
    assert note.title == "Idea “Export reports as PDF” is now: Planned"
    assert note.url == f"/ideas/idea/{idea.pk}/"


def test_status_notification_in_members_language(idea, product_manager, django_capture_on_commit_callbacks):
    """A German-speaking voter gets the notification in German."""
    german = make_member(preferred_language="de")
    services.vote_set(idea_id=idea.pk, voter=german, voted=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_set_status(idea=idea, by=product_manager, status=Status.IN_PROGRESS, response="")
    notice = Notification.objects.get(recipient=german)
    with in_language(german):  # worded in the reader's language when shown
        assert notice.title == "Idee „Export reports as PDF“ hat jetzt den Status: In Bearbeitung"


def test_non_pm_cannot_change_status(idea, customer, moderator):
    """Customers and moderators cannot change the status; nothing changes, nobody is notified."""
    for user in (customer, moderator):
        with pytest.raises(PermissionDenied):
            services.idea_set_status(idea=idea, by=user, status=Status.PLANNED, response="x")
    idea.refresh_from_db()
    assert (idea.status, StatusChange.objects.count(), Notification.objects.count()) == (Status.NEW, 0, 0)


def test_status_change_rejects_unknown_and_duplicate(idea, product_manager):
    """Unknown statuses and "duplicate" (which needs a merge) are refused."""
    for status in ("bogus", Status.DUPLICATE):
        with pytest.raises(ValidationError):
            services.idea_set_status(idea=idea, by=product_manager, status=status)
    assert StatusChange.objects.count() == 0


def test_repeated_status_change_is_refused(idea, product_manager):
    """Submitting the same status and response twice records one change."""
    services.idea_set_status(idea=idea, by=product_manager, status=Status.PLANNED, response="Soon")
    with pytest.raises(ValidationError):
        services.idea_set_status(idea=idea, by=product_manager, status=Status.PLANNED, response="Soon")
    assert StatusChange.objects.count() == 1


def test_internal_note_staff_only(idea, customer, product_manager):
    """PMs add internal notes; customers cannot."""
    services.note_add(idea=idea, author=product_manager, body="Sales asked for this twice.")
    with pytest.raises(PermissionDenied):
        services.note_add(idea=idea, author=customer, body="Let me in")
    assert list(InternalNote.objects.values_list("body", flat=True)) == ["Sales asked for this twice."]


def test_merge_moves_votes_without_double_counting(make_idea, product_manager, django_capture_on_commit_callbacks):
    """Merging counts a member who voted for both once, moves comments and follows, and tells the duplicate's voters
    (and its author, who follows it)."""
    original, duplicate = make_idea(title="PDF export"), make_idea(title="Export as PDF")
    both, only_dup, only_orig = make_member(), make_member(), make_member()
    for user in (both, only_orig):
        services.vote_set(idea_id=original.pk, voter=user, voted=True)
    for user in (both, only_dup):
        services.vote_set(idea_id=duplicate.pk, voter=user, voted=True)
    comment = services.comment_create(idea=duplicate, author=only_dup, body="Me too")
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_merge(duplicate=duplicate, original=original, by=product_manager, response="")
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert (original.vote_count, original.comment_count) == (3, 1)
    assert sorted(Vote.objects.filter(idea=original).values_list("voter_id", flat=True)) == sorted(
        [both.pk, only_dup.pk, only_orig.pk]
    )
    assert Vote.objects.get(idea=original, voter=only_dup).moved_from_id == duplicate.pk
    assert (duplicate.status, duplicate.merged_into_id, duplicate.vote_count) == (Status.DUPLICATE, original.pk, 0)
    assert Comment.objects.get(pk=comment.pk).idea_id == original.pk
    assert Follow.objects.filter(idea=original, user_id=duplicate.author_id).exists()
    merged_notes = Notification.objects.filter(kind="idea_status", url=f"/ideas/idea/{original.pk}/")
    assert sorted(merged_notes.values_list("recipient_id", "message")) == sorted(
        [(both.pk, "ideas.merged_vote"), (only_dup.pk, "ideas.merged_vote"), (duplicate.author_id, "ideas.merged")]
    )
    # The moved voter takes the vote back on the original.
    services.vote_set(idea_id=original.pk, voter=only_dup, voted=False)
    original.refresh_from_db()
    assert original.vote_count == 2


def test_merge_by_customer_is_refused(make_idea, customer):
    """Customers cannot merge; both ideas stay as they were."""
    original, duplicate = make_idea(), make_idea()
    with pytest.raises(PermissionDenied):
        services.idea_merge(duplicate=duplicate, original=original, by=customer)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (Status.NEW, None)


def test_merge_into_itself_or_twice_is_refused(make_idea, product_manager):
    """An idea cannot be merged into itself, nor merged a second time."""
    original, duplicate = make_idea(), make_idea()
    with pytest.raises(PermissionDenied):
        services.idea_merge(duplicate=original, original=original, by=product_manager)
    services.idea_merge(duplicate=duplicate, original=original, by=product_manager)
    third = make_idea()
    with pytest.raises(PermissionDenied):
        services.idea_merge(duplicate=duplicate, original=third, by=product_manager)
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == original.pk
    assert StatusChange.objects.filter(idea=duplicate).count() == 1


def test_pm_role_holds_review_permissions(product_manager, moderator, customer):
    """The product manager role gets the review permissions; moderators get hiding only."""
    assert product_manager.has_perm("ideas.change_idea_status")
    assert product_manager.has_perm("ideas.merge_idea")
    assert not moderator.has_perm("ideas.change_idea_status")
    assert moderator.has_perm("ideas.hide_comment")
    assert not customer.has_perm("ideas.review_idea")


def test_role_permission_mapping(db):
    """Roles name exactly the ideas permissions apps granted."""
    from portal.roles import ROLE_PERMISSIONS

    assert "ideas.review_idea" in ROLE_PERMISSIONS[Role.PRODUCT_MANAGER]
    assert "ideas.review_idea" not in ROLE_PERMISSIONS[Role.CUSTOMER]


def test_status_change_and_merge_emit_events_after_commit(
    make_idea, product_manager, django_capture_on_commit_callbacks
):
    """Status changes and merges are announced as domain events once the transaction commits."""
    from ideas import events

    received = []

    def status_listener(**kwargs):
        received.append(("status", kwargs["to_status"]))

    def merge_listener(**kwargs):
        received.append(("merge", kwargs["original_id"]))

    events.idea_status_changed.connect(status_listener)
    events.idea_merged.connect(merge_listener)
    try:
        original, duplicate = make_idea(), make_idea()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.idea_set_status(idea=original, by=product_manager, status=Status.PLANNED, response="")
        assert received == []
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            services.idea_merge(duplicate=duplicate, original=original, by=product_manager)
    finally:
        events.idea_status_changed.disconnect(status_listener)
        events.idea_merged.disconnect(merge_listener)
    assert received == [("status", Status.PLANNED), ("merge", original.pk)]


def test_tags_only_change_records_no_history(idea, product_manager):
    """Changing only the tags keeps the status history and notifications untouched."""
    assert services.idea_set_status(idea=idea, by=product_manager, status=Status.NEW, response="", tags=["pdf"]) is None
    assert list(idea.tags.names()) == ["pdf"]
    assert (StatusChange.objects.count(), Notification.objects.count()) == (0, 0)
