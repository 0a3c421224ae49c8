"""Errors as RFC 9457 problem details (``application/problem+json``), in the caller's language (Accept-Language)."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from portal.ratelimit import RateLimited

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"


class Problem(Schema):
    """RFC 9457 problem details; ``errors`` lists invalid fields of a request."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: dict[str, list[str]] | None = None


class ApiProblem(Exception):
    """An error an operation answers with directly (a missing scope, a conflict)."""

    def __init__(self, status: int, detail: str = "", *, title: str = ""):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("Forbidden"),
        404: _("Not found"),
        409: _("Conflict"),
        422: _("Invalid request"),
        429: _("Too many requests"),
    }


def problem(request, status: int, detail: str = "", *, title: str = "", errors=None, headers=None) -> HttpResponse:
    body = {
        "type": PROBLEM_TYPE,
        "title": title or _titles().get(status, _("Error")),
        "status": status,
        "detail": str(detail),
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=MEDIA_TYPE)
    response["Content-Language"] = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else ""
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def install(api) -> None:
    """Register the handlers on the NinjaAPI: every error it answers is a problem document."""

    @api.exception_handler(ApiProblem)
    def _api_problem(request, exc: ApiProblem):
        return problem(request, exc.status, exc.detail, title=exc.title)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem(
            request,
            401,
            _("Send a valid, unexpired API token as “Authorization: Bearer <token>”."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    @api.exception_handler(RateLimited)
    def _limited(request, exc: RateLimited):
        retry = max(1, int(exc.retry_after))
        return problem(
            request,
            429,
            _("This token made too many requests. Try again in %(seconds)d seconds.") % {"seconds": retry},
            headers={"Retry-After": str(retry)},
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem(request, 404, _("There is nothing here, or this token may not see it."))

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        message = getattr(exc, "message", "") or (str(exc.args[0]) if exc.args and exc.args[0] else "")
        return problem(request, 403, message or _("This token may not do that."))

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        errors = _field_errors(exc)
        detail = "; ".join(m for messages in errors.values() for m in messages)
        return problem(request, 422, detail, errors=errors)

    @api.exception_handler(NinjaValidationError)
    def _schema_invalid(request, exc: NinjaValidationError):
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            loc = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
            errors.setdefault(loc or "__all__", []).append(str(error.get("msg", "")))
        return problem(request, 422, _("Some values of the request are not valid."), errors=errors)

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        return problem(request, exc.status_code, str(exc))
