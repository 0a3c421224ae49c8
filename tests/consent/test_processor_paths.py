"""No code path mails a member, writes a CRM outbox row, pushes to a CRM or calls out over HTTP without asking.

An AST scan of the apps' code (not tests, not migrations): every function that sends (a mail call,
a CRM push, a new outbox row, an outgoing HTTP call) must itself call ``may_process(...)``, or be
listed below with the reason it needs none. A function that uses an unchecked sender (or a listed
one whose callers decide whom it reaches) must in turn ask ``may_process`` or be listed. Handing an existing outbox row to the worker again is not a send:
the push itself (``delivery._send``) asks when the row leaves.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "theme", "consent", "community", "ideas", "knowledgebase", "crm", "api", "insight", "intake")

MAIL_CALLS = {"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "EmailMessage", "EmailMultiAlternatives"}
CRM_CALLS = {"upsert_task", "_queue"}
HTTP_MODULES = {"httpx", "requests", "urllib3"}
HTTP_EXEMPT_PACKAGES = ("crm/adapters/",)  # the adapters are the delivery itself, reached only through _send
GUARD = "may_process"

ALLOWED = {
    "crm/services/redaction.py:member_redact": "takes the identity back out of the CRM: the withdrawal itself",
    "crm/services/redaction.py:_redact_erased": "takes an erased member's identity back out: the erasure itself",
    "crm/services/retention_copies.py:card_texts_purge": "takes a purged chat's text back out of the CRM: retention",
    "crm/apps.py:_register_retention_copies": "registers card_texts_purge for the retention run (the purge above)",
    "crm/services/staff_actions.py:card_claim": "an update of an existing card; delivery._send asks before it leaves",
    "crm/services/cards.py:_card_insert": "the shared insert of card_create and outside_card_create, which both ask first",
    "crm/services/demo_receiver.py:demo_status_report": "the demo CRM calls the portal's own inbound hook",
    "consent/witness.py:_to_email": "mails a signed ledger checkpoint (a size and hashes, no member's data) to a witness",
    "consent/witness.py:_to_http": "posts a signed ledger checkpoint (a size and hashes, no member's data) to a witness",
    "consent/witness.py:witnessed_roots": "fetches a witness's copy of the signed checkpoints; sends nothing",
    "intake/services.py:feed_poll": "fetches a public RSS/Atom feed (a conditional GET); sends nothing about anyone",
    "intake/services.py:feeds_poll": "calls feed_poll for every active feed (the fetch above)",
}
# Listed senders whose callers decide whom they reach, so each caller asks or is listed too.
# (Mail to members is queued with ``portal.mail.mail_queue`` under a processor code; ``deliver_mail``
# asks ``may_process`` for that code when the mail leaves, so queueing is not sending.)
CALLERS_CHECKED: set[str] = set()


def _sources() -> dict[str, str]:
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")) if (ROOT / app).is_dir() else ():
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or "/tests/" in relative:
                continue
            found[relative] = path.read_text()
    return found


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_http_call(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in HTTP_MODULES


def _functions(tree: ast.Module):
    """Top-level functions and methods (nested functions count as part of the one they are in)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def violations(sources: dict[str, str]) -> list[str]:
    """``path:function`` of every sender that neither asks ``may_process`` nor is in ``ALLOWED``."""
    facts = {}
    for path, text in sources.items():
        http_exempt = path.startswith(HTTP_EXEMPT_PACKAGES)
        for name, function in _functions(ast.parse(text)):
            calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)]
            called = {_name(node.func) for node in calls}
            sends = bool(called & (MAIL_CALLS | CRM_CALLS)) or (
                not http_exempt and any(_is_http_call(node) for node in calls)
            )
            names = {_name(node) for node in ast.walk(function) if isinstance(node, (ast.Name, ast.Attribute))}
            facts[f"{path}:{name}"] = (sends, GUARD in called, names)
    unguarded_senders = {
        key.rsplit(":", 1)[1]
        for key, (sends, guarded, _) in facts.items()
        if sends and not guarded and (key not in ALLOWED or key in CALLERS_CHECKED)
    }
    found = []
    for key, (sends, guarded, names) in facts.items():
        if guarded or key in ALLOWED:
            continue
        own = key.rsplit(":", 1)[1]
        if sends or (names & unguarded_senders) - {own}:
            found.append(key)
    return sorted(found)


def test_every_sending_path_asks_may_process():
    """Mail, CRM rows and pushes, and outgoing HTTP calls go through a registered processor's check."""
    assert violations(_sources()) == []


def test_every_allowance_still_names_a_function():
    """A listed exception whose function was renamed or removed is dropped, not left to cover a new one."""
    sources = _sources()
    present = {f"{path}:{name}" for path, text in sources.items() for name, _ in _functions(ast.parse(text))}
    assert sorted(set(ALLOWED) - present) == []


def test_the_scan_catches_a_path_that_mails_without_asking():
    """A deliberate violation is found: a direct mail, a task used without the check, and a CRM row."""
    sources = {
        "community/fake.py": (
            "from django.core.mail import send_mail\n"
            "from portal.tasks import send_address_email\n"
            "def shout(user):\n"
            "    send_mail('s', 'b', 'from@example.com', [user.email])\n"
            "def sneak(user):\n"
            "    enqueue_on_commit(send_address_email, to=user.email, subject='s', body='b')\n"
            "def polite(user):\n"
            "    if may_process(user, 'community.notifications'):\n"
            "        send_mail('s', 'b', 'from@example.com', [user.email])\n"
        ),
        "portal/tasks.py": "def send_address_email(*, to, subject, body):\n    EmailMessage(to=[to]).send()\n",
        "crm/fake.py": "def sneak_card(card):\n    _queue(card, 'upsert')\n",
        "api/fake.py": "import httpx\ndef push(member):\n    httpx.post('https://example.com', json={})\n",
    }
    assert violations(sources) == [
        "api/fake.py:push",
        "community/fake.py:shout",
        "community/fake.py:sneak",
        "crm/fake.py:sneak_card",
        "portal/tasks.py:send_address_email",
    ]
