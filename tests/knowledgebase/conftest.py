"""Fixtures of the knowledge base tests: the KB tree with its workflow, articles, forums and threads."""

from __future__ import annotations

import itertools

import pytest
from django.utils.text import slugify
from wagtail.search import index as search_index

from community import services as community_services
from community.models import Forum, ModerationSettings
from knowledgebase import services
from knowledgebase.models import KBArticlePage, KBCategoryPage, KBIndexPage, KBProduct
from portal.roles import Role
from tests.factories import make_member

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_first_post_hold(db):
    """Threads in these tests are posted by established members."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()


@pytest.fixture
def kb_index(home_page):
    """The KB index at /kb/ with the review workflow, as seed_demo creates it."""
    index = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb", intro="Answers."))
    index.save_revision().publish()
    services.kb_workflow_ensure(index=index)
    return index


@pytest.fixture
def category(kb_index):
    page = kb_index.add_child(instance=KBCategoryPage(title="Getting started", slug="getting-started"))
    page.save_revision().publish()
    return page


@pytest.fixture
def product(db):
    return KBProduct.objects.create(name="Acme Cloud", slug="acme-cloud")


@pytest.fixture
def make_article(category):
    """Publish an article directly (as an editor would after review) and index it for search."""

    def make(*, title=None, summary="", body=None, parent=None, products=(), tags=(), live=True, **fields):
        title = title or f"Article number {next(_numbers)}"
        article = KBArticlePage(
            title=title,
            slug=slugify(title)[:60] + f"-{next(_numbers)}",
            summary=summary,
            body=body or [("text", f"<p>Body of {title}.</p>")],
            live=live,
            **fields,
        )
        (parent or category).add_child(instance=article)
        article.products.set(products)
        if tags:
            article.tags.add(*tags)
        revision = article.save_revision()
        if live:
            revision.publish()
        article.refresh_from_db()
        search_index.insert_or_update_object(article)
        return article

    return make


@pytest.fixture
def forum(db):
    return Forum.objects.create(name="General", slug="general", product="Acme Cloud")


@pytest.fixture
def private_forum(db):
    return Forum.objects.create(name="Beta", slug="beta", is_private=True, product="Acme Cloud Beta")


@pytest.fixture
def beta_member(private_forum):
    member = make_member(role=Role.CUSTOMER)
    community_services.forum_grant_access(forum=private_forum, user=member)
    return member


@pytest.fixture
def answered_thread(forum, customer, other_customer):
    """A public thread whose accepted answer was written by ``other_customer``."""
    thread = community_services.thread_create(
        forum=forum,
        author=customer,
        title="How do I rotate my API key?",
        body="I need a **new key** for the dashboard.",
        tags=["api"],
    )
    answer = community_services.post_create(
        thread=thread, author=other_customer, body="Open *Settings → API keys* and click **Rotate**."
    )
    community_services.answer_accept(thread=thread, post=answer, actor=customer)
    thread.refresh_from_db()
    return thread
