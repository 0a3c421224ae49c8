"""Writes of the privacy core: consent, double opt-in, notices, audit and re-identification.

Every change of consent is one ledger event (consent.ledger) plus an update of the ``MemberConsent``
projection in one transaction; ``consent.events.consent_changed`` is sent after commit. The checks
other apps call (``has_consent``) are in ``consent.selectors``, the newsletter's mail in
``consent.newsletter``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consent import ledger
from consent.events import consent_changed
from consent.models import (
    AuditEntry,
    Channel,
    ConsentEvent,
    ConsentState,
    EventKind,
    MemberConsent,
    NoticeVersion,
    OptInToken,
    PseudonymMapping,
    Purpose,
)
from consent.newsletter import OptInError, opt_in_lookup, opt_in_mail_send, opt_in_token_hash
from consent.pseudonyms import parse as parse_pseudonym
from consent.pseudonyms import recipient_of as pseudonym_recipient_of
from consent.pseudonyms import recipients as pseudonym_recipients
from consent.selectors import (
    UnknownPurpose,
    consent_memo_clear,
    current_notice,
    live_consent,
    processing_restricted,
)
from consent.subjects import subject_for

# --- Consent changes ---------------------------------------------------------------------------------


def _purpose(purpose) -> Purpose:
    if isinstance(purpose, Purpose):
        return purpose
    found = Purpose.objects.filter(code=purpose).first()
    if found is None:
        raise UnknownPurpose(f"unknown consent purpose {purpose!r}")
    return found


def _member(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk or user.erased_at:
        raise PermissionDenied("consent needs a member account")


def _language(user, language: str | None) -> str:
    language = (language or translation.get_language() or user.preferred_language or "en")[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _record(
    *,
    user,
    purpose: Purpose,
    notice: NoticeVersion | None,
    kind: str,
    state: str,
    channel: str,
    language: str,
    ip: str = "",
    user_agent: str = "",
    token_id: str = "",
    now: datetime | None = None,
) -> ConsentEvent:
    """Append the event and move the projection, in the caller's transaction."""
    subject = subject_for(user)
    appended = ledger.append(
        subject=subject.ref,
        purpose=purpose.code,
        kind=kind,
        state=state,
        notice_version=notice.version if notice else 0,
        notice_hash=notice.text_hash(language) if notice else "",
        language=language,
        method=channel,
        evidence={
            "ip": subject.evidence_hash("ip", ip),
            "user_agent": subject.evidence_hash("ua", user_agent[:500]),
            "token": token_id,
            **subject.evidence_key_ref(),
        },
        now=now,
    )
    event = appended.event
    MemberConsent.objects.update_or_create(
        user=user,
        purpose=purpose,
        defaults={
            "state": state,
            "notice_version": notice.version if notice else 0,
            "event_index": event.index,
            "updated_at": event.created_at,
        },
    )
    consent_memo_clear(user)
    if purpose.code == PUBLIC_PROFILE:
        public_profile_flags_sync(user_ids=[user.pk])
    consent_changed.send_on_commit(user_id=user.pk, purpose=purpose.code, state=state, event_index=event.index)
    return event


PUBLIC_PROFILE = "public_profile"


def public_profile_flags_sync(*, user_ids=None) -> int:
    """Mirror the live ``public_profile`` consent onto ``User.public_profile`` in the caller's transaction.

    The foundation links handles to profile pages by that flag (no query per name); the profile page
    itself asks ``has_consent``. ``user_ids=None`` re-checks every member (a notice changed materially).
    """
    from portal.profiles import public_profile_flags_set

    return public_profile_flags_set(live=live_consent(PUBLIC_PROFILE, user_ref="pk"), user_ids=user_ids)


def consent_grant(
    *,
    user,
    purpose: str | Purpose,
    channel: str = Channel.WEB,
    notice_version: int | None = None,
    language: str | None = None,
    ip: str = "",
    user_agent: str = "",
) -> ConsentEvent | None:
    """Give consent to the current notice; for double opt-in purposes, request the confirmation mail.

    ``notice_version`` is the version the member was shown; a newer one refuses the grant so the
    member reads it first. Returns the ledger event, or None when the consent already stands.
    """
    _member(user)
    purpose = _purpose(purpose)
    language = _language(user, language)
    if processing_restricted(user, purpose.code):
        raise ValidationError(
            _(
                "Processing of your data is restricted at your request, so “%(purpose)s” cannot be switched on "
                "until our data protection officer lifts the restriction."
            )
            % {"purpose": purpose.name},
            code="restricted",
        )
    with transaction.atomic():
        notice = current_notice(purpose)
        if notice_version is not None and notice_version != notice.version:
            raise ValidationError(
                _("The notice has changed. Please read it again before you agree."), code="stale_notice"
            )
        current = MemberConsent.objects.select_for_update().filter(user=user, purpose=purpose).first()
        if current and current.state == ConsentState.GRANTED and current.notice_version >= notice.version:
            return None
        if purpose.double_opt_in:
            return _opt_in_request(
                user=user,
                purpose=purpose,
                notice=notice,
                channel=channel,
                language=language,
                ip=ip,
                user_agent=user_agent,
            )
        return _record(
            user=user,
            purpose=purpose,
            notice=notice,
            kind=EventKind.GRANT,
            state=ConsentState.GRANTED,
            channel=channel,
            language=language,
            ip=ip,
            user_agent=user_agent,
        )


def consent_withdraw(
    *,
    user,
    purpose: str | Purpose,
    channel: str = Channel.WEB,
    language: str | None = None,
    ip: str = "",
    user_agent: str = "",
) -> ConsentEvent | None:
    """Withdraw (or cancel a pending opt-in); returns the ledger event, or None when nothing stood."""
    if user is None or not user.pk:
        raise PermissionDenied("consent needs a member account")
    purpose = _purpose(purpose)
    language = _language(user, language)
    with transaction.atomic():
        current = MemberConsent.objects.select_for_update().filter(user=user, purpose=purpose).first()
        if current is None or current.state not in (ConsentState.GRANTED, ConsentState.PENDING):
            return None
        notice = purpose.notices.filter(version=current.notice_version).first()
        OptInToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=timezone.now())
        return _record(
            user=user,
            purpose=purpose,
            notice=notice,
            kind=EventKind.WITHDRAW,
            state=ConsentState.WITHDRAWN,
            channel=channel,
            language=language,
            ip=ip,
            user_agent=user_agent,
        )


def consent_set(*, user, purpose: str | Purpose, granted: bool, **kwargs) -> ConsentEvent | None:
    """The privacy centre's toggle: one call either way."""
    if granted:
        return consent_grant(user=user, purpose=purpose, **kwargs)
    kwargs.pop("notice_version", None)
    return consent_withdraw(user=user, purpose=purpose, **kwargs)


# --- Double opt-in -----------------------------------------------------------------------------------


def _opt_in_request(*, user, purpose, notice, channel, language, ip, user_agent) -> ConsentEvent:
    now = timezone.now()
    OptInToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    token = secrets.token_urlsafe(32)
    hours = settings.CONSENT_OPT_IN_HOURS
    row = OptInToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=opt_in_token_hash(token),
        email=user.email,
        expires_at=now + timedelta(hours=hours),
    )
    event = _record(
        user=user,
        purpose=purpose,
        notice=notice,
        kind=EventKind.OPT_IN_REQUEST,
        state=ConsentState.PENDING,
        channel=channel,
        language=language,
        ip=ip,
        user_agent=user_agent,
        token_id=row.token_hash[:16],
        now=now,
    )
    opt_in_mail_send(user=user, purpose=purpose, token=token, hours=hours)
    return event


def opt_in_confirm(*, token: str, ip: str = "", user_agent: str = "") -> ConsentEvent:
    """Confirm a double opt-in: the consent becomes live and the confirmation is in the ledger."""
    with transaction.atomic():
        try:
            row = opt_in_lookup(token)
        except OptInError as exc:
            if exc.code == "expired":
                consent_expire_pending()
            raise
        row = OptInToken.objects.select_for_update().get(pk=row.pk)
        if row.used_at is not None:
            raise OptInError(_("This confirmation link was already used or replaced by a newer one."), code="used")
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        user = row.user
        notice = current_notice(row.purpose)
        return _record(
            user=user,
            purpose=row.purpose,
            notice=notice,
            kind=EventKind.OPT_IN_CONFIRM,
            state=ConsentState.GRANTED,
            channel=Channel.EMAIL_LINK,
            language=_language(user, None),
            ip=ip,
            user_agent=user_agent,
            token_id=row.token_hash[:16],
        )


def consent_expire_pending(*, now: datetime | None = None) -> int:
    """Pending opt-ins whose link expired become ``expired`` (one ledger event each)."""
    now = now or timezone.now()
    count = 0
    stale = OptInToken.objects.filter(used_at__isnull=True, expires_at__lte=now).select_related("user", "purpose")
    for row in stale:
        with transaction.atomic():
            current = MemberConsent.objects.select_for_update().filter(user=row.user, purpose=row.purpose).first()
            OptInToken.objects.filter(pk=row.pk).update(used_at=now)
            if current is None or current.state != ConsentState.PENDING:
                continue
            notice = row.purpose.notices.filter(version=current.notice_version).first()
            _record(
                user=row.user,
                purpose=row.purpose,
                notice=notice,
                kind=EventKind.EXPIRE,
                state=ConsentState.EXPIRED,
                channel=Channel.SYSTEM,
                language=_language(row.user, None),
                token_id=row.token_hash[:16],
            )
            count += 1
    return count


# --- Notices -------------------------------------------------------------------------------------------


def notice_publish(*, purpose: Purpose, text_en: str, text_de: str, material: bool, actor=None) -> NoticeVersion:
    """Publish the next notice version; a material change makes older consents lapse."""
    if not text_en.strip() or not text_de.strip():
        raise ValidationError(_("A notice needs an English and a German text."), code="empty")
    with transaction.atomic():
        purpose = Purpose.objects.select_for_update().get(pk=purpose.pk)
        latest = purpose.notices.order_by("-version").first()
        notice = NoticeVersion.objects.create(
            purpose=purpose,
            version=(latest.version + 1) if latest else 1,
            text_en=text_en.strip(),
            text_de=text_de.strip(),
            material=material,
        )
        if material:
            Purpose.objects.filter(pk=purpose.pk).update(required_notice_version=notice.version)
            if purpose.code == PUBLIC_PROFILE:
                public_profile_flags_sync()
        if actor is not None:
            audit_record(actor=actor, subject=None, action="notice_publish", reason="", target=str(notice))
    return notice


# --- Audit and re-identification --------------------------------------------------------------------------


def audit_record(*, actor, subject, action: str, reason: str = "", target: str = "") -> AuditEntry:
    """Log an access to personal data (view, export, erase, re-identify); the member sees it."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        subject=subject if subject is not None and subject.pk else None,
        action=action[:40],
        reason=reason,
        target=target[:200],
    )


# A staff member who reloads or re-opens the same page within this window is one access, not many.
STAFF_VIEW_FOLD = timedelta(minutes=10)


def staff_view_record(*, actor, member, what: str, target: str = "") -> AuditEntry | None:
    """A staff member saw a member's identity or private content; the member finds it in "who accessed my data".

    ``what`` is an action code with a label in ``consent.models.AUDIT_ACTIONS``. Nothing is written for the
    member looking at their own data; the same view by the same person within ``STAFF_VIEW_FOLD`` is
    folded into the entry already written.
    """
    if member is None or not member.pk or actor is None or not actor.pk or actor.pk == member.pk:
        return None
    target = target[:200]
    earlier = (
        AuditEntry.objects.filter(
            actor=actor, subject=member, action=what, target=target, created_at__gte=timezone.now() - STAFF_VIEW_FOLD
        )
        .order_by()
        .first()
    )
    if earlier is not None:
        return earlier
    return audit_record(actor=actor, subject=member, action=what, target=target)


def pseudonym_reidentify(*, actor, pseudonym: str, reason: str, recipient: str = ""):
    """DPO only: which member a pseudonym stands for, and at which recipient; the ledger and the audit log record it.

    With ``recipient`` named, a pseudonym that recipient's domain did not produce is refused, so a
    pseudonym leaked from one CRM is never attributed to another; without it, the recipient is found
    from the pseudonym's domain.
    """
    from consent.permissions import can_reidentify

    if not can_reidentify(actor):
        raise PermissionDenied("only the data protection officer re-identifies pseudonyms")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(_("Write down why (at least 10 characters)."), code="reason")
    pseudonym = (pseudonym or "").strip()
    parsed = parse_pseudonym(pseudonym)
    if parsed is None:
        raise ValidationError(_("This is not a pseudonym of this portal."), code="format")
    known = pseudonym_recipients()
    found = pseudonym_recipient_of(pseudonym, known)
    if recipient:
        chosen = known.get(recipient)
        if chosen is None:
            raise ValidationError(_("This recipient is unknown."), code="recipient")
        if chosen.domain != parsed[0]:
            raise ValidationError(
                _("This pseudonym was not issued to %(recipient)s."),
                code="recipient",
                params={"recipient": chosen.label},
            )
        found = chosen
    mapping = PseudonymMapping.objects.select_related("user").filter(pseudonym=pseudonym, domain=parsed[0]).first()
    if mapping is None:
        raise ValidationError(_("No member has this pseudonym (or it was erased)."), code="unknown")
    member = mapping.user
    evidence = {
        "actor": f"user:{actor.pk}",
        "domain": mapping.domain,
        "reason_sha256": hashlib.sha256(reason.encode()).hexdigest(),
    }
    target = pseudonym
    if found is not None:
        evidence["recipient"] = found.key
        target = f"{pseudonym} ({found.label})"
    with transaction.atomic():
        subject = subject_for(member)
        ledger.append(
            subject=subject.ref,
            purpose="",
            kind=EventKind.REIDENTIFY,
            state="",
            notice_version=0,
            notice_hash="",
            language="",
            method=Channel.STAFF,
            evidence=evidence,
        )
        audit_record(actor=actor, subject=member, action="reidentify", reason=reason, target=target)
    return member
