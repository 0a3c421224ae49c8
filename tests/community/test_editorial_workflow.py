"""The blog's editorial workflow: product management -> PR -> marketing -> social media, four eyes at every step."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from wagtail.actions.publish_page_revision import PublishPagePermissionError
from wagtail.models import PageLogEntry, TaskState, WorkflowPage

from community import demo
from community.models import BlogIndexPage, BlogPage, DepartmentApprovalTask
from portal import schedule
from portal.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

DEPARTMENTS = ("Product management", "PR", "Marketing", "Social media")


@pytest.fixture
def blog_index(home_page):
    demo._blog()
    return BlogIndexPage.objects.get(locale__language_code="en")


@pytest.fixture
def reviewers(blog_index):
    """One reviewer per department, each an editor in that department's group."""
    found = {}
    for department in DEPARTMENTS:
        member = make_member(role=Role.EDITOR)
        member.groups.add(Group.objects.get(name=department))
        found[department] = member
    return found


def _draft(index, editor, *, slug="draft-post", go_live_at=None):
    page = BlogPage(
        title="Offline mode is coming",
        slug=slug,
        date=datetime.date(2026, 9, 1),
        author=editor,
        body=[("paragraph", "<p>Soon.</p>")],
        owner=editor,
        live=False,
    )
    index.add_child(instance=page)
    page.go_live_at = go_live_at
    page.save_revision(user=editor)
    return page


def _approve(page, user):
    state = page.current_workflow_task_state
    state.task.specific.on_action(state, user, "approve")
    page.refresh_from_db()


def test_seed_assigns_the_four_department_workflow_to_the_blog(home_page):
    """seed_demo: four department groups with a reviewer each, the workflow on the blog index, a post under way."""
    from portal import demo as portal_demo

    portal_demo.seed(stdout=None)
    lines = demo.seed(stdout=None)
    assert [line.split()[0] for line in lines] == ["PR", "Marketing", "Social"]
    assert demo.seed(stdout=None) == []  # idempotent: no new accounts the second time
    index = BlogIndexPage.objects.get(locale__language_code="en")
    workflow = WorkflowPage.objects.get(page=index).workflow
    tasks = [task.specific for task in workflow.tasks.order_by("workflow_tasks__sort_order")]
    assert [type(task) for task in tasks] == [DepartmentApprovalTask] * 4
    assert [[group.name for group in task.groups.all()] for task in tasks] == [[d] for d in DEPARTMENTS]
    for email, department in (("pm@example.com", "Product management"), ("pr@example.com", "PR")):
        assert Group.objects.get(name=department).user_set.with_email(email).exists()
    waiting = BlogPage.objects.get(slug=demo.WAITING_POST_SLUG)
    assert waiting.live is False
    assert waiting.current_workflow_task.name == "PR review"


def test_a_post_passes_every_department_and_the_history_says_who_did_what(blog_index, editor, reviewers):
    """Each department approves in turn (different people); only the last approval publishes; the log names them all."""
    page = _draft(blog_index, editor)
    page.get_workflow().start(page, editor)
    for department in DEPARTMENTS:
        assert page.current_workflow_task.name == f"{department} review"
        assert page.live is False
        _approve(page, reviewers[department])
    assert page.live is True
    log = list(PageLogEntry.objects.filter(page=page).order_by("timestamp", "pk").values_list("action", "user_id"))
    assert log == [
        ("wagtail.create", editor.pk),
        ("wagtail.workflow.start", editor.pk),
        ("wagtail.workflow.approve", reviewers["Product management"].pk),
        ("wagtail.workflow.approve", reviewers["PR"].pk),
        ("wagtail.workflow.approve", reviewers["Marketing"].pk),
        ("wagtail.workflow.approve", reviewers["Social media"].pk),
        ("wagtail.publish", reviewers["Social media"].pk),
    ]


def test_nobody_approves_their_own_submission(client, blog_index, reviewers):
    """A PR member who submits their own post sees no "Approve" at the PR step; approving anyway is refused."""
    author = reviewers["PR"]
    page = _draft(blog_index, author)
    page.get_workflow().start(page, author)
    _approve(page, reviewers["Product management"])
    task = page.current_workflow_task.specific
    assert task.name == "PR review"
    assert [action[0] for action in task.get_actions(page, author)] == ["reject"]
    state = page.current_workflow_task_state
    with pytest.raises(PermissionDenied):
        task.on_action(state, author, "approve")
    client.force_login(author)
    response = client.post(f"/admin/pages/workflow/action/{page.pk}/approve/{state.pk}/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")  # Wagtail's answer to PermissionDenied
    state.refresh_from_db()
    page.refresh_from_db()
    assert (state.status, page.live) == (TaskState.STATUS_IN_PROGRESS, False)
    assert not task.get_task_states_user_can_moderate(author).exists()  # not in their "awaiting review" list
    other = make_member(role=Role.EDITOR)
    other.groups.add(Group.objects.get(name="PR"))
    assert task.get_task_states_user_can_moderate(other).get() == state
    _approve(page, other)
    assert page.current_workflow_task.name == "Marketing review"


def test_a_reviewer_who_rewrote_the_post_cannot_approve_it(blog_index, editor, reviewers):
    """Editing during review makes the text the reviewer's own: another member of the group has to approve."""
    page = _draft(blog_index, editor)
    page.get_workflow().start(page, editor)
    reviewer = reviewers["Product management"]
    page.title = "Offline mode is here"
    page.save_revision(user=reviewer)
    with pytest.raises(PermissionDenied):
        _approve(page, reviewer)
    assert page.current_workflow_task.name == "Product management review"


def test_superusers_do_not_approve_their_own_submission_either(blog_index, administrator):
    """Four eyes hold for administrators too."""
    page = _draft(blog_index, administrator)
    page.get_workflow().start(page, administrator)
    task = page.current_workflow_task.specific
    assert [action[0] for action in task.get_actions(page, administrator)] == ["reject"]
    with pytest.raises(PermissionDenied):
        _approve(page, administrator)


def test_editors_cannot_publish_or_schedule_around_the_workflow(client, blog_index, editor):
    """Editors hold no publish permission: no publish, no schedule, not even through the revision API."""
    page = _draft(blog_index, editor, go_live_at=timezone.now() + datetime.timedelta(days=1))
    permissions = page.permissions_for_user(editor)
    assert (permissions.can_edit(), permissions.can_publish(), permissions.can_unpublish()) == (True, False, False)
    with pytest.raises(PublishPagePermissionError):
        page.get_latest_revision().publish(user=editor)
    page.refresh_from_db()
    assert (page.live, page.has_unpublished_changes, bool(page.approved_schedule)) == (False, True, False)
    client.force_login(editor)
    html = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html


def test_an_approved_post_with_a_date_goes_live_on_time(
    blog_index, editor, reviewers, django_capture_on_commit_callbacks
):
    """A post scheduled by its editor is scheduled (not live) once approved, and the scheduler publishes it then."""
    start = timezone.now().replace(microsecond=0)
    page = _draft(blog_index, editor, go_live_at=start + datetime.timedelta(hours=2))
    page.get_workflow().start(page, editor)
    for department in DEPARTMENTS:
        _approve(page, reviewers[department])
    assert (page.live, bool(page.approved_schedule)) == (False, True)
    for minutes, live in ((60, False), (121, True)):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                assert schedule.enqueue_due(only={"community.publish_scheduled"}) == ["community.publish_scheduled"]
        page.refresh_from_db()
        assert page.live is live
    assert page.first_published_at == start + datetime.timedelta(minutes=121)
