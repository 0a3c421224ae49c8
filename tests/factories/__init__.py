"""Test data built through the services, so tests see what members see."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.models import User
from portal.roles import Role

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_member(*, role: str = Role.CUSTOMER, email: str | None = None, confirmed: bool = True, **extra) -> User:
    """A member with a role, created the way sign-up creates one (generated handle, Customer group)."""
    n = next(_counter)
    user = User.objects.create_user(
        email=email or f"member{n}@example.com",
        password=PASSWORD,
        email_confirmed_at=timezone.now() if confirmed else None,
        first_name=extra.pop("first_name", f"First{n}"),
        last_name=extra.pop("last_name", f"Last{n}"),
        **extra,
    )
    user.groups.add(Group.objects.get(name=role))
    if role == Role.ADMINISTRATOR:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return user
