"""Values every themed page needs: brand, navigation, unread notifications, back-office access."""

from portal.navigation import nav_items
from portal.notifications import unread_count
from portal.roles import can_access_back_office
from theme.selectors import brand_for_request


def portal(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "brand": brand_for_request(request),
        "portal_nav": nav_items(request.path),
        "unread_notifications": unread_count(user) if authenticated else 0,
        # A callable: evaluated only where the header asks for it.
        "user_is_staff_role": (lambda: can_access_back_office(user)) if authenticated else False,
    }
