"""What a token may do: the fine scopes every operation asks for, and what a personal token's read/write grants.

Personal tokens act for their owner as a member: ``read`` and ``write`` expand to the member scopes
below and never to staff scopes (cards, idea statuses), whatever roles the owner holds. Integration
tokens carry fine scopes chosen by an administrator and act as the staff account they are bound to,
so each operation is allowed only when the scope is granted *and* the portal's own permission check
lets that account do it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    THREADS_READ = "threads:read", _("Read forums, threads and posts")
    THREADS_WRITE = "threads:write", _("Ask questions and reply in threads")
    IDEAS_READ = "ideas:read", _("Read idea boards and ideas")
    IDEAS_VOTE = "ideas:vote", _("Vote for ideas")
    IDEAS_STATUS = "ideas:status", _("Set the status of ideas with a public response")
    KB_READ = "kb:read", _("Read and search knowledge base articles")
    CARDS_READ = "cards:read", _("Read interest cards")
    CARDS_WRITE = "cards:write", _("Claim interest cards, record replies and mark them processed")
    CONSENTS_READ = "consents:read", _("Read your own consents")
    CONSENTS_WRITE = "consents:write", _("Grant and withdraw your own consents")
    EXPORTS_READ = "exports:read", _("See your own data exports")
    EXPORTS_WRITE = "exports:write", _("Request an export of your own data")


class PersonalScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


PERSONAL_READ = frozenset(
    {Scope.THREADS_READ, Scope.IDEAS_READ, Scope.KB_READ, Scope.CONSENTS_READ, Scope.EXPORTS_READ}
)
PERSONAL_WRITE = PERSONAL_READ | {Scope.THREADS_WRITE, Scope.IDEAS_VOTE, Scope.CONSENTS_WRITE, Scope.EXPORTS_WRITE}
# A company's tool never reaches one member's own consents or exports: those scopes are personal only.
INTEGRATION_SCOPES = tuple(
    scope
    for scope in Scope
    if scope not in (Scope.CONSENTS_READ, Scope.CONSENTS_WRITE, Scope.EXPORTS_READ, Scope.EXPORTS_WRITE)
)


def personal_scopes(level: str) -> frozenset[str]:
    return frozenset(PERSONAL_WRITE if level == PersonalScope.WRITE else PERSONAL_READ)
