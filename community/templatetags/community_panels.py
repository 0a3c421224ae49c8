"""`{% panels "thread_page" %}`: the panels other apps registered for a slot of a community page."""

from django import template
from django.utils.safestring import mark_safe

from community.extensions import SLOTS

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot: str) -> str:
    """Render each panel with the page's own context (context processors do not run again)."""
    engine = context.template.engine
    parts = []
    for name in SLOTS[slot]:
        with context.push():
            parts.append(engine.get_template(name).render(context))
    return mark_safe("".join(parts))  # noqa: S308
