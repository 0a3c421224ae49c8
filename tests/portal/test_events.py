"""Domain events and task enqueues have one mechanism: ``portal.events``, keyword-only, after commit."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django_tasks import task

from portal.events import Event, enqueue_on_commit

RUNS: list[int] = []


@task()
def _record_run(*, value: int) -> None:
    RUNS.append(value)


def _app_roots() -> list[Path]:
    """Every installed app that lives in this repository; a nested app (consent.dsar) is part of its parent's tree."""
    base = Path(settings.BASE_DIR).resolve()
    paths = sorted(
        path
        for path in (Path(config.path).resolve() for config in apps.get_app_configs())
        if path.is_relative_to(base) and not path.is_relative_to(base / ".venv")
    )
    roots: list[Path] = []
    for path in paths:
        if not any(path.is_relative_to(root) for root in roots):
            roots.append(path)
    return roots


def _sources() -> list[Path]:
    return sorted(
        path for root in _app_roots() for path in root.rglob("*.py") if "migrations" not in path.relative_to(root).parts
    )


def _signal_names(tree: ast.Module) -> set[str]:
    """Local names bound to ``django.dispatch.Signal`` by ``from django.dispatch import Signal [as X]``."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("django.dispatch", "django.dispatch.dispatcher")
        for alias in node.names
        if alias.name == "Signal"
    }


def _offences(source: str, where: str) -> list[str]:
    tree = ast.parse(source, filename=where)
    signal_names = _signal_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if (isinstance(func, ast.Name) and name in signal_names) or (
            isinstance(func, ast.Attribute) and name == "Signal"
        ):
            found.append(f"{where}:{node.lineno} django.dispatch.Signal()")
        if name == "on_commit":
            callbacks = [*node.args[:1], *(kw.value for kw in node.keywords if kw.arg == "func")]
            if any(isinstance(callback, ast.Lambda) for callback in callbacks):
                found.append(f"{where}:{node.lineno} on_commit(lambda ...)")
    return found


def test_the_scan_covers_every_first_party_app():
    """The scan reads every app of the repository, nested ones included, and skips migrations."""
    base = Path(settings.BASE_DIR).resolve()
    roots = {str(root.relative_to(base)) for root in _app_roots()}
    assert {"portal", "theme", "consent", "community", "ideas", "knowledgebase", "crm"} <= roots
    scanned = {str(path.relative_to(base)) for path in _sources()}
    assert {"consent/dsar/events.py", "community/chat/services.py", "crm/services/outbox.py"} <= scanned
    assert not any("/migrations/" in path for path in scanned)


def test_the_scan_finds_what_it_forbids():
    """A Signal() and a hand-written on_commit lambda in a module are both reported, with their lines."""
    source = (
        "from django.db import transaction\n"
        "from django.dispatch import Signal as Hook\n"
        "import django.dispatch\n"
        "a = Hook()\n"
        "b = django.dispatch.Signal()\n"
        "transaction.on_commit(lambda: None)\n"
        "on_commit(func=lambda: None)\n"
        "transaction.on_commit(print)\n"
    )
    assert _offences(source, "probe.py") == [
        "probe.py:4 django.dispatch.Signal()",
        "probe.py:5 django.dispatch.Signal()",
        "probe.py:6 on_commit(lambda ...)",
        "probe.py:7 on_commit(lambda ...)",
    ]


def test_no_django_signal_and_no_on_commit_lambda_in_app_code():
    """Domain events are ``portal.events.Event``s sent with ``send_on_commit``; tasks go through ``enqueue_on_commit``."""
    base = Path(settings.BASE_DIR).resolve()
    offences = [
        offence
        for path in _sources()
        for offence in _offences(path.read_text(encoding="utf-8"), str(path.relative_to(base)))
    ]
    assert offences == []


def _events() -> dict[str, Event]:
    found = {}
    for path in _sources():
        if path.name != "events.py":
            continue
        dotted = ".".join(path.relative_to(Path(settings.BASE_DIR).resolve()).with_suffix("").parts)
        module = importlib.import_module(dotted)
        for attr, value in vars(module).items():
            if isinstance(value, Event):
                found[f"{dotted}.{attr}"] = value
    return found


def test_every_receiver_connected_at_start_up_takes_keyword_arguments_only():
    """Receivers connected by the apps take keyword arguments only, so an event can gain a field safely."""
    events = _events()
    assert {
        "consent.events.consent_changed",
        "consent.dsar.events.member_erased",
        "consent.dsar.events.member_rectified",
        "consent.dsar.events.processing_restricted",
        "ideas.events.idea_status_changed",
        "ideas.events.idea_merged",
        "ideas.events.idea_tagged",
        "community.events.thread_tagged",
        "community.chat.events.chat_tagged",
    } <= set(events)
    connected = {
        (name, f"{receiver.__module__}.{receiver.__qualname__}")
        for name, event in events.items()
        for receiver in event._receivers
    }
    assert {
        ("community.events.thread_tagged", "crm.receivers.on_thread_tagged"),
        ("community.events.post_created", "crm.receivers.on_post_created"),
        ("community.chat.events.chat_tagged", "crm.receivers.on_chat_tagged"),
        ("ideas.events.idea_tagged", "crm.receivers.on_idea_tagged"),
        ("consent.events.consent_changed", "crm.receivers.on_consent_changed"),
        ("consent.dsar.events.member_erased", "crm.receivers.on_member_erased"),
    } <= connected
    positional = {
        f"{name}: {receiver.__module__}.{receiver.__qualname__}"
        for name, event in events.items()
        for receiver in event._receivers
        for parameter in inspect.signature(receiver).parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD, parameter.VAR_POSITIONAL)
    }
    assert positional == set()


def test_connect_refuses_a_positional_receiver():
    """A receiver in Django's ``(sender, **kwargs)`` shape is refused and not connected."""
    event = Event("probe")

    def old_style(sender, **kwargs):
        pass

    with pytest.raises(TypeError, match="keyword-only"):
        event.connect(old_style)
    assert event._receivers == []
    assert event.has_receivers is False


@pytest.mark.django_db
def test_send_on_commit_sends_once_after_commit_and_never_on_rollback(django_capture_on_commit_callbacks):
    """Receivers hear of a write only once it is committed; a rolled-back write is never announced."""
    event = Event("probe")
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    event.connect(receiver)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            event.send_on_commit(value=1)
            raise RuntimeError("rolled back")
    assert callbacks == []
    assert received == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            event.send_on_commit(value=2)
        assert received == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert received == [{"value": 2}]


@pytest.mark.django_db
def test_enqueue_on_commit_enqueues_after_commit_only(django_capture_on_commit_callbacks):
    """The worker gets the task once the write is committed; a rolled-back write enqueues nothing."""
    RUNS.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit(_record_run, value=1)
            raise RuntimeError("rolled back")
    assert callbacks == []
    assert RUNS == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            enqueue_on_commit(_record_run, value=2)
        assert RUNS == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert RUNS == [2]
