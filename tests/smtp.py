"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, inbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.inbox.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"


class SMTPServer:
    """Start/stop an aiosmtpd controller; ``messages`` holds parsed e-mails in arrival order."""

    def __init__(self):
        self.messages: list[dict] = []
        self.port = free_port()
        self._controller = Controller(_Handler(self.messages), hostname="127.0.0.1", port=self.port)

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    @staticmethod
    def body(entry) -> str:
        message = entry["message"]
        part = message.get_body(preferencelist=("plain",)) or message
        return part.get_content()
