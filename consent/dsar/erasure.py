"""Erasure (Art. 17, 19), driven only by the personal-data registry.

First the member's identifiers are collected: e-mail, handle and names from the account, and every
e-mail address, phone number, IBAN and IP address the member typed into their own texts (any text
field a registry rule exports for them). They are replaced in every free-text field the apps declared
(``rewrite_text``): the strong ones (e-mail, handle, full name, typed contact data) in every row, the
bare first and last name only in the member's own rows and in rows that also name the member by a
strong identifier (a stranger called Anna keeps her name). Then every rule is applied to the member's
rows (deepest subject first, so a child's link is cut before its parent loses the member), the search
index is refreshed for changed rows, files of deleted rows leave storage, cached fragments are purged,
sessions end, and the account row is anonymised. The report lists what went and what was kept under
legal hold, and why.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from functools import partial

from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from consent import pseudonyms, registry

DELETED = "deleted-member"
REMOVED = "[removed]"
MIN_LENGTH = 3  # shorter values (an initial, "Al") would rewrite other people's words


@dataclass
class ErasureOutcome:
    removed: list[dict] = field(default_factory=list)
    kept: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Identifiers:
    """What names the member in free text, each value with what replaces it."""

    strong: dict[str, str]  # replaced wherever it occurs
    weak: dict[str, str]  # bare first and last name: only in the member's own rows and rows naming them strongly

    def __bool__(self):
        return bool(self.strong or self.weak)

    def values(self) -> list[str]:
        return [*self.strong, *self.weak]


def account_identifiers(user) -> list[str]:
    """What names the member on the account: e-mail, handle, full name (longest first)."""
    found = [user.email, user.handle, user.get_full_name().strip()]
    return sorted({value for value in found if value and len(value) >= MIN_LENGTH}, key=len, reverse=True)


def identifiers_of(user) -> Identifiers:
    """The account's identifiers plus the contact data the member typed into their own texts."""
    strong = dict.fromkeys(account_identifiers(user), DELETED)
    for value in typed_identifiers(user):
        strong.setdefault(value, REMOVED)
    weak = {value: DELETED for value in (user.first_name.strip(), user.last_name.strip())}
    strong = {value: by for value, by in strong.items() if value and len(value) >= MIN_LENGTH}
    weak = {value: by for value, by in weak.items() if len(value) >= MIN_LENGTH and value.lower() not in _lower(strong)}
    return Identifiers(strong=strong, weak=weak)


def _lower(values) -> set[str]:
    return {value.lower() for value in values}


def _own_text_fields(rule: registry.PersonalData) -> list[str]:
    model = rule.model_class
    text_fields = {f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)}
    return [name for name in rule.export_fields if name in text_fields]


def _own_rows(rule: registry.PersonalData, user):
    lookup = "pk" if rule.subject == "pk" else rule.subject
    return rule.model_class._default_manager.filter(**{lookup: user.pk})


def typed_identifiers(user) -> list[str]:
    """E-mail addresses, phone numbers, IBANs and IP addresses in any text the registry exports for the member."""
    from portal.pii import find_ip_addresses, find_personal_data

    found: set[str] = set()
    for rule in registry.rules():
        if rule.subject in ("", "pk"):
            continue
        names = _own_text_fields(rule)
        if not names:
            continue
        for values in _own_rows(rule, user).values_list(*names).iterator(chunk_size=2000):
            for text in values:
                if not text:
                    continue
                found.update(finding.text.strip() for finding in find_personal_data(text))
                found.update(find_ip_addresses(text))
    return sorted(found)


def _pattern(values: dict[str, str]) -> re.Pattern | None:
    """One pattern for all values, longest first (so the full name wins over its parts), whole words."""
    if not values:
        return None
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in ordered), re.IGNORECASE)


def _rewrite(text: str, pattern: re.Pattern | None, replacements: dict[str, str]) -> str:
    if pattern is None or not text:
        return text
    lowered = {value.lower(): by for value, by in replacements.items()}
    return pattern.sub(lambda match: lowered.get(match.group(0).lower(), DELETED), text)


def _searchable(value) -> str:
    """A text, or every text inside a JSON value (a notification's parameters), as one searchable string."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _rewrite_value(value, pattern: re.Pattern | None, replacements: dict[str, str]):
    """``_rewrite`` for a text or for every text inside a JSON value."""
    if isinstance(value, str):
        return _rewrite(value, pattern, replacements)
    if isinstance(value, dict):
        return {key: _rewrite_value(item, pattern, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite_value(item, pattern, replacements) for item in value]
    return value


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


def rewrite_mentions(*, identifiers: Identifiers, user=None) -> list[dict]:
    """Replace the member's identifiers in every declared free-text field (own texts, quotes, @-mentions).

    Run before the rules cut the member's links, so ``user``'s own rows can still be found.
    """
    if not identifiers:
        return []
    strong_pattern = _pattern(identifiers.strong)
    every = {**identifiers.weak, **identifiers.strong}
    every_pattern = _pattern(every)
    changed = []
    for entry in registry.text_rewrites():
        model = entry.model_class
        naming = Q()
        for name in entry.fields:
            for value in identifiers.strong:
                naming |= Q(**{f"{name}__icontains": value})
        own = Q(pk__in=[])
        if user is not None:
            for rule in registry.rules_for(model):
                if rule.subject not in ("", "pk"):
                    own |= Q(pk__in=_own_rows(rule, user).values("pk"))
        weak = Q()
        for name in entry.fields:
            for value in identifiers.weak:
                weak |= Q(**{f"{name}__icontains": value})
        candidates = model._default_manager.filter(naming | (own & weak) if identifiers.weak else naming)
        own_pks = set(model._default_manager.filter(own).values_list("pk", flat=True)) if identifiers.weak else set()
        pks = []
        for row in candidates.only("pk", *entry.fields).iterator(chunk_size=2000):
            texts = [getattr(row, name) or "" for name in entry.fields]
            names_member = row.pk in own_pks or any(
                strong_pattern and strong_pattern.search(_searchable(t)) for t in texts
            )
            pattern = every_pattern if names_member else strong_pattern
            new = [_rewrite_value(text, pattern, every) for text in texts]
            if new == texts:
                continue
            for name, text in zip(entry.fields, new, strict=True):
                setattr(row, name, text)
            row.save(update_fields=list(entry.fields))
            pks.append(row.pk)
        if pks:
            _reindex(model, pks)
            changed.append({"model": entry.model, "rows": len(pks), "action": "rewritten"})
    return changed


def _depth(rule: registry.PersonalData) -> int:
    return rule.subject.count("__")


def anonymise_values(rule: registry.PersonalData, report_id) -> dict:
    """The replacement values of an ANONYMISE rule in one erasure run (``ERASURE_REPORT`` becomes its report id)."""
    return {name: report_id if value is registry.ERASURE_REPORT else value for name, value in rule.anonymise.items()}


def apply_rules(*, user, report_id=None) -> ErasureOutcome:
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
                model._default_manager.filter(pk__in=pks).update(**anonymise_values(rule, report_id))
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
    user.display_name = ""
    user.bio = ""
    user.public_profile = False
    if user.avatar:
        # The picture leaves storage once the erasure commits; an erased member shows the neutral one.
        transaction.on_commit(partial(default_storage.delete, user.avatar.name))
        user.avatar = ""
    user.handle = f"{DELETED}-{secrets.token_hex(4)}"
    user.set_unusable_password()
    user.erased_at = timezone.now()
    user.is_active = False
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    memo = getattr(pseudonyms, "_recorded", set())
    memo.difference_update({marker for marker in memo if marker[0] == user.pk})
