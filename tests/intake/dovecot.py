"""A real Dovecot IMAP server (Debian's ``dovecot-imapd``) on a free loopback port for the intake tests.

Everything lives in a temporary directory: a throwaway configuration, a passwd-file with one user,
the user's maildir, logs and sockets. No system service is touched. Run as an ordinary user, the
server runs as that user; run as root (a CI container), Dovecot refuses to hand mail to uid 0, so the
mail directory is given to the unprivileged ``dovenull``/``nobody`` account it then runs as.
Anything missing raises ``SetupError`` saying what to install: the tests fail on it, never skip.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.smtp import free_port

START_TIMEOUT = 20


class SetupError(RuntimeError):
    """Dovecot could not be found or started; the message says why."""


def _binary() -> str:
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if not found:
        raise SetupError("dovecot is not installed: apt-get install -y dovecot-imapd (.ci/run installs it)")
    return found


def _account() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("dovenull", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise SetupError("running as root needs an unprivileged account (dovenull or nobody) for Dovecot")


class Dovecot:
    """One throwaway Dovecot with one mail user; ``client()`` logs in, ``append()`` delivers a raw mail."""

    def __init__(self, root: Path):
        self.root = root
        self.user = "intake"
        self.password = secrets.token_urlsafe(12)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.account = _account()

    def _write_config(self) -> Path:
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        account = self.account
        (self.root / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{account.pw_uid}:{account.pw_gid}::{self.root / 'mail' / self.user}\n"
        )
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.root / "run"}
state_dir = {self.root / "state"}
log_path = {self.root / "dovecot.log"}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {account.pw_name}
default_internal_group = {_group(account.pw_gid)}
default_login_user = {account.pw_name}
first_valid_uid = {min(account.pw_uid, 1)}
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_privileged_group =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root / "passwd"}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root / "passwd"}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap {{
  process_limit = 16
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""
        )
        if os.geteuid() == 0:
            for path in (self.root / "mail", self.root / "state"):
                os.chown(path, account.pw_uid, account.pw_gid)
            os.chmod(self.root, 0o755)
        return config

    def start(self) -> Dovecot:
        config = self._write_config()
        self.process = subprocess.Popen(
            [_binary(), "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"dovecot exited: {self.process.stderr.read().decode()}\n{self.log()}")
            try:
                self.client().logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        self.stop()
        raise SetupError(f"dovecot did not answer on port {self.port} within {START_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, *raws: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for raw in raws:
                status, data = client.append(folder, "", None, raw)
                if status != "OK":
                    raise SetupError(f"APPEND failed: {data}")
        finally:
            client.logout()

    def clear(self) -> None:
        """Empty the INBOX and delete every other folder, so each test starts with an empty mailbox."""
        client = self.client()
        try:
            _, folders = client.list()
            for line in folders or []:
                name = line.decode().rsplit(' "/" ', 1)[-1].strip('"')
                if name != "INBOX":
                    client.delete(f'"{name}"')
            status, count = client.select("INBOX")
            if status == "OK" and int(count[0] or 0) > 0:
                client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                client.expunge()
        finally:
            client.logout()

    def uids(self, folder: str = "INBOX", criterion: str = "ALL") -> list[bytes]:
        client = self.client()
        try:
            client.select(f'"{folder}"')
            return client.uid("SEARCH", None, criterion)[1][0].split()
        finally:
            client.logout()


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
