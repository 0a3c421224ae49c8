"""Version 1 of the REST API: one NinjaAPI with token auth, problem details and the resource routers."""

from __future__ import annotations

from api import problems
from api.auth import TokenAuth
from api.openapi import PortalAPI, docs
from api.routers import cards, forums, ideas, kb, privacy

DESCRIPTION = """\
The portal's REST API. It shows each token exactly what the portal's pages show the account the token
acts as; members appear only as pseudonyms of this client. Authenticate with
`Authorization: Bearer <token>`: members create personal tokens under *Account → API tokens*,
administrators create integration tokens in the back office. Errors are RFC 9457 problem details.
"""

api = PortalAPI(
    title="Community portal API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=docs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("", forums.router)
api.add_router("", ideas.router)
api.add_router("", kb.router)
api.add_router("", cards.router)
api.add_router("", privacy.router)
