"""Scheduled publishing: the scheduler's job makes a blog post go live once its time has come."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from community.models import BlogIndexPage, BlogPage
from portal import schedule

pytestmark = pytest.mark.django_db

JOB = "community.publish_scheduled"


def _scheduled_post(index, editor, *, slug, go_live_at):
    page = BlogPage(
        title=slug.title(),
        slug=slug,
        date=datetime.date(2026, 3, 1),
        intro="Intro",
        author=editor,
        body=[("paragraph", "<p>Body</p>")],
        live=False,
    )
    index.add_child(instance=page)
    page.go_live_at = go_live_at
    page.save_revision(user=editor).publish(user=editor)
    page.refresh_from_db()
    return page


def test_the_job_is_registered_every_minute():
    """The scheduler knows the job and enqueues it every minute."""
    job = next(job for job in schedule.jobs() if job.name == JOB)
    assert job.every == datetime.timedelta(minutes=1)


def test_a_post_due_goes_live_a_later_one_stays_scheduled(
    client, home_page, administrator, django_capture_on_commit_callbacks
):
    """When the job runs, the post whose time has passed is live; the one still in the future is not."""
    start = timezone.now().replace(microsecond=0)
    index = home_page.add_child(instance=BlogIndexPage(title="Blog", slug="blog", intro="News"))
    # Editors cannot publish or schedule (the blog's workflow does); an administrator schedules here.
    due = _scheduled_post(index, administrator, slug="due", go_live_at=start + datetime.timedelta(hours=1))
    later = _scheduled_post(index, administrator, slug="later", go_live_at=start + datetime.timedelta(hours=3))
    assert (due.live, later.live) == (False, False)
    assert client.get("/blog/due/").status_code == 404

    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert schedule.enqueue_due(only={JOB}) == [JOB]

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.live is True
    assert due.first_published_at == start + datetime.timedelta(hours=2)
    assert later.live is False
    assert later.get_latest_revision().approved_go_live_at == start + datetime.timedelta(hours=3)
    assert client.get("/blog/due/").status_code == 200
    assert client.get("/blog/later/").status_code == 404
