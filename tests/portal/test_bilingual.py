"""Content in both languages: a German and an English page tree, the switch that keeps the page, bilingual names."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Locale

from community.models import BlogIndexPage, BlogPage, Forum
from ideas.models import Board, Category
from knowledgebase.models import KBArticlePage, KBIndexPage
from portal.demo import translate_page
from portal.models import HomePage, LegalPage

pytestmark = pytest.mark.django_db


def _speak(client, language: str) -> None:
    client.cookies["django_language"] = language


def _switch(client, language: str, next_url: str):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


@pytest.fixture
def blog_post(home_page, editor):
    """An English blog post under an English blog index, both translated into German under other slugs."""
    index = home_page.add_child(instance=BlogIndexPage(title="Blog", slug="blog", intro="News."))
    index.save_revision().publish()
    post = BlogPage(
        title="Spring release",
        slug="spring-release",
        intro="What is new.",
        date=datetime.date(2026, 3, 1),
        author=editor,
        body=[("paragraph", "<p>Faster exports.</p>")],
    )
    index.add_child(instance=post)
    post.save_revision().publish()
    translate_page(index, "de", title="Blog (Deutsch)", intro="Neuigkeiten.")
    translate_page(post, "de", title="Frühjahrs-Release", slug="fruehjahrs-release", intro="Was neu ist.")
    return post


def test_seed_demo_fills_the_german_and_the_english_tree():
    """After seed_demo every page of the home, blog, knowledge base and legal pages exists live in both locales."""
    call_command("seed_demo")
    german = Locale.objects.get(language_code="de")
    english = Locale.objects.get(language_code="en")
    home_en = HomePage.objects.get(locale=english)
    home_de = HomePage.objects.get(locale=german)
    assert home_de.translation_key == home_en.translation_key
    assert (home_en.title, home_de.title) == ("Welcome to the Acme community", "Willkommen in der Acme-Community")
    assert BlogIndexPage.objects.get(locale=german).intro == "Neuigkeiten vom Acme-Team."
    assert KBIndexPage.objects.get(locale=german).title == "Wissensdatenbank"
    for model in (BlogPage, KBArticlePage, LegalPage):
        english_pages = model.objects.live().filter(locale=english)
        assert english_pages.exists()
        for page in english_pages:
            translated = page.get_translation_or_none(german)
            # The demo's unpublished post waits in the editorial workflow; everything live is translated.
            assert translated is not None and translated.live, page.title
    titles = {p.kind: p.title for p in LegalPage.objects.filter(locale=german)}
    assert titles == {"imprint": "Impressum", "privacy_policy": "Datenschutzerklärung"}
    assert Forum.objects.get(slug="getting-started").name_de == "Erste Schritte"
    assert Forum.objects.get(slug="support").name_de == "Support"
    assert Board.objects.get(slug="acme-mobile").description_de == "Ideen für die Acme-App auf iOS und Android."
    assert Category.objects.get(board__slug="acme-cloud", name="Reporting").name_de == "Berichte"
    pages_before = HomePage.objects.count() + BlogPage.objects.count() + KBArticlePage.objects.count()
    call_command("seed_demo")
    assert HomePage.objects.count() + BlogPage.objects.count() + KBArticlePage.objects.count() == pages_before


def test_a_path_is_served_from_the_tree_of_the_active_language(client, blog_post):
    """/blog/ shows the English index to English readers and the German one to German readers."""
    _speak(client, "en")
    assert "<h1>Blog</h1>" in client.get("/blog/").content.decode()
    _speak(client, "de")
    html = client.get("/blog/").content.decode()
    assert "<h1>Blog (Deutsch)</h1>" in html
    assert "Frühjahrs-Release" in html
    assert "Spring release" not in html


def test_the_language_switch_keeps_the_member_on_the_translated_page(client, blog_post):
    """Switching on a blog post lands on its translation, even under another slug, and back again."""
    _speak(client, "en")
    response = _switch(client, "de", "/blog/spring-release/")
    assert response.status_code == 302
    assert response["Location"] == "/blog/fruehjahrs-release/"
    assert client.cookies["django_language"].value == "de"
    assert '<h1 id="blog-title">Frühjahrs-Release</h1>' in client.get(response["Location"]).content.decode()
    response = _switch(client, "en", "/blog/fruehjahrs-release/")
    assert response["Location"] == "/blog/spring-release/"


def test_the_switch_goes_to_the_other_home_page_when_there_is_no_translation(client, blog_post, editor):
    """A page not translated yet sends the member to the home page of the chosen language."""
    only_english = BlogPage(
        title="English only", slug="english-only", date=datetime.date(2026, 4, 1), author=editor, body=[]
    )
    blog_post.get_parent().add_child(instance=only_english)
    only_english.save_revision().publish()
    _speak(client, "en")
    response = _switch(client, "de", "/blog/english-only/")
    assert response["Location"] == "/"
    assert "Willkommen in der Acme-Community" in client.get("/").content.decode()


def test_the_switch_leaves_urls_outside_the_page_tree_as_they_are(client, home_page):
    """Forums, ideas, the privacy centre and account pages keep their URL (with the query string)."""
    for next_url in ("/forums/?page=2", "/ideas/", "/privacy/", "/account/login/"):
        _speak(client, "en")
        response = _switch(client, "de", next_url)
        assert response["Location"] == next_url


def test_the_switch_keeps_the_query_string_on_a_translated_page(client, blog_post):
    """A filter on the blog index (?tag=...) survives the switch."""
    _speak(client, "en")
    assert _switch(client, "de", "/blog/?tag=release")["Location"] == "/blog/?tag=release"


def test_an_untranslated_page_stays_readable_in_its_own_language(client, blog_post, editor):
    """A German reader who opens a page that only exists in English gets the English page, not a 404."""
    only_english = BlogPage(
        title="English only", slug="english-only", date=datetime.date(2026, 4, 1), author=editor, body=[]
    )
    blog_post.get_parent().add_child(instance=only_english)
    only_english.save_revision().publish()
    _speak(client, "de")
    response = client.get("/blog/english-only/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="blog-title">English only</h1>' in html
    assert '<html lang="de">' in html
    assert client.get("/blog/no-such-post/").status_code == 404


def test_forum_names_and_descriptions_follow_the_reader_language(client, home_page):
    """The forum list shows the German name to German readers, and the English one when no German one is set."""
    Forum.objects.create(
        slug="getting-started",
        name="Getting started",
        name_de="Erste Schritte",
        description="First steps.",
        description_de="Die ersten Schritte.",
    )
    Forum.objects.create(slug="acme-cloud", name="Acme Cloud only English", description="Only English.")
    _speak(client, "de")
    html = client.get(reverse("community:index")).content.decode()
    assert "Erste Schritte" in html and "Die ersten Schritte." in html
    assert "Getting started" not in html and "First steps." not in html
    assert "Acme Cloud only English" in html and "Only English." in html
    _speak(client, "en")
    html = client.get(reverse("community:index")).content.decode()
    assert "Getting started" in html and "First steps." in html
    assert "Erste Schritte" not in html
    _speak(client, "de")
    assert (
        "<h1>Erste Schritte</h1>" in client.get(reverse("community:forum", args=["getting-started"])).content.decode()
    )


def test_board_and_category_names_follow_the_reader_language(client, home_page):
    """An idea board page names the board and its categories in the reader's language."""
    board = Board.objects.create(
        slug="acme-cloud",
        name="Acme Cloud web",
        name_de="Acme Cloud Web-App",
        description="Ideas.",
        description_de="Ideen.",
    )
    Category.objects.create(board=board, name="Reporting", name_de="Berichte")
    _speak(client, "de")
    html = client.get(board.get_absolute_url()).content.decode()
    assert "<h1>Acme Cloud Web-App</h1>" in html
    assert "<p>Ideen.</p>" in html
    _speak(client, "en")
    html = client.get(board.get_absolute_url()).content.decode()
    assert "<h1>Acme Cloud web</h1>" in html
    assert "<p>Ideas.</p>" in html


def test_localized_name_falls_back_to_english_when_german_is_empty():
    """The accessor returns the English text for German readers when no German text was entered."""
    from django.utils import translation

    forum = Forum(name="Getting started", name_de="", description="First steps.", description_de="")
    with translation.override("de"):
        assert (forum.localized_name, forum.localized_description) == ("Getting started", "First steps.")
        forum.name_de = "Erste Schritte"
        assert forum.localized_name == "Erste Schritte"
    with translation.override("en"):
        assert forum.localized_name == "Getting started"


def test_article_suggestions_come_from_the_reader_language_tree(home_page):
    """Search suggestions list the German article to German readers and the English one to English readers."""
    from django.utils import translation
    from wagtail.search import index as search_index

    from knowledgebase.models import KBIndexPage
    from knowledgebase.search import article_suggestions

    kb = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb"))
    kb.save_revision().publish()
    article = KBArticlePage(title="Export invoices", slug="export-invoices", summary="Invoices as CSV.", body=[])
    kb.add_child(instance=article)
    article.save_revision().publish()
    translate_page(kb, "de", title="Wissensdatenbank")
    german = translate_page(article, "de", title="Export invoices (Rechnungen)", summary="Rechnungen als CSV.")
    search_index.insert_or_update_object(KBArticlePage.objects.get(pk=article.pk))
    search_index.insert_or_update_object(german)
    with translation.override("en"):
        assert [s["title"] for s in article_suggestions(text="export invoices")] == ["Export invoices"]
    with translation.override("de"):
        assert [s["title"] for s in article_suggestions(text="export invoices")] == ["Export invoices (Rechnungen)"]


def test_an_editor_translates_a_page_in_the_back_office(client, blog_post, editor):
    """Wagtail's simple_translation: the editor copies an English post into the German tree as a draft."""
    post = BlogPage(title="Autumn plans", slug="autumn-plans", date=datetime.date(2026, 9, 1), author=editor, body=[])
    blog_post.get_parent().add_child(instance=post)
    post.save_revision().publish()
    german = Locale.objects.get(language_code="de")
    client.force_login(editor)
    url = reverse("simple_translation:submit_page_translation", args=[post.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"locales": [german.pk]})
    assert response.status_code == 302
    translation = post.get_translation(german)
    assert (translation.title, translation.live, translation.get_parent().specific.title) == (
        "Autumn plans",
        False,
        "Blog (Deutsch)",
    )
