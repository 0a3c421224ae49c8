"""Back-office views of insight: the six dashboards, CSV of every table, drill-down to content, digest, FAQ draft."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from community import selectors as community_selectors
from ideas import selectors as idea_selectors
from insight import charts, dashboards, permissions, services
from insight.forms import InsightFilterForm
from insight.models import DigestSubscription, ItemAnalysis
from insight.reports import Filters, Period, with_category

SECTIONS = {
    "volume": (gettext_lazy("Volume"), dashboards.volume),
    "service": (gettext_lazy("Service"), dashboards.service),
    "cards": (gettext_lazy("Interest cards"), dashboards.interest_cards),
    "topics": (gettext_lazy("Topics"), dashboards.topics),
    "mood": (gettext_lazy("Mood"), dashboards.mood),
    "questions": (gettext_lazy("Frequent questions"), dashboards.frequent_questions),
}
DRILL_LIMIT = 200


def _require(request) -> None:
    if not permissions.can_view_insight(request.user):
        raise PermissionDenied


def _form(request) -> InsightFilterForm:
    forums = community_selectors.forums_for_filter()
    boards = idea_selectors.boards_for_filter()
    products = sorted({f.product for f in forums if f.product} | {b.name for b in boards})
    return InsightFilterForm(request.GET or None, forums=forums, boards=boards, products=products)


def _brand_colours(request) -> tuple[str, ...]:
    from theme.models import BrandSettings

    brand = BrandSettings.for_request(request)
    return (brand.primary_colour, brand.accent_colour, brand.secondary_colour, *charts.DEFAULT_COLOURS[3:])


def section(request, name: str):
    _require(request)
    if name not in SECTIONS:
        raise Http404
    title, build = SECTIONS[name]
    form = _form(request)
    if form.is_bound and not form.is_valid():
        period, filters = form.period(), Filters()
    else:
        period, filters = form.period(), form.filters()
    result = build(period, filters)
    wanted = request.GET.get("csv", "")
    if wanted:
        table = next((t for t in result["tables"] if t.key == wanted), None)
        if table is None:
            raise Http404
        return _csv(table, period)
    colours = _brand_colours(request)
    query = request.GET.copy()
    query.pop("csv", None)
    return render(
        request,
        "insight/admin/section.html",
        {
            "page_title": _("Insight: %(section)s") % {"section": title},
            "header_icon": "view",
            "section": name,
            "sections": [(key, label) for key, (label, _build) in SECTIONS.items()],
            "form": form,
            "period": period,
            "tables": [(table, charts.chart_for(table, colours)) for table in result["tables"]],
            "clusters": result.get("clusters", []),
            "query": query.urlencode(),
            "subscribed": DigestSubscription.objects.filter(user=request.user).exists(),
        },
    )


def _csv(table, period: Period) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="insight-{table.key}-{period.first}-{period.last}.csv"'
    writer = csv.writer(response)
    for row in table.csv_rows():
        writer.writerow(row)
    return response


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


def drill(request):
    """The content behind a figure: threads and ideas (links), never a list of members."""
    _require(request)
    get = request.GET
    first, last = _date(get.get("start", "")), _date(get.get("end", ""))
    thread_ids: set[int] = set()
    idea_ids: set[int] = set()
    if get.get("threads"):
        thread_ids = {int(pk) for pk in get["threads"].split(",")[:DRILL_LIMIT] if pk.strip().isdigit()}
    elif first and last and first <= last and (last - first).days <= 366:
        period = Period(first, last)
        items = ItemAnalysis.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        if get.get("language"):
            items = items.filter(language=get["language"])
        if get.get("product"):
            items = items.filter(product=get["product"])
        if get.get("source"):
            items = items.filter(source=get["source"])
        if get.get("container", "").isdigit():
            items = items.filter(container_id=int(get["container"]))
        if get.get("label"):
            items = items.filter(label=get["label"], by_staff=False)
        if get.get("category"):
            items = with_category(items).filter(category=get["category"])
        tag_threads = None
        if get.get("tag"):
            tag_threads = {
                thread_id
                for thread_id, name in community_selectors.thread_public_tag_rows(start=period.start, end=period.end)
                if name == get["tag"]
            }
        keyword = get.get("keyword", "")
        for kind, parent_id, keywords in items.values_list("kind", "parent_id", "keywords").iterator(chunk_size=2000):
            if keyword and keyword not in keywords:
                continue
            if kind == "post" and (tag_threads is None or parent_id in tag_threads):
                thread_ids.add(parent_id)
            elif kind in ("idea", "idea_comment") and tag_threads is None:
                idea_ids.add(parent_id)
            if len(thread_ids) + len(idea_ids) >= DRILL_LIMIT:
                break
    else:
        messages.error(request, _("Choose a valid period to see the content behind a figure."))
    threads = sorted(community_selectors.threads_by_ids(thread_ids).values(), key=lambda t: (t.created_at, t.pk))
    ideas = sorted(idea_selectors.ideas_by_ids(idea_ids).values(), key=lambda i: (i.created_at, i.pk))
    return render(
        request,
        "insight/admin/drill.html",
        {
            "page_title": _("Insight: the content behind a figure"),
            "header_icon": "view",
            "threads": threads,
            "ideas": ideas,
            "limit": DRILL_LIMIT,
        },
    )


@require_POST
def digest_toggle(request):
    _require(request)
    subscribed = services.digest_subscribe(user=request.user, subscribed=request.POST.get("subscribe") == "1")
    if subscribed:
        messages.success(request, _("You will receive the weekly insight digest."))
    else:
        messages.success(request, _("You will no longer receive the weekly insight digest."))
    return redirect(reverse("insight_admin:volume"))


@require_POST
def faq_draft(request):
    _require(request)
    ids = [int(pk) for pk in request.POST.get("threads", "").split(",")[:DRILL_LIMIT] if pk.strip().isdigit()]
    try:
        article = services.faq_draft_create(thread_ids=ids, moderator=request.user)
    except PermissionDenied:
        messages.error(request, _("You may not promote answers to the knowledge base."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The draft “%(title)s” was created and submitted for review.") % {"title": article.title}
        )
    return redirect(reverse("insight_admin:questions"))
