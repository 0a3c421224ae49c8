from django.urls import path

from crm import views

app_name = "crm"
urlpatterns = [
    path("hooks/<int:connection_id>/", views.status_hook, name="status_hook"),
    path("demo-receiver/", views.demo_receiver, name="demo_receiver"),
]
