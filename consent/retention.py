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

Copies follow their source. A category that removes rows of a *source kind* says so
(``register_source`` names the kind's model; the category passes ``source=``, ``source_ids(cutoff)``
listing what is due and ``remove(ids)`` removing exactly those). Any app that keeps a copy of such rows
(a CRM card's text made from a chat, a member's export file, ...) declares it with ``register_copy``::

    retention.register_copy(
        "chat",
        code="crm.card_texts",
        label=ngettext_lazy("%(count)s CRM card text", "%(count)s CRM card texts", "count"),
        count=lambda chat_ids: cards_from(chat_ids).count(),
        purge=lambda chat_ids: card_texts_neutralise(chat_ids),
    )

The run purges every registered copy of the rows a category removed, in the same transaction, after the
rows went; the preview counts them from the same ids (``Tally.copies``). A copy with ``per_member=True``
(``EVERY_SOURCE`` for copies of anything about a member, like export files) gets the ids of the members
whose rows went instead, collected before the rows go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

EVERY_SOURCE = "*"  # a copy of any source kind's rows (keyed by the rows' members)
CHUNK = 500


@dataclass(frozen=True)
class Tally:
    """What one category removes (``deleted``), whom it only warns first (``warned``) and which copies go too.

    ``copies`` holds ``(copy code, count)`` for every copy with something to purge, in the registry's
    order; ``source`` (the kind of rows removed) only words the summary and does not take part in equality.
    """

    deleted: int = 0
    warned: int = 0
    copies: tuple[tuple[str, int], ...] = ()
    source: str = field(default="", compare=False)

    def as_dict(self) -> dict:
        result: dict = {"deleted": self.deleted, "warned": self.warned}
        if self.copies:
            result["copies"] = dict(self.copies)
        return result

    @property
    def copies_text(self) -> str:
        """The copies in words, in the active language: "3 CRM card texts, 1 data export"."""
        return copies_text(dict(self.copies))

    @property
    def summary(self) -> str:
        """The removed rows and their copies in words, e.g. "12 chats, and their copies: 1 data export"."""
        return summary(self.source, self.deleted, dict(self.copies))


@dataclass(frozen=True)
class Source:
    """A kind of row that retention removes and other apps may hold copies of."""

    kind: str
    model: str  # "app_label.Model": the removed rows' search index entries are dropped too
    label: object  # translatable with %(count)s and a plural ("%(count)s chat" / "%(count)s chats")
    member: str = ""  # the field naming the member whose data a row holds; feeds per-member copies

    def describe(self, count: int) -> str:
        return str(self.label % {"count": count})

    @property
    def model_class(self):
        from django.apps import apps

        return apps.get_model(self.model)

    def members(self, ids: list) -> list[int]:
        """The members whose data these rows hold (read before the rows go)."""
        if not self.member:
            return []
        manager = self.model_class._default_manager
        found: set[int] = set()
        for start in range(0, len(ids), CHUNK):
            found.update(
                manager.filter(pk__in=ids[start : start + CHUNK])
                .exclude(**{f"{self.member}__isnull": True})
                .values_list(self.member, flat=True)
            )
        return sorted(found)


@dataclass(frozen=True)
class Copy:
    """A copy of a source kind's rows kept elsewhere, which must not outlive them."""

    code: str
    source: str  # a source kind, or EVERY_SOURCE
    label: object  # translatable with %(count)s and a plural ("%(count)s data export" / "... exports")
    count: Callable[[list], int]  # how many copies ``purge`` would remove for these ids
    purge: Callable[[list], int]  # remove them; returns how many
    per_member: bool = False  # called with the ids of the rows' members instead of the rows'
    order: int = 100

    def describe(self, count: int) -> str:
        return str(self.label % {"count": count})

    def applies_to(self, kind: str) -> bool:
        return self.source in (kind, EVERY_SOURCE)


@dataclass(frozen=True)
class Category:
    """One category of data with a retention period the DPO can change without a deploy."""

    code: str
    label: str  # translatable (lazy)
    default_days: int
    preview: Callable[[datetime], int | Tally] | None
    apply: Callable[[datetime], int | Tally] | None
    description: str = ""  # translatable (lazy): what is removed and how
    min_days: int = 0
    warns: bool = False  # the category mails a warning before it removes anything
    order: int = 100
    source: str = ""  # the kind of rows it removes (``register_source``); their copies go with them
    source_ids: Callable[[datetime], list] | None = None  # the rows due at a cutoff
    remove: Callable[[list], int] | None = None  # remove exactly these rows; returns how many went

    def preview_tally(self, cutoff: datetime) -> Tally:
        if not self.source:
            return as_tally(self.preview(cutoff))
        ids = list(self.source_ids(cutoff))
        return Tally(deleted=len(ids), copies=copies_count(self.source, ids), source=self.source)

    def apply_tally(self, cutoff: datetime) -> Tally:
        """Remove what is due; for a source category then every copy of the removed rows (caller's transaction)."""
        if not self.source:
            return as_tally(self.apply(cutoff))
        ids = list(self.source_ids(cutoff))
        if not ids:
            return Tally(source=self.source)
        members = source(self.source).members(ids) if _per_member_copies(self.source) else []
        deleted = int(self.remove(ids))
        purged = copies_purge(self.source, ids, members=members)
        _search_entries_drop(source(self.source), ids)
        return Tally(deleted=deleted, copies=purged, source=self.source)


_categories: dict[str, Category] = {}
_sources: dict[str, Source] = {}
_copies: dict[str, Copy] = {}


def as_tally(result: int | Tally) -> Tally:
    return result if isinstance(result, Tally) else Tally(deleted=int(result))


def register(
    code: str,
    *,
    label,
    default_days: int,
    preview: Callable[[datetime], int | Tally] | None = None,
    apply: Callable[[datetime], int | Tally] | None = None,
    description="",
    min_days: int = 0,
    warns: bool = False,
    order: int = 100,
    source: str = "",
    source_ids: Callable[[datetime], list] | None = None,
    remove: Callable[[list], int] | None = None,
) -> Category:
    """Declare a category; registering a code again replaces it (the code is stable: policies refer to it).

    Either ``preview`` and ``apply`` (what is due at a cutoff, and removing it), or, for rows other apps
    may copy, ``source`` with ``source_ids`` and ``remove``: preview and run then share the same ids.
    """
    if not code or len(code) > 60:
        raise ValueError("a retention category needs a code of at most 60 characters")
    if default_days < min_days:
        raise ValueError(f"{code}: the default period is shorter than the minimum")
    if source:
        if source_ids is None or remove is None:
            raise ValueError(f"{code}: a category of a source kind needs source_ids and remove")
    elif preview is None or apply is None:
        raise ValueError(f"{code}: a category needs preview and apply (or a source kind)")
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
        source=source,
        source_ids=source_ids,
        remove=remove,
    )
    _categories[code] = category
    return category


def register_source(kind: str, *, model: str, label, member: str = "") -> Source:
    """Declare a kind of row retention removes (``model`` as "app_label.Model"), so copies can refer to it."""
    if not kind or kind == EVERY_SOURCE:
        raise ValueError("a source kind needs a name")
    _sources[kind] = Source(kind=kind, model=model, label=label, member=member)
    return _sources[kind]


def register_copy(
    source: str,
    *,
    code: str,
    label,
    count: Callable[[list], int],
    purge: Callable[[list], int],
    per_member: bool = False,
    order: int = 100,
) -> Copy:
    """Declare a copy of ``source``'s rows (or of ``EVERY_SOURCE``'s members' data) that goes when they go."""
    if not code:
        raise ValueError("a copy needs a code")
    _copies[code] = Copy(
        code=code, source=source, label=label, count=count, purge=purge, per_member=per_member, order=order
    )
    return _copies[code]


def categories() -> list[Category]:
    return sorted(_categories.values(), key=lambda category: (category.order, category.code))


def category(code: str) -> Category:
    try:
        return _categories[code]
    except KeyError:
        raise LookupError(f"no retention category {code!r}") from None


def codes() -> list[str]:
    return [category.code for category in categories()]


def source(kind: str) -> Source:
    try:
        return _sources[kind]
    except KeyError:
        raise LookupError(f"no retention source kind {kind!r}") from None


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda found: found.kind)


def copies(kind: str | None = None) -> list[Copy]:
    """Every registered copy (of ``kind``'s rows, when given), in the order they are purged and listed."""
    found = [entry for entry in _copies.values() if kind is None or entry.applies_to(kind)]
    return sorted(found, key=lambda entry: (entry.order, entry.code))


def copy(code: str) -> Copy:
    try:
        return _copies[code]
    except KeyError:
        raise LookupError(f"no retention copy {code!r}") from None


def _per_member_copies(kind: str) -> bool:
    return any(entry.per_member for entry in copies(kind))


def _chunks(ids: list):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def copies_count(kind: str, ids: list) -> tuple[tuple[str, int], ...]:
    """How many copies of these rows each registered copy holds (only those with any)."""
    if not ids:
        return ()
    members = source(kind).members(ids) if _per_member_copies(kind) else []
    counted = []
    for entry in copies(kind):
        keys = members if entry.per_member else ids
        count = sum(int(entry.count(chunk)) for chunk in _chunks(keys))
        if count:
            counted.append((entry.code, count))
    return tuple(counted)


def copies_purge(kind: str, ids: list, *, members: list[int]) -> tuple[tuple[str, int], ...]:
    """Purge every registered copy of these removed rows (``members``: their members, read before they went)."""
    purged = []
    for entry in copies(kind):
        keys = members if entry.per_member else ids
        count = sum(int(entry.purge(chunk)) for chunk in _chunks(keys))
        if count:
            purged.append((entry.code, count))
    return tuple(purged)


def _search_entries_drop(found: Source, ids: list) -> None:
    """The removed rows' search index entries go after commit (``portal.tasks.reindex`` drops rows that are gone)."""
    from wagtail.search import index

    model = found.model_class
    if not issubclass(model, index.Indexed):
        return
    from portal.events import enqueue_on_commit
    from portal.tasks import reindex

    for chunk in _chunks(ids):
        enqueue_on_commit(reindex, refs=[(found.model, pk) for pk in chunk])


def copies_text(counted: dict[str, int]) -> str:
    """Copies in words, in the registry's order: "3 CRM card texts, 1 data export" (an unknown copy by its code)."""
    order = {entry.code: index for index, entry in enumerate(copies())}
    parts = []
    for code, count in sorted(counted.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        try:
            parts.append(copy(code).describe(count))
        except LookupError:
            parts.append(f"{count} {code}")
    return ", ".join(parts)


def summary(kind: str, deleted: int, counted: dict[str, int]) -> str:
    """Words for a run or preview: "12 chats, and their copies: 3 CRM card texts"; without copies "12 chats"."""
    if not kind or kind not in _sources:
        return ""
    rows = source(kind).describe(deleted)
    if not counted:
        return rows
    return _("%(rows)s, and their copies: %(copies)s") % {"rows": rows, "copies": copies_text(counted)}
