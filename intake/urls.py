from django.urls import path

from intake import views

app_name = "intake"
urlpatterns = [
    path("hooks/<int:source_id>/", views.hook, name="hook"),
]
