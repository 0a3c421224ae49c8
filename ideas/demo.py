"""Demo content of the ideas app: boards, ideas in every status, votes, comments and a merge."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ideas.models import Board, Category, Comment, Idea, Status, StatusChange, Vote
from portal.events import enqueue_on_commit
from portal.markup import render_markdown
from portal.models import User
from portal.tasks import reindex

BOARDS = (
    ("acme-cloud", "Acme Cloud", "Ideas for the Acme Cloud web app.", ("Reporting", "Integrations", "Usability")),
    ("acme-mobile", "Acme Mobile", "Ideas for the Acme app on iOS and Android.", ("Offline", "Notifications")),
)
# German names of the boards (slug: name, description) and categories (English name: German name).
BOARDS_DE = {
    "acme-cloud": ("Acme Cloud", "Ideen für die Web-App Acme Cloud."),
    "acme-mobile": ("Acme Mobile", "Ideen für die Acme-App auf iOS und Android."),
}
CATEGORIES_DE = {
    "Reporting": "Berichte",
    "Integrations": "Integrationen",
    "Usability": "Bedienbarkeit",
    "Offline": "Offline",
    "Notifications": "Benachrichtigungen",
}

# board slug, category, title, body, status, public response, voter e-mails
IDEAS = (
    (
        "acme-cloud",
        "Reporting",
        "Export reports as PDF",
        "I need to send monthly reports to my boss, who does not have an account.",
        Status.PLANNED,
        "Good news: PDF export is planned for the next quarter.",
        ("customer@example.com", "customer2@example.com", "moderator@example.com"),
    ),
    (
        "acme-cloud",
        "Usability",
        "Dark mode for the dashboard",
        "Working late, the white dashboard is blinding.",
        Status.IN_PROGRESS,
        "We are building it right now; expect a beta soon.",
        ("customer2@example.com", "editor@example.com"),
    ),
    (
        "acme-cloud",
        "Integrations",
        "Slack integration for alerts",
        "Post alerts to a Slack channel.",
        Status.SHIPPED,
        "Shipped in version 4.2. Find it under Settings → Integrations.",
        ("customer@example.com", "dpo@example.com", "editor@example.com"),
    ),
    (
        "acme-cloud",
        "Usability",
        "Keyboard shortcuts",
        "Let me navigate lists with j/k like in mail apps.",
        Status.UNDER_REVIEW,
        "We are looking into which shortcuts make sense.",
        ("customer@example.com",),
    ),
    (
        "acme-cloud",
        "Reporting",
        "Scheduled report e-mails",
        "Send the weekly report automatically every Monday.",
        Status.NEW,
        "",
        ("customer2@example.com",),
    ),
    (
        "acme-cloud",
        "Integrations",
        "Blockchain-based invoices",
        "Store every invoice on a blockchain.",
        Status.DECLINED,
        "Thank you for the idea. It does not fit our product direction, so we will not build it.",
        (),
    ),
    (
        "acme-mobile",
        "Offline",
        "Offline mode for the mobile app",
        "Let me view my data on the train without a connection.",
        Status.NEW,
        "",
        ("customer@example.com", "customer2@example.com"),
    ),
    (
        "acme-mobile",
        "Notifications",
        "Quiet hours for push notifications",
        "No pushes between 22:00 and 7:00, please.",
        Status.NEW,
        "",
        ("moderator@example.com",),
    ),
)
DUPLICATE = (
    "acme-cloud",
    "Reporting",
    "PDF export of reports",
    "Please add a PDF button to the reports page.",
    ("customer2@example.com", "dpo@example.com"),
)


@transaction.atomic
def seed(*, stdout) -> list[str]:
    """Create the demo boards and ideas once; running again only fills in missing German names."""
    if Board.objects.filter(slug=BOARDS[0][0]).exists():
        _german_names()
        return []
    wanted = {"customer@example.com", "customer2@example.com", "pm@example.com"}
    wanted.update(email for *_rest, voters in (*IDEAS, DUPLICATE) for email in voters)
    found = {email: User.objects.with_email(email).first() for email in sorted(wanted)}
    users = {email: user for email, user in found.items() if user is not None}
    customer = users.get("customer@example.com")
    pm = users.get("pm@example.com")
    boards, categories = {}, {}
    for position, (slug, name, description, category_names) in enumerate(BOARDS):
        board = Board.objects.create(slug=slug, name=name, description=description, position=position)
        boards[slug] = board
        for category_name in category_names:
            categories[(slug, category_name)] = Category.objects.create(board=board, name=category_name)
    now = timezone.now()
    authors = [u for u in (customer, users.get("customer2@example.com")) if u]
    ideas = []
    for n, (slug, category, title, body, status, response, voters) in enumerate(IDEAS):
        created = now - timedelta(days=60 - n * 5)
        idea = Idea.objects.create(
            board=boards[slug],
            category=categories[(slug, category)],
            author=authors[n % len(authors)] if authors else None,
            title=title,
            body=body,
            body_html=render_markdown(body),
            created_at=created,
        )
        _votes(idea, [users[e] for e in voters if e in users], created)
        if status != Status.NEW:
            _status(idea, status, response, pm, created + timedelta(days=2))
        ideas.append(idea)
        if customer and n < 3:
            Comment.objects.create(
                idea=idea,
                author=users.get("customer2@example.com") or customer,
                body="+1, this would save me a lot of time.",
                body_html=render_markdown("+1, this would save me a lot of time."),
                created_at=created + timedelta(days=1),
            )
            Idea.objects.filter(pk=idea.pk).update(comment_count=1)
    slug, category, title, body, voters = DUPLICATE
    duplicate = Idea.objects.create(
        board=boards[slug],
        category=categories[(slug, category)],
        author=users.get("customer2@example.com"),
        title=title,
        body=body,
        body_html=render_markdown(body),
        created_at=now - timedelta(days=10),
        status=Status.DUPLICATE,
        merged_into=ideas[0],
        public_response=f"Merged into “{ideas[0].title}”.",
        public_response_html=render_markdown(f"Merged into “{ideas[0].title}”."),
        status_changed_at=now - timedelta(days=9),
    )
    StatusChange.objects.create(
        idea=duplicate,
        from_status=Status.NEW,
        to_status=Status.DUPLICATE,
        response=duplicate.public_response,
        response_html=duplicate.public_response_html,
        changed_by=pm,
        created_at=now - timedelta(days=9),
    )
    # The duplicate's voters who had not voted for the original now count there.
    original_voters = set(Vote.objects.filter(idea=ideas[0]).values_list("voter_id", flat=True))
    moved = [users[e] for e in voters if e in users and users[e].pk not in original_voters]
    for user in moved:
        Vote.objects.create(idea=ideas[0], voter=user, moved_from=duplicate, created_at=now - timedelta(days=10))
    Idea.objects.filter(pk=ideas[0].pk).update(vote_count=Vote.objects.filter(idea=ideas[0]).count())
    enqueue_on_commit(reindex, refs=[("ideas.Idea", idea.pk) for idea in (*ideas, duplicate)])
    _german_names()
    if stdout is not None:
        stdout.write(f"ideas: {len(boards)} boards, {len(ideas) + 1} ideas\n")
    return []


def _votes(idea: Idea, voters: list[User], created) -> None:
    for i, user in enumerate(voters):
        Vote.objects.create(idea=idea, voter=user, created_at=created + timedelta(days=i))
    Idea.objects.filter(pk=idea.pk).update(vote_count=len(voters))


def _status(idea: Idea, status: str, response: str, pm, when) -> None:
    html = render_markdown(response)
    StatusChange.objects.create(
        idea=idea,
        from_status=Status.NEW,
        to_status=status,
        response=response,
        response_html=html,
        changed_by=pm,
        created_at=when,
    )
    Idea.objects.filter(pk=idea.pk).update(
        status=status, public_response=response, public_response_html=html, status_changed_at=when
    )


def _german_names() -> None:
    """Give the demo boards and categories their German names where none is set yet."""
    for board in Board.objects.filter(slug__in=BOARDS_DE, name_de=""):
        board.name_de, board.description_de = BOARDS_DE[board.slug]
        board.save(update_fields=["name_de", "description_de"])
    for category in Category.objects.filter(name__in=CATEGORIES_DE, name_de=""):
        category.name_de = CATEGORIES_DE[category.name]
        category.save(update_fields=["name_de"])
