"""Ideas in the search index: written after commit by the services, refreshed on merge and erasure, removed when gone."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from wagtail.search.models import IndexEntry

from consent.dsar.erasure import DELETED, Identifiers, rewrite_mentions
from ideas import services
from ideas.models import Idea
from ideas.search import idea_hits
from portal.tasks import reindex
from tests.factories import make_member


def _found(query: str) -> list[str]:
    return [hit.title for hit in idea_hits(user=None, query=query, limit=20)]


def test_an_idea_is_found_once_its_transaction_commits(board, customer, django_capture_on_commit_callbacks):
    """The service indexes the idea after commit, by its title and its description."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.idea_create(board=board, author=customer, title="Export reports as PDF", body="For our auditors.")
    assert _found("auditors") == []
    for callback in callbacks:
        callback()
    assert _found("auditors") == ["Export reports as PDF"]
    assert _found("export pdf") == ["Export reports as PDF"]
    assert _found("export excel") == []


def test_a_merged_duplicate_leaves_the_search_and_its_original_stays(
    make_idea, product_manager, django_capture_on_commit_callbacks
):
    """After a merge only the original is found for the words both share."""
    with django_capture_on_commit_callbacks(execute=True):
        original = make_idea(title="Single sign-on with Okta")
        duplicate = make_idea(title="Okta login for teams")
    assert sorted(_found("okta")) == ["Okta login for teams", "Single sign-on with Okta"]
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_merge(duplicate=duplicate, original=original, by=product_manager)
    assert _found("okta") == ["Single sign-on with Okta"]


def test_reindexing_replaces_an_ideas_entry(make_idea, django_capture_on_commit_callbacks):
    """When an idea's text changed, the reindex task makes the new title find it and the old one no longer."""
    with django_capture_on_commit_callbacks(execute=True):
        idea = make_idea(title="Export reports as PDF", body="")
    Idea.objects.filter(pk=idea.pk).update(title="Dark mode for dashboards")
    assert reindex.call(refs=[("ideas.Idea", idea.pk)]) == 1
    assert _found("dark dashboards") == ["Dark mode for dashboards"]
    assert _found("export") == []


def test_an_erased_members_handle_no_longer_finds_the_idea_that_named_them(
    make_idea, django_capture_on_commit_callbacks
):
    """Erasure rewrites the handle in the idea's title, and the index follows: searching the handle finds nothing."""
    member = make_member(handle="zoe-quinn")
    with django_capture_on_commit_callbacks(execute=True):
        make_idea(title="Calendar sync as @zoe-quinn asked", body="")
    assert _found("quinn") == ["Calendar sync as @zoe-quinn asked"]
    rewrite_mentions(identifiers=Identifiers(strong={member.handle: DELETED}, weak={}))
    assert _found("quinn") == []
    assert _found("calendar") == ["Calendar sync as @deleted-member asked"]


def test_a_deleted_idea_leaves_the_index(make_idea, django_capture_on_commit_callbacks):
    """The reindex task removes the entry of a row that no longer exists."""
    with django_capture_on_commit_callbacks(execute=True):
        idea = make_idea(title="Export reports as PDF")
    entry = IndexEntry.objects.filter(content_type=ContentType.objects.get_for_model(Idea), object_id=str(idea.pk))
    assert entry.count() == 1
    Idea.objects.filter(pk=idea.pk).delete()
    assert reindex.call(refs=[("ideas.Idea", idea.pk)]) == 0
    assert entry.count() == 0
