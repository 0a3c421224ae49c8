"""Reads the intake screens need, with their joins done up front."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from community.models import Forum, Post
from intake.models import Feed, HookSource, IntakeMail, Mailbox
from portal.encrypted_fields import blind_index
from portal.models import User


def intake_cards(*, processed: str = "", source_type: str = "") -> QuerySet[IntakeMail]:
    """Mails that became cards, newest first, with card, assignee and mailbox joined."""
    rows = (
        IntakeMail.objects.filter(card__isnull=False)
        .select_related("card", "card__assignee", "mailbox")
        .order_by("-received_at", "-pk")
    )
    if source_type:
        rows = rows.filter(source_type=source_type)
    if processed == "yes":
        rows = rows.filter(card__processed_at__isnull=False)
    elif processed == "no":
        rows = rows.filter(card__processed_at__isnull=True)
    return rows


def intake_card(mail_id: int) -> IntakeMail | None:
    return (
        IntakeMail.objects.select_related(
            "card", "card__assignee", "card__connection", "mailbox", "hook", "feed", "rule", "thread", "replied_by"
        )
        .filter(pk=mail_id)
        .first()
    )


def mailbox_health() -> QuerySet[Mailbox]:
    return Mailbox.objects.select_related("rule").order_by("name", "pk")


def mails_about(address: str) -> QuerySet[IntakeMail]:
    """Every intake record whose author wrote from ``address`` (access and erasure requests of outside people)."""
    index = blind_index(IntakeMail, "author_address", address)
    return IntakeMail.objects.filter(author_address_index=index).select_related("card")


def address_summary(address: str) -> list[dict]:
    """What the DPO console lists about an address: each record's subject, arrival and source (one query)."""
    from intake.models import INTAKE_ACTIONS, INTAKE_SOURCES

    sources, actions = dict(INTAKE_SOURCES), dict(INTAKE_ACTIONS)
    return [
        {
            "title": row.subject or (row.card.title if row.card else "") or row.text[:80],
            "when": row.received_at,
            "detail": f"{sources.get(row.source_type, row.source_type)} · {actions.get(row.action_type, '')}".strip(
                " ·"
            ),
        }
        for row in mails_about(address).order_by("received_at", "pk")
    ]


def forums() -> QuerySet[Forum]:
    return Forum.objects.order_by("order", "name")


def accepted_answer(record: IntakeMail) -> Post | None:
    """The thread's accepted answer, when the question brought into the community has one."""
    if record.thread is None or not record.thread.accepted_post_id:
        return None
    return Post.objects.select_related("author").filter(pk=record.thread.accepted_post_id).first()


def card_workers() -> list:
    """Active staff who may work cards, for "hand to" (one query)."""
    permission = Permission.objects.filter(codename="claim_interestcard", content_type__app_label="crm")
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
        .order_by("handle")
    )


def hook_health() -> QuerySet[HookSource]:
    return HookSource.objects.order_by("name", "pk")


def feed_health() -> QuerySet[Feed]:
    return Feed.objects.order_by("name", "pk")
