from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self):
        from api import selectors
        from api.auth import INTEGRATION_PROCESSOR, PERSONAL_PROCESSOR
        from consent.models import AUDIT_ACTIONS
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from consent.pseudonyms import add_recipient_source
        from portal.roles import Role, grant

        register_processor(
            PERSONAL_PROCESSOR,
            purpose=None,
            legal_basis=LegalBasis.CONTRACT,
            description=_("The member's own API client reading and changing the member's own data."),
            kind=ProcessorKind.TRANSFER,
            serves_request=True,
        )
        register_processor(
            INTEGRATION_PROCESSOR,
            purpose=None,
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
            description=_("Company tools reading interest cards through the API, members only as pseudonyms."),
            kind=ProcessorKind.TRANSFER,
        )
        add_recipient_source(selectors.pseudonym_recipients)
        AUDIT_ACTIONS.setdefault("api_token_create", _("created an API token for your account"))
        AUDIT_ACTIONS.setdefault("api_token_revoke", _("revoked an API token of your account"))
        grant(Role.ADMINISTRATOR, "api.view_apitoken", "api.add_apitoken", "api.change_apitoken")
