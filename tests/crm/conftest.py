"""Fixtures of the CRM tests: a forum thread, tag rules, and real HTTP receivers on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from community import services as community
from community.models import Forum, ModerationSettings
from crm import services
from crm.models import ActionType, AssigneeStrategy, ConnectionKind, CrmConnection, Priority, TagRule
from crm.signing import new_secret


@pytest.fixture(autouse=True)
def _no_first_post_hold(db):
    """Threads publish at once, so their first post is the question the card carries."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.posts_per_hour = 100_000
    config.save()


@pytest.fixture(autouse=True)
def _fast_timeouts(settings):
    """A receiver that hangs fails the attempt within a fraction of a second."""
    settings.CRM_HTTP_TIMEOUT = 0.5
    settings.PORTAL_BASE_URL = "https://community.example.com"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server in a thread; ``handler(request) -> (status, headers, body)`` decides each answer."""

    handler: Callable[[Request], tuple[int, dict, bytes | dict]]
    hang_seconds: float = 1.0  # how long status 0 ("hang") keeps the client waiting; past CRM_HTTP_TIMEOUT
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer's body waits 40 ms for a delayed ACK

            def _serve(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.requests.append(request)
                status, headers, answer = receiver.handler(request)
                if status == 0:  # hang past the client's timeout
                    time.sleep(receiver.hang_seconds)
                    status, headers, answer = 200, {}, {"late": True}
                data = json.dumps(answer).encode() if isinstance(answer, (dict, list)) else answer
                try:
                    self.send_response(status)
                    for name, value in {"content-type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    started: list[Receiver] = []

    def make(handler) -> Receiver:
        receiver = Receiver(handler=handler).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


class CrmStore:
    """What a webhook CRM keeps: one task per verified ``webhook-id`` (its idempotency key)."""

    def __init__(self, secret: str):
        self.verifier = Webhook(secret)
        self.tasks: dict[str, dict] = {}
        self.arrivals: dict[str, int] = {}
        self.rejected = 0
        self.lock = threading.Lock()

    def accept(self, request: Request) -> tuple[int, dict, dict]:
        try:
            payload = self.verifier.verify(request.body.decode(), request.headers)
        except WebhookVerificationError:
            with self.lock:
                self.rejected += 1
            return 401, {}, {"error": "bad signature"}
        key = request.headers["webhook-id"]
        with self.lock:
            self.tasks[key] = payload
            self.arrivals[key] = self.arrivals.get(key, 0) + 1
        return 200, {}, {"id": f"task-{key[:8]}", "url": f"https://crm.example.com/tasks/{key}"}


@pytest.fixture
def signing_secret():
    return new_secret()


@pytest.fixture
def crm_store(signing_secret):
    return CrmStore(signing_secret)


@pytest.fixture
def webhook_receiver(receiver_factory, crm_store):
    return receiver_factory(crm_store.accept)


@pytest.fixture
def webhook_connection(db, webhook_receiver, signing_secret):
    return services.connection_save(
        connection=CrmConnection(name="Test CRM", kind=ConnectionKind.WEBHOOK, url=webhook_receiver.url + "/hook"),
        secrets={"signing_secret": signing_secret},
    )


@pytest.fixture
def lead_rule(webhook_connection):
    return TagRule.objects.create(
        tag="lead",
        action_type=ActionType.LEAD,
        priority=Priority.HIGH,
        due_in_days=2,
        assignee_strategy=AssigneeStrategy.CLAIM,
        connection=webhook_connection,
        keywords="pricing\nenterprise plan",
    )


@pytest.fixture
def forum(db):
    return Forum.objects.create(name="Acme Cloud", slug="acme-cloud", product="Acme Cloud")


@pytest.fixture
def make_thread(forum, django_capture_on_commit_callbacks):
    def make(author, title="Can we get a quote?", body="We are 40 people and want to buy."):
        with django_capture_on_commit_callbacks(execute=True):
            return community.thread_create(forum=forum, author=author, title=title, body=body)

    return make


@pytest.fixture
def thread(make_thread, customer):
    return make_thread(customer)


@pytest.fixture
def tag(django_capture_on_commit_callbacks):
    """Tag a thread the way the forum does, running the after-commit effects (event, card, send)."""

    def do(thread, actor, name="lead"):
        with django_capture_on_commit_callbacks(execute=True):
            return community.thread_tag_add(thread=thread, name=name, actor=actor)

    return do


@pytest.fixture
def make_chat(moderator, django_capture_on_commit_callbacks):
    """A support chat the way the console has it: the member's lines, a moderator who took it and answered."""
    from community.chat import services as chat_services

    def make(member, *, topic="Buying 40 seats", lines=("We want to buy 40 seats.",), answer="Happy to help!"):
        with django_capture_on_commit_callbacks(execute=True):
            chat = chat_services.chat_start(member=member, topic=topic, body=lines[0])
            chat = chat_services.chat_take(chat=chat, moderator=moderator)
            for line in lines[1:]:
                chat_services.message_post(chat=chat, author=member, body=line)
            chat_services.message_post(chat=chat, author=moderator, body=answer)
        return chat

    return make


@pytest.fixture
def tag_chat(django_capture_on_commit_callbacks):
    """Tag a chat in the console, running the after-commit effects (event, card, send)."""
    from community.chat import services as chat_services

    def do(chat, actor, name="lead"):
        with django_capture_on_commit_callbacks(execute=True):
            return chat_services.chat_tag_add(chat=chat, actor=actor, name=name)

    return do


@pytest.fixture
def board(db):
    from ideas.models import Board

    return Board.objects.create(name="Acme Reports", slug="acme-reports", description="Reporting")


@pytest.fixture
def make_idea(board):
    from ideas import services as idea_services

    def make(author, *, title="Export reports as PDF", body="We need PDF exports for 40 seats."):
        return idea_services.idea_create(board=board, author=author, title=title, body=body)

    return make


@pytest.fixture
def tag_idea(django_capture_on_commit_callbacks):
    """Set an idea's tags in the review console (status and response unchanged), running the after-commit effects."""
    from ideas import services as idea_services

    def do(idea, actor, *names):
        with django_capture_on_commit_callbacks(execute=True):
            return idea_services.idea_set_status(
                idea=idea, by=actor, status=idea.status, response=idea.public_response, tags=list(names)
            )

    return do
