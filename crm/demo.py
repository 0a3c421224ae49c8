"""Demo content: a webhook connection to the built-in demo CRM, tag rules for every action type, one tagged lead."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from consent.pseudonyms import pseudonym_for
from crm import services
from crm.models import ActionType, AssigneeStrategy, ConnectionKind, CrmConnection, Priority, TagRule
from crm.selectors import DEMO_PATH
from crm.signing import new_secret
from portal.models import User
from portal.roles import Role

RULES = (
    # tag, action type, priority, due in days, strategy, keywords
    ("lead", ActionType.LEAD, Priority.HIGH, 2, AssigneeStrategy.CLAIM, "pricing\nquote\nenterprise plan"),
    ("complaint", ActionType.COMPLAINT, Priority.HIGH, 1, AssigneeStrategy.FIXED, "refund\nunacceptable"),
    ("bug", ActionType.BUG, Priority.NORMAL, 5, AssigneeStrategy.ROUND_ROBIN, "crash\nstack trace"),
    ("feedback", ActionType.FEEDBACK, Priority.LOW, 14, AssigneeStrategy.CLAIM, ""),
    ("question", ActionType.QUESTION, Priority.NORMAL, 3, AssigneeStrategy.CLAIM, ""),
)


@transaction.atomic
def seed(*, stdout) -> list[str]:
    """Create the demo connection and rules (idempotent) and tag one demo thread as a lead."""
    connection = CrmConnection.objects.filter(kind=ConnectionKind.WEBHOOK, url__endswith=DEMO_PATH).first()
    url = settings.PORTAL_BASE_URL + DEMO_PATH
    if connection is None:
        connection = services.connection_save(
            connection=CrmConnection(name="Demo CRM", kind=ConnectionKind.WEBHOOK, url=url),
            secrets={"signing_secret": new_secret()},
        )
    elif connection.url != url:
        CrmConnection.objects.filter(pk=connection.pk).update(url=url)
    moderator = User.objects.with_email("moderator@example.com").first()
    team = Group.objects.filter(name=Role.MODERATOR).first()
    for tag, action, priority, days, strategy, keywords in RULES:
        if TagRule.objects.filter(tag=tag).exists():
            continue
        services.tag_rule_save(
            rule=TagRule(
                tag=tag,
                action_type=action,
                priority=priority,
                due_in_days=days,
                assignee_strategy=strategy,
                owner=moderator if strategy == AssigneeStrategy.FIXED else None,
                team=team if strategy == AssigneeStrategy.ROUND_ROBIN else None,
                connection=connection,
                keywords=keywords,
            )
        )
    _tag_demo_lead(moderator)
    customer = User.objects.with_email("customer@example.com").first()
    if customer is not None:
        # The demo DPO can re-identify the demo customer's pseudonym at this CRM at once.
        pseudonym_for(customer, connection.pseudonym_domain)
    stdout.write(f"CRM: demo connection to {url}, {len(RULES)} tag rules\n")
    return []


def _tag_demo_lead(moderator) -> None:
    from community.models import Thread
    from community.services import thread_tag_add

    thread = Thread.objects.filter(title="How do I reset my API key?").first()
    if thread is None or moderator is None:
        return
    thread_tag_add(thread=thread, name="lead", actor=moderator)
