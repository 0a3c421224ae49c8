"""Staff-only routing tags (#lead) never reach visitors or members; moderators see them marked "internal"."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from wagtail.search import index as search_index

from community import services
from community.models import Tag, Thread
from crm import services as crm_services
from crm.models import ConnectionKind, CrmConnection, TagRule
from ideas import services as idea_services
from ideas.models import Board, InternalTag
from knowledgebase import search

TITLE = "How do I reset my key?"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def lead_thread(thread, moderator, django_capture_on_commit_callbacks):
    """The customer's thread (indexed for search), tagged #lead by a moderator, then #lead made staff-only."""
    with django_capture_on_commit_callbacks(execute=True):
        services.thread_tag_add(thread=thread, name="lead", actor=moderator)
        services.tag_visibility_set(name="lead", internal=True, actor=moderator)
    thread.refresh_from_db()
    search_index.insert_or_update_object(thread)
    for post in thread.posts.all():
        search_index.insert_or_update_object(post)
    return thread


@pytest.fixture
def viewers(customer, moderator):
    """Anonymous visitor, the thread's author (a customer) and a moderator."""
    return {"anonymous": _client(), "author": _client(customer), "moderator": _client(moderator)}


def _html(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _without_csrf(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)  # the CSP nonce differs per response


def test_labels_mark_the_staff_only_tag(lead_thread):
    """Lists read visibility from the denormalised labels; public tags keep the two-element form."""
    assert lead_thread.tag_labels == [["api", "api"], ["lead", "lead", True]]
    assert Tag.objects.get(slug="lead").is_internal is True


@pytest.mark.parametrize("who", ["anonymous", "author"])
def test_thread_page_hides_the_tag_from_visitors_and_the_author(lead_thread, viewers, who):
    """The thread page shows #api to everyone, #lead to nobody outside staff."""
    html = _html(viewers[who], f"/forums/t/{lead_thread.pk}/")
    assert "#api" in html
    assert "#lead" not in html
    assert "?tag=lead" not in html


def test_thread_page_shows_the_tag_to_a_moderator_marked_internal(lead_thread, viewers):
    html = _html(viewers["moderator"], f"/forums/t/{lead_thread.pk}/")
    assert "#lead <small>(internal)</small>" in html
    assert "#api <small>" not in html


@pytest.mark.parametrize("who", ["anonymous", "author"])
def test_thread_list_hides_the_tag(lead_thread, viewers, who):
    html = _html(viewers[who], "/forums/general/")
    assert TITLE in html
    assert "#api" in html
    assert "#lead" not in html


def test_thread_list_shows_the_tag_to_a_moderator(lead_thread, viewers):
    html = _html(viewers["moderator"], "/forums/general/")
    assert '?tag=lead">#lead <small>(internal)</small>' in html


def test_a_row_cached_for_a_moderator_is_never_served_to_the_author(lead_thread, viewers):
    """Render the list as moderator first (fills the fragment cache), then as the author: no #lead."""
    assert "#lead" in _html(viewers["moderator"], "/forums/general/")
    html = _html(viewers["author"], "/forums/general/")
    assert TITLE in html
    assert "#lead" not in html
    assert "(internal)" not in html


@pytest.mark.parametrize("who", ["anonymous", "author"])
def test_tag_filter_url_reveals_nothing(lead_thread, viewers, who):
    """?tag=lead answers a member exactly as a tag that does not exist: no threads."""
    tagged = _html(viewers[who], "/forums/general/", tag="lead")
    unknown = _html(viewers[who], "/forums/general/", tag="no-such-tag")
    assert TITLE not in tagged
    assert _without_csrf(tagged).replace("lead", "X") == _without_csrf(unknown).replace("no-such-tag", "X")
    assert TITLE in _html(viewers[who], "/forums/general/", tag="api")


def test_tag_filter_url_works_for_a_moderator(lead_thread, viewers):
    assert TITLE in _html(viewers["moderator"], "/forums/general/", tag="lead")


@pytest.mark.parametrize("who", ["anonymous", "author"])
def test_tag_suggestions_leave_out_the_tag(lead_thread, viewers, who):
    assert viewers[who].get("/forums/tags/", {"q": "le"}).json() == {"results": []}
    assert viewers[who].get("/forums/tags/", {"q": "a"}).json() == {"results": ["api"]}


def test_tag_suggestions_offer_the_tag_to_a_moderator(lead_thread, viewers):
    assert viewers["moderator"].get("/forums/tags/", {"q": "le"}).json() == {"results": ["lead"]}


@pytest.mark.parametrize("who", ["anonymous", "author"])
def test_forum_search_page_hides_the_tag(lead_thread, viewers, who):
    html = _html(viewers[who], "/forums/search/", q="reset")
    assert TITLE in html
    assert "#api" in html
    assert "#lead" not in html


def test_forum_search_page_marks_the_tag_for_a_moderator(lead_thread, viewers):
    html = _html(viewers["moderator"], "/forums/search/", q="reset")
    assert "#lead <small>(internal)</small>" in html


@pytest.mark.parametrize("who", ["anonymous", "author"])
def test_unified_search_labels_and_facets_leave_out_the_tag(lead_thread, viewers, who):
    """Labels, facets and the ?tag= facet filter of the knowledge base search never carry #lead."""
    link = f'href="/forums/t/{lead_thread.pk}/"'
    html = _html(viewers[who], "/kb-tools/search/", q="reset")
    assert link in html
    assert '<span class="tag">#api</span>' in html
    assert "lead" not in html
    filtered = _html(viewers[who], "/kb-tools/search/", q="reset", tag="lead")
    assert link not in filtered
    assert link in _html(viewers[who], "/kb-tools/search/", q="reset", tag="api")


def test_unified_search_facets_for_the_author(lead_thread, customer):
    results = search.unified_search(user=customer, query="reset")
    assert [(h.title, h.tags) for h in results.hits] == [(TITLE, ["api"])]
    assert results.facets["tag"] == [("api", 1)]


def test_idea_tags_staff_only_in_search_and_absent_from_idea_pages(
    product_manager, customer, viewers, django_capture_on_commit_callbacks
):
    """An idea tagged #lead: the idea page and the search show #pdf at most, never #lead."""
    board = Board.objects.create(name="Acme Cloud", slug="acme-cloud")
    with django_capture_on_commit_callbacks(execute=True):
        idea = idea_services.idea_create(board=board, author=customer, title="Invoice as PDF", body="Please.")
    idea_services.idea_set_status(idea=idea, by=product_manager, status=idea.status, response="", tags=["pdf", "lead"])
    idea_services.tag_visibility_set(name="lead", internal=True, actor=product_manager)
    for who in ("anonymous", "author"):
        assert "lead" not in _html(viewers[who], f"/ideas/idea/{idea.pk}/")
        assert "lead" not in _html(viewers[who], "/ideas/acme-cloud/")
    results = search.unified_search(user=customer, query="invoice")
    assert [(h.type, h.tags) for h in results.hits] == [("idea", ["pdf"])]

    idea_services.tag_visibility_set(name="Lead", internal=False, actor=product_manager)
    assert InternalTag.objects.count() == 0
    results = search.unified_search(user=customer, query="invoice")
    assert [(h.type, sorted(h.tags)) for h in results.hits] == [("idea", ["lead", "pdf"])]


def test_a_tag_made_public_again_shows_for_everyone(lead_thread, viewers, moderator):
    """Turning the flag off rewrites the labels; the author then sees #lead without a marker."""
    assert "#lead" in _html(viewers["moderator"], "/forums/general/")  # cached while internal
    services.tag_visibility_set(name="lead", internal=False, actor=moderator)
    lead_thread.refresh_from_db()
    assert lead_thread.tag_labels == [["api", "api"], ["lead", "lead"]]
    for who in ("anonymous", "author", "moderator"):
        assert '?tag=lead">#lead</a>' in _html(viewers[who], "/forums/general/")
        assert "#lead</a>" in _html(viewers[who], f"/forums/t/{lead_thread.pk}/")
        assert "(internal)" not in _html(viewers[who], "/forums/general/")
    assert TITLE in _html(viewers["author"], "/forums/general/", tag="lead")


def test_a_thread_tagged_after_the_flag_is_set_hides_it_too(forum, customer, moderator, viewers):
    services.tag_visibility_set(name="complaint", internal=True, actor=moderator)
    other = services.thread_create(forum=forum, author=customer, title="Refund please", body="It broke.")
    services.thread_tag_add(thread=other, name="#Complaint", actor=moderator)
    other.refresh_from_db()
    assert other.tag_labels == [["complaint", "complaint", True]]
    assert "#complaint" not in _html(viewers["author"], f"/forums/t/{other.pk}/")


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_member_cannot_put_a_staff_only_tag_on_their_thread(
    forum, customer, moderator, language, django_capture_on_commit_callbacks
):
    """Typing #complaint on one's own thread is refused with a message (it would route the thread to the CRM)."""
    from crm.models import InterestCard

    services.tag_visibility_set(name="complaint", internal=True, actor=moderator)
    customer.preferred_language = language
    customer.save(update_fields=["preferred_language"])
    own = services.thread_create(forum=forum, author=customer, title="Refund please", body="It broke.")
    client = _client(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/forums/t/{own.pk}/tags/", {"tag": "#Complaint"}, follow=True, HTTP_ACCEPT_LANGUAGE=language
        )
    own.refresh_from_db()
    assert own.tag_labels == []
    assert InterestCard.objects.count() == 0
    message = {
        "en": "This tag is reserved for the team. Please choose another one.",
        "de": "Dieses Schlagwort ist dem Team vorbehalten. Bitte wählen Sie ein anderes.",
    }[language]
    assert [str(m) for m in response.context["messages"]] == [message]
    with pytest.raises(ValidationError):
        services.thread_create(forum=forum, author=customer, title="Again", body="Still broken.", tags=["complaint"])
    assert not Thread.objects.filter(title="Again").exists()


def test_members_cannot_change_visibility(lead_thread, customer):
    with pytest.raises(PermissionDenied):
        services.tag_visibility_set(name="lead", internal=False, actor=customer)
    assert Tag.objects.get(slug="lead").is_internal is True
    assert Thread.objects.get(pk=lead_thread.pk).tag_labels[1] == ["lead", "lead", True]


def test_moderator_sees_the_german_marker(lead_thread, moderator):
    moderator.preferred_language = "de"
    moderator.save(update_fields=["preferred_language"])
    html = _html(_client(moderator), f"/forums/t/{lead_thread.pk}/")
    assert "#lead <small>(intern)</small>" in html


@pytest.fixture
def connection(db):
    return crm_services.connection_save(
        connection=CrmConnection(name="CRM", kind=ConnectionKind.WEBHOOK, url="https://crm.example.com/hook"),
        secrets={"signing_secret": "s" * 32},
    )


def test_a_crm_rule_makes_its_tag_staff_only_by_default(thread, connection, viewers, moderator):
    """A rule saved through the service hides its tag in forums and ideas; threads tagged before follow."""
    services.thread_tag_add(thread=thread, name="bug", actor=moderator)
    crm_services.tag_rule_save(rule=TagRule(tag="#Bug", action_type="bug", connection=connection))
    assert Tag.objects.get(slug="bug").is_internal is True
    assert list(InternalTag.objects.values_list("name", flat=True)) == ["bug"]
    assert "#bug" not in _html(viewers["author"], "/forums/general/")


def test_the_rule_form_offers_the_checkbox_checked_and_honours_it(administrator, connection):
    """Administrators see "Staff-only tag" ticked on a new rule; unticking it keeps the tag public."""
    client = _client(administrator)
    assert (
        'name="staff_only" aria-describedby="id_staff_only-helptext" id="id_staff_only" checked>'
        in client.get("/admin/crm_tag_rules/new/").content.decode()
    )
    base = {
        "tag": "feedback",
        "action_type": "feedback",
        "priority": "low",
        "due_in_days": "14",
        "assignee_strategy": "claim",
        "connection": str(connection.pk),
        "keywords": "",
        "is_active": "on",
    }
    assert client.post("/admin/crm_tag_rules/new/", {**base, "staff_only": "on"}).status_code == 302
    assert Tag.objects.get(slug="feedback").is_internal is True
    rule = TagRule.objects.get(tag="feedback")
    edit = client.get(f"/admin/crm_tag_rules/edit/{rule.pk}/").content.decode()
    assert 'id="id_staff_only" checked>' in edit
    assert client.post(f"/admin/crm_tag_rules/edit/{rule.pk}/", base).status_code == 302
    assert Tag.objects.get(slug="feedback").is_internal is False
    assert InternalTag.objects.filter(name="feedback").exists() is False


def test_the_rule_form_in_german(administrator):
    administrator.preferred_language = "de"
    administrator.save(update_fields=["preferred_language"])
    html = _client(administrator).get("/admin/crm_tag_rules/new/").content.decode()
    assert "Internes Schlagwort" in html
    assert "Moderatoren sehen es als „intern“ markiert." in html


def test_the_demo_ends_with_its_rule_tags_staff_only(home_page, moderator):
    """seed_demo's rules (lead, complaint, bug, ...) hide their tags; its demo lead thread shows #lead to no member."""
    from community import demo as community_demo
    from crm import demo as crm_demo
    from portal import demo as portal_demo

    out = io.StringIO()
    portal_demo.seed(stdout=out)
    community_demo.seed(stdout=out)
    crm_demo.seed(stdout=out)
    internal = sorted(Tag.objects.filter(is_internal=True).values_list("name", flat=True))
    assert internal == ["bug", "complaint", "feedback", "lead", "question"]
    assert sorted(InternalTag.objects.values_list("name", flat=True)) == internal
    lead = Thread.objects.get(title="How do I reset my API key?")
    assert ["lead", "lead", True] in lead.tag_labels
    assert "#lead" not in _html(_client(), f"/forums/t/{lead.pk}/")
