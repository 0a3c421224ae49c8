"""`make run` on another address: every process it starts builds links from the address actually served."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(*args: str, env: dict[str, str] | None = None) -> list[str]:
    command = ["make", "--no-print-directory", "-n", "run", *args]
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    result = subprocess.run(command, cwd=ROOT, env={**base, **(env or {})}, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def _process_lines(lines: list[str]) -> dict[str, str]:
    names = {"seed_demo": "seed", "run_worker": "worker", "run_scheduler": "scheduler", "portal.serve": "web"}
    return {label: line for line in lines for needle, label in names.items() if needle in line}


def test_port_and_host_reach_the_seed_the_worker_the_scheduler_and_the_web_server():
    """PORT=8123 HOST=0.0.0.0: seeding, worker, scheduler and Daphne all get PORTAL_BASE_URL for that address."""
    lines = _process_lines(_dry_run("PORT=8123", "HOST=0.0.0.0"))
    assert sorted(lines) == ["scheduler", "seed", "web", "worker"]
    for label, line in lines.items():
        assert "PORTAL_BASE_URL=http://0.0.0.0:8123 " in line, (label, line)
    assert "-b 0.0.0.0 -p 8123 " in lines["web"]


def test_an_explicit_public_address_wins_over_host_and_port():
    """Behind a proxy the operator's PORTAL_BASE_URL is what every process uses; Daphne still binds HOST:PORT."""
    lines = _process_lines(_dry_run("PORT=9000", env={"PORTAL_BASE_URL": "https://community.example.com"}))
    for label, line in lines.items():
        assert "PORTAL_BASE_URL=https://community.example.com " in line, (label, line)
    assert "-b 127.0.0.1 -p 9000 " in lines["web"]
