"""Demo content: the KB index, categories, products, articles (one promoted from a forum thread) and the review workflow."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Locale

from knowledgebase import services
from knowledgebase.models import KBArticlePage, KBCategoryPage, KBIndexPage, KBProduct, ThreadArticleLink
from portal.demo import translate_page
from portal.models import HomePage, User

PRODUCTS = (("Acme Cloud", "acme-cloud"), ("Acme Cloud Beta", "acme-cloud-beta"))
CATEGORIES = (
    ("getting-started", "Getting started", "Accounts, first steps and set-up."),
    ("exports-and-reports", "Exports and reports", "Getting your data out of Acme Cloud."),
)
ARTICLES = (
    # category, title, summary, body, products, tags, reviewed
    (
        "getting-started",
        "Create your first project",
        "A project holds your items, members and settings. This is how you create one.",
        [
            ("text", "<p>Projects keep related work together. Every account can create as many as it needs.</p>"),
            (
                "steps",
                {
                    "title": "Create a project",
                    "steps": [
                        "<p>Open the dashboard and choose <b>New project</b>.</p>",
                        "<p>Enter a name and pick a template.</p>",
                        "<p>Invite members by e-mail address or share the invitation link.</p>",
                    ],
                },
            ),
            ("callout", {"kind": "tip", "text": "<p>Templates can be changed later in the project settings.</p>"}),
        ],
        ["acme-cloud"],
        ["projects", "setup"],
        datetime.date(2026, 9, 1),
    ),
    (
        "exports-and-reports",
        "Export large projects without timeouts",
        "Exports of more than 10,000 items run in the background: you get an e-mail with a download link.",
        [
            ("text", "<p>Large exports are built in the background, so the browser never waits for them.</p>"),
            (
                "steps",
                {
                    "title": "Export a large project",
                    "steps": [
                        "<p>Open <b>Project → Export</b>.</p>",
                        "<p>Choose <b>Background export</b> and the format.</p>",
                        "<p>Open the download link in the e-mail; it is valid for 7 days.</p>",
                    ],
                },
            ),
            ("callout", {"kind": "warning", "text": "<p>Links expire after 7 days for privacy reasons.</p>"}),
            ("code", {"language": "shell", "code": "acme export --project 42 --format csv --background"}),
        ],
        ["acme-cloud"],
        ["export", "timeout"],
        datetime.date(2024, 11, 1),
    ),
    (
        "exports-and-reports",
        "Schedule weekly usage reports",
        "Usage reports can be sent every week to any member of the project.",
        [
            ("text", "<p>Open <b>Reports → Schedules</b>, choose <i>weekly</i> and the day, then save.</p>"),
            ("video", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"),
        ],
        ["acme-cloud"],
        ["reports"],
        None,
    ),
)


def _user(email: str) -> User | None:
    return User.objects.with_email(email).first()


@transaction.atomic
def seed(*, stdout) -> list[str]:
    """Create or refresh the knowledge base demo content (idempotent)."""
    english = Locale.get_default()
    home = HomePage.objects.filter(locale=english).first()
    if home is None:
        return []
    index = KBIndexPage.objects.filter(locale=english).first()
    if index is None:
        index = home.add_child(
            instance=KBIndexPage(
                title="Knowledge base",
                slug="kb",
                intro="Answers curated by our team and the community. Search before you ask.",
            )
        )
        index.save_revision().publish()
    services.kb_workflow_ensure(index=index)
    products = {}
    for name, slug in PRODUCTS:
        products[slug], _created = KBProduct.objects.get_or_create(slug=slug, defaults={"name": name})
    categories = {}
    for slug, title, intro in CATEGORIES:
        category = KBCategoryPage.objects.child_of(index).filter(slug=slug).first()
        if category is None:
            category = index.add_child(instance=KBCategoryPage(title=title, slug=slug, intro=intro))
            category.save_revision().publish()
        categories[slug] = category
    editor = _user("editor@example.com")
    for category_slug, title, summary, body, product_slugs, tags, reviewed in ARTICLES:
        slug = slugify(title)
        if KBArticlePage.objects.filter(slug=slug).exists():
            continue
        article = KBArticlePage(
            title=title, slug=slug, summary=summary, body=body, last_reviewed=reviewed, owner=editor
        )
        categories[category_slug].add_child(instance=article)
        article.products.set([products[s] for s in product_slugs])
        article.tags.add(*tags)
        # Demo content arrives as already reviewed: editors may not publish around the workflow themselves.
        article.save_revision(user=editor).publish(user=editor, skip_permission_checks=True)
    _promoted(categories["getting-started"], products["acme-cloud"])
    _search_promotions()
    _german(index, editor)
    return []


# The German knowledge base: index, categories and articles by their English slug.
INDEX_DE = (
    "Wissensdatenbank",
    "Antworten, zusammengestellt von unserem Team und der Community. Suchen Sie, bevor Sie fragen.",
)
CATEGORIES_DE = {
    "getting-started": ("Erste Schritte", "Konten, erste Schritte und Einrichtung."),
    "exports-and-reports": ("Exporte und Berichte", "So bekommen Sie Ihre Daten aus Acme Cloud heraus."),
}
ARTICLES_DE = {
    "create-your-first-project": (
        "Ihr erstes Projekt anlegen",
        "Ein Projekt enthält Ihre Einträge, Mitglieder und Einstellungen. So legen Sie eines an.",
        [
            (
                "text",
                "<p>Projekte halten zusammengehörige Arbeit beisammen. Jedes Konto kann beliebig viele anlegen.</p>",
            ),
            (
                "steps",
                {
                    "title": "Ein Projekt anlegen",
                    "steps": [
                        "<p>Öffnen Sie das Dashboard und wählen Sie <b>Neues Projekt</b>.</p>",
                        "<p>Geben Sie einen Namen ein und wählen Sie eine Vorlage.</p>",
                        "<p>Laden Sie Mitglieder per E-Mail-Adresse ein oder teilen Sie den Einladungslink.</p>",
                    ],
                },
            ),
            (
                "callout",
                {"kind": "tip", "text": "<p>Die Vorlage lässt sich später in den Projekteinstellungen ändern.</p>"},
            ),
        ],
    ),
    "export-large-projects-without-timeouts": (
        "Große Projekte ohne Zeitüberschreitung exportieren",
        "Exporte mit mehr als 10.000 Einträgen laufen im Hintergrund: Sie erhalten eine E-Mail mit einem "
        "Download-Link.",
        [
            ("text", "<p>Große Exporte entstehen im Hintergrund, der Browser muss also nie darauf warten.</p>"),
            (
                "steps",
                {
                    "title": "Ein großes Projekt exportieren",
                    "steps": [
                        "<p>Öffnen Sie <b>Projekt → Export</b>.</p>",
                        "<p>Wählen Sie <b>Export im Hintergrund</b> und das Format.</p>",
                        "<p>Öffnen Sie den Download-Link in der E-Mail; er gilt 7 Tage.</p>",
                    ],
                },
            ),
            (
                "callout",
                {"kind": "warning", "text": "<p>Aus Datenschutzgründen verfallen die Links nach 7 Tagen.</p>"},
            ),
            ("code", {"language": "shell", "code": "acme export --project 42 --format csv --background"}),
        ],
    ),
    "how-do-i-reset-my-api-key": (
        "Wie setze ich meinen API-Schlüssel zurück?",
        "Ich habe meinen API-Schlüssel für das Acme-Cloud-Dashboard verloren. Wo erstelle ich einen neuen?",
        [
            (
                "text",
                "<p>Öffnen Sie <em>Einstellungen → API-Schlüssel</em> und klicken Sie auf <strong>Schlüssel "
                "erstellen</strong>. Der alte Schlüssel funktioniert ab sofort nicht mehr.</p>",
            )
        ],
    ),
    "schedule-weekly-usage-reports": (
        "Wöchentliche Nutzungsberichte planen",
        "Nutzungsberichte lassen sich jede Woche an jedes Mitglied des Projekts senden.",
        [
            (
                "text",
                "<p>Öffnen Sie <b>Berichte → Zeitpläne</b>, wählen Sie <i>wöchentlich</i> und den Wochentag "
                "und speichern Sie.</p>",
            ),
            ("video", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"),
        ],
    ),
}


def _german(index: KBIndexPage, editor: User | None) -> None:
    """Translate the demo knowledge base into German once the German home page exists."""
    german = Locale.objects.filter(language_code="de").first()
    if german is None or index.get_parent().get_translation_or_none(german) is None:
        return
    title, intro = INDEX_DE
    index_de = translate_page(index, "de", title=title, intro=intro)
    services.kb_workflow_ensure(index=index_de)
    for category in KBCategoryPage.objects.child_of(index).filter(slug__in=CATEGORIES_DE):
        title, intro = CATEGORIES_DE[category.slug]
        translate_page(category, "de", title=title, intro=intro)
    for article in KBArticlePage.objects.filter(locale=index.locale, slug__in=ARTICLES_DE).descendant_of(index):
        title, summary, body = ARTICLES_DE[article.slug]
        translate_page(article, "de", title=title, summary=summary, body=body, owner=editor)


def _search_promotions() -> None:
    """Editors' picks for key queries, shown above the unified search results."""
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion

    for query_string, slug, description in (
        ("api key", "how-do-i-reset-my-api-key", "Create a new key in the settings."),
        ("export", "export-large-projects-without-timeouts", "Large exports run in the background."),
    ):
        article = KBArticlePage.objects.live().filter(slug=slug).first()
        if article is None:
            continue
        query = Query.get(query_string)
        SearchPromotion.objects.get_or_create(
            query=query, page=article, defaults={"description": description, "sort_order": 0}
        )


def _promoted(category: KBCategoryPage, product: KBProduct) -> None:
    """Promote the demo's answered API-key thread, approved by the editor, so the thread shows its article."""
    from community.models import Thread

    moderator = _user("moderator@example.com")
    editor = _user("editor@example.com")
    thread = Thread.objects.filter(title="How do I reset my API key?", accepted_post__isnull=False).first()
    if thread is None or moderator is None or editor is None:
        return
    if ThreadArticleLink.objects.filter(thread=thread).exists():
        return
    article = services.article_promote(thread=thread, moderator=moderator, parent=category)
    article.products.set([product])
    article.tags.add("api", "account")
    article.last_reviewed = datetime.date(2026, 10, 1)
    article.save_revision(user=moderator)
    state = article.current_workflow_task_state
    if state is not None:
        state.approve(user=editor)
    else:
        article.get_latest_revision().publish(user=editor)
