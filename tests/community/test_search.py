"""Search and similar-thread suggestions through the Wagtail search backend, filtered by visibility."""

from __future__ import annotations

from community import services
from community.models import Post, Thread
from portal.tasks import reindex
from tests.community.conftest import reply


def _index_all():
    reindex.call(
        refs=[("community.Thread", pk) for pk in Thread.objects.values_list("pk", flat=True)]
        + [("community.Post", pk) for pk in Post.objects.values_list("pk", flat=True)]
    )


def test_search_finds_threads_by_title_and_by_reply_text(client, forum, customer, other_customer, home_page):
    """A thread is found by words of its title and by words of its replies."""
    printer = services.thread_create(forum=forum, author=customer, title="Printer offline again", body="help")
    reply(printer, other_customer, "Restart the spooler service")
    services.thread_create(forum=forum, author=customer, title="Invoices missing", body="where")
    _index_all()
    assert [t.pk for t in client.get("/forums/search/?q=printer").context["results"]] == [printer.pk]
    assert [t.pk for t in client.get("/forums/search/?q=spooler").context["results"]] == [printer.pk]
    assert client.get("/forums/search/?q=").context["results"] == []


def test_search_hides_hidden_posts_and_threads(
    client, forum, customer, other_customer, moderator, home_page, django_capture_on_commit_callbacks
):
    """Text of a hidden reply or a hidden thread is not a search hit."""
    thread = services.thread_create(forum=forum, author=customer, title="Visible question", body="fine")
    post = reply(thread, other_customer, "secretword inside")
    _index_all()
    assert [t.pk for t in client.get("/forums/search/?q=secretword").context["results"]] == [thread.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hide(post=post, moderator=moderator, reason="x")
    assert client.get("/forums/search/?q=secretword").context["results"] == []
    services.thread_set_hidden(thread=thread, moderator=moderator, hidden=True, reason="dup")
    assert client.get("/forums/search/?q=visible").context["results"] == []


def test_new_posts_are_indexed_after_commit(
    client, thread, other_customer, home_page, django_capture_on_commit_callbacks
):
    """The post_published task indexes a reply once the transaction commits."""
    assert client.get("/forums/search/?q=kangaroo").context["results"] == []
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, other_customer, "kangaroo mode fixes it")
    assert [t.pk for t in client.get("/forums/search/?q=kangaroo").context["results"]] == [thread.pk]


def test_similar_prefers_answered_threads(client, forum, customer, other_customer, home_page):
    """Similar suggestions list answered threads before open ones."""
    open_one = services.thread_create(forum=forum, author=customer, title="Export timeout large project", body="x")
    answered = services.thread_create(forum=forum, author=other_customer, title="Export timeout again", body="x")
    services.answer_accept(thread=answered, post=reply(answered, customer), actor=other_customer)
    _index_all()
    data = client.get("/forums/similar/?title=export+timeout").json()
    assert [r["url"] for r in data["results"]] == [f"/forums/t/{answered.pk}/", f"/forums/t/{open_one.pk}/"]
    assert [r["answered"] for r in data["results"]] == [True, False]
    assert client.get("/forums/similar/?title=ab").json() == {"results": []}
