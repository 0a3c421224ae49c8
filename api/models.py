"""API tokens: a member's personal access tokens and the integration tokens administrators issue to company tools."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.scopes import INTEGRATION_SCOPES, personal_scopes
from consent.pseudonyms import recipient_domain


def new_recipient_key() -> str:
    """Each token is its own API client and so its own recipient of pseudonyms (``consent.pseudonyms``)."""
    return f"api:{secrets.token_hex(10)}"


class TokenKind(models.TextChoices):
    PERSONAL = "personal", _("Personal access token")
    INTEGRATION = "integration", _("Integration token")


class ApiToken(models.Model):
    """A bearer token of the REST API; only its keyed hash is stored, the secret is shown once at creation."""

    kind = models.CharField(_("kind"), max_length=12, choices=TokenKind.choices)
    name = models.CharField(_("name"), max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.CASCADE,
        related_name="portal_api_tokens",
        help_text=_("The member a personal token belongs to, or the staff account an integration acts as."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(_("token prefix"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    recipient_key = models.CharField(max_length=64, unique=True, default=new_recipient_key, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_personal(self) -> bool:
        return self.kind == TokenKind.PERSONAL

    @property
    def pseudonym_domain(self) -> str:
        """The domain of every member pseudonym this client sees."""
        return recipient_domain(self.recipient_key)

    def effective_scopes(self) -> frozenset[str]:
        if self.is_personal:
            level = "write" if "write" in self.scopes else "read"
            return personal_scopes(level)
        return frozenset(scope for scope in self.scopes if scope in INTEGRATION_SCOPES)

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def scope_labels(self) -> list[str]:
        from api.scopes import PersonalScope, Scope

        labels = dict(PersonalScope.choices) if self.is_personal else dict(Scope.choices)
        return [str(labels.get(scope, scope)) for scope in self.scopes]
