"""Knowledge base pages (index, categories, articles), products, helpful votes and thread links."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.embeds.blocks import EmbedBlock
from wagtail.fields import StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index
from wagtail.snippets.models import register_snippet

RICH_FEATURES = ["bold", "italic", "link", "ol", "ul", "h3", "h4", "code"]


class CalloutKind(models.TextChoices):
    NOTE = "note", _("Note")
    TIP = "tip", _("Tip")
    WARNING = "warning", _("Warning")


class StepsBlock(blocks.StructBlock):
    """Numbered instructions, the most common shape of a support article."""

    title = blocks.CharBlock(required=False, label=_("Title"))
    steps = blocks.ListBlock(blocks.RichTextBlock(features=RICH_FEATURES), label=_("Steps"))

    class Meta:
        icon = "list-ol"
        label = _("Steps")
        template = "knowledgebase/blocks/steps.html"


class CalloutBlock(blocks.StructBlock):
    """A highlighted note, tip or warning next to the text it qualifies."""

    kind = blocks.ChoiceBlock(choices=CalloutKind.choices, default=CalloutKind.NOTE, label=_("Kind"))
    text = blocks.RichTextBlock(features=RICH_FEATURES, label=_("Text"))

    class Meta:
        icon = "warning"
        label = _("Callout")
        template = "knowledgebase/blocks/callout.html"


class CodeBlock(blocks.StructBlock):
    """A code or configuration sample shown verbatim."""

    language = blocks.CharBlock(required=False, max_length=30, label=_("Language"))
    code = blocks.TextBlock(label=_("Code"))

    class Meta:
        icon = "code"
        label = _("Code")
        template = "knowledgebase/blocks/code.html"


class ArticleBodyBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=RICH_FEATURES, label=_("Text"))
    steps = StepsBlock()
    callout = CalloutBlock()
    code = CodeBlock()
    image = ImageBlock(label=_("Image"))
    video = EmbedBlock(label=_("Video"), help_text=_("A YouTube or Vimeo address."))


@register_snippet
class KBProduct(models.Model):
    """A product an article is about; drives the product facet and the per-product FAQ."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return self.name


class KBIndexPage(Page):
    """The knowledge base's entry page; it resolves any article below it in one query."""

    intro = models.CharField(_("intro"), max_length=300, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["knowledgebase.KBCategoryPage", "knowledgebase.KBArticlePage"]
    max_count = 1

    class Meta:
        verbose_name = _("knowledge base index")

    def route(self, request, path_components):
        """Find a live descendant by its URL path directly instead of one lookup per tree level."""
        if not path_components:
            return super().route(request, path_components)
        url_path = self.url_path + "/".join(path_components) + "/"
        for model in (KBArticlePage, KBCategoryPage):
            page = model.objects.filter(url_path=url_path, live=True).first()
            if page is not None:
                return page.route(request, [])
        raise Http404

    def get_context(self, request, *args, **kwargs):
        from knowledgebase import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.index_overview(index=self))
        return context


class KBCategoryPage(Page):
    """Groups articles by topic so readers can browse instead of search."""

    intro = models.CharField(_("intro"), max_length=300, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["knowledgebase.KBIndexPage"]
    subpage_types = ["knowledgebase.KBArticlePage"]

    class Meta:
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")

    def get_context(self, request, *args, **kwargs):
        from knowledgebase import selectors

        context = super().get_context(request, *args, **kwargs)
        context["articles"] = selectors.category_articles(category=self)
        return context


class KBArticleTag(TaggedItemBase):
    """Tags of an article (taggit through model kept with the page's revisions)."""

    content_object = ParentalKey("knowledgebase.KBArticlePage", on_delete=models.CASCADE, related_name="tagged_items")


class KBArticlePage(Page):
    """A curated answer: written by editors or promoted from a forum thread, published through review."""

    summary = models.TextField(_("summary"), max_length=600, blank=True, help_text=_("Shown in search results."))
    body = StreamField(ArticleBodyBlock(), use_json_field=True, verbose_name=_("body"))
    products = ParentalManyToManyField(KBProduct, blank=True, related_name="articles", verbose_name=_("products"))
    tags = ClusterTaggableManager(through=KBArticleTag, blank=True, verbose_name=_("tags"))
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel("related_links", label=_("Related articles")),
    ]
    promote_panels = Page.promote_panels + [
        MultiFieldPanel(
            [FieldPanel("products"), FieldPanel("tags"), FieldPanel("last_reviewed")], heading=_("Classification")
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary", boost=2),
        index.SearchField("body"),
        index.AutocompleteField("title"),
        index.RelatedFields("tags", [index.SearchField("name", boost=2)]),
        index.RelatedFields("products", [index.SearchField("name")]),
    ]
    parent_page_types = ["knowledgebase.KBIndexPage", "knowledgebase.KBCategoryPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("knowledge base article")
        verbose_name_plural = _("knowledge base articles")

    def get_view_restrictions(self):
        """No query when the routing query already found that no restriction applies (see page_cache)."""
        if getattr(self, "kb_restricted", None) is False:
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def get_context(self, request, *args, **kwargs):
        from knowledgebase import permissions, selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.article_extras(article=self))
        from knowledgebase.visitor import session_voter_key

        context["own_vote"] = selectors.vote_of(
            article=self, user=request.user, voter_key=session_voter_key(request, create=False)
        )
        if permissions.can_see_article_score(request.user):
            context["score"] = selectors.article_score(article=self)
        return context


class KBRelatedArticle(Orderable):
    """A hand-picked "see also" link between two articles."""

    page = ParentalKey(KBArticlePage, on_delete=models.CASCADE, related_name="related_links")
    article = models.ForeignKey(KBArticlePage, on_delete=models.CASCADE, related_name="+", verbose_name=_("article"))

    panels = [FieldPanel("article")]

    class Meta(Orderable.Meta):
        verbose_name = _("related article")


class HelpfulVote(models.Model):
    """One "was this helpful?" answer per member or per anonymous session and article."""

    article = models.ForeignKey(KBArticlePage, on_delete=models.CASCADE, related_name="helpful_votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="kb_helpful_votes"
    )
    # HMAC of a random key kept in the anonymous visitor's session: never a cookie id or IP address.
    voter_key = models.CharField(max_length=64, blank=True, default="")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=models.Q(user__isnull=False), name="kb_vote_member_unique"
            ),
            models.UniqueConstraint(
                fields=["article", "voter_key"], condition=~models.Q(voter_key=""), name="kb_vote_session_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(voter_key=""), name="kb_vote_has_voter"
            ),
        ]
        indexes = [models.Index(fields=["article", "helpful"], name="kb_vote_article_idx")]

    def __str__(self):
        return f"{'+' if self.helpful else '-'} {self.article_id}"


class ThreadArticleLink(models.Model):
    """Ties a forum thread to the article promoted from it, and credits the answerer by handle."""

    thread = models.OneToOneField("community.Thread", on_delete=models.CASCADE, related_name="kb_link")
    article = models.ForeignKey(KBArticlePage, on_delete=models.CASCADE, related_name="thread_links")
    answerer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="kb_credits"
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="kb_promotions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("promoted thread")
        verbose_name_plural = _("promoted threads")

    def __str__(self):
        return f"thread {self.thread_id} -> article {self.article_id}"
