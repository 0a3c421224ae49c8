"""Every path that processes a member's data beyond storing it, and the one check each asks before acting.

Apps register their processors here in ``AppConfig.ready`` (consent imports no domain app, so they
register into it); ``may_process(member, code)`` answers for a restriction of processing (Art. 18),
an objection (Art. 21), an erasure in progress or done, and, for consent-based processors, the live
consent. The foundation (``portal.tasks``, ``portal.notifications``) cannot import consent: this app
installs the check there at start-up (``consent.apps``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Value

from consent.selectors import _MEMO, DIRECT_MARKETING_PURPOSES, has_consent


class LegalBasis:
    """Art. 6(1) GDPR: why a processor may run at all."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"

    ALL = (CONSENT, CONTRACT, LEGAL_OBLIGATION, LEGITIMATE_INTEREST)


class ProcessorKind:
    """What leaves or arises: a transfer to another system, a mail, or new data derived from the member's."""

    TRANSFER = "transfer"
    MAIL = "mail"
    DERIVE = "derive"

    ALL = (TRANSFER, MAIL, DERIVE)


class UnknownProcessor(LookupError):
    """A processor code nobody registered (a typo, or an app that forgot to register in its ready())."""


@dataclass(frozen=True)
class Processor:
    """One registered processing of members' data: its purpose, legal basis and what it does.

    ``serves_request`` marks what the member's own request or a duty owed to the member needs (the
    sign-in and password mails, the replies to a privacy request, the statement of reasons for a
    moderation decision): it goes on under a restriction and while an erasure is in progress.
    """

    code: str
    purpose: str | None
    legal_basis: str
    description: str
    kind: str
    serves_request: bool = False


_PROCESSORS: dict[str, Processor] = {}
_STATE_KEY = ("processing",)  # lives in has_consent's memo, so consent_memo_clear forgets it too


def register_processor(
    code: str,
    *,
    purpose: str | None,
    legal_basis: str,
    description,
    kind: str,
    serves_request: bool = False,
) -> Processor:
    """Declare a processor (idempotent for the same declaration; a different one under a taken code raises)."""
    if legal_basis not in LegalBasis.ALL:
        raise ValueError(f"unknown legal basis {legal_basis!r}")
    if kind not in ProcessorKind.ALL:
        raise ValueError(f"unknown processor kind {kind!r}")
    if legal_basis == LegalBasis.CONSENT and not purpose:
        raise ValueError(f"processor {code!r} rests on consent but names no purpose")
    processor = Processor(code, purpose, legal_basis, description, kind, serves_request)
    existing = _PROCESSORS.get(code)
    if existing is not None and existing != processor:
        raise ValueError(f"processor {code!r} is already registered differently")
    _PROCESSORS[code] = processor
    return processor


def registered_processors() -> list[Processor]:
    return sorted(_PROCESSORS.values(), key=lambda p: p.code)


def processor(code: str) -> Processor:
    try:
        return _PROCESSORS[code]
    except KeyError:
        raise UnknownProcessor(f"unknown processor {code!r}") from None


def _standing(member) -> frozenset[str]:
    """Standing restriction kinds of the member, plus "erasure" while an erasure request is in progress (one query)."""
    from consent.dsar.models import AccessRequest, ProcessingRestriction, RequestKind, RequestState

    memo = member.__dict__.setdefault(_MEMO, {})
    if _STATE_KEY not in memo:
        restrictions = (
            ProcessingRestriction.objects.filter(member_id=member.pk, lifted_at__isnull=True)
            .order_by()
            .values_list("kind", flat=True)
        )
        erasing = (
            AccessRequest.objects.filter(member_id=member.pk, kind=RequestKind.ERASURE, state=RequestState.IN_PROGRESS)
            .order_by()
            .annotate(marker=Value("erasure"))
            .values_list("marker", flat=True)
        )
        memo[_STATE_KEY] = frozenset(restrictions.union(erasing))
    return memo[_STATE_KEY]


def erasure_in_progress(member) -> bool:
    """Is an erasure of the member under way (a DPO's, or a self-service deletion waiting out its grace period)?

    Read from the same memoised standing as ``may_process``, so asking after it costs no query.
    """
    return bool(getattr(member, "pk", None)) and "erasure" in _standing(member)


def standing_annotations(member_ref: str) -> dict:
    """The member's standing (at ``member_ref``) as annotations, so a hot path loads it with its row, not after."""
    from django.db.models import Exists, OuterRef

    from consent.dsar.models import AccessRequest, ProcessingRestriction, RequestKind, RequestState

    standing = ProcessingRestriction.objects.filter(member_id=OuterRef(member_ref), lifted_at__isnull=True)
    return {
        "member_restricted": Exists(standing.filter(kind="restriction")),
        "member_objecting": Exists(standing.filter(kind="objection")),
        "member_erasing": Exists(
            AccessRequest.objects.filter(
                member_id=OuterRef(member_ref), kind=RequestKind.ERASURE, state=RequestState.IN_PROGRESS
            )
        ),
    }


def standing_remember(member, row) -> None:
    """Keep what ``standing_annotations`` loaded on ``row`` as the member's memo (no-op without them)."""
    if member is None or getattr(row, "member_restricted", None) is None:
        return
    flags = {"restriction": row.member_restricted, "objection": row.member_objecting, "erasure": row.member_erasing}
    member.__dict__.setdefault(_MEMO, {})[_STATE_KEY] = frozenset(kind for kind, on in flags.items() if on)


def may_process(member, code: str) -> bool:
    """May processor ``code`` act on this member's data now? The one answer every processing path asks.

    No member (an outside address, a card whose member was erased): nothing of a member to protect,
    though nobody is there to have consented either. An
    erased member: never. Under a restriction or while an erasure is in progress: only what serves the
    member's own request. Under an objection: nothing for direct marketing or on legitimate interest.
    Consent-based processors also need the live consent. Memoised on the user object like
    ``has_consent`` (and cleared with it), so loops over one member cost one query.
    """
    proc = processor(code)
    if member is None or not getattr(member, "pk", None):
        return proc.legal_basis != LegalBasis.CONSENT
    if getattr(member, "erased_at", None) or not member.is_active:
        return False
    standing = _standing(member)
    if ("restriction" in standing or "erasure" in standing) and not proc.serves_request:
        return False
    if "objection" in standing and (
        proc.purpose in DIRECT_MARKETING_PURPOSES or proc.legal_basis == LegalBasis.LEGITIMATE_INTEREST
    ):
        return False
    if proc.legal_basis == LegalBasis.CONSENT:
        return has_consent(member, proc.purpose)
    return True
