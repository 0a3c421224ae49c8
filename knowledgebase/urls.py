from django.urls import path

from knowledgebase import views

app_name = "knowledgebase"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("articles/<int:page_id>/helpful/", views.helpful_vote, name="helpful"),
    path("promote/<int:thread_id>/", views.promote, name="promote"),
    path("faq/<slug:slug>/", views.faq, name="faq"),
    path("review/", views.review_report, name="review"),
]
