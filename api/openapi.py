"""The versioned API object: ETags on reads, problem details on errors, webhooks in the OpenAPI document."""

from __future__ import annotations

import hashlib
import importlib

from django.http import HttpResponseNotModified
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from api import problems

WEBHOOK_PAYLOADS_MODULE = "api.webhooks.payloads"


def webhook_events() -> dict:
    """``WEBHOOK_EVENTS`` of the webhooks app (event name -> payload schema), or none while it is not installed."""
    try:
        module = importlib.import_module(WEBHOOK_PAYLOADS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and WEBHOOK_PAYLOADS_MODULE.startswith(exc.name):
            return {}
        raise
    return dict(getattr(module, "WEBHOOK_EVENTS", {}))


def add_webhooks(schema: dict, events: dict) -> dict:
    """OpenAPI 3.1's ``webhooks``: one POST per event with its versioned payload schema as the request body."""
    if not events:
        return schema
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    webhooks = {}
    for name, payload in sorted(events.items()):
        json_schema = payload.model_json_schema(ref_template="#/components/schemas/{model}")
        title = json_schema.get("title") or payload.__name__
        for def_name, definition in [*json_schema.pop("$defs", {}).items(), (title, json_schema)]:
            # One name, one schema: a payload model named like an API schema would make its $ref lie.
            if components.setdefault(def_name, definition) != definition:
                raise ValueError(f"webhook payload schema {def_name!r} clashes with another schema of that name")
        webhooks[name] = {
            "post": {
                "summary": name,
                "description": (payload.__doc__ or "").strip(),
                "operationId": "webhook_" + name.replace(".", "_"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{title}"}}},
                },
                "responses": {"2XX": {"description": "Any 2xx status acknowledges the delivery."}},
            }
        }
    schema["webhooks"] = webhooks
    return schema


def _problem_media_types(schema: dict) -> dict:
    """Error responses are ``application/problem+json`` (RFC 9457), not plain JSON."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(status).startswith(("4", "5")) and "application/json" in content:
                    content[problems.MEDIA_TYPE] = content.pop("application/json")
    return schema


class PortalAPI(NinjaAPI):
    """NinjaAPI with conditional GETs (a strong ETag per body, 304 on If-None-Match) and the portal's schema additions."""

    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            etag = '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
            response["Vary"] = "Authorization, Accept-Language"
            wanted = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
            if etag in wanted or "*" in wanted:
                not_modified = HttpResponseNotModified()
                for header in ("ETag", "Cache-Control", "Vary"):
                    not_modified[header] = response[header]
                return not_modified
        return response

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return add_webhooks(_problem_media_types(schema), webhook_events())


def docs() -> Swagger:
    """Swagger UI from the portal's own static files (ninja ships them), so the page needs no CDN."""
    return Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": True})
