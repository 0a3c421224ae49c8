"""Generic signed webhook: the card as JSON, signed per Standard Webhooks; status comes back the same way."""

from __future__ import annotations

import json

from crm.adapters.base import Adapter, PermanentError, RemoteRef, StatusEvent, raise_for_status, send
from crm.signing import standard_headers, standard_verify
from portal.inputs import load_json

# A status event is a few fields; the inbound view refuses bodies beyond its own limit first.
MAX_STATUS_BODY = 256 * 1024

DONE_STATUSES = {"done", "completed", "closed", "processed"}


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


class WebhookAdapter(Adapter):
    """POSTs the card to one URL; receivers deduplicate on ``webhook-id`` (the card key)."""

    def _post(self, card, payload: dict, *, what: str) -> RemoteRef:
        secret = self.connection.secrets().get("signing_secret", "")
        if not secret:
            raise PermanentError("the connection has no signing secret")
        body = encode(payload)
        headers = standard_headers(secret=secret, msg_id=str(card.key), body=body)
        headers["content-type"] = "application/json"
        response = send(self.client, "POST", self.connection.url, what=what, content=body, headers=headers)
        raise_for_status(response, what=what)
        answer = {}
        if response.headers.get("content-type", "").startswith("application/json"):
            try:
                answer = response.json()
            except ValueError:
                answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return RemoteRef(id=str(answer.get("id") or card.key)[:200], url=str(answer.get("url") or "")[:500])

    def upsert_task(self, card, payload: dict) -> RemoteRef:
        return self._post(card, payload, what="webhook")

    def redact(self, card, payload: dict) -> RemoteRef:
        return self._post(card, payload, what="webhook redaction")

    def parse_status_event(self, request) -> StatusEvent | None:
        """``{"type": "task.status", "data": {"key", "status", "id"}}`` signed with the connection's secret."""
        secret = self.connection.secrets().get("signing_secret", "")
        standard_verify(secret=secret, headers=request.headers, body=request.body)
        try:
            document = load_json(request.body, max_bytes=MAX_STATUS_BODY)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("the body is not JSON") from exc
        if not isinstance(document, dict) or document.get("type") != "task.status":
            return None
        data = document.get("data")
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("key"), str)
            or not isinstance(data.get("status"), str)
        ):
            raise ValueError("a status event needs data.key and data.status")
        status = data["status"][:60]
        return StatusEvent(
            key=data["key"],
            status=status,
            done=status.lower() in DONE_STATUSES,
            remote_id=str(data.get("id", ""))[:200],
        )
