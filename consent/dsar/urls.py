from django.urls import path

from consent.dsar import views

app_name = "dsar"
urlpatterns = [
    path("", views.my_requests, name="mine"),
    path("export/", views.export_create, name="export_create"),
    path("new/", views.request_create, name="request_create"),
    path("exports/<uuid:export_id>/", views.export_download, name="export_download"),
    path("<uuid:request_id>/withdraw/", views.request_withdraw, name="withdraw"),
    path("<uuid:request_id>/verify/", views.verify, name="verify"),
    path("delete-account/", views.account_delete, name="account_delete"),
    path("delete-account/done/", views.account_delete_done, name="account_delete_done"),
]
