"""Classification of the privacy core's models, of the shell's and of the third-party models the portal installs.

portal/ and theme/ sit below consent/ and never import it (DESIGN.md §5), so their models are classified here.
"""

from consent.registry import Erasure, not_personal, register, rewrite_text

# === The shell and the foundation (portal, theme) and third-party apps =================

# --- The member account -------------------------------------------------------------
register(
    "portal.User",
    subject="pk",
    category="profile",
    export_fields=(
        "email",
        "handle",
        "display_name",
        "first_name",
        "last_name",
        "preferred_language",
        "date_joined",
        "last_login",
        "email_confirmed_at",
        "bio",
        "avatar",
    ),
    erasure=Erasure.ACCOUNT,
    reason="The account row is anonymised by the account erasure: e-mail, names, handle and bio replaced, "
    "the profile picture deleted from storage, password unusable.",
)
register(
    "portal.Notification",
    subject="recipient",
    category="notifications",
    export_fields=("kind", "message", "params", "url", "created_at", "read_at"),
    erasure=Erasure.DELETE,
)
register(
    "portal.OutgoingMail",
    subject="user",
    category="",
    export_fields=(),
    erasure=Erasure.DELETE,
    reason="A mail waiting for the worker, deleted once it has left (minutes); not exported, erased if still queued.",
)
# Other members' notifications name the member ("@handle replied"): erasure rewrites the handle there.
rewrite_text("portal.Notification", fields=("params",))
register(
    "portal.NotificationPreference",
    subject="user",
    category="notification_preferences",
    export_fields=("kind", "in_app", "email"),
    erasure=Erasure.DELETE,
)
register(
    "sessions.Session",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.ACCOUNT,
    reason="Authentication data only: the account erasure ends every session of the member; sessions expire after two weeks.",
)
register(
    "wagtailusers.UserProfile",
    subject="user",
    category="back_office_profile",
    export_fields=(
        "preferred_language",
        "current_time_zone",
        "submitted_notifications",
        "approved_notifications",
        "rejected_notifications",
    ),
    erasure=Erasure.DELETE,
)
register(
    "guardian.UserObjectPermission",
    subject="user",
    category="object_permissions",
    export_fields=("permission", "content_type", "object_pk"),
    erasure=Erasure.DELETE,
)

# --- Staff authorship in the CMS (names staff accounts, not customers) --------------
for model, subject, fields in (
    ("wagtailcore.Page", "owner", ("title", "first_published_at", "last_published_at")),
    ("wagtailcore.Revision", "user", ("created_at", "object_str")),
    ("wagtailcore.PageLogEntry", "user", ("action", "timestamp", "label")),
    ("wagtailcore.ModelLogEntry", "user", ("action", "timestamp", "label")),
    ("wagtailcore.WorkflowState", "requested_by", ("status", "created_at")),
    ("wagtailcore.TaskState", "finished_by", ("status", "started_at", "finished_at", "comment")),
    ("wagtailimages.Image", "uploaded_by_user", ("title", "created_at")),
    ("wagtaildocs.Document", "uploaded_by_user", ("title", "created_at")),
):
    register(
        model,
        subject=subject,
        category="back_office_activity",
        export_fields=fields,
        erasure=Erasure.ANONYMISE,
        anonymise={subject: None},
        reason="Published content and its audit trail stay; the link to the erased account is cut.",
    )
register(
    "wagtailcore.Comment",
    subject="user",
    category="back_office_comments",
    export_fields=("text", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "wagtailcore.CommentReply",
    subject="user",
    category="back_office_comments",
    export_fields=("text", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "wagtailcore.PageSubscription",
    subject="user",
    category="back_office_subscriptions",
    export_fields=("page", "comment_notifications"),
    erasure=Erasure.DELETE,
)
register(
    "wagtailcore.UploadedFile",
    subject="uploaded_by_user",
    category="back_office_uploads",
    export_fields=("file",),
    erasure=Erasure.DELETE,
)
register(
    "wagtailcore.APIToken",
    subject="user",
    category="api_tokens",
    export_fields=("name", "created", "last_used_at"),
    erasure=Erasure.DELETE,
)
register(
    "wagtailadmin.EditingSession",
    subject="user",
    category="back_office_activity",
    export_fields=("last_seen_at",),
    erasure=Erasure.DELETE,
)
register(
    "wagtailadmin.FormState",
    subject="user",
    category="back_office_activity",
    export_fields=(),
    erasure=Erasure.DELETE,
)
register(
    "django_tasks_database.DBTaskResult",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.RETAIN,
    reason="Queue rows carry only ids in their arguments (never an address, a name or a text: "
    "tests/dsar/test_erasure.py checks every task); finished rows are pruned after 7 days.",
)
# Two-factor sign-in (portal.two_factor): the secrets never leave the portal, not even in the export.
for model in ("otp_totp.TOTPDevice", "otp_static.StaticDevice"):
    register(
        model,
        subject="user",
        category="two_factor",
        export_fields=("name", "confirmed", "created_at", "last_used_at"),
        erasure=Erasure.DELETE,
    )
register(
    "otp_static.StaticToken",
    subject="device__user",
    category="two_factor_recovery_codes",
    export_fields=(),
    erasure=Erasure.DELETE,
    reason="Recovery codes are secrets and are never exported.",
)
register(
    "axes.AccessAttempt",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.RETAIN,
    reason="Login throttling (portal.login_throttle): client address, attempted address and browser of failed logins, "
    "kept only until the record's cool-off ends (LOGIN_LOCKOUT_MAX_SECONDS at most); a password reset and the "
    "member's erasure delete the records naming the account's address. Passwords are never stored.",
)
for model in ("axes.AccessLog", "axes.AccessFailureLog"):
    register(
        model,
        subject="",
        category="",
        export_fields=(),
        erasure=Erasure.RETAIN,
        reason="django-axes' login logs; switched off (AXES_DISABLE_ACCESS_LOG, failure log off), no row is written.",
    )
not_personal("axes.AccessAttemptExpiration", reason="When an AccessAttempt record expires; nothing else.")

# --- No personal data -------------------------------------------------------------------
for model, reason in (
    ("portal.HomePage", "Editorial page content; its ownership is registered on wagtailcore.Page."),
    ("portal.LegalPage", "The imprint and privacy policy texts; ownership is registered on wagtailcore.Page."),
    ("simple_translation.SimpleTranslation", "Placeholder model for the permission to submit translations."),
    ("theme.BrandSettings", "Company branding only."),
    ("wagtailredirects.Redirect", "URL redirects."),
    ("wagtailsearchpromotions.Query", "Search terms aggregated without any link to who searched."),
    ("wagtailsearchpromotions.QueryDailyHits", "Daily hit counts per search term, no visitor data."),
    ("wagtailsearchpromotions.SearchPromotion", "Editorial promotions."),
    ("wagtailembeds.Embed", "Cached oEmbed metadata of public media."),
    ("wagtailimages.Rendition", "Resized copies of images; ownership is on the image."),
    (
        "wagtailsearch.IndexEntry",
        "Search index of registered content; erasure rewrites the source rows, which re-index.",
    ),
    ("wagtailadmin.Admin", "Placeholder model for admin permissions."),
    ("wagtailcore.Locale", "Languages."),
    ("wagtailcore.Site", "Site configuration."),
    ("wagtailcore.GroupSitePermission", "Group permissions."),
    ("wagtailcore.CollectionViewRestriction", "Access rules for collections."),
    ("wagtailcore.Collection", "Folders for media."),
    ("wagtailcore.GroupCollectionPermission", "Group permissions."),
    ("wagtailcore.WorkflowContentType", "Workflow configuration."),
    ("wagtailcore.Workflow", "Workflow configuration."),
    ("wagtailcore.WorkflowTask", "Workflow configuration."),
    ("wagtailcore.Task", "Workflow configuration."),
    ("wagtailcore.GroupApprovalTask", "Workflow configuration."),
    ("wagtailcore.GroupPagePermission", "Group permissions."),
    ("wagtailcore.PageViewRestriction", "Access rules for pages."),
    ("wagtailcore.WorkflowPage", "Workflow configuration."),
    ("wagtailcore.ReferenceIndex", "Links between content objects."),
    ("taggit.Tag", "Tag names chosen by staff and members for topics, not people."),
    ("taggit.TaggedItem", "Links between tags and content."),
    ("guardian.GroupObjectPermission", "Group permissions on objects."),
    ("auth.Permission", "Permission definitions."),
    ("auth.Group", "Role definitions."),
    ("contenttypes.ContentType", "Model catalogue."),
    ("portal.ScheduledJob", "When each periodic job last ran."),
    ("portal.TaskWorker", "Which task worker processes are alive (host name and process id)."),
    ("portal.TaskEffect", "Keys of task effects already done (task ids), never member data."),
):
    not_personal(model, reason=reason)
not_personal(
    "wagtailsearch.SQLiteFTSIndexEntry", reason="Full-text index mirror of IndexEntry, SQLite only.", optional=True
)


# === The privacy core ====================================================================
register(
    "consent.MemberConsent",
    subject="user",
    category="consents",
    export_fields=("purpose", "state", "notice_version", "event_index", "updated_at"),
    erasure=Erasure.DELETE,
)
register(
    "consent.ConsentEvent",
    subject="",
    category="",
    export_fields=(),
    erasure=Erasure.RETAIN,
    reason="Proof of consent (GDPR Art. 7(1), 5(2)): the append-only ledger keeps every entry. Entries name the "
    "member only by an HMAC under the member's own subject key, which erasure destroys, so they stay verifiable "
    "but can no longer be linked to anyone. The export lists them with receipts through the subject key.",
)
register(
    "consent.SubjectKey",
    subject="user",
    category="",
    export_fields=(),
    erasure=Erasure.DELETE,
    reason="Destroying the key unlinks the member's ledger entries (crypto-shredding).",
)
register(
    "consent.PseudonymMapping",
    subject="user",
    category="pseudonyms",
    export_fields=("domain", "key_version", "pseudonym", "created_at"),
    erasure=Erasure.DELETE,
)
register(
    "consent.OptInToken",
    subject="user",
    category="consents",
    export_fields=("purpose", "email", "created_at", "expires_at", "used_at"),
    erasure=Erasure.DELETE,
)
register(
    "consent.AuditEntry",
    subject="subject",
    category="data_access_log",
    export_fields=("action", "reason", "created_at"),
    erasure=Erasure.RETAIN,
    reason="Accountability (GDPR Art. 5(2), 30, 32): accesses to personal data stay logged for three years.",
)
register(
    "consent.AuditEntry",
    subject="actor",
    category="staff_actions",
    export_fields=("action", "created_at"),
    erasure=Erasure.RETAIN,
    reason="Accountability (GDPR Art. 5(2)): what staff did with members' data stays attributable for three years.",
)
for model, reason in (
    ("consent.Purpose", "Purposes of processing defined by the controller."),
    ("consent.NoticeVersion", "Notice texts published by the controller."),
    ("consent.LedgerHead", "Size and hashes of the ledger."),
    ("consent.LedgerCheckpoint", "Signed tree sizes and root hashes."),
):
    not_personal(model, reason=reason)
