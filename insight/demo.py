"""Demo content of insight: the demo posts, ideas and chats analysed, so the dashboards have figures at once."""

from __future__ import annotations

from insight import services


def seed(*, stdout) -> list[str]:
    """Analyse whatever the other apps' demo content holds (idempotent: the backfill replaces its rows)."""
    result = services.backfill()
    stdout.write(f"insight: analysed {sum(v for k, v in result.items() if k != 'daily_figures')} texts")
    return []
