"""One ASGI application for HTTP and WebSocket (Daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from portal.routing import websocket_urlpatterns  # noqa: E402
from portal.two_factor.websocket import SecondFactorWebsocketMiddleware  # noqa: E402
from portal.websocket_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(SecondFactorWebsocketMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Everything loaded so far (Django, Wagtail, the URL conf, templates' modules) lives as long as the
# process. Freezing it keeps the collector's full passes from walking those objects again and again:
# a full pass otherwise stalls the event loop, and with it every open socket, for up to a few hundred
# milliseconds (measured with the chat fan-out bench).
import gc  # noqa: E402

gc.collect()
gc.freeze()
