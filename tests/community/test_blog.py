"""The blog: index with pagination and tags, posts with author handle, RSS/Atom feeds, comments, workflow."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from wagtail.models import WorkflowPage

from community.models import BlogIndexPage, BlogPage, Post, Thread
from portal.models import Notification
from portal.roles import Role
from tests.factories import make_member


@pytest.fixture
def blog(home_page, editor):
    index = home_page.add_child(instance=BlogIndexPage(title="Blog", slug="blog", intro="News"))
    posts = []
    for i in range(12):
        page = BlogPage(
            title=f"Post {i}",
            slug=f"post-{i}",
            date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            intro=f"Intro {i}",
            author=editor,
            body=[("paragraph", f"<p>Body {i}</p>")],
        )
        index.add_child(instance=page)
        page.tags.add("release" if i % 2 else "news")
        page.save_revision().publish()
        posts.append(page)
    return index, posts


def test_index_lists_newest_first_with_pagination(client, blog):
    """Ten posts per page, newest first; page 2 holds the rest."""
    response = client.get("/blog/")
    assert response.status_code == 200
    assert [p.title for p in response.context["posts_page"]] == [f"Post {i}" for i in range(11, 1, -1)]
    page2 = client.get("/blog/?page=2")
    assert [p.title for p in page2.context["posts_page"]] == ["Post 1", "Post 0"]


def test_index_filters_by_tag(client, blog):
    """?tag= shows only posts with that tag."""
    response = client.get("/blog/?tag=news")
    assert [p.title for p in response.context["posts_page"]] == [f"Post {i}" for i in (10, 8, 6, 4, 2, 0)]


def test_post_shows_author_handle_never_the_real_name(client, blog, editor):
    """The byline is the public handle; the private name does not appear."""
    response = client.get("/blog/post-3/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"@{editor.handle}" in html
    assert editor.first_name not in html and editor.last_name not in html
    assert "Body 3" in html


def test_rss_and_atom_feeds(client, blog, editor):
    """Both feeds list the newest posts with their links and no real names."""
    rss = client.get("/blog/feed/rss/")
    atom = client.get("/blog/feed/atom/")
    assert rss.status_code == atom.status_code == 200
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert atom["Content-Type"].startswith("application/atom+xml")
    body = rss.content.decode()
    assert body.count("<item>") == 12
    assert "/blog/post-11/" in body
    assert editor.last_name not in body and editor.last_name not in atom.content.decode()


def test_comment_creates_the_thread_and_shows_under_the_post(
    client, blog, customer, other_customer, django_capture_on_commit_callbacks
):
    """The first comment creates the post's community thread; comments show under the post."""
    client.force_login(customer)
    page = blog[1][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/forums/blog/{page.pk}/comment/", {"body": "Great news!", "action": "publish"})
    thread = Thread.objects.get(blog_page=page)
    comment = Post.objects.get(thread=thread, is_question=False)
    assert response["Location"] == f"/blog/post-0/#post-{comment.pk}"
    client.force_login(other_customer)
    html = client.get("/blog/post-0/").content.decode()
    assert "Great news!" in html
    assert f"@{customer.handle}" in html


def test_blog_comments_follow_moderation_rules(client, blog, customer, moderator):
    """A comment can be hidden like any post and disappears from the blog page."""
    from community import services

    page = blog[1][0]
    thread = services.blog_comment_thread(page=page)
    post = services.post_create(thread=thread, author=customer, body="spam spam")
    services.post_hide(post=post, moderator=moderator, reason="spam")
    assert "spam spam" not in client.get("/blog/post-0/").content.decode()


def test_blog_comment_with_personal_data_asks_first(client, blog, customer):
    """The PII warning applies to comments too."""
    client.force_login(customer)
    page = blog[1][0]
    response = client.post(f"/forums/blog/{page.pk}/comment/", {"body": "write to me@example.org", "action": "publish"})
    assert response.status_code == 200
    assert [f.kind for f in response.context["findings"]] == ["email"]
    assert Post.objects.filter(thread__blog_page=page, is_question=False).count() == 0


def test_anonymous_cannot_comment(client, blog):
    """Anonymous visitors are sent to log in; nothing is stored."""
    page = blog[1][0]
    response = client.post(f"/forums/blog/{page.pk}/comment/", {"body": "hi"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert Thread.objects.filter(blog_page=page).count() == 0


def test_seed_creates_blog_forums_and_review_workflow(home_page):
    """seed_demo's community part: forums (one private), threads, blog and the departments' workflow; idempotent."""
    from community import demo
    from portal import demo as portal_demo

    portal_demo.seed(stdout=None)
    demo.seed(stdout=None)
    demo.seed(stdout=None)
    index = BlogIndexPage.objects.get(locale__language_code="en")
    assert index.url == "/blog/"
    assert BlogPage.objects.live().filter(locale__language_code="en").count() == 2
    assert BlogPage.objects.live().filter(locale__language_code="de").count() == 2
    assert Thread.objects.filter(blog_page__isnull=True).count() == 4
    assert Thread.objects.filter(state="answered").count() == 2
    workflow = WorkflowPage.objects.get(page=index).workflow
    steps = [
        [g.name for g in task.specific.groups.all()] for task in workflow.tasks.order_by("workflow_tasks__sort_order")
    ]
    assert steps == [["Product management"], ["PR"], ["Marketing"], ["Social media"]]


def test_editor_submits_and_an_editor_group_member_approves(home_page, editor):
    """Draft -> approval by each department in turn -> published, through Wagtail's workflow API."""
    from community import demo

    demo._blog()
    index = BlogIndexPage.objects.get(locale__language_code="en")
    page = BlogPage(
        title="Draft post", slug="draft-post", date=datetime.date(2026, 5, 1), author=editor, body=[], live=False
    )
    index.add_child(instance=page)
    revision = page.save_revision(user=editor)
    workflow = page.get_workflow()
    assert workflow is not None and workflow.name == "Blog review"
    state = workflow.start(page, editor)
    page.refresh_from_db()
    assert page.live is False
    for department in ("Product management", "PR", "Marketing", "Social media"):
        reviewer = make_member(role=Role.EDITOR)
        reviewer.groups.add(Group.objects.get(name=department))
        state.refresh_from_db()
        task_state = state.current_task_state.specific
        task_state.task.specific.on_action(task_state, reviewer, "approve")
    page.refresh_from_db()
    assert page.live is True
    assert page.live_revision_id is not None
    assert revision.pk <= page.live_revision_id
    assert Notification.objects.count() == 0
