"""Every write of the forums goes through here: permission check, validation, write, after-commit effects.

``rules`` (who may post, how fast, valid text), ``posting`` (members' writes), ``moderation``
(moderators' writes, each logged), ``counters`` (denormalised counts) and ``effects`` (what runs
after commit). Callers use ``community.services.<name>``.
"""

from __future__ import annotations

from community.services.counters import (
    forum_recount,
    thread_recount,
)
from community.services.drafts import (
    draft_save,
    post_image_delete,
    post_image_upload,
)
from community.services.moderation import (
    flags_dismiss,
    forum_grant_access,
    forum_revoke_access,
    member_suspend,
    post_approve,
    post_hide,
    post_restore,
    thread_merge,
    thread_move,
    thread_set_hidden,
    thread_set_locked,
    thread_set_pinned,
)
from community.services.posting import (
    MAX_TAGS_PER_THREAD,
    MENTION,
    _tag_add,
    answer_accept,
    answer_unaccept,
    blog_comment_thread,
    post_create,
    post_edit,
    post_flag,
    reaction_toggle,
    tag_visibility_set,
    thread_create,
    thread_tag_add,
    thread_tag_remove,
)
from community.services.rules import (
    PostingBlocked,
    render_post_body,
)
from community.services.watching import (
    bookmark_remove,
    bookmark_toggle,
    thread_read_mark,
    watch_set,
)

__all__ = [
    "MAX_TAGS_PER_THREAD",
    "MENTION",
    "PostingBlocked",
    "_tag_add",
    "answer_accept",
    "answer_unaccept",
    "blog_comment_thread",
    "bookmark_remove",
    "bookmark_toggle",
    "draft_save",
    "flags_dismiss",
    "forum_grant_access",
    "forum_recount",
    "forum_revoke_access",
    "member_suspend",
    "post_approve",
    "post_create",
    "post_edit",
    "post_flag",
    "post_image_delete",
    "post_image_upload",
    "post_hide",
    "post_restore",
    "reaction_toggle",
    "render_post_body",
    "tag_visibility_set",
    "thread_create",
    "thread_merge",
    "thread_move",
    "thread_read_mark",
    "thread_recount",
    "thread_set_hidden",
    "thread_set_locked",
    "thread_set_pinned",
    "thread_tag_add",
    "thread_tag_remove",
    "watch_set",
]
