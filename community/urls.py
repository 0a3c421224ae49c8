from django.urls import path

from community import views

app_name = "community"
urlpatterns = [
    path("", views.forum_index, name="index"),
    path("search/", views.search, name="search"),
    path("similar/", views.similar, name="similar"),
    path("tags/", views.tag_suggestions, name="tag_suggestions"),
    path("t/<int:thread_id>/", views.thread_detail, name="thread"),
    path("t/<int:thread_id>/reply/", views.post_reply, name="reply"),
    path("t/<int:thread_id>/posts/", views.thread_posts_after, name="posts_after"),
    path("t/<int:thread_id>/tags/", views.thread_tag_add, name="tag_add"),
    path("t/<int:thread_id>/tags/<slug:tag_slug>/remove/", views.thread_tag_remove, name="tag_remove"),
    path("t/<int:thread_id>/moderate/", views.thread_moderate, name="thread_moderate"),
    path("p/<int:post_id>/", views.post_redirect, name="post"),
    path("p/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:post_id>/history/", views.post_history, name="post_history"),
    path("p/<int:post_id>/accept/", views.answer_accept, name="accept"),
    path("p/<int:post_id>/helpful/", views.reaction_toggle, name="helpful"),
    path("p/<int:post_id>/flag/", views.post_flag, name="flag"),
    path("p/<int:post_id>/moderate/", views.post_moderate, name="post_moderate"),
    path("blog/<int:page_id>/comment/", views.blog_comment, name="blog_comment"),
    path("<slug:slug>/", views.forum_detail, name="forum"),
    path("<slug:slug>/ask/", views.thread_create, name="ask"),
]
