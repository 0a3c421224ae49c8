"""Erasure (Art. 17, 19), driven only by the personal-data registry.

Every rule is applied to the member's rows (deepest subject first, so a child's link is cut before its
parent loses the member), quotes and mentions are rewritten where the apps declared free text, the
search index is refreshed for rewritten rows, files of deleted rows leave storage, sessions end, and the
account row is anonymised. The report lists what went and what was kept under legal hold, and why.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q
from django.utils import timezone

from consent import pseudonyms, registry

DELETED = "deleted-member"


@dataclass
class ErasureOutcome:
    removed: list[dict] = field(default_factory=list)
    kept: list[dict] = field(default_factory=list)


def identifiers_of(user) -> list[str]:
    """What names the member in free text: e-mail, handle, full name (longest first, so the name wins over parts)."""
    found = [user.email, user.handle, user.get_full_name().strip()]
    return sorted({value for value in found if value and len(value) >= 3}, key=len, reverse=True)


def _rewrite(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(DELETED, text)


def delete_files(queryset) -> None:
    """Remove the stored files of these rows (before the rows go, so nothing is orphaned in storage)."""
    file_fields = [f.name for f in queryset.model._meta.concrete_fields if isinstance(f, models.FileField)]
    if not file_fields:
        return
    for row in queryset.only("pk", *file_fields).iterator(chunk_size=2000):
        for name in file_fields:
            stored = getattr(row, name)
            if stored:
                stored.delete(save=False)


def _reindex(model, pks: list) -> None:
    from wagtail.search import index
    from wagtail.search.backends import get_search_backend

    if not pks or not issubclass(model, index.Indexed):
        return
    backend = get_search_backend()
    for start in range(0, len(pks), 500):
        backend.add_bulk(model, list(model._default_manager.filter(pk__in=pks[start : start + 500])))


def _indexes_any(model, names) -> bool:
    """Does the search index hold any of these fields (then the rows are re-indexed)?"""
    search_fields = getattr(model, "get_search_fields", None)
    if search_fields is None:
        return False
    indexed = {getattr(f, "field_name", "") for f in search_fields()}
    return bool(indexed & set(names))


def rewrite_mentions(*, identifiers: list[str]) -> list[dict]:
    """Replace the member's identifiers in every declared free-text field of every row (quotes, @-mentions)."""
    if not identifiers:
        return []
    pattern = re.compile("|".join(re.escape(value) for value in identifiers), re.IGNORECASE)
    changed = []
    for entry in registry.text_rewrites():
        model = entry.model_class
        condition = Q()
        for name in entry.fields:
            for value in identifiers:
                condition |= Q(**{f"{name}__icontains": value})
        pks = []
        for row in model._default_manager.filter(condition).only("pk", *entry.fields).iterator(chunk_size=2000):
            for name in entry.fields:
                setattr(row, name, _rewrite(getattr(row, name) or "", pattern))
            row.save(update_fields=list(entry.fields))
            pks.append(row.pk)
        if pks:
            _reindex(model, pks)
            changed.append({"model": entry.model, "rows": len(pks), "action": "rewritten"})
    return changed


def _depth(rule: registry.PersonalData) -> int:
    return rule.subject.count("__")


def apply_rules(*, user) -> ErasureOutcome:
    """Apply every registry rule to the member's rows; returns what was removed and what was kept."""
    outcome = ErasureOutcome()
    for rule in sorted(registry.rules(), key=_depth, reverse=True):
        if rule.erasure == registry.Erasure.RETAIN:
            outcome.kept.append({"model": rule.model, "category": rule.category, "reason": rule.reason})
            continue
        if rule.erasure == registry.Erasure.ACCOUNT or not rule.subject:
            continue
        model = rule.model_class
        lookup = "pk" if rule.subject == "pk" else rule.subject
        queryset = model._default_manager.filter(**{lookup: user.pk})
        if rule.erasure == registry.Erasure.DELETE:
            delete_files(queryset)
            deleted, _by_model = queryset.delete()
            if deleted:
                outcome.removed.append({"model": rule.model, "rows": deleted, "action": "deleted"})
        else:
            pks = list(queryset.values_list("pk", flat=True))
            if pks:
                model._default_manager.filter(pk__in=pks).update(**rule.anonymise)
                if _indexes_any(model, rule.anonymise):
                    _reindex(model, pks)
                outcome.removed.append(
                    {"model": rule.model, "rows": len(pks), "action": "anonymised", "reason": rule.reason}
                )
    return outcome


def sessions_end(*, user) -> int:
    """Delete every stored session of the member (the unusable password also invalidates cookie sessions)."""
    ended = 0
    for session in Session.objects.iterator(chunk_size=2000):
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def account_anonymise(*, user) -> None:
    """The account row stays for referential integrity but names no one."""
    user.email = f"erased-{user.pk}@invalid"
    user.first_name = ""
    user.last_name = ""
    user.handle = f"{DELETED}-{secrets.token_hex(4)}"
    user.set_unusable_password()
    user.erased_at = timezone.now()
    user.is_active = False
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    memo = getattr(pseudonyms, "_recorded", set())
    memo.difference_update({marker for marker in memo if marker[0] == user.pk})
