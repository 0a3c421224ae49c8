"""HubSpot: CRM v3 tasks upserted in a batch by the unique ``portal_interest_key`` property."""

from __future__ import annotations

import time
from datetime import datetime

from django.utils import timezone

from crm.adapters.base import Adapter, PermanentError, RemoteRef, StatusEvent, TemporaryError, raise_for_status, send

KEY_PROPERTY = "portal_interest_key"
CONTACT_ASSOCIATION = 204  # task -> contact, HUBSPOT_DEFINED
PRIORITIES = {"low": "LOW", "normal": "MEDIUM", "high": "HIGH"}
MIN_REMAINING = 2  # below this many calls left in the window, wait for the window to pass


class HubSpotAdapter(Adapter):
    """Private-app token in ``Authorization: Bearer``; rate-limit headers slow the adapter down."""

    @property
    def base(self) -> str:
        return self.connection.url.rstrip("/")

    def _call(self, method: str, path: str, *, what: str, **kwargs):
        token = self.connection.secrets().get("api_token", "")
        if not token:
            raise PermanentError("HubSpot needs a private app token")
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        response = send(self.client, method, self.base + path, what=what, headers=headers, **kwargs)
        self._respect_rate_limit(response)
        raise_for_status(response, what=what)
        return response

    @staticmethod
    def _respect_rate_limit(response) -> None:
        """HubSpot tells how many calls are left in the current window; wait rather than be refused."""
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if remaining is None or interval is None or response.status_code == 429:
            return
        try:
            if int(remaining) < MIN_REMAINING:
                time.sleep(min(int(interval), 10_000) / 1000)
        except ValueError:
            return

    def _properties(self, card, payload: dict) -> dict[str, str]:
        author = payload.get("author") or {}
        body = [
            payload.get("text", ""),
            "",
            f"Link: {payload['source_url']}",
            f"Reply: {payload['reply_url']}",
            f"Member: {author.get('name') or author.get('pseudonym') or '-'}",
        ]
        properties = {
            KEY_PROPERTY: str(card.key),
            "hs_timestamp": f"{payload['due_on']}T09:00:00Z",
            "hs_task_subject": f"[{payload['action_type']}] {payload['title']}"[:255],
            "hs_task_body": "\n".join(body),
            "hs_task_status": "COMPLETED" if payload.get("processed") else "NOT_STARTED",
            "hs_task_priority": PRIORITIES.get(payload["priority"], "MEDIUM"),
        }
        owners = self.connection.options.get("owner_ids") or {}
        assignee = payload.get("assignee") or {}
        if assignee.get("email") in owners:
            properties["hubspot_owner_id"] = str(owners[assignee["email"]])
        return properties

    def _upsert(self, card, payload: dict, *, what: str) -> RemoteRef:
        document = {
            "inputs": [{"idProperty": KEY_PROPERTY, "id": str(card.key), "properties": self._properties(card, payload)}]
        }
        response = self._call("POST", "/crm/v3/objects/tasks/batch/upsert", what=what, json=document)
        answer = response.json()
        if response.status_code == 207 and answer.get("errors"):
            first = answer["errors"][0]
            raise PermanentError(f"{what}: {first.get('category', '')} {first.get('message', '')}"[:500])
        results = answer.get("results") or []
        if not results:
            raise TemporaryError(f"{what}: no result in the answer")
        task_id = str(results[0]["id"])
        portal = self.connection.options.get("portal_id")
        url = f"https://app.hubspot.com/contacts/{portal}/record/0-27/{task_id}" if portal else ""
        return RemoteRef(id=task_id, url=url)

    def _contact_id(self, email: str) -> str:
        document = {
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
            "properties": ["email"],
            "limit": 1,
            "after": "0",
            "sorts": [],
        }
        response = self._call("POST", "/crm/v3/objects/contacts/search", what="hubspot contact", json=document)
        results = response.json().get("results") or []
        return str(results[0]["id"]) if results else ""

    def _associate(self, task_id: str, contact_id: str, *, create: bool) -> None:
        pair = {"from": {"id": task_id}, "to": {"id": contact_id}}
        if create:
            pair["types"] = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": CONTACT_ASSOCIATION}]
            self._call(
                "POST",
                "/crm/v4/associations/tasks/contacts/batch/create",
                what="hubspot association",
                json={"inputs": [pair]},
            )
        else:
            self._call(
                "POST",
                "/crm/v4/associations/tasks/contacts/batch/archive",
                what="hubspot association removal",
                json={"inputs": [{"from": {"id": task_id}, "to": [{"id": contact_id}]}]},
            )

    def upsert_task(self, card, payload: dict) -> RemoteRef:
        ref = self._upsert(card, payload, what="hubspot upsert")
        email = self.author_email(payload)
        if email:
            contact = self._contact_id(email)
            if contact:
                self._associate(ref.id, contact, create=True)
        return ref

    def redact(self, card, payload: dict) -> RemoteRef:
        """Overwrite the task with the pseudonymous version and drop its contact associations."""
        ref = self._upsert(card, payload, what="hubspot redaction")
        response = self._call(
            "GET", f"/crm/v4/objects/tasks/{ref.id}/associations/contacts", what="hubspot associations"
        )
        for result in response.json().get("results") or []:
            self._associate(ref.id, str(result.get("toObjectId")), create=False)
        return ref

    def parse_status_event(self, request) -> StatusEvent | None:
        return None  # status comes by polling the search API

    def fetch_changes(self, since: datetime | None) -> list[StatusEvent]:
        millis = int((since or datetime(2000, 1, 1, tzinfo=timezone.get_current_timezone())).timestamp() * 1000)
        events: list[StatusEvent] = []
        after = "0"
        while True:
            document = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": str(millis)},
                            {"propertyName": KEY_PROPERTY, "operator": "HAS_PROPERTY"},
                        ]
                    }
                ],
                "properties": [KEY_PROPERTY, "hs_task_status"],
                "limit": 100,
                "after": after,
                "sorts": ["hs_lastmodifieddate"],
            }
            response = self._call("POST", "/crm/v3/objects/tasks/search", what="hubspot poll", json=document)
            answer = response.json()
            for result in answer.get("results") or []:
                properties = result.get("properties") or {}
                status = properties.get("hs_task_status") or ""
                events.append(
                    StatusEvent(
                        key=properties.get(KEY_PROPERTY) or "",
                        status=status,
                        done=status == "COMPLETED",
                        remote_id=str(result.get("id", "")),
                    )
                )
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return events
