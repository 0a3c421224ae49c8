"""The erasure journal: every erasure also written outside the main database, so a restored backup cannot undo it.

One JSON line per erasure with the account's id, the erasure report's id and the time: no name, address
or handle (the ids name no one once the account row is anonymised; in a restored backup they find the
account that has to be erased again). ``manage.py replay_erasures`` re-applies the journal after a
restore: every account it names that is not erased in the database is erased again.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

logger = logging.getLogger(__name__)


def journal_path() -> Path:
    return Path(settings.ERASURE_JOURNAL_PATH)


def journal_append(*, user_id: int, report_id, erased_at: datetime) -> None:
    """Append one line and sync it to disk (run after the erasure commits)."""
    path = journal_path()
    line = json.dumps({"user_id": user_id, "report_id": str(report_id), "erased_at": erased_at.isoformat()})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        # The erasure itself stands; without the line a restore from an older backup would bring the member back.
        logger.exception(
            "Erasure of account %s is NOT in the erasure journal %s: add this line by hand: %s", user_id, path, line
        )


def journal_entries() -> list[dict]:
    path = journal_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Replay:
    """What a replay found for the journal's entries."""

    erased: list[int] = field(default_factory=list)
    already: int = 0
    missing: int = 0


def erasures_replay() -> Replay:
    """Erase again every journalled account the database holds unerased (after restoring a backup)."""
    from consent.dsar.services.erasure import member_erase_replayed

    outcome = Replay()
    users = get_user_model().objects
    for entry in journal_entries():
        member = users.filter(pk=entry["user_id"]).first()
        if member is None:
            outcome.missing += 1
        elif member.erased_at is not None:
            outcome.already += 1
        else:
            member_erase_replayed(member=member)
            outcome.erased.append(member.pk)
    return outcome
