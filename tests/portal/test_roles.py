"""Roles are groups with the permissions they need; staff roles reach the back office."""

import pytest
from django.contrib.auth.models import Group

from portal.roles import Role, can_access_back_office
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.ALL)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.CUSTOMER, 302),
        (Role.MODERATOR, 200),
        (Role.PRODUCT_MANAGER, 200),
        (Role.EDITOR, 200),
        (Role.DPO, 200),
        (Role.ADMINISTRATOR, 200),
    ],
)
def test_back_office_access_per_role(client, role, status):
    """Customers are turned away from /admin/, every staff role gets in."""
    member = make_member(role=role)
    client.force_login(member)
    response = client.get("/admin/")
    assert response.status_code == status
    assert can_access_back_office(member) is (status == 200)
    if status == 302:
        assert "/admin/login/" in response.url


def test_anonymous_is_sent_to_the_back_office_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_editor_writes_but_publishes_only_through_workflows_and_moderator_can_only_draft():
    """Page permissions on the tree: editors write and submit (their workflow's last approval publishes), moderators draft."""
    from wagtail.models import Page

    root = Page.get_first_root_node()
    editor = make_member(role=Role.EDITOR)
    moderator = make_member(role=Role.MODERATOR)
    assert root.permissions_for_user(editor).can_add_subpage()
    assert not root.permissions_for_user(editor).can_publish_subpage()
    assert root.permissions_for_user(moderator).can_add_subpage()
    assert not root.permissions_for_user(moderator).can_publish_subpage()


def test_administrator_edits_the_brand_and_others_do_not():
    admin = make_member(role=Role.ADMINISTRATOR)
    editor = make_member(role=Role.EDITOR)
    assert admin.has_perm("theme.change_brandsettings")
    assert not editor.has_perm("theme.change_brandsettings")


def test_staff_link_in_header_only_for_staff(client, home_page, customer):
    client.force_login(customer)
    assert "Back office" not in client.get("/").content.decode()
    client.force_login(make_member(role=Role.MODERATOR))
    assert "Back office" in client.get("/").content.decode()
