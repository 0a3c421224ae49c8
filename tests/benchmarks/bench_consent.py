"""Consent: has_consent queries and time, ledger append time, verification of 100,000 events."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tests.benchmarks.timing import count_queries

EVENTS = 100_000


def _member(email: str):
    from portal.models import User

    return User.objects.with_email(email).first() or User.objects.create_user(email=email, password="bench-password-1")


def _bulk_events(count: int) -> None:
    """Append ``count`` well-formed entries straight into the table (precomputed hashes, signed checkpoints)."""
    from consent import ledger, merkle
    from consent.models import ConsentEvent, LedgerCheckpoint, LedgerHead

    with transaction.atomic():
        head = ledger._locked_head()
        size, prev = head.size, head.last_leaf_hash
        frontier = [bytes.fromhex(h) for h in head.frontier]
        # Each checkpoint carries its frontier and the RFC 6962 proof from the one before, as the ledger writes them.
        last = LedgerCheckpoint.objects.order_by("-tree_size").first()
        previous = (last.tree_size, [bytes.fromhex(h) for h in last.frontier]) if last else None
        since = [
            bytes.fromhex(h)
            for h in ConsentEvent.objects.filter(index__gte=last.tree_size if last else 0)
            .order_by("index")
            .values_list("leaf_hash", flat=True)
        ]
        start = timezone.now() - timedelta(days=400)
        rows, checkpoints = [], []
        uuid_field = ConsentEvent._meta.get_field("record_id")
        q = connection.ops.quote_name
        columns = (
            "index",
            "record_id",
            "subject",
            "purpose_code",
            "kind",
            "state",
            "created_at",
            "payload",
            "leaf_hash",
            "proof",
        )
        sql = (
            f"INSERT INTO {q(ConsentEvent._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

        def insert(batch):
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)

        for i in range(size, size + count):
            moment = start + timedelta(seconds=i)
            record_id = str(uuid.uuid4())
            subject = f"{i % 5000:064x}"
            state, kind = ("granted", "grant") if i % 3 else ("withdrawn", "withdraw")
            entry = ledger.entry_for(
                index=i,
                prev=prev,
                record_id=record_id,
                subject=subject,
                purpose="analytics",
                kind=kind,
                state=state,
                time=moment,
                notice_version=1,
                notice_hash="0" * 64,
                language="en",
                method="web",
                evidence={"ip": "", "user_agent": "", "token": ""},
            )
            leaf = merkle.leaf_hash(entry.encode())
            proof = merkle.last_leaf_path(frontier)
            frontier = merkle.frontier_append(frontier, i, leaf)
            prev = leaf.hex()
            rows.append(
                (
                    i,
                    uuid_field.get_db_prep_save(record_id, connection),
                    subject,
                    "analytics",
                    kind,
                    state,
                    connection.ops.adapt_datetimefield_value(moment),
                    entry,
                    prev,
                    " ".join(h.hex() for h in proof),
                )
            )
            since.append(leaf)
            if (i + 1) % settings.CONSENT_CHECKPOINT_EVERY == 0:
                proof = merkle.consistency_proof(previous[0], previous[1], since) if previous else []
                checkpoints.append((i + 1, merkle.frontier_root(frontier), moment, list(frontier), proof))
                previous, since = (i + 1, list(frontier)), []
            if len(rows) == 5000:
                insert(rows)
                rows = []
        insert(rows)
        for tree_size, root, moment, peaks, proof in checkpoints:
            statement = {"tree_size": tree_size, "root_hash": root.hex(), "created_at": ledger.iso_utc(moment)}
            from consent.receipts import sign

            LedgerCheckpoint.objects.create(
                tree_size=tree_size,
                root_hash=root.hex(),
                created_at=moment,
                signature=sign(statement),
                frontier=[h.hex() for h in peaks],
                consistency=" ".join(h.hex() for h in proof),
            )
        LedgerHead.objects.filter(pk=1).update(
            size=size + count, last_leaf_hash=prev, frontier=[h.hex() for h in frontier]
        )


def run(report):
    from consent import ledger, selectors, services
    from portal.models import User

    member = _member("bench-consent@example.com")
    services.consent_grant(user=member, purpose="analytics")
    selectors.has_consent(member, "analytics")  # purpose catalogue warm

    cold = User.objects.get(pk=member.pk)  # a fresh object, as each request or task has
    report("consent.has_consent.queries", count_queries(lambda: selectors.has_consent(cold, "analytics")))
    fresh = [User.objects.get(pk=member.pk) for _ in range(2000)]
    samples = []
    for user in fresh:
        started = time.perf_counter()
        selectors.has_consent(user, "analytics")
        samples.append((time.perf_counter() - started) * 1_000_000)
    report("consent.has_consent.p50_us", statistics.median(samples), "µs")

    samples = []
    for i in range(300):
        started = time.perf_counter()
        services.consent_set(user=member, purpose="crm_followup", granted=i % 2 == 0)
        samples.append((time.perf_counter() - started) * 1000)
    report("consent.append.p50_ms", statistics.median(samples), "ms")

    started = time.perf_counter()
    _bulk_events(EVENTS)
    report("consent.generate_100k_s", time.perf_counter() - started, "s")
    started = time.perf_counter()
    result = ledger.verify()
    seconds = time.perf_counter() - started
    assert result.ok, result.problem
    assert result.size >= EVENTS
    report("consent.verify_100k_s", seconds, "s")
