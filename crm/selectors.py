"""Reads the back office needs, with their joins done up front so lists cost a fixed number of queries."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import ConnectionKind, CrmConnection, DemoReceipt, InterestCard, OutboxMessage

DEMO_PATH = "/crm/demo-receiver/"


def card_list(
    *, state: str = "", tag: str = "", assignee: str = "", processed: str = "", source_type: str = ""
) -> QuerySet[InterestCard]:
    """Cards for staff, newest first; ``assignee`` is a user id, "none" (unclaimed) or "me" resolved by the caller."""
    cards = InterestCard.objects.select_related("assignee", "connection", "member").order_by("-created_at", "-id")
    if state:
        cards = cards.filter(state=state)
    if source_type:
        cards = cards.filter(source_type=source_type)
    if tag:
        cards = cards.filter(tag=tag)
    if assignee == "none":
        cards = cards.filter(assignee__isnull=True)
    elif assignee.isdigit():
        cards = cards.filter(assignee_id=int(assignee))
    if processed == "yes":
        cards = cards.filter(processed_at__isnull=False)
    elif processed == "no":
        cards = cards.filter(processed_at__isnull=True)
    return cards


def card_detail(card_id: int) -> InterestCard | None:
    return (
        InterestCard.objects.select_related("assignee", "connection", "member", "rule")
        .prefetch_related("outbox")
        .filter(pk=card_id)
        .first()
    )


def card_tags() -> list[str]:
    return list(InterestCard.objects.order_by("tag").values_list("tag", flat=True).distinct())


def outbox_list(*, state: str = "") -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.select_related("card", "card__connection").order_by("-updated_at", "-id")
    if state:
        messages = messages.filter(state=state)
    return messages


def demo_connection() -> CrmConnection | None:
    """The webhook connection that points at the portal's own demo receiver."""
    return (
        CrmConnection.objects.filter(kind=ConnectionKind.WEBHOOK, is_active=True, url__endswith=DEMO_PATH)
        .order_by("pk")
        .first()
    )


def demo_receipts() -> QuerySet[DemoReceipt]:
    return DemoReceipt.objects.select_related("card").order_by("-updated_at", "-id")
