"""Reads the privacy pages need, each a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import json
from dataclasses import dataclass

from consent.models import AuditEntry, Channel, ConsentEvent, ConsentState, MemberConsent, NoticeVersion, Purpose
from consent.subjects import subject_for


@dataclass(frozen=True)
class PurposeRow:
    """One purpose as the member sees it: the notice to agree to and where the member stands."""

    purpose: Purpose
    notice: NoticeVersion | None
    consent: MemberConsent | None

    @property
    def live(self) -> bool:
        return bool(
            self.consent
            and self.consent.state == ConsentState.GRANTED
            and self.consent.notice_version >= self.purpose.required_notice_version
        )

    @property
    def pending(self) -> bool:
        return bool(self.consent and self.consent.state == ConsentState.PENDING)

    @property
    def lapsed(self) -> bool:
        """Given to a notice that has since changed materially."""
        return bool(self.consent and self.consent.state == ConsentState.GRANTED and not self.live)


def purposes_with_notices() -> list[tuple[Purpose, NoticeVersion | None]]:
    """Every purpose with its current notice (two queries)."""
    purposes = list(Purpose.objects.all())
    latest: dict[int, NoticeVersion] = {}
    for notice in NoticeVersion.objects.order_by("purpose_id", "version"):
        latest[notice.purpose_id] = notice
    return [(p, latest.get(p.pk)) for p in purposes]


def purpose_rows_for(*, user) -> list[PurposeRow]:
    """The privacy centre's purpose list (three queries)."""
    consents = {c.purpose_id: c for c in MemberConsent.objects.filter(user=user)}
    return [PurposeRow(purpose=p, notice=n, consent=consents.get(p.pk)) for p, n in purposes_with_notices()]


def history_for(*, user, limit: int = 200) -> list[ConsentEvent]:
    """The member's ledger events, newest first (two queries); empty when the member has no subject key."""
    subject = subject_for(user, create=False)
    if subject is None:
        return []
    events = list(
        ConsentEvent.objects.filter(subject=subject.ref)
        .exclude(kind="reidentify")
        .order_by("-index")
        .defer("proof")[:limit]
    )
    names = {p.code: p for p in Purpose.objects.all()}
    for event in events:
        entry = json.loads(event.payload)
        event.purpose = names.get(event.purpose_code)
        event.notice_version = entry.get("notice_version")
        event.method_label = (
            Channel(entry["method"]).label if entry.get("method") in Channel.values else entry.get("method")
        )
    return events


def event_of_member(*, user, record_id) -> ConsentEvent | None:
    """One of the member's own events (None for anybody else's)."""
    subject = subject_for(user, create=False)
    if subject is None:
        return None
    return ConsentEvent.objects.filter(subject=subject.ref, record_id=record_id).first()


def accesses_to(*, user, limit: int = 100) -> list[AuditEntry]:
    """Who accessed the member's data: entries about the member, with the acting staff member."""
    return list(AuditEntry.objects.filter(subject=user).select_related("actor")[:limit])


def audit_log(*, limit: int = 500):
    return AuditEntry.objects.select_related("actor", "subject")[:limit]
