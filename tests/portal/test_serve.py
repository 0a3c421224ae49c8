"""portal.serve: the web process runs Daphne with Twisted's reactor on uvloop's event loop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import portal.serve
assert portal.serve.use_uvloop()
import daphne.server  # installs Twisted's asyncio reactor on a new event loop, as `python -m portal.serve` does
from twisted.internet import reactor
print(type(reactor).__name__, type(reactor._asyncioEventloop).__module__)
"""


def test_daphnes_reactor_runs_on_uvloop():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["AsyncioSelectorReactor", "uvloop"]


def test_the_command_line_is_daphnes():
    done = subprocess.run(
        [sys.executable, "-m", "portal.serve", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--proxy-headers" in done.stdout and "application" in done.stdout
