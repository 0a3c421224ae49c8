"""Demo content of the shell: brand, the English and German home and legal pages, one account per role."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from portal import demo_legal as legal_texts
from portal.models import HomePage, LegalPage, User
from portal.roles import Role

DEMO_PASSWORD_SUFFIX = "-demo-2026"
DEMO_ACCOUNTS = (
    # email, role, handle, first name, last name
    ("customer@example.com", Role.CUSTOMER, "quiet-otter-4821", "Clara", "Kunde"),
    ("customer2@example.com", Role.CUSTOMER, "brave-falcon-1207", "Max", "Mustermann"),
    ("moderator@example.com", Role.MODERATOR, "calm-heron-3310", "Mona", "Moderat"),
    ("pm@example.com", Role.PRODUCT_MANAGER, "keen-lynx-5542", "Paul", "Produkt"),
    ("editor@example.com", Role.EDITOR, "witty-raven-7781", "Erika", "Redaktion"),
    ("dpo@example.com", Role.DPO, "wise-owl-0042", "Dana", "Datenschutz"),
    ("admin@example.com", Role.ADMINISTRATOR, "noble-wolf-9001", "Adam", "Admin"),
)


def demo_password(email: str) -> str:
    return email.split("@")[0] + DEMO_PASSWORD_SUFFIX


def demo_user(email: str) -> User:
    return User.objects.with_email(email).get()


@transaction.atomic
def seed(*, stdout) -> list[str]:
    """Create or refresh the brand, the home page and the demo accounts; return the login lines."""
    site = _home_page_and_site()
    _brand(site)
    _legal_pages(site.root_page.specific)
    lines = []
    for email, role, handle, first, last in DEMO_ACCOUNTS:
        user = User.objects.with_email(email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=demo_password(email),
                handle=handle,
                first_name=first,
                last_name=last,
                email_confirmed_at=timezone.now(),
                preferred_language="en",
            )
        user.is_superuser = role == Role.ADMINISTRATOR
        user.is_staff = role == Role.ADMINISTRATOR
        user.save(update_fields=["is_superuser", "is_staff"])
        user.groups.add(Group.objects.get(name=role))
        lines.append(f"{role:<24} {email:<24} {demo_password(email)}")
    return lines


def _home_page_and_site() -> Site:
    """The English home page as the site's root and its German translation beside it."""
    root = Page.get_first_root_node()
    home = HomePage.objects.filter(locale=Locale.get_default()).first()
    if home is None:
        # Wagtail's placeholder "Welcome" page takes the slug; the portal's home page replaces it.
        Page.objects.filter(
            depth=2, slug="home", content_type__model="page", content_type__app_label="wagtailcore"
        ).delete()
        home = root.add_child(
            instance=HomePage(
                title="Welcome to the Acme community",
                slug="home",
                intro="Ask questions, share ideas and get help from other customers and our team — "
                "with your privacy built in: you choose what is shared, and you can take your data with you.",
                body=[
                    (
                        "feature",
                        {
                            "title": "Help forums",
                            "text": "Ask a question; the community and our support team answer.",
                            "link_url": "/forums/",
                            "link_text": "Browse the forums",
                        },
                    ),
                    (
                        "feature",
                        {
                            "title": "Ideas",
                            "text": "Suggest improvements and vote for what matters to you.",
                            "link_url": "/ideas/",
                            "link_text": "See the ideas",
                        },
                    ),
                    (
                        "feature",
                        {
                            "title": "Knowledge base",
                            "text": "Step-by-step answers to the most common questions.",
                            "link_url": "/kb/",
                            "link_text": "Search articles",
                        },
                    ),
                    (
                        "feature",
                        {
                            "title": "Your privacy",
                            "text": "Every purpose has its own opt-in, and you can withdraw with one click.",
                            "link_url": "/privacy/",
                            "link_text": "Open the privacy centre",
                        },
                    ),
                ],
            )
        )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Acme Community"
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = "Acme Community"
        site.save()
    translate_page(home, "de", **HOME_DE)
    return site


HOME_DE = {
    "title": "Willkommen in der Acme-Community",
    "intro": "Stellen Sie Fragen, teilen Sie Ideen und erhalten Sie Hilfe von anderen Kundinnen, Kunden und "
    "unserem Team – mit eingebautem Datenschutz: Sie entscheiden, was geteilt wird, und können Ihre Daten "
    "jederzeit mitnehmen.",
    "body": [
        (
            "feature",
            {
                "title": "Hilfe-Foren",
                "text": "Stellen Sie eine Frage; die Community und unser Support-Team antworten.",
                "link_url": "/forums/",
                "link_text": "Zu den Foren",
            },
        ),
        (
            "feature",
            {
                "title": "Ideen",
                "text": "Schlagen Sie Verbesserungen vor und stimmen Sie für das, was Ihnen wichtig ist.",
                "link_url": "/ideas/",
                "link_text": "Ideen ansehen",
            },
        ),
        (
            "feature",
            {
                # A soft hyphen: the long compound breaks as "Wissens-datenbank" in a narrow card.
                "title": "Wissens\u00addatenbank",
                "text": "Schritt-für-Schritt-Antworten auf die häufigsten Fragen.",
                "link_url": "/kb/",
                "link_text": "Artikel durchsuchen",
            },
        ),
        (
            "feature",
            {
                "title": "Ihre Privatsphäre",
                "text": "Jeder Zweck hat seine eigene Einwilligung, und Sie widerrufen mit einem Klick.",
                "link_url": "/privacy/",
                "link_text": "Zum Datenschutzzentrum",
            },
        ),
    ],
}


def translate_page(page: Page, language: str, **fields) -> Page:
    """The page's published translation in ``language``, created from ``fields`` when it does not exist yet."""
    locale, _created = Locale.objects.get_or_create(language_code=language)
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translation = page.specific.copy_for_translation(locale, copy_parents=False)
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save()
    translation.save_revision(user=fields.get("owner")).publish()
    return translation


def _legal_pages(home: HomePage) -> None:
    """Imprint and privacy policy in English under the English home, translated into German."""
    for kind, slug in ((LegalPage.Kind.IMPRINT, "imprint"), (LegalPage.Kind.PRIVACY_POLICY, "privacy-policy")):
        page = LegalPage.objects.filter(locale=home.locale, kind=kind).first()
        if page is None:
            english = legal_texts.TEXTS[kind]["en"]
            page = home.add_child(
                instance=LegalPage(
                    kind=kind, slug=slug, title=english["title"], body=english["body"], last_updated=legal_texts.UPDATED
                )
            )
            page.save_revision().publish()
        german = legal_texts.TEXTS[kind]["de"]
        translate_page(page, "de", title=german["title"], body=german["body"])


def _brand(site: Site) -> None:
    from theme.models import BrandSettings

    brand = BrandSettings.for_site(site)
    if brand.name == "Community":
        brand.name = "Acme Community"
        brand.footer_text = "© Acme GmbH · Musterstraße 1 · 10115 Berlin"
        brand.imprint_url = "/imprint/"
        brand.privacy_policy_url = "/privacy-policy/"
        brand.save()
    elif brand.privacy_policy_url == "/privacy/":
        # Earlier demos linked the privacy centre here; the privacy policy is its own page now.
        brand.privacy_policy_url = "/privacy-policy/"
        brand.save(update_fields=["privacy_policy_url"])
