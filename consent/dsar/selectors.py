"""Reads of the request pages and the console, with their related rows fetched up front."""

from __future__ import annotations

from django.db.models import Case, DateField, F, When
from django.utils import timezone

from consent.dsar.models import (
    AccessRequest,
    DataExport,
    ErasureReport,
    RequestEvent,
    RequestKind,
    RequestOrigin,
    RequestState,
)


def exports_of(*, user):
    return DataExport.objects.filter(user=user).order_by("-created_at")[:10]


def requests_of(*, user):
    return AccessRequest.objects.filter(member=user).order_by("-received_at")


def console_requests(*, open_only: bool = True, origin: str = ""):
    """Requests sorted by time left (the extended deadline counts when there is one); ``origin`` narrows them."""
    queryset = AccessRequest.objects.select_related("member", "assignee").annotate(
        deadline_on=Case(
            When(extended_due_on__isnull=False, then=F("extended_due_on")),
            default=F("due_on"),
            output_field=DateField(),
        )
    )
    if origin:
        queryset = queryset.filter(origin=origin)
    if open_only:
        queryset = queryset.filter(state__in=("received", "identity_unverified", "verified", "in_progress"))
    return queryset.order_by("deadline_on", "received_at")


def account_deletions_due(*, now=None) -> list:
    """Ids of the self-service deletions whose grace period is over."""
    return list(
        AccessRequest.objects.filter(
            origin=RequestOrigin.SELF_SERVICE,
            kind=RequestKind.ERASURE,
            state=RequestState.IN_PROGRESS,
            erase_after__lte=now or timezone.now(),
        )
        .order_by("erase_after")
        .values_list("pk", flat=True)
    )


def request_history(*, request):
    return RequestEvent.objects.filter(request=request).select_related("actor").order_by("created_at", "id")


def erasure_report_of(*, member):
    return ErasureReport.objects.filter(member=member).first()


def erasure_report_of_request(*, request):
    """The report of an erasure for an address (a request of someone who is not a member)."""
    return ErasureReport.objects.filter(request=request).first()


def address_found(*, request) -> list[dict]:
    """What each app holds about the address of a non-member's request (shown before export or erasure)."""
    from consent.dsar import address_sources

    if request.member_id is not None:
        return []
    return address_sources.found(request.requester_email)


def retention_overview(*, runs, now=None) -> list[dict]:
    """Every retention category with its policy, what the next run removes (and warns), and its last result."""
    from consent import retention as categories
    from consent.dsar.retention import policies, retention_preview

    found = policies()
    preview = retention_preview(now=now, found=found)
    rows = []
    for category in categories.categories():
        last = next((run.results[category.code] for run in runs if category.code in run.results), None)
        rows.append(
            {
                "category": category,
                "policy": found[category.code],
                "preview": preview.get(category.code),
                "last": last,
            }
        )
    return rows


def restrictions_of(*, member):
    """Every restriction of the member, standing ones first (the console's restriction panel)."""
    from consent.dsar.models import ProcessingRestriction

    return (
        ProcessingRestriction.objects.filter(member=member)
        .select_related("placed_by", "lifted_by")
        .order_by(F("lifted_at").desc(nulls_first=True), "-since")
    )


# Apps that hand a member's data on (crm: its connections) tell the erasure report what became of each
# recipient's copy (Art. 19): ``source(report_id=...)`` returns
# [{"recipient", "copies", "acknowledged", "pending", "failed", "unsent"}, ...].
_erasure_recipient_sources: list = []


def add_erasure_recipient_source(source) -> None:
    """Let the erasure report list ``source``'s recipients (idempotent; called at start-up)."""
    if source not in _erasure_recipient_sources:
        _erasure_recipient_sources.append(source)


def erasure_recipients(*, report) -> list[dict]:
    """Every recipient that received a copy about the erased member, with the outcome of its redaction."""
    found = []
    for source in _erasure_recipient_sources:
        found += source(report_id=report.pk)
    return found
