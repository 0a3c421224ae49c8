"""Template tags of the privacy centre's parts that belong to access requests."""

from django import template

from consent.dsar.restrictions import restrictions_standing

register = template.Library()


@register.simple_tag
def standing_restrictions(user):
    """The member's restrictions in force now: the privacy centre says why consents cannot be given meanwhile."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return restrictions_standing(member=user)
