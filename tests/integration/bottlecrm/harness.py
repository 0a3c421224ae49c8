"""A real BottleCRM (PyPI ``django-crm``) on loopback for the portal's integration tests.

BottleCRM needs Python 3.12 and Django 6.1, the portal runs on its own interpreter, so BottleCRM
gets a virtualenv of its own outside the checkout, in a cache directory:

    ${XDG_CACHE_HOME:-~/.cache}/portal-bottlecrm/<version>-py<python>-<lock hash>/
        venv/                 django-crm and the exact pins of requirements.lock
        migrated.sqlite3      a fully migrated, empty database (migrations take minutes)

The first run builds both (about a minute of pip and two to three minutes of migrations); later
runs copy the migrated file and start in seconds. Each session gets its own copy of the database
in a temporary directory, so runs never see each other's data.

Python 3.12 is found through pyenv (``pyenv prefix 3.12``, then ``$(pyenv root)/versions/3.12*``)
and else ``python3.12`` on PATH. Anything missing raises ``SetupError`` with what to do about it:
the tests fail on it, they never skip.

The BottleCRM process runs ``bottlecrm_it.settings`` from ``site/`` (see its docstrings): SQLite,
Celery eager, and a patch confined to that process that lets its webhooks reach the portal's live
server on a loopback port.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.smtp import free_port

VERSION = "1.35.0"  # django-crm, as pinned in requirements.lock
HERE = Path(__file__).resolve().parent
LOCK = HERE / "requirements.lock"
SITE = HERE / "site"
PIP_TIMEOUT = 540
MIGRATE_TIMEOUT = 540
START_TIMEOUT = 60


class SetupError(RuntimeError):
    """BottleCRM could not be installed or started; the message says why and what would fix it."""


def _run(args: list[str], *, timeout: float, what: str, **kwargs) -> str:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise SetupError(f"{what} did not finish within {timeout:.0f}s") from exc
    except OSError as exc:
        raise SetupError(f"{what}: {exc}") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise SetupError(f"{what} failed (exit {result.returncode}):\n{output[-4000:]}")
    return result.stdout


def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"3\.12\.(\d+)", path)
    return (int(match.group(1)),) if match else (-1,)


def _pyenv() -> str | None:
    found = shutil.which("pyenv")
    if found:
        return found
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidate = root / "bin" / "pyenv"
    return str(candidate) if candidate.exists() else None


def python312_candidates() -> list[str]:
    """Where Python 3.12 may be, best first: pyenv's answer, pyenv's versions, then PATH."""
    candidates: list[str] = []
    pyenv = _pyenv()
    roots = [Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")]
    if pyenv:
        for args, handle in (([pyenv, "prefix", "3.12"], "prefix"), ([pyenv, "root"], "root")):
            try:
                out = subprocess.run(args, capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.returncode != 0 or not out.stdout.strip():
                continue
            first = out.stdout.strip().splitlines()[0]
            if handle == "prefix":
                candidates.append(str(Path(first) / "bin" / "python3.12"))
            else:
                roots.insert(0, Path(first))
    for root in roots:
        candidates += sorted(glob.glob(str(root / "versions" / "3.12*" / "bin" / "python3.12")), key=_version_key)[::-1]
    on_path = shutil.which("python3.12")
    if on_path:
        candidates.append(on_path)
    unique: list[str] = []
    for candidate in candidates:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def find_python312() -> tuple[str, str]:
    """``(interpreter, full version)`` of a working Python 3.12, or SetupError."""
    tried = python312_candidates()
    for candidate in tried:
        if not os.access(candidate, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        version = out.stdout.strip()
        if out.returncode == 0 and version.startswith("3.12."):
            return candidate, version
    raise SetupError(
        "BottleCRM needs Python 3.12 and none was found (tried "
        + (", ".join(tried) or "pyenv and python3.12 on PATH")
        + "). Install it with `pyenv install 3.12` (or the python3.12 and python3.12-venv packages)."
    )


def cache_dir(python_version: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    return base / "portal-bottlecrm" / f"{VERSION}-py{python_version}-{digest}"


def _pip_env() -> dict[str, str]:
    """The caller's environment (pip configuration, proxies) without anything naming another Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO_", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _bottlecrm_env(db: Path, *, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: nothing of the portal's settings (DATABASE_URL, SECRET_KEY, ...) leaks in."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="bottlecrm_it.settings",
        PYTHONPATH=str(SITE),
        BOTTLECRM_IT_DB=str(db),
        SECRET_KEY=os.environ.get("BOTTLECRM_IT_SECRET_KEY") or secrets.token_urlsafe(48),
        ENV_TYPE="dev",
    )
    env.update(extra or {})
    return env


@dataclass
class Installation:
    python: str  # the venv's interpreter
    template: Path  # the migrated, empty database


def ensure_installed() -> Installation:
    """Build (once, under a file lock) the virtualenv and the migrated database; reuse them afterwards."""
    base_python, version = find_python312()
    root = cache_dir(version)
    root.mkdir(parents=True, exist_ok=True)
    venv = root / "venv"
    python = venv / "bin" / "python"
    installed = venv / ".portal-installed"
    template = root / "migrated.sqlite3"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists():
            shutil.rmtree(venv, ignore_errors=True)
            _run([base_python, "-m", "venv", str(venv)], timeout=120, what=f"creating a virtualenv with {base_python}")
            _run(
                [str(python), "-m", "pip", "install", "--no-deps", "--quiet", "-r", str(LOCK)],
                timeout=PIP_TIMEOUT,
                what=f"pip install of django-crm=={VERSION} (is PyPI reachable?)",
                env=_pip_env(),
            )
            _run([str(python), "-m", "pip", "check"], timeout=120, what="pip check", env=_pip_env())
            installed.write_text(LOCK.read_text())
            template.unlink(missing_ok=True)
        if not template.exists():
            work = root / "migrate"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            building = work / "db.sqlite3"
            _run(
                [str(python), "-m", "django", "migrate", "--no-input", "-v", "0"],
                timeout=MIGRATE_TIMEOUT,
                what="BottleCRM's migrations",
                env=_bottlecrm_env(building),
                cwd=work,
            )
            os.replace(building, template)
            shutil.rmtree(work, ignore_errors=True)
    return Installation(python=str(python), template=template)


@dataclass
class Endpoint:
    id: str
    secret: str


class BottleCrm:
    """One running BottleCRM: its URL, org, admin and personal access token, and its REST API."""

    def __init__(self, installation: Installation):
        self.installation = installation
        self.run_dir = Path(tempfile.mkdtemp(prefix="portal-bottlecrm-"))
        self.db = self.run_dir / "db.sqlite3"
        self.ports_file = self.run_dir / "allowed-ports"
        self.ports_file.write_text("")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = _bottlecrm_env(self.db, extra={"BOTTLECRM_IT_ALLOWED_PORTS_FILE": str(self.ports_file)})
        self.process: subprocess.Popen | None = None
        self.org_id = self.email = self.token = ""
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def log(self) -> Path:
        return self.run_dir / "runserver.log"

    def _bootstrap(self, *args: str) -> dict:
        out = _run(
            [self.installation.python, "-m", "bottlecrm_it.bootstrap", *args],
            timeout=120,
            what=f"bottlecrm_it.bootstrap {args[0]}",
            env=self.env,
            cwd=self.run_dir,
        )
        return json.loads(out.strip().splitlines()[-1])

    def start(self) -> BottleCrm:
        shutil.copyfile(self.installation.template, self.db)
        log = open(self.log, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [self.installation.python, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=self.run_dir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:  # while the server boots
            admin = self._bootstrap("admin")
        except SetupError:
            self.stop(keep_logs=True)
            raise
        self.org_id, self.email, self.token = admin["org_id"], admin["email"], admin["token"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz/", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop(keep_logs=True)
        raise SetupError(f"BottleCRM did not answer on {self.url}/healthz/ (log: {self.log}):\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, *, keep_logs: bool = False) -> None:
        self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # --- what the tests do in BottleCRM -------------------------------------------------------------------

    def allow_port(self, port: int) -> None:
        """Let BottleCRM's webhooks reach this loopback port (see bottlecrm_it.apps)."""
        listed = set(self.ports_file.read_text().split()) | {str(port)}
        self.ports_file.write_text(" ".join(sorted(listed)))

    def endpoint(self, url: str) -> Endpoint:
        """The org's only webhook endpoint from now on: ``task.updated`` to ``url``."""
        made = self._bootstrap("endpoint", "--org", self.org_id, "--email", self.email, "--url", url)
        return Endpoint(id=made["endpoint_id"], secret=made["secret"])

    def deliveries(self, endpoint: Endpoint) -> list[dict]:
        """BottleCRM's log of what it sent to ``endpoint``, oldest first."""
        return self._bootstrap("deliveries", "--endpoint", endpoint.id)["deliveries"]

    def tasks_titled(self, text: str) -> list[dict]:
        response = self.client.get("/api/tasks/", params={"search": text, "slim": "true", "limit": 50})
        response.raise_for_status()
        return response.json()["tasks"]

    def task(self, task_id: str) -> dict:
        response = self.client.get(f"/api/tasks/{task_id}/")
        response.raise_for_status()
        return response.json()["task_obj"]

    def task_update(self, task_id: str, **fields) -> httpx.Response:
        return self.client.patch(f"/api/tasks/{task_id}/", json=fields)


class Booting:
    """Installs and starts BottleCRM in a thread, so it overlaps the portal's own test set-up."""

    def __init__(self):
        self._crm: BottleCrm | None = None
        self._error: SetupError | None = None
        self._thread = threading.Thread(target=self._boot, name="bottlecrm-boot", daemon=True)
        self._thread.start()

    def _boot(self) -> None:
        try:
            self._crm = BottleCrm(ensure_installed()).start()
        except SetupError as exc:
            self._error = exc
        except Exception as exc:  # noqa: BLE001 - reported to the test as a set-up failure
            self._error = SetupError(f"{exc.__class__.__name__}: {exc}")

    def get(self) -> BottleCrm:
        """The running BottleCRM; SetupError if it could not be installed or started."""
        self._thread.join(timeout=PIP_TIMEOUT + MIGRATE_TIMEOUT + 2 * START_TIMEOUT + 300)
        if self._thread.is_alive():
            raise SetupError("BottleCRM's installation or start-up did not finish in time")
        if self._error is not None:
            raise self._error
        assert self._crm is not None
        return self._crm

    def stop(self) -> None:
        self._thread.join()
        if self._crm is not None:
            self._crm.stop()
