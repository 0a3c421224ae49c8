"""portal.fragments: cached list fragments keyed by what they show."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import translation

from portal import fragments

# A row template of the kind the mechanism serves (community's post template needs a whole thread page).
TEMPLATE = "fragment_test_row.html"
TEMPLATE_SOURCE = (
    '{% load i18n %}<li><a href="{{ thread_url_base }}{{ thread.pk }}/">{{ thread.title }}</a> '
    '{% include "community/includes/author.html" with author=thread.author %} '
    "{% blocktranslate count counter=thread.reply_count %}{{ counter }} reply{% plural %}"
    "{{ counter }} replies{% endblocktranslate %}</li>"
)


@pytest.fixture(autouse=True)
def _row_template(settings, tmp_path_factory):
    """``TEMPLATE`` beside the project's templates (which it includes)."""
    folder = tmp_path_factory.mktemp("fragment-templates")
    (folder / TEMPLATE).write_text(TEMPLATE_SOURCE)
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine.get("DIRS", []), folder]}, *settings.TEMPLATES[1:]]
    fragments._fingerprint.cache_clear()
    yield
    fragments._fingerprint.cache_clear()


def _thread(pk=1, title="Printer offline", reply_count=0, **extra):
    values = {
        "pk": pk,
        "title": title,
        "state": "open",
        "is_private": False,
        "is_pinned": False,
        "is_held": False,
        "accepted_post_id": None,
        "tag_labels": [],
        "reply_count": reply_count,
        "last_activity_at": None,
        "author": None,
    }
    values.update(extra)
    return SimpleNamespace(**values)


def _key(thread):
    return (thread.pk, thread.title, thread.reply_count)


def _render(rows, request=None, **shared):
    return fragments.render_fragments(
        TEMPLATE,
        rows,
        row_name="thread",
        row_key=_key,
        shared={"thread_url_base": "/forums/t/", **shared},
        request=request or RequestFactory().get("/"),
    )


@pytest.fixture
def renders(monkeypatch):
    """Counts template renders, to tell cache hits from misses."""
    from django.template.backends.django import Template

    calls = []
    original = Template.render

    def counting(self, *args, **kwargs):
        calls.append(self.template.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Template, "render", counting)
    return calls


def test_second_render_of_the_same_rows_comes_from_the_cache(renders):
    """The first call renders each row once; an identical second call renders nothing and returns the same HTML."""
    rows = [_thread(1), _thread(2, "Scanner jams")]
    first = _render(rows)
    assert renders == [TEMPLATE, TEMPLATE]
    second = _render([_thread(1), _thread(2, "Scanner jams")])
    assert renders == [TEMPLATE, TEMPLATE]
    assert second == first
    assert 'href="/forums/t/1/">Printer offline</a>' in first[0]
    assert 'href="/forums/t/2/">Scanner jams</a>' in first[1]


def test_a_changed_value_in_the_key_reads_a_new_fragment(renders):
    """A row whose shown value changed is rendered anew; the unchanged row still comes from the cache."""
    _render([_thread(1, reply_count=0), _thread(2)])
    html = _render([_thread(1, reply_count=3), _thread(2)])
    assert renders == [TEMPLATE, TEMPLATE, TEMPLATE]
    assert "3 replies" in html[0]


def test_shared_values_and_language_are_part_of_the_key(renders):
    """Another page-wide value or another language never reuses a fragment."""
    english = _render([_thread(1, reply_count=2)])
    other_base = _render([_thread(1, reply_count=2)], thread_url_base="/elsewhere/")
    with translation.override("de"):
        german = _render([_thread(1, reply_count=2)])
    assert len(renders) == 3
    assert "2 replies" in english[0]
    assert 'href="/elsewhere/1/"' in other_base[0]
    assert "2 Antworten" in german[0]


def test_shared_values_must_be_plain():
    """An object in the shared values is refused: its repr would not say what the template shows."""
    with pytest.raises(TypeError, match="thread_url_base"):
        fragments.render_fragments(
            TEMPLATE, [], row_name="thread", row_key=_key, shared={"thread_url_base": object()}, request=None
        )


def test_no_rows_costs_nothing(renders):
    assert _render([]) == []
    assert renders == []


def test_csrf_token_is_filled_in_per_viewer_and_never_cached(db):
    """A form inside a fragment carries the viewer's own token; the cache holds only the placeholder."""
    from community.fragments import POST_TEMPLATE, _post_key

    post = SimpleNamespace(
        pk=7,
        is_question=False,
        status="published",
        hidden_reason="",
        body_html="<p>Hi</p>",
        helpful_count=0,
        created_at=None,
        edited_at=None,
        author=None,
        author_id=99,
        viewer_is_author=False,
        viewer_marked_helpful=False,
        viewer_bookmarked=False,
    )
    shared = {
        "viewer_authenticated": True,
        "is_moderator": False,
        "can_reply": False,
        "can_accept": False,
        "accepted_block": False,
        "accepted_post_id": None,
        "thread_pk": 1,
        "post_url_base": "/forums/p/",
        "thread_url_base": "/forums/t/",
    }
    factory = RequestFactory()
    tokens = []
    for _ in range(2):
        request = factory.get("/")
        (html,) = fragments.render_fragments(
            POST_TEMPLATE, [post], row_name="post", row_key=_post_key, shared=shared, request=request
        )
        token = request.META["CSRF_COOKIE"]
        tokens.append(token)
        assert 'name="csrfmiddlewaretoken" value="' in html
        assert fragments._placeholder("csrf_token") not in html
    assert tokens[0] != tokens[1]
    (key,) = fragments.fragment_keys(POST_TEMPLATE, [post], row_key=_post_key, shared=shared)
    stored = cache.get(key)
    assert fragments._placeholder("csrf_token") in stored
    assert all(token not in stored for token in tokens)


def test_fragments_may_include_only_templates_named_literally(tmp_path, settings):
    """The fingerprint follows includes; an include by variable could hide a template change, so it is refused."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path],
            "OPTIONS": {"loaders": ["django.template.loaders.filesystem.Loader"]},
        }
    ]
    (tmp_path / "row.html").write_text("{% include name %}")
    fragments._fingerprint.cache_clear()
    try:
        with pytest.raises(ValueError, match="named literally"):
            fragments.render_fragments(
                "row.html", [1], row_name="row", row_key=lambda r: (r,), shared={}, request=RequestFactory().get("/")
            )
    finally:
        fragments._fingerprint.cache_clear()


def test_the_fingerprint_covers_the_included_templates_and_every_app_catalogue(monkeypatch, tmp_path):
    """A deploy that changes an included template or a translation changes every key (old fragments are never
    shown); the catalogues of nested apps (community.chat, consent.dsar) count too."""
    from django.conf import settings

    catalogues = {p.relative_to(settings.BASE_DIR).as_posix() for p in fragments._catalogue_paths()}
    assert {"community/chat/locale/de/LC_MESSAGES/django.mo", "consent/dsar/locale/de/LC_MESSAGES/django.mo"} <= (
        catalogues
    )
    assert all("site-packages" not in c for c in catalogues)
    fragments._fingerprint.cache_clear()
    before = fragments._fingerprint(TEMPLATE)
    catalogue = tmp_path / "django.mo"
    catalogue.write_bytes(b"v1")
    monkeypatch.setattr(fragments, "_catalogue_paths", lambda: [catalogue])
    fragments._fingerprint.cache_clear()
    first = fragments._fingerprint(TEMPLATE)
    catalogue.write_bytes(b"v2")
    fragments._fingerprint.cache_clear()
    second = fragments._fingerprint(TEMPLATE)
    original = fragments._template_sources
    monkeypatch.setattr(
        fragments,
        "_template_sources",
        lambda name, *, seen: [s.replace("member_name", "member_label") for s in original(name, seen=seen)],
    )
    fragments._fingerprint.cache_clear()
    third = fragments._fingerprint(TEMPLATE)
    fragments._fingerprint.cache_clear()
    assert len({before, first, second, third}) == 4


def test_purging_fragments_while_redis_is_unreachable_logs_and_does_not_raise(settings, caplog):
    """An erasure or retention run has committed; a dead Redis must not turn its after-commit purge into an error."""
    location = f"redis://127.0.0.1:{_closed_port()}/0"
    # Changing CACHES makes Django's test signal handler drop the cache connections.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    assert fragments.fragments_purge() == 0
    assert "cached fragments could not be purged" in caplog.text


def test_purging_deletes_every_fragment_and_nothing_else():
    """Erasure and retention purge the cached fragments (copies of removed text); other cache entries stay."""
    from django.core.cache import cache

    cache.set(fragments.FRAGMENT_PREFIX + "abc", "<li>@zebulon</li>")
    cache.set(fragments.FRAGMENT_PREFIX + "def", "<li>other</li>")
    cache.set("rl:something:1", 3)
    assert fragments.fragments_purge() == 2
    assert cache.get(fragments.FRAGMENT_PREFIX + "abc") is None
    assert cache.get("rl:something:1") == 3


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
