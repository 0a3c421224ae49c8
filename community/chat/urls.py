from django.urls import path

from community.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.chat_home, name="home"),
    path("<int:chat_id>/", views.chat_room, name="room"),
    path("<int:chat_id>/transcript/", views.chat_transcript, name="transcript"),
    path("<int:chat_id>/accept-thread/", views.chat_accept_thread, name="accept_thread"),
    path("<int:chat_id>/bot-feedback/", views.chat_bot_feedback, name="bot_feedback"),
    path("<int:chat_id>/talk-to-person/", views.chat_talk_to_person, name="talk_to_person"),
    path("console/", views.console, name="console"),
    path("console/<int:chat_id>/", views.console_chat, name="console_chat"),
]
