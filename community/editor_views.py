"""The editor's endpoints: drafts saved while typing, images uploaded into posts, and serving those images."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from community import selectors, services
from community.models.forum import BODY_MAX
from community.services.drafts import too_large_message
from community.uploads import ImageRefused
from portal.inputs import bounded_int

# A draft's JSON: the text (up to BODY_MAX characters, each at most 6 bytes when escaped), title and tags.
DRAFT_REQUEST_MAX_BYTES = BODY_MAX * 6 + 8192
CHUNK = 64 * 1024


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _content_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@require_POST
def draft_save(request):
    """JSON ``{"thread": id}`` or ``{"forum": slug}`` with ``body`` (and ``title``, ``tags`` for a question)."""
    if not request.user.is_authenticated:
        return _error(_("Please log in to keep drafts."), 403)
    length = _content_length(request)
    if length is None or length > DRAFT_REQUEST_MAX_BYTES:
        return _error(_("The draft is too long: at most %(max)d characters.") % {"max": BODY_MAX}, 413)
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(_("The draft could not be read."), 400)
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key, ""), str) for key in ("body", "title", "tags", "forum")
    ):
        return _error(_("The draft could not be read."), 400)
    thread = forum = None
    if data.get("thread") is not None:
        thread_id = bounded_int(str(data["thread"]), 0, 2**63 - 1, minimum=0)
        try:
            thread = selectors.thread_detail(user=request.user, thread_id=thread_id) if thread_id else None
        except Http404:
            thread = None
        if thread is None:
            return _error(_("This thread does not exist."), 404)
    elif data.get("forum"):
        forum = selectors.forum_visible_to(user=request.user, slug=data["forum"][:120])
        if forum is None:
            return _error(_("This forum does not exist."), 404)
    else:
        return _error(_("Say which thread or forum the draft is for."), 400)
    try:
        draft = services.draft_save(
            author=request.user,
            thread=thread,
            forum=forum,
            body=data.get("body", ""),
            title=data.get("title", ""),
            tags=data.get("tags", ""),
        )
    except services.PostingBlocked as exc:
        return _error(exc.message, 429)
    except PermissionDenied:
        return _error(_("You cannot write here."), 403)
    except ValidationError as exc:
        return _error(exc.messages[0], 400)
    return JsonResponse(
        {"saved": draft is not None, "status": _("Draft saved") if draft is not None else _("Draft removed")}
    )


def _read_limited(request, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows beyond ``limit`` (the rest is never read)."""
    parts, total = [], 0
    while True:
        chunk = request.read(CHUNK)
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > limit:
            return None
        parts.append(chunk)


@require_POST
def image_upload(request):
    """The image file itself as the request body (``Content-Type: image/...``); answers its Markdown."""
    if not request.user.is_authenticated:
        return _error(_("Please log in to upload images."), 403)
    limit = settings.POST_IMAGE_MAX_BYTES
    length = _content_length(request)
    if length is None or length > limit:
        return _error(too_large_message(), 413)
    if length == 0:
        return _error(_("The file is empty."), 400)
    if not request.content_type.startswith("image/"):
        return _error(_("Send the image file itself (JPEG, PNG, WebP or GIF)."), 415)
    data = _read_limited(request, limit)
    if data is None:
        return _error(too_large_message(), 413)
    try:
        image = services.post_image_upload(owner=request.user, data=data)
    except ImageRefused as exc:
        return _error(exc.message, 400)
    except services.PostingBlocked as exc:
        return _error(exc.message, 429)
    alt = _("image")
    return JsonResponse(
        {
            "url": image.url,
            "width": image.width,
            "height": image.height,
            "markdown": f"![{alt}]({image.url})",
            "status": _("Image added"),
            "delete_url": reverse("community:image_delete", args=[image.token]),
        },
        status=201,
    )


@require_POST
def image_delete(request, token: str):
    """The owner takes an upload back: it leaves storage and every post that shows it."""
    if not request.user.is_authenticated:
        return _error(_("Please log in."), 403)
    image = selectors.post_image_visible_to(user=request.user, token=token[:40])
    if image is None:
        return _error(_("This image does not exist."), 404)
    try:
        services.post_image_delete(image=image, actor=request.user)
    except PermissionDenied:
        return _error(_("Only the member who uploaded an image can remove it."), 403)
    return JsonResponse({"deleted": True, "status": _("Image removed")})


@require_GET
def image_file(request, name: str):
    """Serve an upload with its real type, never sniffed, never as a page, only to who may see it."""
    token, _dot, extension = name.rpartition(".")
    image = selectors.post_image_visible_to(user=request.user, token=token[:40])
    if image is None or not image.file.name.endswith(f".{extension}"):
        raise Http404
    try:
        stored = image.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="image.{extension}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def editor_context(request, *, thread=None, forum=None, with_draft: bool = True) -> tuple[dict, dict]:
    """The form's initial values from the member's saved draft, and what the editor tools need to render.

    The draft fills the form on the server, so it comes back on another device too (no local storage).
    A posted form (``with_draft=False``) shows what was posted, so its draft is not read.
    """
    draft = selectors.draft_for(user=request.user, thread=thread, forum=forum) if with_draft else None
    initial = {}
    if draft is not None:
        initial = {"body": draft.body, "title": draft.title, "tags": draft.tags}
    context = {
        "draft_thread": thread.pk if thread is not None else "",
        "draft_forum": forum.slug if forum is not None else "",
        "draft_restored": draft is not None,
        "image_max_bytes": settings.POST_IMAGE_MAX_BYTES,
        "image_too_large": too_large_message(),
    }
    return initial, context


def form_had_draft(request) -> bool:
    """Did the posted form have a saved draft (restored with the page, or saved by editor.js since)?"""
    return request.POST.get("draft") == "1"
