"""WebSocket connections of a session that still owes a second factor are anonymous (no staff powers)."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from portal.two_factor.policy import session_owes_second_factor


@database_sync_to_async
def _owes(scope) -> bool:
    session = scope.get("session")
    return session is not None and session_owes_second_factor(user=scope["user"], session=session)


class SecondFactorWebsocketMiddleware(BaseMiddleware):
    """Inside channels' AuthMiddlewareStack: the HTTP pages' rule (portal.two_factor.middleware) for sockets."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is not None and await _owes(scope):
            scope = {**scope, "user": AnonymousUser()}
        return await super().__call__(scope, receive, send)
