"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from django.urls import path

from community.chat.consumers import ChatConsumer, ConsoleConsumer
from community.consumers import ThreadConsumer
from portal.consumers import NotificationConsumer, PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/forums/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/chat/console/", ConsoleConsumer.as_asgi()),
    path("ws/chat/<int:chat_id>/", ChatConsumer.as_asgi()),
]
