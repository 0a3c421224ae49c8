"""URL map of the whole portal; each app owns its own urls module."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from api.urls import account_patterns as api_account_patterns
from community.urls import media_urlpatterns as community_media_patterns
from portal import health, profile_views, views

account_patterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("signup/resend/", views.resend_confirmation, name="resend_confirmation"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("", views.account, name="account"),
    path("two-factor/", include("portal.two_factor.urls")),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/latest/", views.notifications_latest, name="notifications_latest"),
    path("picture/", profile_views.avatar_upload, name="avatar_upload"),
    path("picture/remove/", profile_views.avatar_remove, name="avatar_remove"),
]

member_patterns = [
    path("avatars/default/<str:key>.svg", profile_views.default_avatar, name="default_avatar"),
    path("avatars/<str:token>.webp", profile_views.avatar_file, name="member_avatar"),
    path("<str:handle>/", profile_views.profile, name="member_profile"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("account/api-tokens/", include(api_account_patterns)),
    path("account/", include(account_patterns)),
    path("members/", include(member_patterns)),
    path("privacy/", include("consent.urls")),
    path("forums/", include("community.urls")),
    path("ideas/", include("ideas.urls")),
    path("kb-tools/", include("knowledgebase.urls")),
    path("crm/", include("crm.urls")),
    path("intake/", include("intake.urls")),
    path("api/", include("api.urls")),
    # Images in posts: served by the portal (type fixed, access checked) before any static media rule.
    path(settings.MEDIA_URL.lstrip("/"), include(community_media_patterns)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("chat/", include("community.chat.urls"))]
urlpatterns += [path("", include(wagtail_urls))]

# A request the input checks refuse before any view runs: under /api/ the answer is a problem document.
handler400 = "api.views.bad_request"
