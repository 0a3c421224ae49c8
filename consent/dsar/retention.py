"""Retention: the DPO's policy per registered category, the daily run, its preview and history.

Categories come from the registry in ``consent.retention`` (apps register theirs in ``ready()``); the
privacy core registers its own here: expired exports, IP evidence keys, unconfirmed sign-ups and
inactive accounts. A ``RetentionPolicy`` row per category holds the period the DPO chose; rows are
created with the registered default on first read, so a new category is enforced from its first run.

Copies follow their source: a category of a source kind (chats) purges every registered copy of the
rows it removed in the same transaction (CRM card texts, the members' export files, registered here as
``dsar.exports``), its rows' search entries go after commit, and a run that removed anything empties the
cached fragments. The preview counts the copies from the same ids.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, ProtectedError
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from consent import registry
from consent import retention as categories
from consent.dsar.models import (
    DataExport,
    ExportStatus,
    InactivityWarning,
    RetentionPolicy,
    RetentionRun,
    RunTrigger,
)
from consent.dsar.permissions import can_manage_retention
from consent.retention import Tally
from consent.services import audit_record
from portal.events import enqueue_on_commit
from portal.roles import Role

logger = logging.getLogger(__name__)

MAX_DAYS = 36500
CHUNK = 500


def grace_days() -> int:
    """Days between the warning mail and the erasure of an account that stays inactive."""
    return int(settings.DSAR_INACTIVE_GRACE_DAYS)


# --- Policies ------------------------------------------------------------------------------------------


def policies() -> dict[str, RetentionPolicy]:
    """The policy of every registered category, creating missing ones with the registered default."""
    found = {policy.code: policy for policy in RetentionPolicy.objects.select_related("updated_by")}
    missing = [category for category in categories.categories() if category.code not in found]
    if missing:
        RetentionPolicy.objects.bulk_create(
            [RetentionPolicy(code=category.code, days=category.default_days) for category in missing],
            ignore_conflicts=True,
        )
        found = {policy.code: policy for policy in RetentionPolicy.objects.select_related("updated_by")}
    return found


def policy_cutoff(code: str, *, now: datetime | None = None) -> datetime | None:
    """The moment before which data of ``code`` has outlived its policy; None while the policy is off."""
    policy = policies().get(code)
    if policy is None or not policy.enabled:
        return None
    return (now or timezone.now()) - timedelta(days=policy.days)


def policy_update(*, code: str, days: int, enabled: bool, actor) -> RetentionPolicy:
    """The DPO (or an administrator) sets how long a category is kept; the change is audited."""
    if not can_manage_retention(actor):
        raise PermissionDenied("only the data protection officer or an administrator sets retention")
    category = categories.category(code)
    if not category.min_days <= days <= MAX_DAYS:
        raise ValidationError(
            _("Choose between %(min)s and %(max)s days.") % {"min": category.min_days, "max": MAX_DAYS},
            code="days",
        )
    policies()
    with transaction.atomic():
        policy = RetentionPolicy.objects.select_for_update().get(code=code)
        before = (policy.days, policy.enabled)
        policy.days, policy.enabled = days, enabled
        policy.updated_by, policy.updated_at = actor, timezone.now()
        policy.save(update_fields=["days", "enabled", "updated_by", "updated_at"])
        audit_record(
            actor=actor,
            subject=None,
            action="retention_policy",
            reason=f"{before[0]} -> {days} days, enforced: {before[1]} -> {enabled}",
            target=code,
        )
    return policy


# --- Preview and run -------------------------------------------------------------------------------------


def retention_preview(*, now: datetime | None = None, found: dict | None = None) -> dict[str, Tally]:
    """What the next run removes (and warns) per enforced category, and the copies that go with it.

    Computed exactly as the run does: a source category counts the same ids its run removes.
    """
    now = now or timezone.now()
    found = found if found is not None else policies()
    result = {}
    for category in categories.categories():
        policy = found[category.code]
        if policy.enabled:
            result[category.code] = category.preview_tally(now - timedelta(days=policy.days))
    return result


def retention_run(*, trigger: str = RunTrigger.SCHEDULE, actor=None, now: datetime | None = None) -> RetentionRun:
    """Apply every enforced policy, each category in its own transaction; a failing one does not stop the rest."""
    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=now, trigger=trigger, actor=actor)
    return _apply(run, now=now)


def _apply(run: RetentionRun, *, now: datetime) -> RetentionRun:
    found = policies()
    results: dict[str, dict] = {}
    for category in categories.categories():
        policy = found[category.code]
        if policy.enabled:
            results[category.code] = _apply_one(category, policy, now=now)
    _copies_follow(results.values())
    run.results = results
    run.failed = any("error" in entry for entry in results.values())
    run.finished_at = timezone.now()
    run.save(update_fields=["results", "failed", "finished_at"])
    return run


def _apply_one(category, policy: RetentionPolicy, *, now: datetime) -> dict:
    """One category in its own transaction (its copies with it); a failing one does not stop the rest."""
    try:
        with transaction.atomic():
            tally = category.apply_tally(now - timedelta(days=policy.days))
    except Exception as exc:  # one broken category must not keep the others from being enforced
        logger.exception("retention category %s failed", category.code)
        return {"error": exc.__class__.__name__, "days": policy.days}
    return {**tally.as_dict(), "days": policy.days}


def _copies_follow(entries) -> None:
    """After a run that removed anything, no cached fragment may still show it (search entries went per category)."""
    if any(entry.get("deleted") or entry.get("copies") for entry in entries):
        from portal.fragments import fragments_purge

        fragments_purge()


def categories_apply(*, codes: list[str], now: datetime | None = None) -> dict[str, dict]:
    """Apply the enforced policies of these categories now, copies included (an app's own command uses this)."""
    now = now or timezone.now()
    found = policies()
    results = {}
    for code in codes:
        category, policy = categories.category(code), found[code]
        if policy.enabled:
            results[code] = _apply_one(category, policy, now=now)
    _copies_follow(results.values())
    return results


def run_entries(run: RetentionRun) -> list[tuple[str, dict, str]]:
    """A run's results in the registry's order as (category label, result, what went in words), for the run report."""
    known = {category.code: category for category in categories.categories()}
    order = {code: index for index, code in enumerate(known)}
    entries = []
    for code, entry in sorted(run.results.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        category = known.get(code)
        words = ""
        if category is not None and category.source and entry.get("deleted"):
            words = categories.summary(category.source, entry["deleted"], entry.get("copies") or {})
        entries.append((category.label if category is not None else code, entry, words))
    return entries


def retention_run_now(*, actor) -> RetentionRun:
    """The back office's "run now": the same run as the daily one, started and audited by a person.

    The run is recorded at once and applied by the task worker after commit, so a long run (many
    accounts to erase) never holds the DPO's request open; the page lists it as not finished until then.
    """
    if not can_manage_retention(actor):
        raise PermissionDenied("only the data protection officer or an administrator runs retention")
    from consent.dsar.tasks import retention_run_requested

    run = RetentionRun.objects.create(trigger=RunTrigger.MANUAL, actor=actor)
    audit_record(actor=actor, subject=None, action="retention_run", target=f"retention run {run.pk}")
    enqueue_on_commit(retention_run_requested, run_id=run.pk)
    return run


def retention_run_finish(*, run_id: int) -> RetentionRun | None:
    """The worker's half of "run now": apply the policies for a recorded run that has not finished yet."""
    run = RetentionRun.objects.filter(pk=run_id, finished_at__isnull=True).first()
    if run is None:
        return None
    return _apply(run, now=timezone.now())


def runs_recent(*, limit: int = 10) -> list[RetentionRun]:
    return list(RetentionRun.objects.select_related("actor").order_by("-started_at", "-id")[:limit])


# --- The privacy core's own categories ---------------------------------------------------------------------


def _exports_expired(cutoff: datetime):
    return DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=cutoff)


def _exports_purge(cutoff: datetime) -> int:
    from consent.dsar.services import exports_purge_expired

    return exports_purge_expired(now=cutoff)


def _exports_holding(member_ids: list[int]):
    """Ready export files of these members, built before now: they hold whatever the members' rows held."""
    return DataExport.objects.filter(user_id__in=member_ids, status=ExportStatus.READY, ready_at__lte=timezone.now())


def _exports_of_removed_rows(member_ids: list[int]) -> int:
    """A copy of removed rows in the members' export files: the files go, the exports count as expired.

    The member can ask for a new export at once; it no longer holds the removed rows. The files are
    deleted after commit, so a run that rolls back leaves the export usable.
    """
    from consent.dsar.export import exports_dir

    found = list(_exports_holding(member_ids).values_list("pk", "file_name"))
    if not found:
        return 0
    DataExport.objects.filter(pk__in=[pk for pk, _name in found]).update(status=ExportStatus.EXPIRED, file_name="")
    names = [name for _pk, name in found if name]

    def unlink():
        for name in names:
            (exports_dir() / name).unlink(missing_ok=True)

    transaction.on_commit(unlink)
    return len(found)


def _members_only(queryset):
    """Staff and DPO accounts are never removed by a retention run."""
    return queryset.filter(is_staff=False, is_superuser=False).exclude(groups__name__in=Role.STAFF)


def _users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects


def _unconfirmed(cutoff: datetime):
    """Sign-ups whose address was never confirmed, older than the policy (they never could sign in)."""
    return _members_only(
        _users().filter(email_confirmed_at__isnull=True, erased_at__isnull=True, date_joined__lte=cutoff)
    )


def _holding_content(ids: list[int]) -> set[int]:
    """Accounts with rows the registry keeps (anonymised or under legal hold): they go through erasure."""
    found: set[int] = set()
    for rule in registry.rules():
        if rule.erasure not in (registry.Erasure.ANONYMISE, registry.Erasure.RETAIN):
            continue
        if rule.subject in ("", "pk"):
            continue
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found.update(
                rule.model_class._default_manager.filter(**{f"{rule.subject}__in": chunk})
                .values_list(rule.subject, flat=True)
                .distinct()
            )
    return found


def _unconfirmed_remove(cutoff: datetime) -> int:
    """Delete never-confirmed sign-ups outright; one that holds content is erased the normal way instead.

    An account nobody could ever sign in with has nothing worth an erasure report, and leaving an
    anonymised row per abandoned sign-up would only pile up. Rows the registry deletes go with the
    account (their files first); anything the registry anonymises or keeps sends it through erasure.
    """
    from consent.dsar.erasure import delete_files

    ids = list(_unconfirmed(cutoff).values_list("pk", flat=True))
    if not ids:
        return 0
    to_erase = _holding_content(ids)
    plain = [pk for pk in ids if pk not in to_erase]
    for rule in registry.rules():
        if rule.erasure == registry.Erasure.DELETE and rule.subject not in ("", "pk"):
            for start in range(0, len(plain), CHUNK):
                delete_files(
                    rule.model_class._default_manager.filter(**{f"{rule.subject}__in": plain[start : start + CHUNK]})
                )
    for start in range(0, len(plain), CHUNK):
        chunk = plain[start : start + CHUNK]
        try:
            with transaction.atomic():
                _users().filter(pk__in=chunk).delete()
        except ProtectedError:  # a row protects one of them: erase those one by one
            for pk in chunk:
                try:
                    with transaction.atomic():
                        _users().filter(pk=pk).delete()
                except ProtectedError:
                    to_erase.add(pk)
    _erase_all(sorted(to_erase), reason="retention: e-mail address never confirmed")
    return len(ids)


def _erase_all(ids: list[int], *, reason: str) -> int:
    from consent.dsar.services import AlreadyErased, member_erase_by_retention

    erased = 0
    for member in _users().filter(pk__in=ids, erased_at__isnull=True):
        try:
            member_erase_by_retention(member=member, reason=reason)
        except AlreadyErased:
            continue
        erased += 1
    return erased


def _last_activity():
    return Coalesce("last_login", "date_joined")


def _inactive(cutoff: datetime):
    """Confirmed member accounts without a sign-in (or, never signed in, since sign-up) before ``cutoff``.

    Members under a restriction of processing (Art. 18) are left out: their data is stored until the
    DPO lifts it.
    """
    from consent.selectors import held_for_storage

    return (
        _members_only(_users().filter(is_active=True, erased_at__isnull=True, email_confirmed_at__isnull=False))
        .exclude(held_for_storage("pk"))
        .alias(last_activity=_last_activity())
        .filter(last_activity__lte=cutoff)
    )


def _standing_warning(warned_before: datetime | None = None):
    """A warning that still holds: no sign-in since it was sent (signing in cancels it)."""
    warnings = InactivityWarning.objects.filter(user_id=OuterRef("pk"), warned_at__gte=OuterRef("last_activity"))
    if warned_before is not None:
        warnings = warnings.filter(warned_at__lte=warned_before)
    return Exists(warnings)


def _inactive_to_warn(cutoff: datetime):
    return _inactive(cutoff).exclude(_standing_warning())


def _inactive_to_erase(cutoff: datetime, now: datetime):
    return _inactive(cutoff).filter(_standing_warning(now - timedelta(days=grace_days())))


def _inactive_preview(cutoff: datetime) -> Tally:
    now = timezone.now()
    return Tally(deleted=_inactive_to_erase(cutoff, now).count(), warned=_inactive_to_warn(cutoff).count())


def _inactive_apply(cutoff: datetime) -> Tally:
    """Erase accounts still inactive a grace period after their warning; warn the newly inactive ones."""
    from consent.dsar.tasks import send_inactivity_warning

    now = timezone.now()
    to_erase = list(_inactive_to_erase(cutoff, now).values_list("pk", flat=True))
    to_warn = list(_inactive_to_warn(cutoff).annotate(seen=_last_activity()).values_list("pk", "seen"))
    InactivityWarning.objects.filter(user__last_login__gt=F("warned_at")).delete()  # signed in since: cancelled
    erased = _erase_all(to_erase, reason="retention: account inactive")
    for user_id, seen in to_warn:
        warning, _created = InactivityWarning.objects.update_or_create(
            user_id=user_id, defaults={"warned_at": now, "last_activity_at": seen, "mailed_at": None}
        )
        enqueue_on_commit(send_inactivity_warning, warning_id=warning.pk)
    return Tally(deleted=erased, warned=len(to_warn))


def register_core_categories() -> None:
    """The privacy core's own categories (called from ``DsarConfig.ready``)."""
    from consent.dsar.evidence import evidence_keys_destroy, evidence_keys_preview

    categories.register(
        "consent.ip_evidence",
        label=gettext_lazy("IP address and browser evidence of consents"),
        description=gettext_lazy(
            "Destroys the daily keys under which the consent ledger hashed IP addresses and browser strings; "
            "older evidence can then no longer be matched to an address. The ledger itself stays verifiable. "
            "Counted in days of evidence."
        ),
        default_days=365,
        min_days=1,
        preview=evidence_keys_preview,
        apply=evidence_keys_destroy,
        order=20,
    )
    categories.register_copy(
        categories.EVERY_SOURCE,
        code="dsar.exports",
        label=ngettext_lazy("%(count)s data export", "%(count)s data exports", "count"),
        count=lambda member_ids: _exports_holding(member_ids).count(),
        purge=_exports_of_removed_rows,
        per_member=True,
        order=90,
    )
    categories.register(
        "dsar.expired_exports",
        label=gettext_lazy("Expired data exports"),
        description=gettext_lazy("Deletes export files this many days after their 7-day download link expired."),
        default_days=0,
        preview=lambda cutoff: _exports_expired(cutoff).count(),
        apply=_exports_purge,
        order=30,
    )
    categories.register(
        "portal.unconfirmed_signups",
        label=gettext_lazy("Unconfirmed sign-ups"),
        description=gettext_lazy(
            "Deletes accounts whose e-mail address was never confirmed, this many days after sign-up."
        ),
        default_days=30,
        min_days=3,
        preview=lambda cutoff: _unconfirmed(cutoff).count(),
        apply=_unconfirmed_remove,
        order=40,
    )
    categories.register(
        "portal.inactive_accounts",
        label=gettext_lazy("Inactive accounts"),
        description=gettext_lazy(
            "Members who have not signed in for this many days get a warning mail; if they still do not sign in "
            "within the grace period, their account is erased. Staff accounts are never erased."
        ),
        default_days=3 * 365,
        min_days=365,
        warns=True,
        preview=_inactive_preview,
        apply=_inactive_apply,
        order=50,
    )
