"""The OpenAPI document: version 3.1 at a stable URL, problem media types, webhooks from the payload schemas, docs without CDN."""

from __future__ import annotations

import pytest
from ninja import Schema

from api.openapi import add_webhooks, webhook_events


class ThreadCreatedPayload(Schema):
    """A thread was created."""

    type: str
    version: int
    data: dict[str, str]


def test_schema_is_openapi_31_at_a_stable_url(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"] == "3.1.0"
    assert schema["components"]["securitySchemes"] == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    forbidden = schema["paths"]["/api/v1/forums/{slug}/threads"]["get"]["responses"]["403"]
    assert forbidden["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_webhooks_section_is_built_from_the_payload_schemas():
    """Each event becomes a POST in ``webhooks`` whose body references its payload schema in the components."""
    schema = add_webhooks({"openapi": "3.1.0", "paths": {}}, {"thread.created": ThreadCreatedPayload})
    operation = schema["webhooks"]["thread.created"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ThreadCreatedPayload"
    }
    assert operation["description"] == "A thread was created."
    assert schema["components"]["schemas"]["ThreadCreatedPayload"]["required"] == ["type", "version", "data"]


def test_live_document_lists_every_webhook_event(client):
    """The served document has one webhook per event the webhooks app declares."""
    events = webhook_events()
    schema = client.get("/api/v1/openapi.json").json()
    assert sorted(schema.get("webhooks", {})) == sorted(events)


def test_docs_page_loads_only_our_static_files(client):
    """Swagger UI comes from /static/ (no CDN), under the site's Content-Security-Policy."""
    response = client.get("/api/v1/docs")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in page
    assert '<link type="text/css" rel="stylesheet" href="/static/ninja/swagger-ui.css">' in page
    assert "cdn" not in page.lower()
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_payload_named_like_an_api_schema_is_refused():
    """A webhook payload may not reuse a component name with another shape, or its $ref would point elsewhere."""
    schema = {"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"ThreadCreatedPayload": {"type": "string"}}}}
    with pytest.raises(ValueError, match="clashes"):
        add_webhooks(schema, {"thread.created": ThreadCreatedPayload})
