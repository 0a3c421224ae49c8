"""The one mechanism for what a write causes after it commits: domain events and task enqueues.

A plain in-process registry instead of Django signals: receivers are explicit keyword-only
functions, and a failing receiver is logged without breaking the member's action. Apps define
their events in their own ``events.py`` (``community.events.thread_tagged``,
``consent.events.consent_changed``, ...); services send them with ``event.send_on_commit(...)``
and enqueue background work with ``enqueue_on_commit(task, ...)``; integrations such as crm/
subscribe with ``.connect``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from functools import partial

from django.db import DEFAULT_DB_ALIAS, router, transaction

logger = logging.getLogger(__name__)


class Event:
    """A named event with a list of receivers called with keyword arguments."""

    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable[..., object]] = []

    def connect(self, receiver: Callable[..., object]) -> Callable[..., object]:
        """Subscribe ``receiver`` (idempotent); usable as a decorator.

        Receivers take keyword arguments only (``def on_x(*, thread, tag, **kwargs)``), so an event
        can gain a field without breaking them; a receiver with positional parameters is refused.
        """
        positional = [
            p.name
            for p in inspect.signature(receiver).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        if positional:
            raise TypeError(f"Receivers of {self.name} take keyword-only arguments; {receiver!r} has {positional}")
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

    def send_on_commit(self, **kwargs) -> None:
        """Send once the current transaction commits (at once outside one); dropped on rollback."""
        transaction.on_commit(partial(self.send, **kwargs))

    def __repr__(self):
        return f"Event({self.name!r})"


#: The portal's own event: a member's notifications changed (one arrived, some were read); sent after
#: commit with ``user_id``. ``portal.notifications.push_notifications_changed`` tells the member's open pages.
notifications_changed = Event("portal.notifications_changed")


def enqueue_on_commit(task, /, **kwargs) -> None:
    """Enqueue a django-tasks ``task`` so that it exists exactly when the current transaction commits.

    With a backend that keeps its queue in this database (django-tasks-db) the task row is written
    at once, inside the transaction: it commits with the change or rolls back with it, and the
    worker cannot read it before the change is visible. A crash right after the commit loses
    nothing. Other backends (the immediate backend of the tests runs the task on the spot) get the
    enqueue once the transaction commits, dropped on rollback.
    """
    if _queue_in_this_database(task):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs))


def _queue_in_this_database(task) -> bool:
    """Whether ``task``'s backend writes its queue rows through the connection of the caller's transaction."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task.get_backend(), DatabaseBackend) and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
