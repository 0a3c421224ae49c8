"""Other members in the export's free text: their handles, e-mail addresses and names become export pseudonyms.

Texts name other members everywhere ("@anna replied to ...", a quote in a post, a chat line from support).
Which members can be named is read from the registry alone: everyone who shares a row with the member in
a registered model, directly or one relation away (repliers in the member's threads, authors of mentions,
members the member mentioned, moderators and agents of the member's chats). They are fetched in one query
per export and replaced through one compiled pattern, so the cost does not grow with the member's rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.db.models import Q

from consent import registry
from consent.dsar.erasure import account_identifiers

# Shorter strings (initials, two-letter handles) would replace ordinary words.
MIN_LENGTH = 3


def _user_paths(model, user_model) -> list[str]:
    """Lookups from a model's rows to the members they name: its own links to members and those one relation away."""
    paths = []
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model is None:
            continue
        if field.related_model is user_model:
            paths.append(field.name)
            continue
        paths.extend(
            f"{field.name}__{inner.name}"
            for inner in field.related_model._meta.concrete_fields
            if inner.is_relation and inner.related_model is user_model
        )
    return paths


def counterparts(user):
    """Every other member who meets the member in a registered model's row (one query when evaluated)."""
    user_model = get_user_model()
    conditions = []
    models = {rule.model_class for rule in registry.rules() if rule.subject not in ("", "pk")}
    for model in sorted(models, key=lambda m: m._meta.label):
        paths = _user_paths(model, user_model)
        if len(paths) < 2:
            continue  # a row that names only the member names nobody else
        shared = model._default_manager.filter(reduce(or_, (Q(**{path: user.pk}) for path in paths))).order_by()
        conditions.extend(Q(pk__in=shared.values(path)) for path in paths)
    if not conditions:
        return user_model._default_manager.none()
    return user_model._default_manager.filter(reduce(or_, conditions)).exclude(pk=user.pk)


class OtherMembers:
    """Replaces other members' identifiers in exported text by their pseudonym; the member's own stay."""

    def __init__(self, user, pseudonym: Callable[[int], str]):
        self._pseudonym = pseudonym
        # Lower-cased identifier -> member id; None marks the member's own, matched so that another's
        # shorter handle inside it ("anna" in "anna-maria") is not replaced.
        self._owners: dict[str, int | None] = {value.lower(): None for value in account_identifiers(user)}
        rows = counterparts(user).values_list("pk", "handle", "email", "first_name", "last_name")
        for pk, handle, email, first_name, last_name in rows:
            for value in (email, handle, f"{first_name} {last_name}".strip()):
                if value and len(value) >= MIN_LENGTH:
                    self._owners.setdefault(value.lower(), pk)
        self._pattern = None
        if any(owner is not None for owner in self._owners.values()):
            alternatives = sorted(self._owners, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(value) for value in alternatives) + r")(?!\w)", re.IGNORECASE
            )

    def _replace(self, match: re.Match) -> str:
        owner = self._owners.get(match.group(0).lower())
        return match.group(0) if owner is None else self._pseudonym(owner)

    def text(self, value: str) -> str:
        return self._pattern.sub(self._replace, value) if self._pattern is not None and value else value

    def value(self, value):
        """Strings, and the strings inside JSON objects and arrays (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value
