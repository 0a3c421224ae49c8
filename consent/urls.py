from django.urls import include, path

from consent import views

app_name = "consent"
urlpatterns = [
    path("", views.privacy_centre, name="centre"),
    path("consents/<slug:code>/", views.consent_toggle, name="toggle"),
    path("receipts/verify/", views.receipt_verify, name="receipt_verify"),
    path("receipts/<uuid:record_id>/", views.receipt_download, name="receipt_download"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("ledger/checkpoints.json", views.ledger_checkpoints, name="ledger_checkpoints"),
    path("confirm/<str:token>/", views.opt_in_confirm, name="opt_in_confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("requests/", include("consent.dsar.urls")),
]
