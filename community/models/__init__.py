"""Models of the community app: forums, threads and posts, moderation, the blog."""

from community.models.blog import BlogIndexPage, BlogPage, BlogPageTag
from community.models.editorial import DepartmentApprovalTask
from community.models.forum import Forum, Mention, Post, PostRevision, Reaction, Tag, Thread
from community.models.moderation import Flag, ModerationAction, ModerationSettings

__all__ = [
    "BlogIndexPage",
    "BlogPage",
    "BlogPageTag",
    "DepartmentApprovalTask",
    "Flag",
    "Forum",
    "Mention",
    "ModerationAction",
    "ModerationSettings",
    "Post",
    "PostRevision",
    "Reaction",
    "Tag",
    "Thread",
]
