"""The domain-event class every app uses to tell others about changes after commit.

A plain in-process registry instead of Django signals: receivers are explicit, and a failing
receiver is logged without breaking the member's action. Apps define their events in their own
``events.py`` (``community.events.thread_tagged``, ``ideas.events.idea_tagged``, ...); integrations
such as crm/ subscribe with ``.connect``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Event:
    """A named event with a list of receivers called with keyword arguments."""

    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable[..., object]] = []

    def connect(self, receiver: Callable[..., object]) -> Callable[..., object]:
        """Subscribe ``receiver`` (idempotent); usable as a decorator."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[..., object]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    @property
    def has_receivers(self) -> bool:
        return bool(self._receivers)

    def send(self, **kwargs) -> None:
        """Call every receiver; one failing receiver never stops the others."""
        for receiver in list(self._receivers):
            try:
                receiver(**kwargs)
            except Exception:
                logger.exception("Receiver %r of %s failed", receiver, self.name)

    def __repr__(self):
        return f"Event({self.name!r})"
