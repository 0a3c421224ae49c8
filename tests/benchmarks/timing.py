"""Measuring helpers for benchmarks: query counts and warm server-time percentiles."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(fn: Callable[[], object]) -> int:
    return len(captured_sql(fn))


def captured_sql(fn: Callable[[], object]) -> list[str]:
    """The SQL of every statement ``fn`` sends, transaction control (BEGIN, COMMIT) included."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [query["sql"] for query in ctx.captured_queries]


def percentiles(fn: Callable[[], object], *, iterations: int = 200, warmup: int = 10) -> dict[str, float]:
    """p50/p95 in milliseconds over ``iterations`` warm calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
        "mean_ms": statistics.fmean(samples),
    }


def get_ok(client, url: str) -> Callable[[], object]:
    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def calibration_ms(rounds: int = 7) -> float:
    """The median time of a fixed CPU-bound piece of Python (hashing, dict and string work), in ms.

    Printed before and after the benchmarks (``machine.calibration_*_ms``): on a shared, noisy
    machine a run whose calibration moved is not comparable with one whose calibration held.
    """
    import hashlib

    def work() -> None:
        data = b"community" * 4096
        digest = b""
        for i in range(400):
            digest = hashlib.sha256(data + digest).digest()
        table = {}
        for i in range(60_000):
            table[f"key-{i % 5000}"] = table.get(f"key-{i % 5000}", 0) + i
        sorted(table.items(), key=lambda item: item[1])

    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


@contextlib.contextmanager
def pinned(cpu: int = 1) -> Iterator[None]:
    """Run the in-process client on one core (the review's method), leaving the other to the database."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
