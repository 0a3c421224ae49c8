"""Demo content: forums (one private), answered and open threads with tags, the blog and its review workflow."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import GroupApprovalTask, Workflow, WorkflowPage, WorkflowTask

from community import services
from community.models import BlogIndexPage, BlogPage, Forum, ModerationSettings, Thread
from portal.models import HomePage, User
from portal.roles import Role

FORUMS = (
    ("getting-started", "Getting started", "First steps, accounts and set-up.", "Acme Cloud", False),
    ("acme-cloud", "Acme Cloud", "Questions about the Acme Cloud product.", "Acme Cloud", False),
    ("beta-programme", "Beta programme", "Private forum for beta testers.", "Acme Cloud Beta", True),
)

THREADS = (
    # forum, asker, title, body, tags, answerer, answer, accepted
    (
        "getting-started",
        "customer@example.com",
        "How do I reset my API key?",
        "I lost my API key for the **Acme Cloud** dashboard. Where can I create a new one?",
        ["api", "account"],
        "moderator@example.com",
        "Open *Settings → API keys* and click **Create key**. The old key stops working at once.",
        True,
    ),
    (
        "acme-cloud",
        "customer2@example.com",
        "Export fails with a timeout for large projects",
        "When I export a project with more than 10,000 items the export stops after 60 seconds.\n\n"
        "- Browser: Firefox\n- Project size: 12,000 items",
        ["export", "bug"],
        "customer@example.com",
        "Same here. Splitting the export by date worked for me as a workaround.",
        False,
    ),
    (
        "acme-cloud",
        "customer@example.com",
        "Can I schedule reports weekly?",
        "Is there a way to get the usage report every Monday morning?",
        ["reports"],
        None,
        "",
        False,
    ),
    (
        "beta-programme",
        "customer@example.com",
        "Beta: new dashboard feedback",
        "The new dashboard is much faster. The dark mode contrast could be better.",
        ["beta", "dashboard"],
        "moderator@example.com",
        "Thanks @quiet-otter-4821, noted for the next beta build!",
        True,
    ),
)

BLOG_POSTS = (
    (
        "welcome-to-the-community",
        "Welcome to the Acme community",
        "Why we built a community that puts your privacy first.",
        ["community", "privacy"],
        "Today we open our customer community. Ask questions, share ideas and read about what we are building. "
        "Your public name is a handle; your real name stays private.",
    ),
    (
        "acme-cloud-spring-release",
        "Acme Cloud spring release",
        "Faster exports, weekly reports and a new dashboard.",
        ["release", "acme-cloud"],
        "The spring release brings faster exports for large projects, scheduled weekly reports and the new "
        "dashboard that our beta testers have been trying out.",
    ),
)


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


@transaction.atomic
def seed(*, stdout) -> list[str]:
    """Create or refresh the community demo content (idempotent)."""
    config = ModerationSettings.load()
    forums = {}
    for slug, name, description, product, private in FORUMS:
        forum, _created = Forum.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "product": product, "is_private": private},
        )
        forum.order = [f[0] for f in FORUMS].index(slug)
        forum.save(update_fields=["order"])
        forums[slug] = forum
    customer = _user("customer@example.com")
    if customer:
        services.forum_grant_access(forum=forums["beta-programme"], user=customer)
    if not Thread.objects.filter(blog_page__isnull=True).exists():
        # First posts of demo members are not held: the demo shows a working community.
        hold, config.hold_first_posts = config.hold_first_posts, False
        config.save()
        for forum_slug, asker_email, title, body, tags, answerer_email, answer, accepted in THREADS:
            asker = _user(asker_email)
            if asker is None:
                continue
            thread = services.thread_create(forum=forums[forum_slug], author=asker, title=title, body=body, tags=tags)
            answerer = _user(answerer_email) if answerer_email else None
            if answerer:
                post = services.post_create(thread=thread, author=answerer, body=answer)
                if accepted:
                    services.answer_accept(thread=thread, post=post, actor=asker)
        config.hold_first_posts = hold
        config.save()
    _blog()
    return []


def _blog() -> None:
    home = HomePage.objects.first()
    if home is None:
        return
    index = BlogIndexPage.objects.first()
    if index is None:
        index = home.add_child(instance=BlogIndexPage(title="Blog", slug="blog", intro="News from the Acme team."))
        index.save_revision().publish()
    editor = _user("editor@example.com")
    for offset, (slug, title, intro, tags, text) in enumerate(BLOG_POSTS):
        if BlogPage.objects.filter(slug=slug).exists():
            continue
        page = BlogPage(
            title=title,
            slug=slug,
            intro=intro,
            date=datetime.date(2026, 3, 1) + datetime.timedelta(days=30 * offset),
            author=editor,
            body=[("paragraph", f"<p>{text}</p>")],
            owner=editor,
        )
        index.add_child(instance=page)
        page.tags.add(*tags)
        page.save_revision(user=editor).publish()
    _workflow(index)


def _workflow(index: BlogIndexPage) -> None:
    """Draft -> review by the Editor group -> publish, for every page under the blog index."""
    editors = Group.objects.filter(name=Role.EDITOR).first()
    if editors is None:
        return
    task = GroupApprovalTask.objects.filter(name="Editorial review").first()
    if task is None:
        task = GroupApprovalTask.objects.create(name="Editorial review")
    task.groups.set([editors])
    workflow = Workflow.objects.filter(name="Blog review").first()
    if workflow is None:
        workflow = Workflow.objects.create(name="Blog review", active=True)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
