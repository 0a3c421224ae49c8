"""The API's URLs: /api/v1/ (operations, /openapi.json, /docs) and the member's token pages under /account/."""

from django.urls import path

from api import views
from api.v1 import api

urlpatterns = [
    path("v1/", api.urls),
]

account_patterns = [
    path("", views.token_list, name="api_tokens"),
    path("<int:token_id>/revoke/", views.token_revoke, name="api_token_revoke"),
]
