"""portal.auth_backends.PortalModelBackend: the same permissions as Django's ModelBackend, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from portal.auth_backends import PortalModelBackend
from portal.models import User
from portal.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", Role.ALL)
def test_every_role_gets_what_djangos_backend_gives(role, django_assert_num_queries):
    member = make_member(role=role)
    expected = ModelBackend().get_all_permissions(_fresh(member))
    user = _fresh(member)
    with django_assert_num_queries(1):
        assert PortalModelBackend().get_all_permissions(user) == expected
    assert PortalModelBackend().get_all_permissions(user) == expected  # cached on the user object


def test_direct_and_group_permissions_both_count_and_nobody_elses(django_assert_num_queries):
    member, other = make_member(role=Role.CUSTOMER), make_member(role=Role.CUSTOMER)
    direct = Permission.objects.get(codename="view_group")
    through_group = Permission.objects.get(codename="change_group")
    extra = Group.objects.create(name="Bench reviewers")
    extra.permissions.add(through_group)
    member.user_permissions.add(direct)
    member.groups.add(extra)
    other.user_permissions.add(Permission.objects.get(codename="delete_group"))
    found = PortalModelBackend().get_all_permissions(_fresh(member))
    assert {"auth.view_group", "auth.change_group"} <= found
    assert "auth.delete_group" not in found
    assert found == ModelBackend().get_all_permissions(_fresh(member))


def test_inactive_users_and_object_checks_get_nothing():
    member = make_member(role=Role.MODERATOR)
    member.is_active = False
    assert PortalModelBackend().get_all_permissions(member) == set()
    assert PortalModelBackend().get_all_permissions(_fresh(member), obj=object()) == set()
