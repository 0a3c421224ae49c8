"""Data about people who are not members, found by e-mail address: a slot the apps that hold it fill.

consent knows no domain app. An app that keeps data about outside people (intake: mails, feed entries
and hook messages from outside the portal, and their cards) registers a source here at start-up; the
DPO console answers an access or erasure request for an address by asking every source. A member's
erasure asks them too, with the member's address, so mails they sent from outside go with the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class AddressSource:
    """Where one app keeps data about an address, and how it shows, exports and erases it.

    ``find(address)`` lists what the console shows (``[{"title", "when", "detail"}]``, ``when`` a datetime
    or None); ``export(address)`` returns JSON-ready records; ``erase(address=..., report_id=...)`` removes
    them (telling any recipient of copies, marked with ``report_id``) and returns erasure-report entries
    (``{"model", "rows", "action", "reason"}``), none when nothing was found.
    """

    code: str
    label: str | Promise
    find: Callable[[str], list[dict]]
    export: Callable[[str], list[dict]]
    erase: Callable[..., list[dict]]


_sources: dict[str, AddressSource] = {}


def register(*, code: str, label, find, export, erase) -> None:
    """Add (or replace, on a reload) the source ``code``; called from the app's ``AppConfig.ready``."""
    _sources[code] = AddressSource(code=code, label=label, find=find, export=export, erase=erase)


def sources() -> list[AddressSource]:
    return [_sources[code] for code in sorted(_sources)]


def found(address: str) -> list[dict]:
    """What every source holds about ``address``: ``[{"source": AddressSource, "rows": [...]}]`` (empty sources too)."""
    address = address.strip()
    return [{"source": source, "rows": source.find(address)} for source in sources()]


def export(address: str) -> dict[str, list[dict]]:
    """Every source's records about ``address``, by source code."""
    address = address.strip()
    return {source.code: source.export(address) for source in sources()}


def erase(*, address: str, report_id) -> list[dict]:
    """Erase what every source holds about ``address``; the erasure-report entries of all of them."""
    address = address.strip()
    entries: list[dict] = []
    if not address:
        return entries
    for source in sources():
        entries += source.erase(address=address, report_id=report_id)
    return entries
