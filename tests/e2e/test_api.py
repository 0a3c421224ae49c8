"""The integrator's journey in a real browser: read the docs, create a token, list threads, post a reply."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_docs_token_list_and_reply(new_page, live_server, as_user, screenshot):
    """The docs render under the site's CSP from local files; a token made on the account page lists and replies."""
    page = new_page()
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    external = []
    page.on(
        "request", lambda request: external.append(request.url) if not request.url.startswith(live_server.url) else None
    )
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Community portal API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path[data-path='/api/v1/forums/{slug}/threads']").first.wait_for()
    screenshot(page, "api-docs")
    assert blocked == [] and external == []

    as_user(page, "customer@example.com", "customer-demo-2026")
    page.goto("/account/")
    page.click("text=API tokens")
    page.fill("input[name=name]", "My script")
    page.select_option("select[name=scope]", "write")
    page.click("main button[type=submit]:has-text('Create token')")
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("cpat_")
    screenshot(page, "api-token-created")

    headers = {"Authorization": f"Bearer {secret}"}
    forums = page.request.get("/api/v1/forums", headers=headers)
    assert forums.status == 200
    slug = forums.json()[0]["slug"]
    threads = page.request.get(f"/api/v1/forums/{slug}/threads?limit=5", headers=headers).json()["items"]
    assert threads and all(t["author"]["pseudonym"].startswith("api") for t in threads if t["author"])
    reply = page.request.post(
        f"/api/v1/threads/{threads[0]['id']}/posts", headers=headers, data={"body": "Posted through the API."}
    )
    assert reply.status == 201, reply.text()
    page.goto(threads[0]["url"])
    assert page.locator("text=Posted through the API.").count() == 1

    page.goto("/account/api-tokens/")
    page.click("button:has-text('Revoke')")
    assert page.request.get("/api/v1/forums", headers=headers).status == 401
