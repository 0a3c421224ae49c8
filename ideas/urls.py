from django.urls import path

from ideas import views

app_name = "ideas"
urlpatterns = [
    path("", views.board_index, name="index"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("similar/", views.similar, name="similar"),
    path("idea/<int:pk>/", views.idea_detail, name="idea"),
    path("idea/<int:pk>/vote/", views.vote, name="vote"),
    path("idea/<int:pk>/follow/", views.follow, name="follow"),
    path("idea/<int:pk>/comment/", views.comment_create, name="comment"),
    path("comment/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
    path("<slug:slug>/", views.board, name="board"),
    path("<slug:slug>/new/", views.idea_new, name="idea_new"),
]
