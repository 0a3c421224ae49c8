"""Browser harness: Daphne + the task worker on a fresh SQLite database, driven by Debian's Chromium.

Fixtures:
- ``live_server``: the running portal (``.url``, ``.smtp`` inbox, ``.manage(...)``, ``.shell(code)``)
- ``browser``: a Playwright Chromium browser (session)
- ``page`` / ``new_page(locale=..., width=...)``: fresh browser contexts
- ``screenshot(page, name)``: saves tests/e2e/screenshots/<name>.png
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smtp import SMTPServer, free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class LiveServer:
    """A Daphne process and a run_worker process (the task worker with its heartbeat) sharing one fresh database."""

    def __init__(self, tmp: Path, smtp: SMTPServer):
        self.tmp = tmp
        self.smtp = smtp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.development",
            "PORTAL_VAR_DIR": str(tmp),
            "PORTAL_BASE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "LOG_LEVEL": "WARNING",
            "STAFF_2FA_REQUIRED": "0",  # the journeys log staff in with the demo passwords
        }
        # The browser suite always runs on its own SQLite file and in-memory layers,
        # unless E2E_DATABASE_URL/E2E_REDIS_URL ask for real services.
        self.env.pop("DATABASE_URL", None)
        self.env.pop("REDIS_URL", None)
        if os.environ.get("E2E_DATABASE_URL"):
            self.env["DATABASE_URL"] = os.environ["E2E_DATABASE_URL"]
        if os.environ.get("E2E_REDIS_URL"):
            self.env["REDIS_URL"] = os.environ["E2E_REDIS_URL"]
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=check
        )

    def shell(self, code: str) -> str:
        """Run Python in the server's Django environment; returns stdout (for assertions on stored state)."""
        return self.manage("shell", "-c", code).stdout

    def start(self):
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("seed_demo")
        log = open(self.tmp / "daphne.log", "w")  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "portal.serve",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "portal.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        worker_log = open(self.tmp / "worker.log", "w")  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "run_worker",
                    "--interval",
                    "0.2",
                    "--no-startup-delay",
                    "--queue-name",
                    "*",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Daphne did not come up:\n" + (self.tmp / "daphne.log").read_text())

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def mails_to(self, address: str) -> list[str]:
        return [SMTPServer.body(m) for m in self.smtp.messages if address in m["to"]]

    def wait_for_mail(self, address: str, count: int = 1, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mails_to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no e-mail to {address} within {timeout}s; got {[m['to'] for m in self.smtp.messages]}")


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper of the same name: this ``live_server`` is a separate
    Daphne process with its own database, so the test process needs no test database."""
    yield


@pytest.fixture(scope="session")
def live_server():
    smtp = SMTPServer()
    smtp.start()
    tmp = Path(tempfile.mkdtemp(prefix="portal-e2e-"))
    server = LiveServer(tmp, smtp)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        smtp.stop()
        shutil.rmtree(tmp, ignore_errors=True)


class OutsideRequests:
    """Every page the browser tests load, and every request that left the live server's origin (issue 17).

    No page may make a reader's browser call a third party (fonts, images, analytics, Gravatar, ...):
    each browser context any test opens reports its requests and WebSocket connections here, and
    ``_no_third_party_requests`` fails the test that caused one. Only the live server's origin,
    ``data:``, ``blob:`` and local ``file:`` pages a test opens itself are allowed.
    """

    def __init__(self):
        self.origins: tuple[str, ...] = ()
        self.pages: list[str] = []
        self.found: list[tuple[str, str]] = []  # (url requested, page that requested it)

    # Addresses tests open on purpose and that no page renders: test_community points a socket at the
    # loopback discard port to simulate a dropped live connection.
    DELIBERATELY_UNREACHABLE = ("ws://127.0.0.1:9/",)

    def allowed(self, url: str) -> bool:
        # file: is a local file a test opens on purpose (the export's index.html), no third party.
        if url.startswith(("data:", "blob:", "about:", "file:")) or url in self.DELIBERATELY_UNREACHABLE:
            return True
        return any(url == origin or url.startswith(origin + "/") for origin in self.origins)

    def watch(self, context) -> None:
        def on_request(request):
            if self.allowed(request.url):
                return
            try:
                page = request.frame.url
            except Exception:  # noqa: BLE001  (a worker's request has no frame)
                page = "?"
            self.found.append((request.url, page))

        def on_response(response):
            if response.request.resource_type == "document" and response.url not in self.pages:
                self.pages.append(response.url)

        def on_page(page):
            page.on("websocket", lambda ws: None if self.allowed(ws.url) else self.found.append((ws.url, page.url)))

        context.on("request", on_request)
        context.on("response", on_response)
        context.on("page", on_page)


OUTSIDE = OutsideRequests()


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import Browser, sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise RuntimeError("Debian's chromium is required for the browser tests: apt-get install chromium")
    host = live_server.url.split("://", 1)[1]
    OUTSIDE.origins = (live_server.url, f"ws://{host}")
    # Every context, however a test opens it (new_page, page.context.browser.new_context, browser.new_page).
    original_context, original_page = Browser.new_context, Browser.new_page

    def new_context(self, *args, **kwargs):
        context = original_context(self, *args, **kwargs)
        OUTSIDE.watch(context)
        return context

    def new_page(self, *args, **kwargs):
        return new_context(self, *args, **kwargs).new_page()

    Browser.new_context, Browser.new_page = new_context, new_page
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        Browser.new_context, Browser.new_page = original_context, original_page
        if OUTSIDE.pages:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS / "pages_visited.txt").write_text("\n".join(OUTSIDE.pages) + "\n")


@pytest.fixture(autouse=True)
def _no_third_party_requests():
    """Fails the test whose pages made the browser request anything outside the live server."""
    OUTSIDE.found.clear()
    yield
    found, OUTSIDE.found[:] = list(OUTSIDE.found), []
    assert not found, "requests to third parties (url, from page):\n" + "\n".join(f"{u}  <- {p}" for u, p in found)


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def factory(*, locale: str = "en-GB", width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def login(page, email: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto("/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def as_user():
    return login
