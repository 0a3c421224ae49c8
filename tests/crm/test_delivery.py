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


def _bulk_threads(forum, author, n: int) -> list:
    """``n`` published threads with their question, written in bulk: creating threads is not under test here."""
    from community.models import Post, Thread

    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(forum=forum, author=author, title=f"Quote request {i}", created_at=now, last_activity_at=now)
            for i in range(n)
        ]
    )
    Post.objects.bulk_create(
        [
            Post(
                thread=t,
                author=author,
                is_question=True,
                body=f"We want {i} seats.",
                body_html=f"<p>We want {i} seats.</p>",
            )
            for i, t in enumerate(threads)
        ]
    )
    return threads


def test_flaky_and_down_receiver_gets_every_card_exactly_once(
    forum, customer, moderator, tag, lead_rule, receiver_factory, crm_store, settings
):
    """1,000 tagged threads: the CRM is down at first, then fails 30% of requests (timeouts, 5xx, 429); all arrive once.

    A card the CRM took but answered too late for is sent again and deduplicated on its key: one task each.
    """
    settings.CRM_HTTP_TIMEOUT = 0.05  # a hanging CRM fails the attempt fast ...
    settings.CRM_BACKOFF_BASE_SECONDS = 0.5  # ... and retries come due within the minute the test waits per round
    settings.CRM_BACKOFF_CAP_SECONDS = 20
    rng = random.Random(2026)
    lock = threading.Lock()
    faults = {"timeout": 0, "5xx": 0, "429": 0}
    late: set[str] = set()

    def flaky(request):
        with lock:
            roll = rng.random()
        if roll < 0.10:
            with lock:
                faults["timeout"] += 1
                late.add(request.headers.get("webhook-id", ""))
            crm_store.accept(request)  # the CRM took it but answered too late
            return 0, {}, b""
        if roll < 0.20:
            with lock:
                faults["5xx"] += 1
            return rng.choice([500, 502, 503]), {}, {"error": "oops"}
        if roll < 0.30:
            with lock:
                faults["429"] += 1
            return 429, {"Retry-After": "30"}, {"error": "slow down"}
        return crm_store.accept(request)

    receiver = receiver_factory(flaky)
    receiver.hang_seconds = 0.3
    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=_closed_port_url())  # fully down
    for thread in _bulk_threads(forum, customer, 1000):
        tag(thread, moderator)
    assert OutboxMessage.objects.filter(state=OutboxState.FAILED, attempts=1).count() == 1000
    assert crm_store.tasks == {}

    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=receiver.url + "/hook")  # back, but flaky
    rounds = _drain(step=timedelta(minutes=1))

    keys = {str(k) for k in InterestCard.objects.values_list("key", flat=True)}
    assert len(keys) == 1000
    assert set(crm_store.tasks) == keys
    assert all(crm_store.tasks[key]["key"] == key for key in keys)
    attempts = {str(k): n for k, n in OutboxMessage.objects.values_list("card__key", "attempts")}
    assert all(crm_store.arrivals[key] <= attempts[key] for key in keys)  # a card arrives again only when sent again
    assert late <= {key for key, count in crm_store.arrivals.items() if count > 1}  # answered too late: sent again
    assert OutboxMessage.objects.filter(kind=OutboxKind.UPSERT).count() == 1000
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 1000
    assert InterestCard.objects.filter(state=CardState.SENT).count() == 1000
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


def _pending_cards(rule, member, n: int, django_capture_on_commit_callbacks, start: int = 0) -> list[InterestCard]:
    """Cards with their outbox rows committed but not sent yet (as if no worker had run)."""
    with django_capture_on_commit_callbacks(execute=False):
        return [
            services.card_create(
                rule=rule,
                source_type="forum_thread",
                source_id=70_000 + start + i,
                source_url=f"https://community.example.com/forums/t/{start + i}/",
                reply_url=f"https://community.example.com/forums/t/{start + i}/#reply",
                title=f"Card {start + i}",
                text="We want to buy.",
                product="Acme",
                member=member,
                automatic=False,
            )
            for i in range(n)
        ]


def _row(card) -> OutboxMessage:
    return OutboxMessage.objects.get(card=card)


def test_one_delivery_costs_a_fixed_number_of_queries(
    customer, lead_rule, crm_store, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """One send: the lease, loading the card, the consent check, and two guarded updates for the outcome."""
    first, second = _pending_cards(lead_rule, customer, 2, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # the member's CRM pseudonym is recorded once, on commit
        assert services.outbox_deliver(message_id=_row(first).pk) == OutboxState.SENT
    message_id = _row(second).pk

    with django_assert_num_queries(7) as captured:  # 5 statements; the outcome's transaction is a savepoint here
        assert services.outbox_deliver(message_id=message_id) == OutboxState.SENT
    statements = [q["sql"].split()[0] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert statements == ["UPDATE", "SELECT", "SELECT", "UPDATE", "UPDATE"]
    assert len(crm_store.tasks) == 2


def test_one_task_sends_the_other_due_rows_of_its_connection(
    customer, lead_rule, crm_store, receiver_factory, signing_secret, django_capture_on_commit_callbacks
):
    """A delivery task sends its row, then the connection's other due rows; another connection's rows wait."""
    from crm import tasks
    from crm.models import ActionType, ConnectionKind, TagRule

    other_store_requests = receiver_factory(lambda request: (200, {}, {"id": "x"}))
    other = services.connection_save(
        connection=CrmConnection(name="Other", kind=ConnectionKind.WEBHOOK, url=other_store_requests.url + "/hook"),
        secrets={"signing_secret": signing_secret},
    )
    bug_rule = TagRule.objects.create(tag="bug", action_type=ActionType.BUG, connection=other)
    cards = _pending_cards(lead_rule, customer, 5, django_capture_on_commit_callbacks)
    (elsewhere,) = _pending_cards(bug_rule, customer, 1, django_capture_on_commit_callbacks, start=100)

    result = tasks.deliver_outbox_message.enqueue(message_id=_row(cards[0]).pk)

    assert result.return_value == {"sent": 5, "failed": 0}
    assert sorted(crm_store.arrivals) == sorted(str(card.key) for card in cards)
    assert set(crm_store.arrivals.values()) == {1}
    assert {(_row(card).state, _row(card).attempts) for card in cards} == {(OutboxState.SENT, 1)}
    assert (_row(elsewhere).state, _row(elsewhere).attempts) == (OutboxState.PENDING, 0)
    assert other_store_requests.requests == []

    again = tasks.deliver_outbox_message.enqueue(message_id=_row(cards[3]).pk)  # its own task comes later
    assert again.return_value == {"sent": 0, "failed": 0}
    assert set(crm_store.arrivals.values()) == {1}


def test_a_task_stops_at_the_first_failure_and_hands_back_untried_rows(
    customer, lead_rule, receiver_factory, crm_store, django_capture_on_commit_callbacks
):
    """After a 503 the task stops: the failed row waits for its backoff, leased but untried rows are as before."""
    from crm import tasks

    answers = iter([None, (503, {}, {"error": "busy"})])
    receiver = receiver_factory(lambda request: next(answers, None) or crm_store.accept(request))
    CrmConnection.objects.filter(pk=lead_rule.connection_id).update(url=receiver.url + "/hook")
    cards = _pending_cards(lead_rule, customer, 5, django_capture_on_commit_callbacks)
    OutboxMessage.objects.filter(card=cards[2]).update(state=OutboxState.FAILED, attempts=3, last_error="HTTP 502")
    due_since = _row(cards[2]).next_attempt_at

    result = tasks.deliver_outbox_message.enqueue(message_id=_row(cards[0]).pk)

    assert result.return_value == {"sent": 1, "failed": 1}
    assert len(receiver.requests) == 2  # the first row, then the second one, refused
    assert (_row(cards[0]).state, _row(cards[0]).attempts) == (OutboxState.SENT, 1)
    failed = _row(cards[1])
    assert (failed.state, failed.attempts, failed.lease_until) == (OutboxState.FAILED, 1, None)
    assert failed.next_attempt_at > timezone.now()
    handed_back = _row(cards[2])  # leased with the second row, never tried
    assert (handed_back.state, handed_back.attempts, handed_back.lease_until) == (OutboxState.FAILED, 3, None)
    assert (handed_back.next_attempt_at, handed_back.last_error) == (due_since, "HTTP 502")
    assert {(_row(card).state, _row(card).attempts) for card in cards[3:]} == {(OutboxState.PENDING, 0)}
    assert list(crm_store.tasks) == [str(cards[0].key)]


def test_a_task_sends_at_most_the_configured_number_of_rows(
    customer, lead_rule, crm_store, settings, django_capture_on_commit_callbacks
):
    """CRM_DRAIN_MAX_ROWS bounds one task; the rest stay due for their own tasks and the sweep."""
    from crm import tasks

    settings.CRM_DRAIN_MAX_ROWS = 3
    cards = _pending_cards(lead_rule, customer, 6, django_capture_on_commit_callbacks)

    assert tasks.deliver_outbox_message.enqueue(message_id=_row(cards[0]).pk).return_value == {"sent": 3, "failed": 0}
    assert len(crm_store.tasks) == 3
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING, attempts=0, lease_until=None).count() == 3
    assert services.outbox_sweep() == {"recovered": 0, "enqueued": 3}
    assert len(crm_store.tasks) == 6


def test_backoff_is_configurable_in_settings(settings):
    """CRM_BACKOFF_BASE_SECONDS and CRM_BACKOFF_CAP_SECONDS shape the delays; Retry-After still wins."""
    settings.CRM_BACKOFF_BASE_SECONDS = 0.5
    settings.CRM_BACKOFF_CAP_SECONDS = 20
    random.seed(3)
    assert 0.25 <= services.backoff_seconds(1) <= 0.5
    assert 2.0 <= services.backoff_seconds(4) <= 4.0
    assert 10.0 <= services.backoff_seconds(12) <= 20.0
    assert services.backoff_seconds(1, retry_after=30) == 30
