"""`make bench`: run every tests/benchmarks/bench_*.py, print a table, write var/bench.json.

Each module exposes ``run(report)``; ``report(name, value, unit="")`` records one figure.
A fixed CPU workload is timed before and after (``machine.calibration_before_ms`` / ``_after_ms``):
compare runs only when their calibrations agree. Benchmarks run against a database of their own
(var/bench/bench.sqlite3, or BENCH_DATABASE_URL for PostgreSQL) so they never touch the development
data. Every module starts from the same freshly migrated database (and empty caches), so one
module's rows never collide with another's: a copy of a migrated file on SQLite, a database
created from a migrated template on PostgreSQL (BENCH_DATABASE_URL names a database the run
drops and creates; never point it at one that holds anything).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    only = set(argv[1:])
    var = ROOT / "var"
    bench_var = var / "bench"
    bench_var.mkdir(parents=True, exist_ok=True)
    db = bench_var / "bench.sqlite3"
    if db.exists() and not os.environ.get("BENCH_KEEP_DB"):
        db.unlink()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{db}"
    postgres = _PostgresBench(os.environ["DATABASE_URL"]) if os.environ["DATABASE_URL"].startswith("postgres") else None
    if postgres:
        postgres.create()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # no query log growth, production-like templates
    call_command("migrate", verbosity=0)
    from django.core.cache import caches
    from django.db import connections

    template = bench_var / "bench.migrated.sqlite3"

    def disconnect() -> None:
        connections.close_all()
        for connection in connections.all():
            if hasattr(connection, "close_pool"):  # PostgreSQL's pool holds its connections open
                connection.close_pool()

    disconnect()
    if postgres:
        postgres.keep_as_template()
    else:
        shutil.copyfile(db, template)

    def fresh_state() -> None:
        for alias, config in settings.CACHES.items():
            if config["BACKEND"].endswith("LocMemCache"):  # never flush a shared Redis
                caches[alias].clear()
        disconnect()
        if postgres:
            postgres.create(from_template=True)
        else:
            shutil.copyfile(template, db)

    figures: dict[str, float] = {}
    units: dict[str, str] = {}

    def report(name: str, value: float, unit: str = "") -> None:
        figures[name] = round(float(value), 3)
        units[name] = unit
        print(f"  {name:<42} {figures[name]:>12} {unit}", flush=True)

    from tests.benchmarks.timing import calibration_ms

    report("machine.calibration_before_ms", calibration_ms(), "ms")
    failed = []
    modules = sorted(p.stem for p in (ROOT / "tests" / "benchmarks").glob("bench_*.py"))
    for name in modules:
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        print(f"{name}:", flush=True)
        fresh_state()
        started = time.perf_counter()
        try:
            importlib.import_module(f"tests.benchmarks.{name}").run(report)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"  ({time.perf_counter() - started:.1f}s)", flush=True)

    report("machine.calibration_after_ms", calibration_ms(), "ms")
    out = var / "bench.json"
    previous = json.loads(out.read_text()) if out.exists() and only else {}
    previous.update(figures)
    out.write_text(json.dumps(previous, indent=2, sort_keys=True))
    print("\n{:<44} {:>12}".format("figure", "value"))
    for name in sorted(figures):
        print(f"{name:<44} {figures[name]:>12} {units[name]}")
    print(f"\nwritten to {out}")
    return 1 if failed else 0


class _PostgresBench:
    """The bench database on PostgreSQL: dropped and created empty, then per module from a migrated template."""

    def __init__(self, url: str):
        import dj_database_url

        self.config = dj_database_url.parse(url)
        self.name = self.config["NAME"]
        self.template = f"{self.name}_migrated"

    def _admin(self, *statements: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            dbname="postgres",
            host=self.config.get("HOST") or None,
            port=self.config.get("PORT") or None,
            user=self.config.get("USER") or None,
            password=self.config.get("PASSWORD") or None,
            autocommit=True,
        ) as conn:
            for statement in statements:
                conn.execute(sql.SQL(statement).format(db=sql.Identifier(self.name), tpl=sql.Identifier(self.template)))

    def create(self, *, from_template: bool = False) -> None:
        self._admin(
            "DROP DATABASE IF EXISTS {db} WITH (FORCE)",
            "CREATE DATABASE {db} TEMPLATE {tpl}" if from_template else "CREATE DATABASE {db}",
        )

    def keep_as_template(self) -> None:
        self._admin("DROP DATABASE IF EXISTS {tpl}", "CREATE DATABASE {tpl} TEMPLATE {db}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
