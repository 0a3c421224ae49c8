"""The DPO console in the back office (mounted by wagtail_hooks): thin, every action is a service call."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from consent import retention as retention_registry
from consent.dsar import permissions, restrictions, retention, selectors, services
from consent.dsar.forms import (
    AddressRequestForm,
    ExtendForm,
    LiftRestrictionForm,
    NoteForm,
    RectifyForm,
    RetentionPolicyForm,
    StaffRequestForm,
)
from consent.dsar.models import AccessRequest, RequestKind, RequestOrigin, RequestState
from consent.dsar.requests import InvalidTransition, urgency
from consent.services import staff_view_record


class ConsoleView(WagtailAdminTemplateMixin, TemplateView):
    """Base: DPO only, the admin's page furniture."""

    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_manage_requests(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class RequestListView(ConsoleView):
    page_title = gettext_lazy("Access requests")
    template_name = "dsar/admin/console.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        show_all = self.request.GET.get("all") == "1"
        # Self-service deletions are listed whatever their state: pending, cancelled and done alike.
        origin = RequestOrigin.SELF_SERVICE if self.request.GET.get("origin") == RequestOrigin.SELF_SERVICE else ""
        today = timezone.localdate()
        rows = list(selectors.console_requests(open_only=not (show_all or origin), origin=origin))
        for row in rows:
            row.left = row.days_left(today)
            row.overdue_days = max(0, -row.left)
            row.flag = urgency(row.left) if row.is_open else "closed"
        context.update(
            rows=rows,
            show_all=show_all,
            origin=origin,
            can_retention=permissions.can_manage_retention(self.request.user),
        )
        return context


class RequestCreateView(ConsoleView):
    page_title = gettext_lazy("Enter a request received by letter or e-mail")
    template_name = "dsar/admin/create.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", StaffRequestForm())
        return context

    def post(self, request):
        form = StaffRequestForm(request.POST)
        if form.is_valid():
            needle = form.cleaned_data["member"].strip().lstrip("@")
            members = get_user_model().objects
            member = members.with_email(needle).first() or members.filter(handle__iexact=needle).first()
            if member is None:
                form.add_error("member", _("No member with this e-mail address or handle."))
            else:
                try:
                    created = services.request_create(
                        member=member,
                        kind=form.cleaned_data["kind"],
                        actor=request.user,
                        channel=form.cleaned_data["channel"],
                        details=form.cleaned_data["details"],
                    )
                    return redirect("dsar_admin:detail", created.pk)
                except ValidationError as exc:
                    form.add_error(None, exc)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AddressRequestCreateView(ConsoleView):
    """A request from someone who is not a member (e.g. the author of a mail to the intake), about an address."""

    page_title = gettext_lazy("Enter a request from someone who is not a member")
    template_name = "dsar/admin/create_address.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form",
            AddressRequestForm(
                initial={"address": self.request.GET.get("address", "")[:254], "language": get_language()}
            ),
        )
        return context

    def post(self, request):
        form = AddressRequestForm(request.POST)
        if form.is_valid():
            try:
                created = services.address_request_create(
                    address=form.cleaned_data["address"],
                    kind=form.cleaned_data["kind"],
                    actor=request.user,
                    channel=form.cleaned_data["channel"],
                    details=form.cleaned_data["details"],
                    language=form.cleaned_data["language"],
                )
                return redirect("dsar_admin:detail", created.pk)
            except ValidationError as exc:
                form.add_error(None, exc)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# A handler that binds a form puts it into ``forms``, so a refused step shows the form again with its errors.


def _assign(request, item, forms) -> None:
    services.request_assign(request=item, actor=request.user, assignee=request.user)
    messages.success(request, _("The request is assigned to you."))


def _send_code(request, item, forms) -> None:
    services.verification_send(request=item, actor=request.user)
    messages.success(request, _("A code was sent to the member's account address."))


def _start(request, item, forms) -> None:
    services.request_transition(request=item, to=RequestState.IN_PROGRESS, actor=request.user)
    messages.success(request, _("Work on the request has started."))


def _complete(request, item, forms) -> None:
    services.request_transition(
        request=item, to=RequestState.COMPLETED, actor=request.user, note=request.POST.get("note", "")
    )
    messages.success(request, _("The request is completed and the member was told."))


def _reject(request, item, forms) -> None:
    services.request_transition(
        request=item, to=RequestState.REJECTED, actor=request.user, note=request.POST.get("note", "")
    )
    messages.success(request, _("The request is rejected and the member was told."))


def _extend(request, item, forms) -> None:
    form = forms["extend_form"] = ExtendForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Give the length and the reason of the extension."))
    services.request_extend(
        request=item, actor=request.user, months=form.cleaned_data["months"], reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("The request is extended and the member was told why."))


def _note(request, item, forms) -> None:
    form = forms["note_form"] = NoteForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Write a note."))
    services.request_note(request=item, actor=request.user, note=form.cleaned_data["note"])
    messages.success(request, _("The note is added to the history."))


def _export(request, item, forms):
    if item.is_about_address:  # no account to attach a ZIP to: the JSON goes straight to the DPO
        payload = services.address_export(request=item, actor=request.user)
        response = HttpResponse(
            json.dumps(payload, indent=2, ensure_ascii=False, default=str),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="request-{item.pk}.json"'
        return response
    services.request_run_export(request=item, actor=request.user)
    messages.success(request, _("The export is being built and attached to the request."))


def _erase(request, item, forms) -> None:
    if item.is_about_address:
        report = services.address_erase(
            request=item, actor=request.user, confirmation=request.POST.get("confirm_address", "")
        )
        if report is None:
            messages.success(
                request,
                _(
                    "Your approval is recorded. A second data protection officer must approve before anything is erased."
                ),
            )
        else:
            messages.success(
                request,
                _("The data about this address was erased and the request is completed. The report is attached."),
            )
        return
    report = services.request_run_erasure(
        request=item, actor=request.user, confirmation=request.POST.get("confirm_handle", "")
    )
    if report is None:
        messages.success(
            request,
            _("Your approval is recorded. A second data protection officer must approve before the member is erased."),
        )
        return
    messages.success(request, _("The member was erased and the request is completed. The report is attached."))


def _restrict(request, item, forms) -> None:
    count = services.request_restrict(request=item, actor=request.user)
    messages.success(
        request,
        _("Processing stopped until you lift the restriction (%(count)s consents withdrawn).") % {"count": count},
    )


def _lift(request, item, forms) -> None:
    form = forms["lift_form"] = LiftRestrictionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Write down why the restriction ends (at least 10 characters)."))
    found = permissions.access_restriction(item.member, form.cleaned_data["restriction"])
    restrictions.restriction_lift(restriction=found, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("The restriction is lifted; the member was told why."))


def _rectify(request, item, forms) -> None:
    form = forms["rectify_form"] = RectifyForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Check the corrected data."))
    services.request_rectify(request=item, actor=request.user, **form.cleaned_data)
    messages.success(request, _("The member's data was corrected."))


ACTIONS = {
    "assign": _assign,
    "send_code": _send_code,
    "start": _start,
    "complete": _complete,
    "reject": _reject,
    "extend": _extend,
    "note": _note,
    "export": _export,
    "erase": _erase,
    "restrict": _restrict,
    "lift": _lift,
    "rectify": _rectify,
}


MEMBER_ONLY_ACTIONS = frozenset({"restrict", "lift", "rectify"})


class RequestDetailView(ConsoleView):
    template_name = "dsar/admin/detail.html"

    def get_page_title(self):
        return _("Access request")

    def _request(self, request_id) -> AccessRequest:
        return get_object_or_404(AccessRequest.objects.select_related("member", "assignee", "export"), pk=request_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = context["item"]
        item.left = item.days_left()
        item.flag = urgency(item.left) if item.is_open else "closed"
        context.setdefault("extend_form", ExtendForm())
        context.setdefault("note_form", NoteForm())
        if item.member is not None:
            context.setdefault(
                "rectify_form",
                RectifyForm(
                    initial={
                        "first_name": item.member.first_name,
                        "last_name": item.member.last_name,
                        "email": item.member.email,
                    }
                ),
            )
        context.setdefault("lift_form", LiftRestrictionForm())
        if item.member is None:
            report = selectors.erasure_report_of_request(request=item)
            context.update(restrictions=[], address_found=selectors.address_found(request=item))
        else:
            report = selectors.erasure_report_of(member=item.member)
            context.update(restrictions=selectors.restrictions_of(member=item.member))
        context.update(
            history=selectors.request_history(request=item),
            report=report,
            report_recipients=selectors.erasure_recipients(report=report) if report else [],
            erasure_offered=self._erasure_offered(item),
            kinds=RequestKind,
            states=RequestState,
        )
        return context

    def _erasure_offered(self, item) -> dict | None:
        """What the erasure form needs, or None when erasure is not (or no longer) possible."""
        if item.kind != RequestKind.ERASURE or item.state != RequestState.IN_PROGRESS:
            return None
        if item.member is not None and item.member.erased_at:
            return None
        if item.origin == RequestOrigin.SELF_SERVICE and item.erase_after and item.erase_after > timezone.now():
            return None  # the member may still cancel by signing in; the scheduled task erases after the grace period
        approvers = services.erasure_approvers(request=item)
        return {
            "second_approval": settings.DSAR_ERASURE_SECOND_APPROVAL,
            "approved_by": get_user_model().objects.filter(pk__in=approvers).order_by("pk"),
            "approved_by_me": self.request.user.pk in approvers,
        }

    def get(self, request, request_id):
        item = self._request(request_id)
        staff_view_record(actor=request.user, member=item.member, what="view_request", target=f"request {item.pk}")
        return self.render_to_response(self.get_context_data(item=item))

    def post(self, request, request_id):
        item = self._request(request_id)
        handler = ACTIONS.get(request.POST.get("action"))
        if item.is_about_address and request.POST.get("action") in MEMBER_ONLY_ACTIONS:
            handler = None  # restriction and rectification act on an account; a non-member has none
        forms = {}
        try:
            if handler is None:
                raise ValidationError(_("Unknown action."))
            response = handler(request, item, forms)
            if response is not None:  # a download (the export of a request about an address)
                return response
        except InvalidTransition:
            messages.error(request, _("This step is not possible in the request's current state."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            item = self._request(request_id)
            return self.render_to_response(self.get_context_data(item=item, **forms), status=400)
        return redirect(reverse("dsar_admin:detail", args=[item.pk]))


class RetentionAdminView(WagtailAdminTemplateMixin, TemplateView):
    """Base of the retention pages: the DPO and administrators only."""

    header_icon = "bin"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_manage_retention(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class RetentionView(RetentionAdminView):
    """Every category with its period, what the next run removes and warns, the last runs, and "run now"."""

    page_title = gettext_lazy("Retention")
    template_name = "dsar/admin/retention.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = retention.runs_recent(limit=10)
        for run in runs:
            run.entries = retention.run_entries(run)
        context.update(rows=selectors.retention_overview(runs=runs), runs=runs)
        return context

    def post(self, request):
        if request.POST.get("action") != "run":
            messages.error(request, _("Unknown action."))
            return redirect("dsar_admin:retention")
        retention.retention_run_now(actor=request.user)
        messages.success(
            request,
            _("Retention run started. Reload this page to see what it removed under “Last runs” once it has finished."),
        )
        return redirect("dsar_admin:retention")


class RetentionPolicyView(RetentionAdminView):
    """Change one category's period without a deploy."""

    template_name = "dsar/admin/retention_policy.html"

    def get_page_title(self):
        return _("Retention period")

    def _category(self, code):
        try:
            return retention_registry.category(code)
        except LookupError:
            raise Http404 from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        category = context["category"]
        policy = retention.policies()[category.code]
        context.setdefault("form", RetentionPolicyForm(initial={"days": policy.days, "enabled": policy.enabled}))
        context["policy"] = policy
        return context

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(category=self._category(code)))

    def post(self, request, code):
        category = self._category(code)
        form = RetentionPolicyForm(request.POST)
        if form.is_valid():
            try:
                retention.policy_update(
                    code=category.code,
                    days=form.cleaned_data["days"],
                    enabled=form.cleaned_data["enabled"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form.add_error("days", exc)
            else:
                messages.success(
                    request, _("The retention period of “%(label)s” is saved.") % {"label": category.label}
                )
                return redirect("dsar_admin:retention")
        return self.render_to_response(self.get_context_data(category=category, form=form), status=400)
