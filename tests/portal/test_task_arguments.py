"""Tasks carry ids, never personal data: the task queue table must hold no address, name or text.

Every task of every first-party app is found (its ``tasks`` module, and any module that defines one)
and its parameters are checked by name: ids and a few codes only. A text a task needs (a mail's body)
lives in a row the task names by id, so erasure and retention reach it through the registry
(``portal.mail``). The erasure test (tests/dsar/test_erasure.py) checks the arguments actually enqueued.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from django.apps import apps
from django.conf import settings
from django_tasks.base import Task

ID = re.compile(r"^[a-z_]+_ids?$")
CODES = {
    "refs": "(model label, primary key) pairs",
    "processor": "a registered processor's code",
    "status": "a status code",
    "kind": "the kind of item (insight: post, idea, comment, chat message)",
}


def _first_party_modules():
    base = str(settings.BASE_DIR)
    for config in apps.get_app_configs():
        if not config.path.startswith(base) or "site-packages" in config.path:
            continue
        package = importlib.import_module(config.name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=config.name + "."):
            if any(part in info.name for part in (".migrations", ".management", ".tests", ".settings", "asgi", "wsgi")):
                continue
            yield importlib.import_module(info.name)


def _tasks() -> dict[str, Task]:
    found = {}
    for module in _first_party_modules():
        for name, value in vars(module).items():
            if isinstance(value, Task) and value.func.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_task_takes_only_ids_and_codes():
    tasks = _tasks()
    assert "portal.mail.deliver_mail" in tasks and "crm.tasks.deliver_outbox_message" in tasks
    offending = {
        path: refused for path, task in tasks.items() if (refused := _refused(inspect.signature(task.func).parameters))
    }
    assert offending == {}


def _refused(names) -> list[str]:
    return [name for name in names if not ID.match(name) and name not in CODES]


def test_the_check_refuses_an_address_a_name_and_a_text():
    assert _refused(["to", "email", "subject", "body", "user_id", "refs", "handle", "post_ids"]) == [
        "to",
        "email",
        "subject",
        "body",
        "handle",
    ]
