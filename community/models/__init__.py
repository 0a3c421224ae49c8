"""Models of the community app: forums, threads and posts, moderation, the blog."""

from community.models.blog import BlogIndexPage, BlogPage, BlogPageTag
from community.models.drafts import Draft, PostImage
from community.models.editorial import DepartmentApprovalTask
from community.models.forum import Forum, Mention, Post, PostRevision, Reaction, Tag, Thread
from community.models.moderation import Flag, ModerationAction, ModerationSettings
from community.models.watching import Bookmark, ThreadRead, Watch, WatchLevel

__all__ = [
    "BlogIndexPage",
    "BlogPage",
    "BlogPageTag",
    "Bookmark",
    "DepartmentApprovalTask",
    "Draft",
    "Flag",
    "Forum",
    "Mention",
    "ModerationAction",
    "ModerationSettings",
    "Post",
    "PostImage",
    "PostRevision",
    "Reaction",
    "Tag",
    "Thread",
    "ThreadRead",
    "Watch",
    "WatchLevel",
]
