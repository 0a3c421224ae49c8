"""Attacks on the ledger as someone with SQL access but without the signing key would run them."""

from __future__ import annotations

import json

from django.db import connection, transaction

from consent import merkle
from consent.ledger import canonical, verify
from consent.models import LedgerHead


def tampered(action, *, witnessed: dict[int, str] | None = None):
    """Apply an attack in a savepoint, verify, and roll the attack back for the next example."""
    with transaction.atomic():
        action()
        result = verify(witnessed=witnessed)
        transaction.set_rollback(True)
    return result


def rewrite(attacker, *, cut: int | None = None, edits: dict[int, dict] | None = None) -> None:
    """What an attacker without the signing key can do: cut the log and/or edit entries, then recompute every
    leaf hash, chain link, stored proof and the head so that all of them agree again."""
    edits = edits or {}
    q = connection.ops.quote_name
    rows = attacker.sql(f"SELECT {q('index')}, payload FROM consent_consentevent ORDER BY {q('index')}")
    if cut is not None:
        attacker.delete_from(cut)
        rows = rows[:cut]
    frontier: list[bytes] = []
    prev = ""
    for index, payload in rows:
        entry = json.loads(payload)
        if index in edits or entry["prev"] != prev:
            entry.update(edits.get(index, {}), prev=prev)
            payload = canonical(entry)
            attacker.sql(
                f"UPDATE consent_consentevent SET payload = %s, state = %s, kind = %s, leaf_hash = %s, proof = %s "
                f"WHERE {q('index')} = %s",
                [
                    payload,
                    entry["state"],
                    entry["kind"],
                    merkle.leaf_hash(payload.encode()).hex(),
                    " ".join(h.hex() for h in reversed(frontier)),
                    index,
                ],
            )
        leaf = merkle.leaf_hash(payload.encode())
        frontier = merkle.frontier_append(frontier, index, leaf)
        prev = leaf.hex()
    LedgerHead.objects.filter(pk=1).update(size=len(rows), last_leaf_hash=prev, frontier=[h.hex() for h in frontier])


def forget_current_consents(attacker, *, from_index: int) -> None:
    """Delete the projection rows that name entries from ``from_index`` on (the application may write them)."""
    attacker.sql("DELETE FROM consent_memberconsent WHERE event_index >= %s", [from_index])
