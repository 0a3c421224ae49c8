"""Salesforce: upsert ``Task`` by an external-id field, OAuth 2.0 client credentials, status by polling."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from urllib.parse import quote

from crm.adapters.base import Adapter, PermanentError, RemoteRef, StatusEvent, TemporaryError, raise_for_status, send

DEFAULT_API_VERSION = "v60.0"
DEFAULT_EXTERNAL_ID = "Portal_Interest_Key__c"
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
PRIORITIES = {"low": "Low", "normal": "Normal", "high": "High"}
_tokens: dict[int, tuple[str, str]] = {}  # connection id -> (access token, instance URL), per process
_lock = threading.Lock()


class SalesforceAdapter(Adapter):
    """Idempotent by ``PATCH /sobjects/Task/<external id field>/<card key>`` (201 created, 200 updated)."""

    @property
    def api_version(self) -> str:
        return self.connection.options.get("api_version", DEFAULT_API_VERSION)

    @property
    def external_id_field(self) -> str:
        name = self.connection.options.get("external_id_field", DEFAULT_EXTERNAL_ID)
        if not FIELD_NAME.match(name):
            raise PermanentError(f"not a Salesforce field name: {name!r}")
        return name

    # --- OAuth ---------------------------------------------------------------------------------------

    def _token(self, *, refresh: bool = False) -> tuple[str, str]:
        with _lock:
            if not refresh and self.connection.pk in _tokens:
                return _tokens[self.connection.pk]
        secret = self.connection.secrets().get("client_secret", "")
        if not self.connection.client_id or not secret:
            raise PermanentError("Salesforce needs a client ID and a client secret")
        response = send(
            self.client,
            "POST",
            self.connection.url.rstrip("/") + "/services/oauth2/token",
            what="salesforce token",
            data={"grant_type": "client_credentials", "client_id": self.connection.client_id, "client_secret": secret},
        )
        if response.status_code in (400, 401):
            raise PermanentError(f"salesforce token: HTTP {response.status_code} {response.text[:200]}")
        raise_for_status(response, what="salesforce token")
        answer = response.json()
        token = (answer["access_token"], answer.get("instance_url") or self.connection.url.rstrip("/"))
        with _lock:
            _tokens[self.connection.pk] = token
        return token

    def _call(self, method: str, path: str, *, what: str, **kwargs):
        """An authenticated call; an expired token (401) is refreshed once and the call repeated."""
        for refresh in (False, True):
            token, instance = self._token(refresh=refresh)
            headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
            response = send(self.client, method, instance + path, what=what, headers=headers, **kwargs)
            if response.status_code != 401:
                return response
        raise PermanentError(f"{what}: the refreshed token was refused too")

    # --- interface -------------------------------------------------------------------------------------

    def _contact_id(self, email: str) -> str:
        """The Contact with the member's e-mail (only asked when consent is live)."""
        escaped = email.replace("\\", "\\\\").replace("'", "\\'")
        query = f"SELECT Id FROM Contact WHERE Email = '{escaped}' LIMIT 1"  # noqa: S608 (SOQL literal escaped)
        response = self._call(
            "GET", f"/services/data/{self.api_version}/query", what="salesforce contact", params={"q": query}
        )
        raise_for_status(response, what="salesforce contact")
        records = response.json().get("records") or []
        return records[0]["Id"] if records else ""

    def _fields(self, payload: dict) -> dict:
        author = payload.get("author") or {}
        lines = [
            payload.get("text", ""),
            "",
            f"Link: {payload['source_url']}",
            f"Reply: {payload['reply_url']}",
            f"Member: {author.get('name') or author.get('pseudonym') or '-'}",
        ]
        if author.get("email"):
            lines.append(f"E-mail: {author['email']}")
        return {
            "Subject": f"[{payload['action_type']}] {payload['title']}"[:255],
            "Description": "\n".join(lines)[:32000],
            "Priority": PRIORITIES.get(payload["priority"], "Normal"),
            "ActivityDate": payload["due_on"],
            "Status": "Completed" if payload.get("processed") else "Not Started",
        }

    def _upsert(self, card, fields: dict, *, what: str) -> RemoteRef:
        path = f"/services/data/{self.api_version}/sobjects/Task/{quote(self.external_id_field)}/{quote(str(card.key))}"
        response = self._call("PATCH", path, what=what, json=fields)
        if response.status_code == 300:
            raise PermanentError(f"{what}: several Tasks carry the key {card.key}")
        raise_for_status(response, what=what)
        remote_id = card.remote_id
        if response.status_code in (200, 201) and response.content:
            remote_id = response.json().get("id") or remote_id
        if not remote_id:
            raise TemporaryError(f"{what}: no Task id in the answer")
        instance = _tokens.get(self.connection.pk, ("", self.connection.url.rstrip("/")))[1]
        return RemoteRef(id=remote_id, url=f"{instance}/lightning/r/Task/{remote_id}/view")

    def upsert_task(self, card, payload: dict) -> RemoteRef:
        fields = self._fields(payload)
        email = self.author_email(payload)
        if email:
            who = self._contact_id(email)
            if who:
                fields["WhoId"] = who
        else:
            fields["WhoId"] = None
        return self._upsert(card, fields, what="salesforce upsert")

    def redact(self, card, payload: dict) -> RemoteRef:
        fields = self._fields(payload)
        fields["WhoId"] = None
        return self._upsert(card, fields, what="salesforce redaction")

    def parse_status_event(self, request) -> StatusEvent | None:
        return None  # Salesforce reports by polling

    def fetch_changes(self, since: datetime | None) -> list[StatusEvent]:
        field = self.external_id_field
        query = f"SELECT Id, {field}, Status, IsClosed, LastModifiedDate FROM Task WHERE {field} != null"  # noqa: S608
        if since is not None:
            query += " AND LastModifiedDate > " + since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query += " ORDER BY LastModifiedDate"
        events: list[StatusEvent] = []
        path = f"/services/data/{self.api_version}/query"
        params: dict | None = {"q": query}
        while path:
            response = self._call("GET", path, what="salesforce poll", params=params)
            raise_for_status(response, what="salesforce poll")
            answer = response.json()
            for record in answer.get("records") or []:
                events.append(
                    StatusEvent(
                        key=record.get(field) or "",
                        status=record.get("Status") or "",
                        done=bool(record.get("IsClosed")),
                        remote_id=record.get("Id") or "",
                    )
                )
            path = answer.get("nextRecordsUrl") if not answer.get("done", True) else ""
            params = None
        return events
