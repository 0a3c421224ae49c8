"""What every operation needs from its request: the token, the principal it acts as, scopes and pseudonyms."""

from __future__ import annotations

from django.utils.translation import gettext as _

from api.models import ApiToken
from api.problems import ApiProblem
from consent.pseudonyms import pseudonyms_for_ids


def token(request) -> ApiToken:
    return request.auth


def principal(request):
    """The account the token acts as: its member, or the staff account an integration is bound to."""
    return request.auth.user


def require(request, scope: str) -> None:
    """403 unless the token carries ``scope``; the portal's own permissions are asked on top."""
    if scope not in request.auth.effective_scopes():
        raise ApiProblem(403, _("This token lacks the scope “%(scope)s”.") % {"scope": scope})


class Pseudonyms:
    """Member ids to this client's pseudonyms, computed (and recorded for the DPO) once per response."""

    def __init__(self, request, user_ids):
        self._token = request.auth
        self._mine = request.auth.user_id
        self._map = pseudonyms_for_ids(list(user_ids), self._token.pseudonym_domain)

    def member(self, user_id) -> dict | None:
        if not user_id:
            return None
        return {"pseudonym": self._map[user_id], "is_you": user_id == self._mine}
