"""A moderator and a product manager open the insight dashboards in English and German."""

import pytest

pytestmark = pytest.mark.e2e

VIEWS = [
    ("/admin/insight/", "Volume per day", "Umfang pro Tag"),
    ("/admin/insight/service/", "Time to first answer", "Zeit bis zur ersten Antwort"),
    ("/admin/insight/cards/", "By action type", "Nach Aktionsart"),
    ("/admin/insight/topics/", "Top keywords", "Häufigste Stichwörter"),
    ("/admin/insight/mood/", "Mood per week", "Stimmung pro Woche"),
    ("/admin/insight/questions/", "Frequent questions", "Häufige Fragen"),
]


@pytest.mark.parametrize(
    ("email", "password", "who"),
    [
        ("moderator@example.com", "moderator-demo-2026", "moderator"),
        ("pm@example.com", "pm-demo-2026", "product-manager"),
    ],
)
@pytest.mark.parametrize(("locale", "language"), [("en-GB", "en"), ("de-DE", "de")])
def test_staff_open_every_insight_view(
    new_page, live_server, as_user, screenshot, email, password, who, locale, language
):
    if language == "de":  # the back office speaks the staff member's preferred language
        email, password = f"insight-de-{who}@example.com", "insight-de-demo-2026"
        group = "Moderator" if who == "moderator" else "Product Manager"
        live_server.shell(
            "from django.contrib.auth.models import Group; from django.utils import timezone; "
            "from portal.models import User; "
            f"u = User.objects.with_email({email!r}).first() or User.objects.create(email={email!r}, "
            f"handle='insight-de-{who}', preferred_language='de', email_confirmed_at=timezone.now()); "
            f"u.set_password({password!r}); u.save(); u.groups.add(Group.objects.get(name={group!r}))"
        )
    page = new_page(locale=locale)
    as_user(page, email, password)
    page.goto("/admin/")
    menu = page.locator("[data-side-panel-toggle], .sidebar-menu-item, nav").first
    assert menu.count() == 1
    for url, english, german in VIEWS:
        page.goto(url)
        heading = english if language == "en" else german
        assert page.locator("h2", has_text=heading).count() >= 1, (url, heading)
        svg = page.locator("svg.insight-chart")
        if svg.count():
            assert svg.first.get_attribute("role") == "img"
            assert svg.first.locator("title").count() == 1
        assert "customer@example.com" not in page.content()
        assert "Clara" not in page.content()
    page.goto("/admin/insight/?range=custom&start=2026-05-10&end=2026-05-01")
    message = "The start date is after the end date" if language == "en" else "Das Anfangsdatum liegt nach dem Enddatum"
    assert message in page.content()
    for url, name in (
        ("/admin/insight/", "volume"),
        ("/admin/insight/service/", "service"),
        ("/admin/insight/mood/", "mood"),
    ):
        page.goto(url)
        screenshot(page, f"insight-{name}-{who}-{language}")
