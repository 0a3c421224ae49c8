from django.urls import path

from community import editor_views, views, watching_views

app_name = "community"
urlpatterns = [
    path("", views.forum_index, name="index"),
    path("search/", views.search, name="search"),
    path("similar/", views.similar, name="similar"),
    path("tags/", views.tag_suggestions, name="tag_suggestions"),
    path("editor/drafts/", editor_views.draft_save, name="draft_save"),
    path("editor/images/", editor_views.image_upload, name="image_upload"),
    path("editor/images/<str:token>/delete/", editor_views.image_delete, name="image_delete"),
    path("mentions/", views.mention_suggestions, name="mention_suggestions"),
    path("bookmarks/", watching_views.bookmarks, name="bookmarks"),
    path("bookmarks/<int:bookmark_id>/remove/", watching_views.bookmark_remove, name="bookmark_remove"),
    path("tag/<slug:tag_slug>/", watching_views.tag_detail, name="tag"),
    path("tag/<slug:tag_slug>/watch/", watching_views.tag_watch, name="tag_watch"),
    path("t/<int:thread_id>/", views.thread_detail, name="thread"),
    path("t/<int:thread_id>/reply/", views.post_reply, name="reply"),
    path("t/<int:thread_id>/posts/", views.thread_posts_after, name="posts_after"),
    path("t/<int:thread_id>/tags/", views.thread_tag_add, name="tag_add"),
    path("t/<int:thread_id>/tags/<slug:tag_slug>/remove/", views.thread_tag_remove, name="tag_remove"),
    path("t/<int:thread_id>/moderate/", views.thread_moderate, name="thread_moderate"),
    path("t/<int:thread_id>/watch/", watching_views.thread_watch, name="thread_watch"),
    path("t/<int:thread_id>/bookmark/", watching_views.thread_bookmark, name="thread_bookmark"),
    path("t/<int:thread_id>/unread/", watching_views.thread_first_unread, name="first_unread"),
    path("p/<int:post_id>/", views.post_redirect, name="post"),
    path("p/<int:post_id>/fragment/", views.post_fragment, name="post_fragment"),
    path("p/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:post_id>/history/", views.post_history, name="post_history"),
    path("p/<int:post_id>/accept/", views.answer_accept, name="accept"),
    path("p/<int:post_id>/helpful/", views.reaction_toggle, name="helpful"),
    path("p/<int:post_id>/flag/", views.post_flag, name="flag"),
    path("p/<int:post_id>/moderate/", views.post_moderate, name="post_moderate"),
    path("p/<int:post_id>/bookmark/", watching_views.post_bookmark, name="post_bookmark"),
    path("blog/<int:page_id>/comment/", views.blog_comment, name="blog_comment"),
    path("<slug:slug>/", views.forum_detail, name="forum"),
    path("<slug:slug>/ask/", views.thread_create, name="ask"),
    path("<slug:slug>/watch/", watching_views.forum_watch, name="forum_watch"),
]

# Mounted under MEDIA_URL by portal.urls: uploads into posts are served through the portal, access-checked.
media_urlpatterns = [
    path("posts/<str:name>", editor_views.image_file, name="post_image_file"),
]
