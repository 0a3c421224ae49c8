"""Demo content: forums (one private), answered and open threads with tags, the blog and its review workflow."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Workflow, WorkflowPage, WorkflowTask

from community import services
from community.models import BlogIndexPage, BlogPage, DepartmentApprovalTask, Forum, ModerationSettings, Thread
from portal.demo import demo_password, translate_page
from portal.models import HomePage, User
from portal.roles import Role
from portal.services import user_display_name_set

FORUMS = (
    ("getting-started", "Getting started", "First steps, accounts and set-up.", "Acme Cloud", False),
    ("acme-cloud", "Acme Cloud", "Questions about the Acme Cloud product.", "Acme Cloud", False),
    ("beta-programme", "Beta programme", "Private forum for beta testers.", "Acme Cloud Beta", True),
)
# German names and descriptions of the forums (including those that chat and blog comments create).
FORUMS_DE = {
    "getting-started": ("Erste Schritte", "Erste Schritte, Konten und Einrichtung."),
    "acme-cloud": ("Acme Cloud", "Fragen zum Produkt Acme Cloud."),
    "beta-programme": ("Beta-Programm", "Privates Forum für Beta-Testerinnen und -Tester."),
    "support": (
        "Support",
        "Fragen an das Support-Team. Nachrichten außerhalb der Chat-Zeiten landen hier, nur für Sie sichtbar.",
    ),
    "blog-comments": ("Blog-Kommentare", "Diskussionen unter den Beiträgen des Firmenblogs."),
}

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

BLOG_DE = {
    "blog": ("Blog", "Neuigkeiten vom Acme-Team."),
    "welcome-to-the-community": (
        "Willkommen in der Acme-Community",
        "Warum unsere Community Ihre Privatsphäre an die erste Stelle setzt.",
        "Heute eröffnen wir unsere Kunden-Community. Stellen Sie Fragen, teilen Sie Ideen und lesen Sie, woran "
        "wir arbeiten. Öffentlich erscheinen Sie unter einem Pseudonym; Ihr echter Name bleibt privat.",
    ),
    "acme-cloud-spring-release": (
        "Acme Cloud: das Frühjahrs-Release",
        "Schnellere Exporte, wöchentliche Berichte und ein neues Dashboard.",
        "Das Frühjahrs-Release bringt schnellere Exporte für große Projekte, zeitgesteuerte Wochenberichte und "
        "das neue Dashboard, das unsere Beta-Testerinnen und -Tester bereits ausprobiert haben.",
    ),
}


def _user(email: str) -> User | None:
    return User.objects.with_email(email).first()


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
    _forum_names_de()
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
    _staff_names()
    lines = _departments()
    _blog()
    return lines


def _forum_names_de() -> None:
    """Give the demo forums their German names where none is set yet."""
    for forum in Forum.objects.filter(slug__in=FORUMS_DE, name_de=""):
        forum.name_de, forum.description_de = FORUMS_DE[forum.slug]
        forum.save(update_fields=["name_de", "description_de"])


def _blog() -> None:
    english = Locale.get_default()
    home = HomePage.objects.filter(locale=english).first()
    if home is None:
        return
    index = BlogIndexPage.objects.filter(locale=english).first()
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
    if home.get_translation_or_none(Locale.objects.get_or_create(language_code="de")[0]) is not None:
        _blog_de(index, editor)


def _blog_de(index: BlogIndexPage, editor: User | None) -> None:
    """The German blog: the index and each demo post translated, under the same review workflow."""
    title, intro = BLOG_DE["blog"]
    index_de = translate_page(index, "de", title=title, intro=intro)
    for page in BlogPage.objects.child_of(index).filter(slug__in=BLOG_DE):
        title, intro, text = BLOG_DE[page.slug]
        translate_page(page, "de", title=title, intro=intro, body=[("paragraph", f"<p>{text}</p>")], owner=editor)
    _workflow(index_de)


# The names members see for the demo team (the Team badge); staff change theirs under "Your account".
STAFF_NAMES = (
    ("moderator@example.com", "Mona from Support"),
    ("pm@example.com", "Paul, Product"),
    ("editor@example.com", "Erika, Editorial"),
    ("dpo@example.com", "Dana, Data Protection"),
    ("admin@example.com", "Adam, Admin"),
)

# The blog's departments in the order a post passes them, each a group with one demo reviewer.
# email, department group, role, handle, first name, last name, display name
DEPARTMENTS = (
    ("pm@example.com", "Product management", Role.PRODUCT_MANAGER, "", "", "", ""),
    ("pr@example.com", "PR", Role.EDITOR, "clear-finch-2208", "Petra", "Presse", "Petra, PR"),
    ("marketing@example.com", "Marketing", Role.EDITOR, "bold-otter-6614", "Mark", "Markt", "Mark, Marketing"),
    ("social@example.com", "Social media", Role.EDITOR, "swift-robin-4470", "Sofia", "Sozial", "Sofia, Social media"),
)
WORKFLOW_NAME = "Blog review"
WAITING_POST_SLUG = "acme-cloud-autumn-preview"


def _staff_names() -> None:
    for email, name in STAFF_NAMES:
        user = _user(email)
        if user is not None and not user.display_name:
            user_display_name_set(user=user, display_name=name)


def _departments() -> list[str]:
    """The department groups and their reviewers (idempotent); returns the new accounts' login lines."""
    lines = []
    for email, department, role, handle, first, last, display_name in DEPARTMENTS:
        group, _created = Group.objects.get_or_create(name=department)
        user = _user(email)
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=demo_password(email),
                handle=handle,
                first_name=first,
                last_name=last,
                email_confirmed_at=timezone.now(),
                preferred_language="en",
            )
            user.groups.add(Group.objects.get(name=role))
            user_display_name_set(user=user, display_name=display_name)
            lines.append(f"{department + ' review':<24} {email:<24} {demo_password(email)}")
        user.groups.add(group)
    return lines


def _workflow(index: BlogIndexPage) -> None:
    """Draft -> product management -> PR -> marketing -> social media -> live, for every post under the blog.

    Each step is a department group approving; nobody approves their own submission. Editors cannot
    publish (portal.roles), so the last approval is what puts a post live, at its scheduled time if it has one.
    """
    tasks = []
    for _email, department, *_rest in DEPARTMENTS:
        group, _created = Group.objects.get_or_create(name=department)
        name = f"{department} review"
        task = DepartmentApprovalTask.objects.filter(name=name).first() or DepartmentApprovalTask.objects.create(
            name=name
        )
        task.groups.set([group])
        tasks.append(task)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first() or Workflow.objects.create(
        name=WORKFLOW_NAME, active=True
    )
    # WorkflowTask hangs on a ParentalKey: the related manager's create() would not reach the database.
    WorkflowTask.objects.filter(workflow=workflow).exclude(task__in=tasks).delete()
    for order, task in enumerate(tasks):
        WorkflowTask.objects.update_or_create(workflow=workflow, task=task, defaults={"sort_order": order})
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    _waiting_post(index, workflow)


def _waiting_post(index: BlogIndexPage, workflow: Workflow) -> None:
    """A post the product manager approved that now waits for PR, so the demo shows the workflow under way."""
    editor, pm = _user("editor@example.com"), _user("pm@example.com")
    if editor is None or pm is None or BlogPage.objects.filter(slug=WAITING_POST_SLUG).exists():
        return
    page = BlogPage(
        title="Acme Cloud autumn preview",
        slug=WAITING_POST_SLUG,
        intro="What the autumn release will bring.",
        date=datetime.date(2026, 9, 1),
        author=editor,
        body=[("paragraph", "<p>A first look at offline mode and shared dashboards.</p>")],
        owner=editor,
        live=False,
    )
    index.add_child(instance=page)
    page.save_revision(user=editor)
    state = workflow.start(page, editor)
    task_state = state.current_task_state.specific
    task_state.task.specific.on_action(task_state, pm, "approve")
