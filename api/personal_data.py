"""Classification of the API's models in the personal-data registry: a token is personal data of its owner."""

from consent.registry import Erasure, register

register(
    "api.ApiToken",
    subject="user",
    category="api_tokens",
    export_fields=("kind", "name", "scopes", "prefix", "expires_at", "revoked_at", "last_used_at", "created_at"),
    erasure=Erasure.DELETE,
    reason="The member's (or the integration's staff account's) tokens; erasure deletes them, so they stop working.",
)
register(
    "api.ApiToken",
    subject="created_by",
    category="api_tokens_created",
    export_fields=("kind", "name", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"created_by": None},
    reason="The administrator who issued an integration token: the token stays, the link to its creator goes.",
)
