"""BottleCRM (PyPI ``django-crm``): tasks through its REST API, completion through its signed webhooks.

Checked against BottleCRM 1.35 itself (tests/integration/test_bottlecrm.py):

- ``Authorization: Bearer bcrm_pat_…`` (a personal access token) authenticates as its admin profile;
- ``POST /api/tasks/`` answers ``{"error": false, "message": …}`` without the id, so the card key
  ends the title and ``GET /api/tasks/?search=<key>`` (a title search) finds the task;
- ``GET /api/tasks/<id>/`` answers ``{"task_obj": {…}}``, ``PATCH`` takes a partial update;
- every saved change of a task, the portal's own included, goes out as ``task.updated`` to the
  org's webhook endpoints (``{"id", "event", "created_at", "org_id", "data": {"id", "title",
  "status", …}}``, ``X-BottleCRM-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>." + body)>`` keyed
  with the endpoint secret ``whsec_…`` as it is written). So an update that would change nothing
  is not sent: its echo would come back as news and ask for another send.
"""

from __future__ import annotations

import re

from crm.adapters.base import Adapter, PermanentError, RemoteRef, StatusEvent, TemporaryError, raise_for_status, send
from crm.signing import bottlecrm_verify
from portal.inputs import load_json

PRIORITIES = {"low": "Low", "normal": "Medium", "high": "High"}
# A status delivery is a few fields; the inbound view refuses bodies beyond its own limit first.
MAX_STATUS_BODY = 256 * 1024
KEY_IN_TITLE = re.compile(r"\[([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\]\s*$")


def _same(stored, sent) -> bool:
    """Whether BottleCRM already holds ``sent`` (its serializer trims strings' outer whitespace)."""
    if isinstance(stored, str) and isinstance(sent, str):
        return stored.strip() == sent.strip()
    return stored == sent


class BottleCrmAdapter(Adapter):
    """The card key ends the task title: ``POST /api/tasks/`` returns no id, so the task is found by it."""

    @property
    def base(self) -> str:
        return self.connection.url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        token = self.connection.secrets().get("api_token", "")
        if not token:
            raise PermanentError("BottleCRM needs a personal access token")
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    @staticmethod
    def title_for(card, payload: dict) -> str:
        return f"{payload['action_type'].capitalize()}: {payload['title']}"[:160] + f" [{card.key}]"

    def _find(self, card) -> str:
        response = send(
            self.client,
            "GET",
            self.base + "/api/tasks/",
            what="bottlecrm lookup",
            headers=self._headers(),
            params={"search": str(card.key), "limit": 5, "slim": "true"},
        )
        raise_for_status(response, what="bottlecrm lookup")
        for task in response.json().get("tasks") or []:
            if str(card.key) in (task.get("title") or ""):
                return str(task["id"])
        return ""

    def _fields(self, card, payload: dict) -> dict:
        author = payload.get("author") or {}
        text = (payload.get("text") or "").strip()
        notes = [text, ""] if text else []  # BottleCRM strips the notes' outer whitespace: store them as it keeps them
        notes += [
            f"Link: {payload['source_url']}",
            f"Reply: {payload['reply_url']}",
            f"Member: {author.get('name') or author.get('pseudonym') or '-'}",
        ]
        if author.get("email"):
            notes.append(f"E-mail: {author['email']}")
        return {
            "title": self.title_for(card, payload),
            "description": "\n".join(notes),
            "status": "Completed" if payload.get("processed") else "New",
            "priority": PRIORITIES.get(payload["priority"], "Medium"),
            "due_date": payload["due_on"],
        }

    def _current(self, task_id: str, *, what: str) -> dict:
        response = send(self.client, "GET", f"{self.base}/api/tasks/{task_id}/", what=what, headers=self._headers())
        raise_for_status(response, what=what)
        return response.json().get("task_obj") or {}

    def _write(self, card, payload: dict, *, what: str) -> RemoteRef:
        fields = self._fields(card, payload)
        task_id = card.remote_id or self._find(card)
        app = self.connection.options.get("app_url", self.base).rstrip("/")
        if task_id:
            fields.pop("status")  # the CRM owns the status once the task exists
            current = self._current(task_id, what=what)
            if all(_same(current.get(name), value) for name, value in fields.items()):
                return RemoteRef(id=task_id, url=f"{app}/tasks/{task_id}")  # already so: no write, no echo
            response = send(
                self.client,
                "PATCH",
                f"{self.base}/api/tasks/{task_id}/",
                what=what,
                headers=self._headers(),
                json=fields,
            )
            raise_for_status(response, what=what)
        else:
            response = send(
                self.client, "POST", self.base + "/api/tasks/", what=what, headers=self._headers(), json=fields
            )
            raise_for_status(response, what=what)
            task_id = self._find(card)
            if not task_id:
                raise TemporaryError(f"{what}: the created task was not found by its key")
        return RemoteRef(id=task_id, url=f"{app}/tasks/{task_id}")

    def upsert_task(self, card, payload: dict) -> RemoteRef:
        return self._write(card, payload, what="bottlecrm task")

    def redact(self, card, payload: dict) -> RemoteRef:
        return self._write(card, payload, what="bottlecrm redaction")

    def parse_status_event(self, request) -> StatusEvent | None:
        """A ``task.updated`` delivery: ``{"event", "data": {"id", "title", "status"}}`` signed over t.body."""
        secret = self.connection.secrets().get("signing_secret", "")
        bottlecrm_verify(secret=secret, header=request.headers.get("X-BottleCRM-Signature", ""), body=request.body)
        try:
            document = load_json(request.body, max_bytes=MAX_STATUS_BODY)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("the body is not JSON") from exc
        if not isinstance(document, dict) or document.get("event") not in ("task.updated", "task.created"):
            return None
        data = document.get("data") or {}
        match = KEY_IN_TITLE.search(str(data.get("title") or ""))
        if not match:
            return None
        status = str(data.get("status") or "")[:60]
        return StatusEvent(
            key=match.group(1), status=status, done=status == "Completed", remote_id=str(data.get("id", ""))
        )
