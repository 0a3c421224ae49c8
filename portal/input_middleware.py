"""The one normalisation layer every request passes: no control characters reach a view.

Query parameters and form fields are replaced by cleaned copies (form bodies keep tab and line
breaks), so no view has to remember that PostgreSQL refuses NUL bytes in text. A path holding
control characters names no page and is answered 400 before any view looks it up.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from portal.inputs import MAX_PAGE, bounded_int, clean_text, has_control_characters

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Page numbers of every list (the portal's ``page``, Wagtail's admin ``p``): a positive integer the
# database can hold, so no paginator meets "0", "abc" or twenty digits ("last" is a paginator word).
PAGE_PARAMETERS = ("page", "p")


def _page_value(value: str) -> str:
    return value if value == "last" else str(bounded_int(value, 1, MAX_PAGE))


def _needs_cleaning(values: QueryDict, *, pages: bool) -> bool:
    for key, items in values.lists():
        if has_control_characters(key) or any(map(has_control_characters, items)):
            return True
        if pages and key in PAGE_PARAMETERS and any(item != _page_value(item) for item in items):
            return True
    return False


def _cleaned(values: QueryDict, *, multiline: bool, pages: bool = False) -> QueryDict:
    if not _needs_cleaning(values, pages=pages):
        return values
    copy = QueryDict(mutable=True, encoding=values.encoding)
    for key, items in values.lists():
        name = clean_text(key)
        items = [clean_text(item, multiline=multiline) for item in items]
        if pages and name in PAGE_PARAMETERS:
            items = [_page_value(item) for item in items]
        copy.setlist(name, items)
    copy._mutable = False
    return copy


class InputNormalisationMiddleware:
    """Strips control characters from GET and POST values, bounds page numbers; refuses paths with control characters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.path):
            raise BadRequest(_("The address contains characters that are not allowed."))
        request.GET = _cleaned(request.GET, multiline=False, pages=True)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            try:
                posted = request.POST
            except (MultiPartParserError, UnreadablePostError):
                raise BadRequest(_("The form data could not be read.")) from None
            request.POST = _cleaned(posted, multiline=True)
        return self.get_response(request)
