"""Roles are Django groups; this module says which permissions each role holds.

The groups are created by a data migration (portal 0002); ``sync_role_permissions``
runs after every ``migrate`` so permissions of apps migrated later are granted too.
Domain apps add their permissions with ``grant`` from their AppConfig.ready.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class Role:
    CUSTOMER = "Customer"
    MODERATOR = "Moderator"
    PRODUCT_MANAGER = "Product Manager"
    EDITOR = "Editor"
    DPO = "Data Protection Officer"
    ADMINISTRATOR = "Administrator"

    ALL = (CUSTOMER, MODERATOR, PRODUCT_MANAGER, EDITOR, DPO, ADMINISTRATOR)
    STAFF = (MODERATOR, PRODUCT_MANAGER, EDITOR, DPO, ADMINISTRATOR)


ROLE_LABELS = {
    Role.CUSTOMER: _("Customer"),
    Role.MODERATOR: _("Moderator"),
    Role.PRODUCT_MANAGER: _("Product manager"),
    Role.EDITOR: _("Editor"),
    Role.DPO: _("Data protection officer"),
    Role.ADMINISTRATOR: _("Administrator"),
}

ADMIN_ACCESS = "wagtailadmin.access_admin"

# "app_label.codename" per role; apps extend this with grant().
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CUSTOMER: set(),
    Role.MODERATOR: {ADMIN_ACCESS, "wagtailimages.add_image", "wagtailimages.choose_image"},
    Role.PRODUCT_MANAGER: {ADMIN_ACCESS},
    Role.EDITOR: {
        ADMIN_ACCESS,
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "taggit.add_tag",
        "taggit.change_tag",
        # wagtail.contrib.simple_translation: copy a page into the other language's tree to translate it.
        "simple_translation.submit_translation",
    },
    Role.DPO: {ADMIN_ACCESS},
    Role.ADMINISTRATOR: {
        ADMIN_ACCESS,
        "portal.view_user",
        "portal.change_user",
        "auth.view_group",
        "wagtailsites.change_site",
        "theme.change_brandsettings",
        "simple_translation.submit_translation",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtailredirects.add_redirect",
        "wagtailredirects.change_redirect",
        "wagtailredirects.delete_redirect",
        # Login lockouts in the back office (portal.admin_lockouts): see them and lift them.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
    },
}

# Page permissions on the whole tree (Wagtail GroupPagePermission codenames); a role not listed has none.
# Moderators only add: Wagtail lets them edit the drafts they own (a thread promoted to the knowledge
# base), never the home page, blog posts or anyone else's page. Editors write but do not publish:
# a page goes live (now or at its scheduled time) only when the last step of its workflow approves it.
ROLE_PAGE_PERMISSIONS: dict[str, set[str]] = {
    Role.MODERATOR: {"add_page"},
    Role.EDITOR: {"add_page", "change_page", "lock_page", "unlock_page"},
    Role.ADMINISTRATOR: {"add_page", "change_page", "publish_page", "lock_page", "unlock_page"},
}


def grant(role: str, *permissions: str) -> None:
    """Give a role more permissions (called by apps in AppConfig.ready)."""
    ROLE_PERMISSIONS[role].update(permissions)


def can_access_back_office(user) -> bool:
    return bool(user and user.is_active and user.has_perm(ADMIN_ACCESS))


def role_names(user) -> set[str]:
    """The groups the user is in, read once per user object (has_role and the DPO check share it)."""
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return cache


def has_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return role in role_names(user) or (user.is_superuser and role != Role.CUSTOMER)


def is_staff_member(user) -> bool:
    """Does the user hold a staff role (anything but Customer), or is a superuser?"""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(role_names(user) & set(Role.STAFF))


def staff_members():
    """Active staff accounts (every role but Customer, and superusers), by handle: for back-office choices."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=Role.STAFF) | Q(is_superuser=True), is_active=True, erased_at__isnull=True)
        .distinct()
        .order_by("handle")
    )


def create_role_groups(Group) -> None:
    """Create the role groups (data migration); Wagtail's default groups become ours."""
    renames = {"Moderators": Role.EDITOR, "Editors": Role.MODERATOR}
    for old, new in renames.items():
        if not Group.objects.filter(name=new).exists():
            Group.objects.filter(name=old).update(name=new)
    for name in Role.ALL:
        Group.objects.get_or_create(name=name)


def sync_role_permissions(*, using="default", **kwargs) -> None:
    """Grant every role exactly the permissions declared above that exist now."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Page

    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
            if found:
                wanted.append(found)
        group.permissions.add(*wanted)
    root = Page.objects.using(using).filter(depth=1).first()
    if root is None:
        return
    # Wagtail's own migration gave its "Editors" group (now Moderator) change rights on the root: take back
    # whatever a role does not declare.
    for name in Role.ALL:
        GroupPagePermission.objects.using(using).filter(group__name=name, page=root).exclude(
            permission__codename__in=ROLE_PAGE_PERMISSIONS.get(name, set())
        ).delete()
    for name, codenames in ROLE_PAGE_PERMISSIONS.items():
        group = Group.objects.using(using).get(name=name)
        for codename in codenames:
            permission = (
                Permission.objects.using(using).filter(content_type__app_label="wagtailcore", codename=codename).first()
            )
            if permission:
                GroupPagePermission.objects.using(using).get_or_create(group=group, page=root, permission=permission)
