"""What every member write checks first: may this member post now, how fast, and is the text valid."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community import permissions
from community.models import (
    ModerationSettings,
    Post,
    PostImage,
)
from community.models.drafts import POST_IMAGE_DIR
from community.models.forum import BODY_MAX, TITLE_MAX, PostStatus
from portal import ratelimit
from portal.markup import render_markdown, upload_name, upload_urls
from portal.models import User


class PostingBlocked(PermissionDenied):
    """The member may not post right now; ``message`` is shown to them as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- validation -------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Please give your question a title.")})
    if len(title) < 5:
        raise ValidationError({"title": _("The title is too short: use at least 5 characters.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("The title is too long: at most %(max)d characters.") % {"max": TITLE_MAX}})
    return title


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": _("Please write something.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("The text is too long: at most %(max)d characters.") % {"max": BODY_MAX}})
    return body


def images_for(body: str) -> dict[str, tuple[int, int]]:
    """The existing uploads the text embeds: address -> (width, height), for ``render_markdown``."""
    urls = upload_urls(body)
    if not urls:
        return {}
    names = {f"{POST_IMAGE_DIR}/{upload_name(url)}": url for url in urls}
    rows = PostImage.objects.filter(file__in=list(names)).values_list("file", "width", "height")
    return {names[name]: (width, height) for name, width, height in rows}


def render_post_body(body: str) -> str:
    """A post's Markdown as HTML, showing the portal's own uploads that still exist."""
    return render_markdown(body, images=images_for(body))


def _rendered(body: str) -> str:
    html = render_post_body(body)
    if not html.strip():
        raise ValidationError({"body": _("The text has no visible content.")})
    return html


def _check_can_post(user: User) -> None:
    reason = permissions.posting_block_reason(user)
    if reason == "suspended":
        until = timezone.localtime(user.suspended_until)
        raise PostingBlocked(
            _("Your account is suspended until %(until)s. You cannot post until then.")
            % {"until": formats.date_format(until, "DATETIME_FORMAT")}
        )
    if reason:
        raise PostingBlocked(_("You cannot post with this account."))


def _settings() -> ModerationSettings:
    return ModerationSettings.cached()


def _rate_limit_post(user: User, config: ModerationSettings) -> None:
    try:
        ratelimit.hit(f"community:post:{user.pk}", limit=config.posts_per_hour, window=3600)
    except ratelimit.RateLimited as exc:
        raise PostingBlocked(
            _("You are posting too fast. Please wait %(minutes)d minutes.") % {"minutes": max(1, exc.retry_after // 60)}
        )


def _must_hold(user: User, config: ModerationSettings) -> bool:
    """A new member's first post waits for a moderator (when configured)."""
    if not config.hold_first_posts or permissions.is_moderator(user):
        return False
    return not Post.objects.filter(author=user, status=PostStatus.PUBLISHED).exists()
