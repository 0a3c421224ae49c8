"""The retention registry: every app declares how long each category of its data is kept.

An app registers its categories in ``AppConfig.ready()`` (dependency direction: apps -> consent),
so the privacy core never imports a domain app::

    from consent import retention
    retention.register(
        "chat.transcripts",
        label=_("Chat transcripts without consent"),
        default_days=30,
        preview=lambda cutoff: due(cutoff).count(),
        apply=lambda cutoff: delete(due(cutoff)),
    )

``preview(cutoff)`` says what ``apply(cutoff)`` would remove now; both get the same cutoff (the
moment before which data has outlived the policy) and usually share one queryset builder, so the
back-office preview equals what the next run deletes. Either may return an ``int`` (rows removed)
or a ``Tally`` when a category also notifies (inactive accounts are warned before they are erased).
The DPO's period per category lives in ``dsar.RetentionPolicy``; ``consent.dsar.retention`` runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Tally:
    """What one category removes (``deleted``) and whom it only warns first (``warned``)."""

    deleted: int = 0
    warned: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"deleted": self.deleted, "warned": self.warned}


@dataclass(frozen=True)
class Category:
    """One category of data with a retention period the DPO can change without a deploy."""

    code: str
    label: str  # translatable (lazy)
    default_days: int
    preview: Callable[[datetime], int | Tally]
    apply: Callable[[datetime], int | Tally]
    description: str = ""  # translatable (lazy): what is removed and how
    min_days: int = 0
    warns: bool = False  # the category mails a warning before it removes anything
    order: int = 100

    def preview_tally(self, cutoff: datetime) -> Tally:
        return as_tally(self.preview(cutoff))

    def apply_tally(self, cutoff: datetime) -> Tally:
        return as_tally(self.apply(cutoff))


_categories: dict[str, Category] = {}


def as_tally(result: int | Tally) -> Tally:
    return result if isinstance(result, Tally) else Tally(deleted=int(result))


def register(
    code: str,
    *,
    label,
    default_days: int,
    preview: Callable[[datetime], int | Tally],
    apply: Callable[[datetime], int | Tally],
    description="",
    min_days: int = 0,
    warns: bool = False,
    order: int = 100,
) -> Category:
    """Declare a category; registering a code again replaces it (the code is stable: policies refer to it)."""
    if not code or len(code) > 60:
        raise ValueError("a retention category needs a code of at most 60 characters")
    if default_days < min_days:
        raise ValueError(f"{code}: the default period is shorter than the minimum")
    category = Category(
        code=code,
        label=label,
        default_days=default_days,
        preview=preview,
        apply=apply,
        description=description,
        min_days=min_days,
        warns=warns,
        order=order,
    )
    _categories[code] = category
    return category


def categories() -> list[Category]:
    return sorted(_categories.values(), key=lambda category: (category.order, category.code))


def category(code: str) -> Category:
    try:
        return _categories[code]
    except KeyError:
        raise LookupError(f"no retention category {code!r}") from None


def codes() -> list[str]:
    return [category.code for category in categories()]
