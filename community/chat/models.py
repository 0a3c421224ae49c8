"""Models of the live support chat: chats, their numbered messages, tags, canned replies and opening hours."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from portal.encrypted_fields import EncryptedCharField, EncryptedTextField

TOPIC_MIN = 5
TOPIC_MAX = 200
BODY_MAX = 4_000
TAG_MAX = 40


class ChatStatus(models.TextChoices):
    BOT = "bot", _("With the help bot")
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    OFFLINE = "offline", _("Offline message")


OPEN_STATUSES = (ChatStatus.BOT, ChatStatus.WAITING, ChatStatus.ACTIVE)
# Before a person joins, the help bot answers what the member writes.
BOT_STATUSES = (ChatStatus.BOT, ChatStatus.WAITING)


class Chat(models.Model):
    """One support conversation between a member and the moderator who takes it; ``last_seq`` numbers its messages.

    An offline message (``OFFLINE``) has no messages of its own: its text is the question of the
    private forum ``thread`` it became, and the row only lists it in the console and the member's chats.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_chats", verbose_name=_("member")
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_chats",
        verbose_name=_("moderator"),
    )
    # The member's opening words: encrypted at rest with the transcript (portal.encrypted_fields).
    topic = EncryptedCharField(_("topic"), max_length=TOPIC_MAX)
    status = models.CharField(_("status"), max_length=12, choices=ChatStatus.choices, default=ChatStatus.WAITING)
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    transcript_kept = models.BooleanField(
        _("transcript kept"), default=False, help_text=_("The member consented to keeping the transcript.")
    )
    thread_offer_forum = models.ForeignKey(
        "community.Forum", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    thread = models.ForeignKey(
        "community.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("thread")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [
            models.Index(fields=["status", "created_at"], name="chat_queue_idx"),
            models.Index(fields=["member", "-created_at"], name="chat_member_idx"),
        ]

    def __str__(self):
        return self.topic

    def get_absolute_url(self):
        if self.is_offline and self.thread_id:
            return reverse("community:thread", args=[self.thread_id])
        return reverse("chat:room", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_offline(self) -> bool:
        return self.status == ChatStatus.OFFLINE


class MessageKind(models.TextChoices):
    MEMBER = "member", _("Member")
    STAFF = "staff", _("Support")
    SYSTEM = "system", _("Notice")
    BOT = "bot", _("Automated")


class ChatMessage(models.Model):
    """A line of a chat, numbered by ``seq`` so a reconnecting client asks for exactly what it missed."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_messages"
    )
    # The transcript is encrypted at rest: a dump or backup holds no chat line in clear.
    body = EncryptedTextField(blank=True)
    body_html = EncryptedTextField(blank=True)
    client_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chat", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "client_id"], condition=~models.Q(client_id=""), name="chat_message_client_unique"
            ),
        ]

    def __str__(self):
        return f"{self.chat_id}#{self.seq}"


class BotSourceKind(models.TextChoices):
    KB_ARTICLE = "kb_article", _("Knowledge-base article")
    FORUM_ANSWER = "forum_answer", _("Accepted forum answer")


class BotHelped(models.TextChoices):
    UNKNOWN = "unknown", _("No feedback")
    YES = "yes", _("Helped")
    NO = "no", _("Did not help")


class BotAnswer(models.Model):
    """One answer the help bot offered in a chat and whether it helped: counted for insight, linked only to the chat."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="bot_answers")
    message = models.OneToOneField(
        ChatMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="bot_answer"
    )
    source_kind = models.CharField(_("source"), max_length=20, choices=BotSourceKind.choices)
    source_id = models.PositiveIntegerField(_("source id"))
    score = models.FloatField(_("score"), default=0.0)
    helped = models.CharField(_("helped"), max_length=8, choices=BotHelped.choices, default=BotHelped.UNKNOWN)
    handed_over = models.BooleanField(_("handed over to a person"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chat", "created_at", "id"]
        verbose_name = _("chat bot answer")
        verbose_name_plural = _("chat bot answers")
        indexes = [models.Index(fields=["created_at"], name="chat_bot_answer_created_idx")]

    def __str__(self):
        return f"{self.chat_id}: {self.source_kind} {self.source_id}"


class ChatTag(models.Model):
    """A moderator's label on a chat; the CRM turns tags with a rule into interest cards (``events.chat_tagged``)."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=TAG_MAX)
    slug = models.SlugField(max_length=TAG_MAX + 10)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["chat", "slug"], name="chat_tag_unique")]

    def __str__(self):
        return self.name


@register_snippet
class CannedReply(index.Indexed, models.Model):
    """A prepared answer moderators insert with one click in the console."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    panels = [FieldPanel("title"), FieldPanel("body"), FieldPanel("language")]
    search_fields = [index.SearchField("title"), index.SearchField("body")]

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned chat reply")
        verbose_name_plural = _("canned chat replies")

    def __str__(self):
        return self.title


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day_fields():
    labels = {
        "mon": _("Monday"),
        "tue": _("Tuesday"),
        "wed": _("Wednesday"),
        "thu": _("Thursday"),
        "fri": _("Friday"),
        "sat": _("Saturday"),
        "sun": _("Sunday"),
    }
    return labels


@register_setting(icon="time")
class ChatSettings(BaseGenericSetting):
    """Business hours of the live chat: outside them a new chat becomes a private thread in ``offline_forum``."""

    offline_forum = models.ForeignKey(
        "community.Forum",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to=models.Q(is_private=False) & ~models.Q(slug="blog-comments"),
        verbose_name=_("forum for offline messages"),
        help_text=_(
            "Outside business hours a chat becomes a private question in this forum, seen only by the member "
            "and the forum's moderators. Empty: the first forum the member may post in."
        ),
    )
    hours_enabled = models.BooleanField(
        _("use business hours"), default=False, help_text=_("Off: the chat is open around the clock.")
    )
    mon_opens = models.TimeField(_("Monday opens"), null=True, blank=True)
    mon_closes = models.TimeField(_("Monday closes"), null=True, blank=True)
    tue_opens = models.TimeField(_("Tuesday opens"), null=True, blank=True)
    tue_closes = models.TimeField(_("Tuesday closes"), null=True, blank=True)
    wed_opens = models.TimeField(_("Wednesday opens"), null=True, blank=True)
    wed_closes = models.TimeField(_("Wednesday closes"), null=True, blank=True)
    thu_opens = models.TimeField(_("Thursday opens"), null=True, blank=True)
    thu_closes = models.TimeField(_("Thursday closes"), null=True, blank=True)
    fri_opens = models.TimeField(_("Friday opens"), null=True, blank=True)
    fri_closes = models.TimeField(_("Friday closes"), null=True, blank=True)
    sat_opens = models.TimeField(_("Saturday opens"), null=True, blank=True)
    sat_closes = models.TimeField(_("Saturday closes"), null=True, blank=True)
    sun_opens = models.TimeField(_("Sunday opens"), null=True, blank=True)
    sun_closes = models.TimeField(_("Sunday closes"), null=True, blank=True)

    panels = [
        FieldPanel("offline_forum"),
        FieldPanel("hours_enabled"),
        *[
            MultiFieldPanel([FieldPanel(f"{day}_opens"), FieldPanel(f"{day}_closes")], heading=label)
            for day, label in _day_fields().items()
        ],
    ]

    class Meta:
        verbose_name = _("chat business hours")

    def hours_for(self, weekday: int):
        """(opens, closes) of ``weekday`` (0 = Monday); None when closed all day."""
        day = DAYS[weekday]
        opens, closes = getattr(self, f"{day}_opens"), getattr(self, f"{day}_closes")
        if opens is None or closes is None or closes <= opens:
            return None
        return opens, closes

    def is_open(self, when=None) -> bool:
        """Whether a chat started at ``when`` (default now, local time) reaches a moderator live."""
        if not self.hours_enabled:
            return True
        local = timezone.localtime(when or timezone.now())
        hours = self.hours_for(local.weekday())
        return hours is not None and hours[0] <= local.time() < hours[1]
