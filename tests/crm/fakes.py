"""Local stand-ins for Salesforce and HubSpot that enforce their published request shapes and answers."""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "hubspot-crm-tasks-v3.openapi.json"
TASK_FIELDS = {"Subject", "Description", "Priority", "ActivityDate", "Status", "WhoId"}
API = "/services/data/v60.0"


def _now() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class FakeSalesforce:
    """OAuth client credentials, Task upsert by external id (201/200/300), SOQL queries for contacts and polling."""

    def __init__(self, *, client_id: str, client_secret: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.tasks: dict[str, dict] = {}  # external key -> record
        self.contacts = {"zelda.quixote@example.org": "003000000000001"}
        self.duplicates: set[str] = set()
        self.forced: list[tuple[int, dict, object]] = []
        self.calls: list[tuple[str, str, dict | None]] = []
        self.base = ""
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def complete(self, key: str) -> None:
        self.tasks[key].update(Status="Completed", IsClosed=True, LastModifiedDate=_now())

    def __call__(self, request):
        url = urlsplit(request.path)
        path = unquote(url.path)
        if request.method == "POST" and path == "/services/oauth2/token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return 401, {}, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        with self.lock:
            if self.forced:
                return self.forced.pop(0)
        body = json.loads(request.body) if request.body else None
        self.calls.append((request.method, path, body))
        match = re.fullmatch(rf"{API}/sobjects/Task/Portal_Interest_Key__c/([0-9a-f-]{{36}})", path)
        if request.method == "PATCH" and match:
            return self._upsert(match.group(1), request, body)
        if request.method == "GET" and path == f"{API}/query":
            return self._query(parse_qs(url.query)["q"][0])
        return 404, {}, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    def _token(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        self.token_requests += 1
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return 400, {}, {"error": "invalid_request"}
        if form != {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }:
            return 400, {}, {"error": "invalid_client", "error_description": "invalid client credentials"}
        token = f"00D!{uuid.uuid4().hex}"
        self.tokens.add(token)
        return 200, {}, {"access_token": token, "instance_url": self.base, "token_type": "Bearer", "id": "x"}

    def _upsert(self, key, request, body):
        if request.headers.get("content-type") != "application/json" or not isinstance(body, dict):
            return (
                400,
                {},
                [{"message": "Content-Type must be application/json", "errorCode": "UNSUPPORTED_MEDIA_TYPE"}],
            )
        unknown = set(body) - TASK_FIELDS
        if unknown:
            field = sorted(unknown)[0]
            return (
                400,
                {},
                [{"message": f"No such column '{field}' on sobject of type Task", "errorCode": "INVALID_FIELD"}],
            )
        if body.get("WhoId") not in (None, *self.contacts.values()):
            return 400, {}, [{"message": "invalid cross reference id", "errorCode": "INVALID_CROSS_REFERENCE_KEY"}]
        if key in self.duplicates:
            return 300, {}, [f"{API}/sobjects/Task/00T1", f"{API}/sobjects/Task/00T2"]
        with self.lock:
            existing = self.tasks.get(key)
            if existing is None:
                task_id = f"00T{next(self._ids):012d}"
                self.tasks[key] = {"Id": task_id, "Status": "Not Started", "IsClosed": False, **body}
                self.tasks[key]["LastModifiedDate"] = _now()
                return 201, {}, {"id": task_id, "success": True, "errors": [], "created": True}
            existing.update(body)
            existing["LastModifiedDate"] = _now()
            return 200, {}, {"id": existing["Id"], "success": True, "errors": [], "created": False}

    def _query(self, soql: str):
        contact = re.fullmatch(r"SELECT Id FROM Contact WHERE Email = '(.*)' LIMIT 1", soql)
        if contact:
            found = self.contacts.get(contact.group(1))
            records = [{"attributes": {"type": "Contact"}, "Id": found}] if found else []
            return 200, {}, {"totalSize": len(records), "done": True, "records": records}
        poll = re.fullmatch(
            r"SELECT Id, Portal_Interest_Key__c, Status, IsClosed, LastModifiedDate FROM Task "
            r"WHERE Portal_Interest_Key__c != null( AND LastModifiedDate > (\S+))? ORDER BY LastModifiedDate",
            soql,
        )
        if not poll:
            return 400, {}, [{"message": f"unexpected query {soql}", "errorCode": "MALFORMED_QUERY"}]
        records = [
            {
                "attributes": {"type": "Task"},
                "Id": t["Id"],
                "Portal_Interest_Key__c": key,
                "Status": t["Status"],
                "IsClosed": t["IsClosed"],
                "LastModifiedDate": t["LastModifiedDate"],
            }
            for key, t in self.tasks.items()
        ]
        return 200, {}, {"totalSize": len(records), "done": True, "records": records}


class SchemaError(AssertionError):
    pass


class OpenApi:
    """Just enough JSON Schema (from the OpenAPI document) to validate request bodies."""

    def __init__(self, path: Path = SPEC):
        self.spec = json.loads(path.read_text())

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def request_schema(self, method: str, path: str) -> dict:
        operation = self.spec["paths"][path][method.lower()]
        return operation["requestBody"]["content"]["application/json"]["schema"]

    def validate(self, value, schema: dict, where: str = "$") -> None:
        schema = self.resolve(schema)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            if not isinstance(value, dict):
                raise SchemaError(f"{where}: expected an object")
            for name in schema.get("required", []):
                if name not in value:
                    raise SchemaError(f"{where}: missing required {name!r}")
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for name, item in value.items():
                if name in properties:
                    self.validate(item, properties[name], f"{where}.{name}")
                elif isinstance(extra, dict):
                    self.validate(item, extra, f"{where}.{name}")
                elif properties:
                    raise SchemaError(f"{where}: unknown property {name!r}")
        elif kind == "array":
            if not isinstance(value, list):
                raise SchemaError(f"{where}: expected an array")
            for i, item in enumerate(value):
                self.validate(item, schema.get("items", {}), f"{where}[{i}]")
        elif kind == "string":
            if not isinstance(value, str):
                raise SchemaError(f"{where}: expected a string, got {value!r}")
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise SchemaError(f"{where}: expected an integer")
        elif kind == "boolean" and not isinstance(value, bool):
            raise SchemaError(f"{where}: expected a boolean")
        if "enum" in schema and value not in schema["enum"]:
            raise SchemaError(f"{where}: {value!r} not in {schema['enum']}")


class FakeHubSpot:
    """CRM v3 tasks: batch upsert by ``portal_interest_key``, search, contact search, v4 associations, rate limits."""

    def __init__(self, *, token: str):
        self.token = token
        self.api = OpenApi()
        self.tasks: dict[str, dict] = {}  # key -> {"id", "properties"}
        self.contacts = {"zelda.quixote@example.org": "901"}
        self.associations: set[tuple[str, str]] = set()
        self.forced: list[tuple[int, dict, object]] = []
        self.remaining = 100
        self.calls: list[tuple[str, str, object]] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(5001)

    def limits(self) -> dict:
        return {
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": str(self.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000" if self.remaining > 1 else "300",
        }

    def complete(self, key: str) -> None:
        self.tasks[key]["properties"]["hs_task_status"] = "COMPLETED"

    def __call__(self, request):
        path = urlsplit(request.path).path
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return (
                401,
                {},
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        with self.lock:
            if self.forced:
                return self.forced.pop(0)
        body = json.loads(request.body) if request.body else None
        self.calls.append((request.method, path, body))
        try:
            if request.method == "POST" and path == "/crm/v3/objects/tasks/batch/upsert":
                self.api.validate(body, self.api.request_schema("post", path))
                return self._upsert(body)
            if request.method == "POST" and path in ("/crm/v3/objects/tasks/search", "/crm/v3/objects/contacts/search"):
                self.api.validate(body, self.api.request_schema("post", "/crm/v3/objects/tasks/search"))
                return self._search(path, body)
            if request.method == "POST" and path == "/crm/v4/associations/tasks/contacts/batch/create":
                for pair in body["inputs"]:
                    assert pair["types"] == [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]
                    self.associations.add((pair["from"]["id"], pair["to"]["id"]))
                return 201, self.limits(), {"status": "COMPLETE", "results": []}
            if request.method == "POST" and path == "/crm/v4/associations/tasks/contacts/batch/archive":
                for pair in body["inputs"]:
                    for target in pair["to"]:
                        self.associations.discard((pair["from"]["id"], target["id"]))
                return 204, self.limits(), b""
            match = re.fullmatch(r"/crm/v4/objects/tasks/(\d+)/associations/contacts", path)
            if request.method == "GET" and match:
                results = [
                    {"toObjectId": int(c), "associationTypes": []} for t, c in self.associations if t == match.group(1)
                ]
                return 200, self.limits(), {"results": results}
        except (SchemaError, KeyError, TypeError, AssertionError) as exc:
            return 400, {}, {"status": "error", "message": f"Invalid input JSON: {exc}", "category": "VALIDATION_ERROR"}
        return 404, {}, {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}

    def _upsert(self, body):
        results = []
        stamp = datetime.now(tz=UTC).isoformat()
        for item in body["inputs"]:
            if item.get("idProperty") != "portal_interest_key":
                raise SchemaError("idProperty must be the unique portal_interest_key")
            if item["properties"].get("portal_interest_key", item["id"]) != item["id"]:
                raise SchemaError("the key property disagrees with id")
            with self.lock:
                task = self.tasks.get(item["id"])
                new = task is None
                if new:
                    task = self.tasks[item["id"]] = {"id": str(next(self._ids)), "properties": {}}
                task["properties"].update(item["properties"])
            results.append(
                {
                    "id": task["id"],
                    "new": new,
                    "archived": False,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "properties": dict(task["properties"]),
                }
            )
        self.remaining = max(0, self.remaining - 1)
        answer = {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
        return 200, self.limits(), answer

    def _search(self, path, body):
        filters = body["filterGroups"][0]["filters"] if body["filterGroups"] else []
        if path.endswith("contacts/search"):
            email = next(f["value"] for f in filters if f["propertyName"] == "email")
            found = self.contacts.get(email)
            results = [{"id": found, "properties": {"email": email}}] if found else []
        else:
            results = [
                {"id": t["id"], "properties": {k: t["properties"].get(k) for k in body["properties"]}}
                for t in self.tasks.values()
            ]
        return 200, self.limits(), {"total": len(results), "results": results}
