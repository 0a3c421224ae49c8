"""Template tags that apply the brand to every page."""

import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_UNSAFE_IN_CSS = re.compile(r"[^\w\s,\"'#.-]")


@register.simple_tag
def brand_css_variables(brand) -> str:
    """`--brand-primary: #1d4ed8; ...` for a :root rule.

    Values are validated on save; characters that could leave the declaration are
    stripped again here because a <style> element is not HTML-escaped.
    """
    return mark_safe(
        " ".join(f"{name}: {_UNSAFE_IN_CSS.sub('', value)};" for name, value in brand.css_variables().items())
    )
