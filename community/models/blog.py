"""The company blog: an index page with a feed and posts written through the editorial workflow."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Page
from wagtail.search import index

from portal.inputs import page_number
from portal.roles import staff_members

BLOG_PAGE_SIZE = 10


class BlogIndexPage(RoutablePageMixin, Page):
    """Lists published blog posts newest first and offers them as RSS and Atom feeds."""

    intro = models.CharField(_("intro"), max_length=300, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["community.BlogPage"]
    max_count = 1

    class Meta:
        verbose_name = _("blog index")

    def posts(self):
        return (
            BlogPage.objects.live()
            .public()
            .child_of(self)
            .select_related("author", "hero_image")
            .prefetch_related("tags")
            .order_by("-date", "-pk")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        posts = self.posts()
        tag = request.GET.get("tag", "")[:100]
        if tag:
            posts = posts.filter(tags__slug=tag)
        context["tag"] = tag
        context["posts_page"] = Paginator(posts, BLOG_PAGE_SIZE).get_page(page_number(request))
        return context

    @path("")
    def index_route(self, request):
        return self.render(request)

    @path("feed/rss/", name="rss")
    def rss(self, request):
        from community.feeds import BlogRssFeed

        return BlogRssFeed(self)(request)

    @path("feed/atom/", name="atom")
    def atom(self, request):
        from community.feeds import BlogAtomFeed

        return BlogAtomFeed(self)(request)


class BlogPageTag(TaggedItemBase):
    """Tags of a blog post (taggit through model kept with the page's revisions)."""

    content_object = ParentalKey("community.BlogPage", on_delete=models.CASCADE, related_name="tagged_items")


class BlogPageForm(WagtailAdminPageForm):
    """A post's author is a team member: the choice lists staff only, by display name (never customers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        author = self.fields.get("author")
        if author is not None:
            author.queryset = staff_members()
            author.label_from_instance = lambda user: user.staff_label
            author.help_text = _("A team member; shown by their display name with the Team badge.")


class BlogPage(Page):
    """A blog post; its comments are a community thread so the same posting and moderation rules apply."""

    date = models.DateField(_("publication date"))
    intro = models.CharField(_("intro"), max_length=300, blank=True)
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hero image"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="blog_posts",
        verbose_name=_("author"),
        help_text=_("Shown by public handle only."),
    )
    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title", label=_("Heading"))),
            (
                "paragraph",
                blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul", "h3", "h4"], label=_("Paragraph")),
            ),
            ("image", ImageBlock(label=_("Image"))),
            ("quote", blocks.BlockQuoteBlock(label=_("Quote"))),
        ],
        use_json_field=True,
        verbose_name=_("body"),
    )
    tags = ClusterTaggableManager(through=BlogPageTag, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        FieldPanel("author"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["community.BlogIndexPage"]
    subpage_types: list[str] = []
    base_form_class = BlogPageForm

    class Meta:
        verbose_name = _("blog post")

    def get_context(self, request, *args, **kwargs):
        from community import fragments, selectors
        from community.forms import ReplyForm
        from community.views import url_bases

        context = super().get_context(request, *args, **kwargs)
        bases = url_bases()
        comments = selectors.blog_comments_for(page=self, user=request.user)
        if comments["thread"] is not None:
            fragments.attach_post_fragments(
                request=request, thread=comments["thread"], posts=comments["posts"], **bases
            )
        context["comments"] = comments
        context["comment_form"] = ReplyForm()
        context.update(bases)
        return context
