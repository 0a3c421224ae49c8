"""URLs of two-factor sign-in, under /account/two-factor/ (the middleware lets these through)."""

from django.urls import path

from portal.two_factor import views

urlpatterns = [
    path("", views.manage, name="two_factor_manage"),
    path("setup/", views.setup, name="two_factor_setup"),
    path("verify/", views.verify, name="two_factor_verify"),
    path("recovery-codes/", views.recovery_codes, name="two_factor_recovery_codes"),
    path("recovery-codes/download/", views.recovery_codes_download, name="two_factor_recovery_codes_download"),
    path("recovery-codes/new/", views.recovery_codes_regenerate, name="two_factor_recovery_codes_regenerate"),
    path("disable/", views.disable, name="two_factor_disable"),
    path("staff/", views.staff_list, name="two_factor_staff"),
]
