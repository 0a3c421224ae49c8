"""The product managers' review console in the back office (registered in wagtail_hooks)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ideas import permissions, selectors, services
from ideas.forms import MergeForm, NoteForm, StatusForm
from ideas.models import Board, Idea, Status
from portal.forms import add_service_errors
from portal.inputs import page_number

CONSOLE_PAGE_SIZE = 50
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _require_console(request) -> None:
    if not permissions.can_review_ideas(request.user):
        raise PermissionDenied


def _int(value):
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@require_GET
def console(request):
    """Ideas sorted by votes, trend or age, filtered by board, status and tag."""
    _require_console(request)
    sort = request.GET.get("sort", "votes")
    sort = sort if sort in selectors.CONSOLE_SORTS else "votes"
    board_id = _int(request.GET.get("board"))
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    tag = (request.GET.get("tag") or "").strip()[:100]
    qs = selectors.console_ideas(sort=sort, board_id=board_id, status=status, tag=tag)
    page = Paginator(qs, CONSOLE_PAGE_SIZE).get_page(page_number(request, "p"))
    boards = list(Board.objects.all())
    context = {
        "page_title": _("Idea review"),
        "header_icon": "pick",
        "page": page,
        "ideas": list(page.object_list),
        "boards": boards,
        "statuses": Status.choices,
        "sort": sort,
        "board_id": board_id,
        "status": status,
        "tag": tag,
        "sorts": (
            ("votes", _("Most votes")),
            ("trend", _("Trending (30 days)")),
            ("age", _("Oldest")),
            ("newest", _("Newest")),
        ),
        "can_export": permissions.can_export_board(request.user, None),
    }
    return TemplateResponse(request, "ideas/admin/console.html", context)


def _review_context(request, idea: Idea, **forms) -> dict:
    user = request.user
    context = {
        "page_title": _("Review: %(title)s") % {"title": idea.title},
        "header_icon": "pick",
        "idea": idea,
        "history": list(selectors.status_history(idea)),
        "notes": list(selectors.internal_notes(idea)) if permissions.can_view_internal_notes(user, idea) else None,
        "status_form": forms.get("status_form")
        or StatusForm(
            initial={
                "status": idea.status if idea.status != Status.DUPLICATE else Status.NEW,
                "response": idea.public_response,
                "tags": ", ".join(sorted(t.name for t in idea.tags.all())),
            }
        ),
        "note_form": forms.get("note_form") or NoteForm(),
        "merge_form": forms.get("merge_form") or MergeForm(prefix="merge"),
        "similar": selectors.similar_ideas(title=idea.title, board=idea.board, exclude_id=idea.pk),
        "can_change_status": permissions.can_change_idea_status(user, idea),
        "can_merge": user.has_perm("ideas.merge_idea") and idea.merged_into_id is None,
        "can_add_note": permissions.can_add_internal_note(user, idea),
        "can_view_demand": permissions.can_view_demand(user, idea),
    }
    if context["can_view_demand"]:
        context["over_time"] = selectors.votes_over_time(idea)
        context["segments"] = selectors.demand_segments(idea)
        context["segment_min"] = selectors.SEGMENT_MIN
    return context


def _idea_or_404(pk) -> Idea:
    idea = Idea.objects.select_related("board", "category", "author", "merged_into").filter(pk=pk).first()
    if idea is None:
        raise Http404
    return idea


@require_GET
def review_idea(request, pk: int):
    _require_console(request)
    idea = _idea_or_404(pk)
    return TemplateResponse(request, "ideas/admin/review_idea.html", _review_context(request, idea))


@require_POST
def set_status(request, pk: int):
    _require_console(request)
    idea = _idea_or_404(pk)
    if not permissions.can_change_idea_status(request.user, idea):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            change = services.idea_set_status(
                idea=idea,
                by=request.user,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
                tags=form.cleaned_data["tags"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if change is None:
                messages.success(request, _("Tags saved."))
            else:
                messages.success(request, _("Status saved; voters and followers are notified."))
            return redirect("ideas_review_idea", pk=idea.pk)
    return TemplateResponse(
        request, "ideas/admin/review_idea.html", _review_context(request, idea, status_form=form), status=400
    )


@require_POST
def add_note(request, pk: int):
    _require_console(request)
    idea = _idea_or_404(pk)
    if not permissions.can_add_internal_note(request.user, idea):
        raise PermissionDenied
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(idea=idea, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect("ideas_review_idea", pk=idea.pk)
    return TemplateResponse(
        request, "ideas/admin/review_idea.html", _review_context(request, idea, note_form=form), status=400
    )


@require_POST
def merge(request, pk: int):
    _require_console(request)
    duplicate = _idea_or_404(pk)
    if not request.user.has_perm("ideas.merge_idea"):
        raise PermissionDenied
    form = MergeForm(request.POST, prefix="merge")
    if form.is_valid():
        original = Idea.objects.filter(pk=form.cleaned_data["original"]).first()
        if original is None:
            form.add_error("original", _("There is no idea with this number."))
        elif original.pk == duplicate.pk:
            form.add_error("original", _("An idea cannot be merged into itself."))
        else:
            try:
                services.idea_merge(
                    duplicate=duplicate, original=original, by=request.user, response=form.cleaned_data["response"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("Not allowed."))
            else:
                messages.success(
                    request,
                    _("Merged into “%(title)s”; the duplicate's voters are notified.") % {"title": original.title},
                )
                return redirect("ideas_review_idea", pk=original.pk)
    return TemplateResponse(
        request, "ideas/admin/review_idea.html", _review_context(request, duplicate, merge_form=form), status=400
    )


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    text = str(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


@require_GET
def export_board(request, board_id: int):
    """The board's ideas with vote counts as CSV; members appear only as export pseudonyms."""
    _require_console(request)
    board = get_object_or_404(Board, pk=board_id)
    if not permissions.can_export_board(request.user, board):
        raise PermissionDenied
    writer = csv.writer(_Echo())
    rows = (writer.writerow([_csv_cell(c) for c in row]) for row in selectors.board_export_rows(board))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="ideas-{board.slug}-{stamp}.csv"'
    return response
