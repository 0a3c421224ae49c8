"""Shared fixtures: members per role, a home page, a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.roles import Role
from tests.factories import PASSWORD, make_member
from tests.smtp import SMTPServer


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached pages live in the cache; every test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in the default language.

    A request by a member who prefers German activates German in the test's thread (in the ASGI
    server each request has its own context, so nothing leaks there); without this, later tests on
    the same worker would read German messages depending on the order they run in.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _rows_from_data_migrations(request):
    """A transactional test's flush empties every table, including rows data migrations made
    (roles, consent purposes, Wagtail's locale and root page); put them back before such a test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Locale, Page

    from consent.models import NoticeVersion, Purpose
    from consent.purposes import install_default_purposes
    from portal.roles import sync_role_permissions

    request.getfixturevalue("transactional_db")
    sync_role_permissions()
    install_default_purposes(Purpose, NoticeVersion)
    for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        Locale.objects.get_or_create(language_code=code)
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page)))


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def customer(db):
    return make_member(role=Role.CUSTOMER)


@pytest.fixture
def other_customer(db):
    return make_member(role=Role.CUSTOMER)


@pytest.fixture
def moderator(db):
    return make_member(role=Role.MODERATOR)


@pytest.fixture
def product_manager(db):
    return make_member(role=Role.PRODUCT_MANAGER)


@pytest.fixture
def editor(db):
    return make_member(role=Role.EDITOR)


@pytest.fixture
def dpo(db):
    return make_member(role=Role.DPO)


@pytest.fixture
def administrator(db):
    return make_member(role=Role.ADMINISTRATOR)


@pytest.fixture
def home_page(db):
    """The demo brand and home page, as seed_demo creates them."""
    from portal.demo import _brand, _home_page_and_site

    site = _home_page_and_site()
    _brand(site)
    return site.root_page.specific


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend sends to it."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    yield server
    server.stop()
