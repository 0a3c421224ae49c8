"""Knowledge base on 200 articles and a forum data set (1,000 threads, 5,000 posts, 200 ideas): article, search, suggestions."""

from __future__ import annotations

import random

from django.test import Client
from django.utils import timezone

from tests.benchmarks.timing import count_queries, get_ok, percentiles

ARTICLES = 200
THREADS = 1_000
POSTS_PER_THREAD = 5
IDEAS = 200
WORDS = "export report invoice dashboard api key password project member backup timeout import sync".split()


def _sentence(rng, n=12):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _seed_kb(rng):
    from wagtail.search.backends import get_search_backend

    from knowledgebase import services
    from knowledgebase.models import KBArticlePage, KBCategoryPage, KBIndexPage, KBProduct
    from portal.models import HomePage

    home = HomePage.objects.get(locale__language_code="en")
    index = home.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb"))
    services.kb_workflow_ensure(index=index)
    product = KBProduct.objects.create(name="Acme Cloud", slug="acme-cloud")
    categories = [
        index.add_child(instance=KBCategoryPage(title=f"Category {i}", slug=f"category-{i}")) for i in range(5)
    ]
    articles = []
    for i in range(ARTICLES):
        article = categories[i % 5].add_child(
            instance=KBArticlePage(
                title=f"How to {rng.choice(WORDS)} {rng.choice(WORDS)} number {i}",
                slug=f"article-{i}",
                summary=_sentence(rng, 20),
                body=[
                    ("text", f"<p>{_sentence(rng, 60)}</p>"),
                    ("steps", {"title": "Steps", "steps": [f"<p>{_sentence(rng)}</p>" for _ in range(4)]}),
                    ("callout", {"kind": "tip", "text": f"<p>{_sentence(rng)}</p>"}),
                ],
                last_reviewed=timezone.localdate(),
            )
        )
        article.products.add(product)
        article.tags.add(rng.choice(WORDS), rng.choice(WORDS))
        articles.append(article)
    backend = get_search_backend()
    backend.add_bulk(KBArticlePage, KBArticlePage.objects.all())
    return articles


def _seed_forum(rng):
    from wagtail.search.backends import get_search_backend

    from community.models import Forum, Post, Tag, Thread
    from ideas.models import Board, Idea
    from portal.models import User

    author = User.objects.with_email("customer@example.com").get()
    public = Forum.objects.create(name="Bench forum", slug="bench-forum", product="Acme Cloud")
    private = Forum.objects.create(name="Bench private", slug="bench-private", is_private=True)
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(
                forum=private if i % 10 == 0 else public,
                author=author,
                title=f"{_sentence(rng, 6)} {i}",
                created_at=now,
                last_activity_at=now,
            )
            for i in range(THREADS)
        ],
        batch_size=500,
    )
    Post.objects.bulk_create(
        [
            Post(
                thread=t,
                author=author,
                is_question=n == 0,
                body=_sentence(rng, 40),
                body_html="<p>text</p>",
                created_at=now,
            )
            for t in threads
            for n in range(POSTS_PER_THREAD)
        ],
        batch_size=2000,
    )
    Tag.objects.bulk_create([Tag(name=w, slug=w) for w in WORDS], ignore_conflicts=True)  # other benches may own some
    tags = list(Tag.objects.filter(slug__in=WORDS))
    Thread.tags.through.objects.bulk_create(
        [Thread.tags.through(thread_id=t.pk, tag_id=rng.choice(tags).pk) for t in threads], batch_size=2000
    )
    board = Board.objects.create(name="Acme Cloud", slug="bench-board")
    Idea.objects.bulk_create(
        [Idea(board=board, author=author, title=_sentence(rng, 5), body=_sentence(rng, 30)) for _ in range(IDEAS)]
    )
    # Rows written in bulk skip the services, which index after commit; index them as update_index would.
    backend = get_search_backend()
    backend.add_bulk(Thread, Thread.objects.all())
    backend.add_bulk(Post, Post.get_indexed_objects())
    backend.add_bulk(Idea, Idea.objects.all())


def run(report):
    from knowledgebase import page_cache, views
    from portal.demo import seed

    rng = random.Random(5)  # noqa: S311
    seed(stdout=None)
    articles = _seed_kb(rng)
    _seed_forum(rng)
    url = articles[100].url

    anonymous = Client()
    anonymous.get("/kb/")  # site root paths cached, as in a running process

    def uncached():
        page_cache.purge()
        response = anonymous.get(url)
        assert response.status_code == 200 and response[page_cache.HIT_HEADER] == "miss"

    report("kb.article.queries", count_queries(uncached))
    report("kb.article.p50_ms", percentiles(uncached, iterations=200)["p50_ms"], "ms")

    cached = get_ok(anonymous, url)
    cached()
    report("kb.article_cached.queries", count_queries(cached))
    report("kb.article_cached.p50_ms", percentiles(cached, iterations=500)["p50_ms"], "ms")

    search = get_ok(anonymous, "/kb-tools/search/?q=export+report")
    search()
    report("kb.search.queries", count_queries(search))
    figures = percentiles(search, iterations=100)
    report("kb.search.p50_ms", figures["p50_ms"], "ms")
    report("kb.search.p95_ms", figures["p95_ms"], "ms")

    views.SUGGEST_PER_MINUTE = 1_000_000  # one client asks thousands of times here
    suggest = get_ok(anonymous, "/kb-tools/suggest/?q=how+do+I+export+a+report")
    suggest()
    report("kb.suggestions.queries", count_queries(suggest))
    report("kb.suggestions.p50_ms", percentiles(suggest, iterations=200)["p50_ms"], "ms")
