"""HTTP load through a real server process: requests per second and p99 for logged-in page views.

The method of the performance review: one server process pinned to one core, the load generator
(``wrk``, Debian package ``wrk``) pinned to the other, a logged-in session cookie, a short warm-up,
then a fixed-length run with a fixed number of connections. Each server in ``SERVERS`` that is
installed is measured the same way, so the shipped choice rests on figures (README, "HTTP server").
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DURATION_S = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "8"))

# name -> (module that must be importable, command line with {port})
SERVERS = {
    # What ships (portal.serve: Daphne on uvloop), then Daphne on the standard loop for comparison.
    "daphne": (
        "daphne",
        [sys.executable, "-m", "portal.serve", "-b", "127.0.0.1", "-p", "{port}", "portal.asgi:application"],
    ),
    "daphne_asyncio": (
        "daphne",
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "portal.asgi:application"],
    ),
    "uvicorn": (
        "uvicorn",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--lifespan",
            "off",
            "portal.asgi:application",
        ],
    ),
}


def _pinned(cpu: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if shutil.which("taskset") and os.cpu_count() > 1 else command


def _start(command: list[str], port: int, log: Path, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "LOG_LEVEL": "ERROR", **extra_env}
    process = subprocess.Popen(
        _pinned(0, [part.format(port=port) for part in command]),
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(log.read_text()[-3000:])


def _wrk(url: str, cookie: str, seconds: int) -> dict[str, float]:
    command = _pinned(
        1, ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", f"Cookie: sessionid={cookie}", url]
    )
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses under load\n{out}")
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale}


def measure(report, *, pages: dict[str, str], cookie: str, env: dict[str, str] | None = None) -> None:
    """Report ``http.<page>.rps`` and ``http.<page>.p99_ms`` (Daphne, the shipped server) and the same
    figures as ``http.<server>.<page>.*`` for every other installed server; ``env`` adds settings
    (environment variables) for the server processes."""
    if shutil.which("wrk") is None:
        print("  http: wrk is not installed (apt-get install wrk); HTTP figures not measured", flush=True)
        return
    from tests.smtp import free_port

    tmp = Path(tempfile.mkdtemp(prefix="http-bench-"))
    for server, (module, command) in SERVERS.items():
        if importlib.util.find_spec(module) is None:
            print(f"  http: {server} is not installed; not measured", flush=True)
            continue
        port = free_port()
        process = _start(command, port, tmp / f"{server}.log", env or {})
        try:
            for page, path in pages.items():
                url = f"http://127.0.0.1:{port}{path}"
                _wrk(url, cookie, 2)  # warm-up: fragment cache, connection pool, code paths
                figures = _wrk(url, cookie, DURATION_S)
                prefix = "http" if server == "daphne" else f"http.{server}"
                report(f"{prefix}.{page}.rps", figures["rps"], "/s")
                report(f"{prefix}.{page}.p99_ms", figures["p99_ms"], "ms")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # Daphne waits for idle keep-alive sockets; nothing is left to finish
                process.kill()
                process.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)
