"""The outbox under faults: retries with backoff, Retry-After, dead letters, the sweep, and nothing lost or doubled."""

from __future__ import annotations

import random
import socket
import threading
from datetime import timedelta

import time_machine
from django.utils import timezone

from crm import services
from crm.models import CardState, CrmConnection, InterestCard, OutboxKind, OutboxMessage, OutboxState
from crm.signing import new_secret


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hook"


def _drain(*, max_rounds: int = 40, step: timedelta = timedelta(hours=2)) -> int:
    """Let time pass and run the sweep until no row is open; returns the rounds it took."""
    now = timezone.now()
    for round_ in range(1, max_rounds + 1):
        now += step
        with time_machine.travel(now, tick=True):
            services.outbox_sweep(limit=10_000)
        if not OutboxMessage.objects.filter(state__in=services.OPEN_STATES).exists():
            return round_
    return max_rounds


def test_backoff_grows_with_jitter_and_honours_retry_after():
    """Delays double per attempt within a jittered band, cap at an hour, and never undercut Retry-After."""
    random.seed(7)
    for attempt, ceiling in ((1, 2.0), (2, 4.0), (5, 32.0), (30, 3600.0)):
        delay = services.backoff_seconds(attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert services.backoff_seconds(1, retry_after=120) == 120
    assert services.backoff_seconds(1, retry_after=10 * 24 * 3600) == 24 * 3600


def test_5xx_schedules_a_retry_then_succeeds(thread, moderator, tag, lead_rule, receiver_factory, crm_store):
    """A 503 leaves the row failed with a later attempt; the sweep sends it once it is due."""
    answers = iter([(503, {}, {"error": "busy"})])
    receiver = receiver_factory(lambda request: next(answers, None) or crm_store.accept(request))
    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=receiver.url + "/hook")
    before = timezone.now()
    tag(thread, moderator)

    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.FAILED
    assert message.attempts == 1
    assert "HTTP 503" in message.last_error
    assert before + timedelta(seconds=1) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=2)
    assert services.outbox_sweep() == {"recovered": 0, "enqueued": 0}  # not due yet
    assert crm_store.tasks == {}

    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=True):
        assert services.outbox_sweep() == {"recovered": 0, "enqueued": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (OutboxState.SENT, 2, "")
    assert list(crm_store.tasks) == [str(message.card.key)]


def test_429_honours_retry_after(thread, moderator, tag, lead_rule, receiver_factory, crm_store):
    """A 429 with Retry-After: 120 is not tried again before two minutes have passed."""
    receiver = receiver_factory(lambda request: (429, {"Retry-After": "120"}, {"error": "slow down"}))
    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=receiver.url + "/hook")
    tag(thread, moderator)

    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.FAILED
    assert message.next_attempt_at >= message.updated_at + timedelta(seconds=120)
    with time_machine.travel(message.updated_at + timedelta(seconds=100), tick=False):
        assert services.outbox_sweep()["enqueued"] == 0
    assert len(receiver.requests) == 1


def test_other_4xx_is_dead_at_once_and_staff_can_retry(
    thread, moderator, tag, lead_rule, receiver_factory, crm_store, django_capture_on_commit_callbacks
):
    """A 422 will not change by waiting: the row is dead after one attempt; a staff retry sends it again."""
    broken = {"on": True}
    receiver = receiver_factory(
        lambda request: (422, {}, {"error": "bad"}) if broken["on"] else crm_store.accept(request)
    )
    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=receiver.url + "/hook")
    tag(thread, moderator)

    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == (OutboxState.DEAD, 1)
    assert InterestCard.objects.get().state == CardState.DEAD
    assert services.outbox_sweep() == {"recovered": 0, "enqueued": 0}
    assert len(receiver.requests) == 1

    broken["on"] = False
    with django_capture_on_commit_callbacks(execute=True):
        services.outbox_retry(message=message, user=moderator)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 1)
    assert InterestCard.objects.get().state == CardState.SENT
    assert len(crm_store.tasks) == 1


def test_worker_killed_mid_send_is_recovered_by_the_sweep(
    thread, moderator, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """A row left "sending" by a dead worker stays put while its lease runs, then the sweep sends it once."""
    from community import services as community

    with django_capture_on_commit_callbacks(execute=False) as tag_callbacks:
        community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    with django_capture_on_commit_callbacks(execute=False):
        for callback in tag_callbacks:
            callback()  # the card and its row are committed; the send task is lost with the worker
    message = OutboxMessage.objects.get()
    assert services._lease(message.pk, timezone.now()) is True  # the worker took the row ... and died
    message.refresh_from_db()
    assert message.state == OutboxState.SENDING

    assert services.outbox_sweep() == {"recovered": 0, "enqueued": 0}
    assert crm_store.tasks == {}
    with time_machine.travel(timezone.now() + services.LEASE + timedelta(seconds=1), tick=True):
        assert services.outbox_sweep() == {"recovered": 1, "enqueued": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 2)
    assert crm_store.arrivals == {str(message.card.key): 1}


def test_two_workers_never_both_send_one_row(
    thread, moderator, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """Only one of two concurrent deliveries of the same row leases it; the other skips."""
    from community import services as community

    with django_capture_on_commit_callbacks(execute=False) as tag_callbacks:
        community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    with django_capture_on_commit_callbacks(execute=False):
        for callback in tag_callbacks:
            callback()
    message = OutboxMessage.objects.get()
    first = services.outbox_deliver(message_id=message.pk)
    second = services.outbox_deliver(message_id=message.pk)

    assert (first, second) == (OutboxState.SENT, "skipped")
    assert crm_store.arrivals == {str(message.card.key): 1}


def test_flaky_and_down_receiver_gets_every_card_exactly_once(
    make_thread, customer, moderator, tag, lead_rule, receiver_factory, crm_store
):
    """200 cards: the CRM is down at first, then fails 30% of requests (timeouts, 5xx, 429); all arrive once."""
    rng = random.Random(2026)
    lock = threading.Lock()
    faults = {"timeout": 0, "5xx": 0, "429": 0}

    def flaky(request):
        with lock:
            roll = rng.random()
        if roll < 0.10:
            faults["timeout"] += 1
            crm_store.accept(request)  # the CRM took it but answered too late
            return 0, {}, b""
        if roll < 0.20:
            faults["5xx"] += 1
            return rng.choice([500, 502, 503]), {}, {"error": "oops"}
        if roll < 0.30:
            faults["429"] += 1
            return 429, {"Retry-After": "30"}, {"error": "slow down"}
        return crm_store.accept(request)

    receiver = receiver_factory(flaky)
    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=_closed_port_url())  # fully down
    threads = [make_thread(customer, title=f"Quote request {n}") for n in range(200)]
    for thread in threads:
        tag(thread, moderator)
    assert OutboxMessage.objects.filter(state=OutboxState.FAILED).count() == 200
    assert crm_store.tasks == {}

    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=receiver.url + "/hook")  # back, but flaky
    rounds = _drain()

    keys = {str(k) for k in InterestCard.objects.values_list("key", flat=True)}
    assert len(keys) == 200
    assert set(crm_store.tasks) == keys
    assert all(crm_store.tasks[key]["key"] == key for key in keys)
    assert OutboxMessage.objects.filter(kind=OutboxKind.UPSERT).count() == 200
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 200
    assert InterestCard.objects.filter(state=CardState.SENT).count() == 200
    assert crm_store.rejected == 0
    assert min(faults.values()) > 0
    assert rounds < 40


def test_connection_credentials_are_encrypted_at_rest(db, django_assert_num_queries):
    """The stored credentials never contain the secret in clear and decrypt to it."""
    secret = new_secret()
    connection = services.connection_save(
        connection=CrmConnection(name="X", kind="webhook", url="https://crm.example.com/hook"),
        secrets={"signing_secret": secret},
    )
    stored = CrmConnection.objects.values_list("credentials", flat=True).get(pk=connection.pk)
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    assert CrmConnection.objects.get(pk=connection.pk).secrets() == {"signing_secret": secret}

    services.connection_save(connection=connection, secrets={"signing_secret": "", "api_token": ""})
    assert CrmConnection.objects.get(pk=connection.pk).secrets() == {"signing_secret": secret}


def test_crm_sweep_command_recovers_and_reports(
    thread, moderator, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """``manage.py crm_sweep`` (cron, every minute) takes back expired leases and sends due rows."""
    import io

    from django.core.management import call_command

    from community import services as community

    with django_capture_on_commit_callbacks(execute=False) as tag_callbacks:
        community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    with django_capture_on_commit_callbacks(execute=False):
        for callback in tag_callbacks:
            callback()
    message = OutboxMessage.objects.get()
    services._lease(message.pk, timezone.now())
    out = io.StringIO()
    with time_machine.travel(timezone.now() + services.LEASE + timedelta(seconds=1), tick=True):
        call_command("crm_sweep", "--no-poll", stdout=out)
    assert out.getvalue().strip() == "recovered=1 enqueued=1 status_updates=0"
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert len(crm_store.tasks) == 1
