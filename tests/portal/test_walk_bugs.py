"""Faults found walking every role through the demo (issue 19): who may edit content in the back office."""

from __future__ import annotations

import datetime

import pytest
from wagtail.models import GroupPagePermission

from community.models import BlogIndexPage, BlogPage
from portal.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def blog_post(home_page, editor):
    index = home_page.add_child(instance=BlogIndexPage(title="Blog", slug="blog", intro="News"))
    page = BlogPage(
        title="Release notes",
        slug="release-notes",
        date=datetime.date(2026, 3, 1),
        intro="Intro",
        author=editor,
        body=[("paragraph", "<p>Body</p>")],
    )
    index.add_child(instance=page)
    # Editors write; the blog's department workflow publishes (editors hold no publish right of their own).
    page.save_revision(user=editor).publish(user=editor, skip_permission_checks=True)
    return page


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.MODERATOR, False),
        (Role.PRODUCT_MANAGER, False),
        (Role.DPO, False),
        (Role.EDITOR, True),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_only_editors_and_administrators_edit_the_home_page_and_blog_posts(client, home_page, blog_post, role, allowed):
    """The back office's edit page of the home page and of a blog post opens for editors and administrators only."""
    from tests.factories import make_member

    client.force_login(make_member(role=role))
    for page in (home_page, blog_post):
        response = client.get(f"/admin/pages/{page.pk}/edit/")
        if allowed:
            assert response.status_code == 200
            continue
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        saved = client.post(f"/admin/pages/{page.pk}/edit/", {"title": "Taken over", "slug": page.slug})
        assert (saved.status_code, saved["Location"]) == (302, "/admin/")
        page.refresh_from_db()
        assert page.title != "Taken over"
        assert not page.revisions.filter(content__title="Taken over").exists()


def test_role_groups_hold_exactly_the_declared_page_rights():
    """The role groups carry exactly the declared page rights on the tree's root (none for moderators to change)."""
    rights = {
        role: set(
            GroupPagePermission.objects.filter(group__name=role, page__depth=1).values_list(
                "permission__codename", flat=True
            )
        )
        for role in Role.ALL
    }
    editing = {"add_page", "change_page", "lock_page", "unlock_page"}
    assert rights == {
        Role.CUSTOMER: set(),
        Role.MODERATOR: {"add_page"},
        Role.PRODUCT_MANAGER: set(),
        Role.EDITOR: editing,  # publishing goes through the editorial workflow (portal.workflows)
        Role.DPO: set(),
        Role.ADMINISTRATOR: editing | {"publish_page"},
    }


def test_a_moderator_still_edits_the_draft_they_own(client, home_page, moderator):
    """A page the moderator created (a thread promoted to the knowledge base) stays editable by them."""
    from wagtail.models import Page

    draft = home_page.add_child(
        instance=Page(title="Promoted draft", slug="promoted-draft", live=False, owner=moderator)
    )
    client.force_login(moderator)
    assert client.get(f"/admin/pages/{draft.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{home_page.pk}/edit/").status_code == 302


def test_the_language_buttons_name_each_language_in_itself(client, home_page):
    """The switcher's tooltips read "Language: English" and "Sprache: Deutsch" on an English and a German page."""
    for language in ("en", "de"):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'title="Language: English"' in html
        assert 'title="Sprache: Deutsch"' in html
        assert "Sprache: German" not in html
        assert "Language: Deutsch" not in html
