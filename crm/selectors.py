"""Reads the back office needs, with their joins done up front so lists cost a fixed number of queries."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import ConnectionKind, CrmConnection, DemoReceipt, InterestCard, OutboxKind, OutboxMessage, OutboxState

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


def erasure_recipients(*, report_id) -> list[dict]:
    """Per CRM connection, what became of the copies an erasure asked it to redact (the erasure report's Art. 19 list)."""
    rows = (
        InterestCard.objects.filter(erasure_report_id=report_id)
        .select_related("connection")
        .order_by("connection__name", "pk")
    )
    latest = {}
    for card_id, state in (
        OutboxMessage.objects.filter(card__erasure_report_id=report_id, kind=OutboxKind.REDACT)
        .order_by("card_id", "created_at", "pk")
        .values_list("card_id", "state")
    ):
        latest[card_id] = state
    by_connection: dict[int, dict] = {}
    for card in rows:
        entry = by_connection.setdefault(
            card.connection_id,
            {"recipient": str(card.connection), "copies": 0, "acknowledged": 0, "pending": 0, "failed": 0, "unsent": 0},
        )
        entry["copies"] += 1
        state = latest.get(card.pk)
        if state == OutboxState.SENT:
            entry["acknowledged"] += 1
        elif state == OutboxState.DEAD:
            entry["failed"] += 1
        elif state is not None or card.identity_sent or card.remote_id:
            entry["pending"] += 1  # queued, retried until the CRM acknowledges
        else:
            entry["unsent"] += 1  # the CRM never received this card: nothing to redact
    return list(by_connection.values())


def card_report_rows(*, start, end) -> QuerySet:
    """Interest cards created in [start, end) with what the insight report groups by; no member identity."""
    return InterestCard.objects.filter(created_at__gte=start, created_at__lt=end).values(
        "pk",
        "source_type",
        "action_type",
        "product",
        "assignee_id",
        "rule__team__name",
        "member_id",
        "claimed_at",
        "processed_at",
        "created_at",
    )
