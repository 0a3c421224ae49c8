from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdeasConfig(AppConfig):
    name = "ideas"
    verbose_name = _("Ideas")

    def ready(self):
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from ideas import notices, profile_section, search
        from knowledgebase.extensions import add_search_source
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        register_processor(
            "ideas.notifications",
            purpose=None,
            legal_basis=LegalBasis.CONTRACT,
            description=_("Notifications and their mail about ideas the member voted for or follows."),
            kind=ProcessorKind.MAIL,
        )
        register_kind(
            "idea_status", _("Status changes of ideas I voted for or follow"), processor="ideas.notifications"
        )
        notices.register_messages()
        add_search_source(search.SOURCE)
        profile_section.register()
        grant(
            Role.PRODUCT_MANAGER,
            "ideas.review_idea",
            "ideas.change_idea_status",
            "ideas.merge_idea",
            "ideas.export_idea",
            "ideas.view_idea_demand",
            "ideas.view_idea",
            "ideas.add_board",
            "ideas.change_board",
            "ideas.delete_board",
            "ideas.view_board",
            "ideas.add_category",
            "ideas.change_category",
            "ideas.delete_category",
            "ideas.view_category",
            "ideas.add_internalnote",
            "ideas.view_internalnote",
            "taggit.add_tag",
        )
        grant(Role.MODERATOR, "ideas.hide_comment")
