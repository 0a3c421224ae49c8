"""Background work every app shares: search index updates, recovery of tasks whose worker died (mail: portal.mail)."""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django_tasks import task
from wagtail.search import index

# The privacy core installs its check here at start-up (consent.apps): the foundation cannot import it.
_processing_check = None


def set_processing_check(check) -> None:
    """Install ``consent.processors.may_process``, which every mail to a member asks before it leaves."""
    global _processing_check
    _processing_check = check


def may_process(member, processor: str) -> bool:
    """``consent.processors.may_process`` for the foundation; refuses everything until consent installed it."""
    return _processing_check is not None and _processing_check(member, processor)


@task(queue_name="default")
def reindex(*, refs: list) -> int:
    """Bring the search index up to date for (model label, pk) pairs after a write; returns the rows indexed.

    Apps index explicitly after commit (``search_auto_update = False``), so a row that is gone, or
    no longer among its model's indexed objects, is removed from the index here.
    """
    pks_by_label: dict[str, list] = defaultdict(list)
    for label, pk in refs:
        pks_by_label[label].append(pk)
    done = 0
    for label, pks in pks_by_label.items():
        model = apps.get_model(label)
        rows = model.get_indexed_objects().in_bulk(pks)
        for pk in pks:
            row = rows.get(pk)
            if row is None:
                index.remove_object(model(pk=pk))
            else:
                index.insert_or_update_object(row)
                done += 1
    return done


@task(queue_name="default")
def recover_lost_tasks() -> dict[str, int]:
    """Every minute: re-queue, or after too many lost workers fail, tasks whose worker stopped its heartbeat."""
    from portal import task_leases

    return task_leases.recover_lost_tasks()
