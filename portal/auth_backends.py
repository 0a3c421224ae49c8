"""Authentication backends: the login throttle's gate (django-axes) and Django's model backend with the
permission cache filled in one query."""

from __future__ import annotations

import functools

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


class PortalModelBackend(ModelBackend):
    """Every page asks for permissions (the header's back-office link, role-dependent buttons);
    user and group permissions are loaded together once per request instead of in two queries."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.values_list("content_type__app_label", "codename").order_by()
            else:
                with connection.cursor() as cursor:
                    cursor.execute(_member_permissions_sql(), [user_obj.pk, user_obj.pk])
                    rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


@functools.cache
def _member_permissions_sql() -> str:
    """(app label, codename) of a member's own and group permissions: one statement built once per process.

    Two IN subqueries, not joins through both many-to-many tables under an OR (PostgreSQL ran that form
    in ~1 ms, reading every permission row; this one in ~0.1 ms); written out because composing it with
    the ORM cost ~0.4 ms on every page. Only the models' table names are formatted in (the columns are
    Django's fixed many-to-many columns); the user's id is a bound parameter.
    """
    from portal.models import User

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    own, groups, group_permissions = User.user_permissions.through, User.groups.through, Group.permissions.through
    return (
        f"SELECT ct.app_label, p.codename FROM {table(Permission)} p"  # noqa: S608
        f" INNER JOIN {table(ContentType)} ct ON ct.id = p.content_type_id"
        f" WHERE p.id IN (SELECT permission_id FROM {table(own)} WHERE user_id = %s)"
        f" OR p.id IN (SELECT gp.permission_id FROM {table(group_permissions)} gp"
        f" INNER JOIN {table(groups)} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    )


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' gate (portal.login_throttle): refuses a throttled address or (address, account) pair
    before any password is checked. Logins without an HTTP request (the test client, a shell) have no
    client address to throttle and no attacker behind them, so they pass through to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
