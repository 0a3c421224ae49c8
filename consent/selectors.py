"""Reads of the privacy core: the hot-path consent check other apps call, and what the privacy pages show.

Other apps call ``has_consent(user, purpose_code)`` before any processing that needs consent; the
pages' reads cost a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from consent.models import AuditEntry, Channel, ConsentEvent, ConsentState, MemberConsent, NoticeVersion, Purpose
from consent.subjects import subject_for

_MEMO = "_consent_memo"
_known_purposes: set[str] = set()


class UnknownPurpose(LookupError):
    """A purpose code that no Purpose row carries (a typo in the caller, or a missing data migration)."""


# --- Consent checks ---------------------------------------------------------------------------------


def _require_known(code: str) -> None:
    if code in _known_purposes:
        return
    _known_purposes.update(Purpose.objects.values_list("code", flat=True))
    if code not in _known_purposes:
        raise UnknownPurpose(f"unknown consent purpose {code!r}")


# An objection to direct marketing (Art. 21(2), (3)) stops these purposes; a restriction (Art. 18) stops all.
DIRECT_MARKETING_PURPOSES = ("newsletter", "crm_followup")


def restriction_kinds_blocking(purpose_code: str) -> tuple[str, ...]:
    """Which kinds of a standing ``dsar.ProcessingRestriction`` switch this purpose off."""
    return ("restriction", "objection") if purpose_code in DIRECT_MARKETING_PURPOSES else ("restriction",)


def _standing_restrictions(purpose_code: str):
    from consent.dsar.models import ProcessingRestriction

    return ProcessingRestriction.objects.filter(
        lifted_at__isnull=True, kind__in=restriction_kinds_blocking(purpose_code)
    )


def _live_consents(purpose_code: str):
    """Projection rows whose consent is live now: given, to the current notice, and not restricted."""
    return MemberConsent.objects.filter(
        purpose__code=purpose_code,
        state=ConsentState.GRANTED,
        notice_version__gte=F("purpose__required_notice_version"),
    ).exclude(Exists(_standing_restrictions(purpose_code).filter(member_id=OuterRef("user_id"))))


def has_consent(user, purpose_code: str) -> bool:
    """Is the member's consent to ``purpose_code`` live now (given, confirmed, to the current notice)?

    One indexed query on the projection (unique user + purpose) joined with the member's standing
    processing restriction (a restriction switches every purpose off, an objection to direct
    marketing the marketing ones), memoised on the user object for the rest of the request or task;
    consent writes (``consent.services``) and restrictions clear the memo. Nothing is cached across
    processes, so a withdrawal or restriction is in force for every web process and worker at once.
    Anonymous visitors have consented to nothing; an unknown code raises ``UnknownPurpose``.
    """
    _require_known(purpose_code)
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return False
    memo = user.__dict__.setdefault(_MEMO, {})
    if purpose_code not in memo:
        alias = router.db_for_read(MemberConsent)
        sql, params, slot = _has_consent_statement(alias, purpose_code)
        params = list(params)
        params[slot] = user.pk
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            memo[purpose_code] = cursor.fetchone() is not None
    return memo[purpose_code]


_UNUSED_USER_ID = -7_351_902_468  # stands for the member while the statement is compiled; never a primary key


@functools.cache
def _has_consent_statement(alias: str, purpose_code: str) -> tuple[str, tuple, int]:
    """``has_consent``'s statement for one purpose, compiled once per process.

    The ORM takes about 0.7 ms to compile this query and the database about 0.03 ms to answer it, so
    the hot path binds the member's id into the compiled SQL instead. Everything baked in (the purpose
    code, the restriction kinds that block it) is fixed for a purpose; the notice version is compared
    in SQL.
    """
    query = _live_consents(purpose_code).filter(user_id=_UNUSED_USER_ID).values_list("pk")[:1].query
    sql, params = query.get_compiler(alias).as_sql()
    slots = [i for i, value in enumerate(params) if value == _UNUSED_USER_ID]
    if len(slots) != 1:
        raise RuntimeError(f"has_consent: cannot bind the member into {sql!r}")
    return sql, tuple(params), slots[0]


def consent_memo_clear(user) -> None:
    """Forget the memoised answers of ``has_consent`` on this user object (after a consent or restriction changed)."""
    user.__dict__.pop(_MEMO, None)


def live_consent(purpose_code: str, *, user_ref: str = "user") -> Exists:
    """``has_consent`` as a query expression, for bulk selections (``user_ref`` is the path to the member)."""
    _require_known(purpose_code)
    return Exists(_live_consents(purpose_code).filter(user_id=OuterRef(user_ref)))


def consents_live(purpose_code: str):
    """The projection rows of every member whose consent to ``purpose_code`` is live now, for mailings."""
    _require_known(purpose_code)
    return _live_consents(purpose_code)


def held_for_storage(member_ref: str = "member") -> Exists:
    """True where the member (at ``member_ref``) is under a standing restriction of processing (Art. 18).

    Restricted data may still be stored, and often the member asked for the restriction precisely so
    that it is kept (Art. 18(1)(b), (c)): retention must not delete it while the restriction stands.
    """
    from consent.dsar.models import ProcessingRestriction, RestrictionKind

    return Exists(
        ProcessingRestriction.objects.filter(
            lifted_at__isnull=True, kind=RestrictionKind.RESTRICTION, member_id=OuterRef(member_ref)
        )
    )


def processing_restricted(user, purpose_code: str) -> bool:
    """Does a standing restriction or objection keep this purpose off for the member (no re-grant meanwhile)?"""
    return _standing_restrictions(purpose_code).filter(member_id=user.pk).exists()


def current_notice(purpose: Purpose) -> NoticeVersion:
    """The notice a member agrees to now; a purpose without one cannot be consented to yet."""
    notice = purpose.notices.order_by("-version").first()
    if notice is None:
        raise ValidationError(_("This purpose has no published notice yet."), code="no_notice")
    return notice


# --- The privacy pages -------------------------------------------------------------------------------


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
    """Who accessed the member's data: entries about the member, with the acting staff member.

    The member's own steps (downloading their export) stay in the audit log but are not accesses by others.
    """
    return list(AuditEntry.objects.filter(subject=user).exclude(actor=F("subject")).select_related("actor")[:limit])


def audit_log(*, limit: int = 500):
    return AuditEntry.objects.select_related("actor", "subject")[:limit]
