"""Every write of the knowledge base: promoting answers, helpful votes and the review workflow."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask

from knowledgebase import permissions
from knowledgebase.models import HelpfulVote, KBArticlePage, KBCategoryPage, KBIndexPage, ThreadArticleLink
from knowledgebase.search import plain_text
from portal import ratelimit
from portal.roles import Role

WORKFLOW_NAME = "Knowledge base review"
TASK_NAME = "Knowledge base review by an editor or moderator"
VOTES_PER_HOUR = 60
SUMMARY_MAX = 600


def voter_key_for(raw_session_key: str) -> str:
    """The stored form of an anonymous visitor's vote key: an HMAC, so the database never holds the session value."""
    return salted_hmac("knowledgebase.helpful-vote", raw_session_key, algorithm="sha256").hexdigest()


@transaction.atomic
def kb_workflow_ensure(*, index: KBIndexPage) -> Workflow:
    """Draft -> review by the Editor or Moderator group -> publish, for every page below the KB index (idempotent)."""
    groups = list(Group.objects.filter(name__in=[Role.EDITOR, Role.MODERATOR]))
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first() or GroupApprovalTask.objects.create(name=TASK_NAME)
    task.groups.set(groups)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first() or Workflow.objects.create(
        name=WORKFLOW_NAME, active=True
    )
    # WorkflowTask hangs on a ParentalKey: the related manager's create() would not reach the database.
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    return workflow


def _unique_slug(parent: Page, title: str) -> str:
    base = (slugify(title) or "article")[:60].strip("-") or "article"
    taken = set(parent.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _promotion_parent(parent: Page | None) -> Page:
    if parent is None:
        index = KBIndexPage.objects.first()
        if index is None:
            raise ValidationError(_("The knowledge base does not exist yet."))
        return index
    specific = parent.specific
    if not isinstance(specific, KBIndexPage | KBCategoryPage):
        raise ValidationError(_("Articles can only be placed in the knowledge base or one of its categories."))
    return specific


@transaction.atomic
def article_promote(*, thread, moderator, parent: Page | None = None) -> KBArticlePage:
    """Turn a thread's question and accepted answer into a draft article that enters the review workflow."""
    if not permissions.can_promote_thread(moderator, thread):
        raise PermissionDenied
    if ThreadArticleLink.objects.select_for_update().filter(thread=thread).exists():
        raise ValidationError(_("This thread has already been promoted to the knowledge base."))
    from community.models import Post

    parent = _promotion_parent(parent)
    question = Post.objects.filter(thread=thread, is_question=True).order_by("created_at").first()
    answer = thread.accepted_post
    summary = plain_text(question.body_html if question else "")[:SUMMARY_MAX]
    article = KBArticlePage(
        title=thread.title,
        slug=_unique_slug(parent, thread.title),
        summary=summary,
        body=[("text", answer.body_html)],
        live=False,
        owner=moderator,
    )
    parent.add_child(instance=article)
    article.save_revision(user=moderator, log_action=True)
    ThreadArticleLink.objects.create(thread=thread, article=article, answerer=answer.author, promoted_by=moderator)
    workflow = article.get_workflow()
    if workflow is not None:
        workflow.start(article, moderator)
    return article


@transaction.atomic
def helpful_vote_cast(*, article: KBArticlePage, helpful: bool, user=None, voter_key: str = "") -> HelpfulVote:
    """Record or change one visitor's answer; a member votes by account, an anonymous visitor by session key."""
    if not permissions.can_vote_helpful(user, article):
        raise PermissionDenied
    member = user if user is not None and user.is_authenticated else None
    if member is None and not voter_key:
        raise ValidationError(_("A vote needs a member or a session."))
    ratelimit.hit(f"kb-vote:{member.pk if member else voter_key}", limit=VOTES_PER_HOUR, window=3600)
    lookup = {"article": article, "user": member} if member else {"article": article, "voter_key": voter_key}
    vote, _created = HelpfulVote.objects.update_or_create(**lookup, defaults={"helpful": helpful})
    return vote
