"""Promoting an accepted answer: draft article, links both ways, workflow, credit by handle, thread notice."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.test import RequestFactory
from wagtail.models import WorkflowState

from community import services as community_services
from knowledgebase import services
from knowledgebase.models import KBArticlePage, ThreadArticleLink


def _render_notice(thread, user):
    request = RequestFactory().get(thread.get_absolute_url())
    request.user = user
    template = Template("{% load kb_tags %}{% kb_thread_notice thread %}")
    return template.render(Context({"thread": thread, "user": user, "request": request}))


def test_moderator_promotes_an_accepted_answer_to_a_draft_in_review(answered_thread, moderator, category):
    """The draft holds the question as summary and the accepted answer as body, and waits in the workflow."""
    article = services.article_promote(thread=answered_thread, moderator=moderator, parent=category)
    article = KBArticlePage.objects.get(pk=article.pk)
    assert article.live is False
    assert article.title == "How do I rotate my API key?"
    assert article.summary == "I need a new key for the dashboard."
    assert article.body[0].block_type == "text"
    assert "<strong>Rotate</strong>" in article.body[0].value.source
    assert article.get_parent().pk == category.pk
    state = WorkflowState.objects.get(object_id=str(article.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == services.WORKFLOW_NAME
    link = ThreadArticleLink.objects.get(thread=answered_thread)
    assert (link.article_id, link.answerer_id, link.promoted_by_id) == (
        article.pk,
        answered_thread.accepted_post.author_id,
        moderator.pk,
    )


def test_editor_approval_publishes_and_thread_says_answered_in_kb(
    client, answered_thread, moderator, editor, other_customer, category
):
    """After an editor approves, the article is live, credits the answerer by handle only, and the thread links it."""
    article = services.article_promote(thread=answered_thread, moderator=moderator, parent=category)
    assert "in review" in _render_notice(answered_thread, moderator)
    assert _render_notice(answered_thread, other_customer).strip() == ""
    article.current_workflow_task_state.approve(user=editor)
    article.refresh_from_db()
    assert article.live is True
    html = client.get(article.url).content.decode()
    assert f'Based on an answer by <span class="handle">@{other_customer.handle}</span>' in html
    assert other_customer.first_name not in html and other_customer.last_name not in html
    assert other_customer.email not in html
    assert f'href="/forums/t/{answered_thread.pk}/"' in html
    notice = _render_notice(answered_thread, other_customer)
    assert "Answered in the knowledge base" in notice
    assert f'href="{article.url}"' in notice


def test_erased_answerer_is_credited_as_deleted_member(
    client, answered_thread, moderator, editor, other_customer, category
):
    """Once the answerer's account is erased the credit names no one."""
    from django.utils import timezone

    article = services.article_promote(thread=answered_thread, moderator=moderator, parent=category)
    article.current_workflow_task_state.approve(user=editor)
    other_customer.erased_at = timezone.now()
    other_customer.save(update_fields=["erased_at"])
    html = client.get(KBArticlePage.objects.get(pk=article.pk).url).content.decode()
    assert "@deleted-member" in html
    assert other_customer.handle not in html


def test_customer_cannot_promote(answered_thread, customer):
    """Only moderators promote: a customer (even the asker) is refused and nothing is created."""
    with pytest.raises(PermissionDenied):
        services.article_promote(thread=answered_thread, moderator=customer)
    assert KBArticlePage.objects.count() == 0
    assert ThreadArticleLink.objects.count() == 0


def test_thread_without_accepted_answer_cannot_be_promoted(forum, customer, moderator, kb_index):
    """Without an accepted answer there is nothing to promote."""
    thread = community_services.thread_create(forum=forum, author=customer, title="Open question", body="Help?")
    with pytest.raises(PermissionDenied):
        services.article_promote(thread=thread, moderator=moderator)
    assert KBArticlePage.objects.count() == 0


def test_a_thread_is_promoted_only_once(answered_thread, moderator, kb_index):
    """A second promotion is refused and leaves the first article the only one."""
    services.article_promote(thread=answered_thread, moderator=moderator)
    with pytest.raises(ValidationError):
        services.article_promote(thread=answered_thread, moderator=moderator)
    assert KBArticlePage.objects.count() == 1
    assert ThreadArticleLink.objects.count() == 1


def test_promote_page_shows_preview_and_creates_draft(client, answered_thread, moderator, category):
    """The moderator's confirm page previews the answer; posting it creates the draft and opens the editor."""
    client.force_login(moderator)
    url = f"/kb-tools/promote/{answered_thread.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Create draft article" in page.content.decode()
    response = client.post(url, {"parent": str(category.pk)})
    article = KBArticlePage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/pages/{article.pk}/edit/"
    assert article.get_parent().pk == category.pk


def test_promote_page_is_404_for_customers(client, answered_thread, customer, kb_index):
    """The promote URL does not exist for a customer; posting changes nothing."""
    client.force_login(customer)
    assert client.get(f"/kb-tools/promote/{answered_thread.pk}/").status_code == 404
    assert client.post(f"/kb-tools/promote/{answered_thread.pk}/").status_code == 404
    assert KBArticlePage.objects.count() == 0


def test_promote_button_shows_for_moderators_only(answered_thread, moderator, customer, kb_index):
    """The thread include offers "Promote to knowledge base" to moderators of the forum, not to members."""
    assert f'href="/kb-tools/promote/{answered_thread.pk}/"' in _render_notice(answered_thread, moderator)
    assert "/kb-tools/promote/" not in _render_notice(answered_thread, customer)


def test_private_thread_is_404_on_the_promote_page_for_members_without_access(
    client, private_forum, beta_member, moderator, customer, kb_index
):
    """A private forum's thread stays invisible on the KB side too."""
    thread = community_services.thread_create(forum=private_forum, author=beta_member, title="Beta q", body="?")
    client.force_login(customer)
    assert client.get(f"/kb-tools/promote/{thread.pk}/").status_code == 404


def test_thread_notice_costs_one_query(answered_thread, moderator, editor, category, django_assert_num_queries):
    """The include adds one query to the forum's thread page, for visitors as for moderators."""
    from django.contrib.auth.models import AnonymousUser

    article = services.article_promote(thread=answered_thread, moderator=moderator, parent=category)
    article.current_workflow_task_state.approve(user=editor)
    with django_assert_num_queries(1):
        html = _render_notice(answered_thread, AnonymousUser())
    assert "Answered in the knowledge base" in html
