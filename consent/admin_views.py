"""Back-office pages of the privacy core (mounted by wagtail_hooks): thin, they call services and selectors."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from consent import ledger, permissions, pseudonyms, selectors, services, witness
from consent.forms import NoticeForm, ReidentifyForm
from consent.models import LedgerCheckpoint, LedgerHead, NoticeVersion, Purpose
from consent.record import record_as_csv, record_of_processing
from consent.verification import Verification
from portal.inputs import page_number


class PrivacyAdminView(WagtailAdminTemplateMixin, TemplateView):
    """Base: one permission check, the admin's page furniture."""

    header_icon = "lock"
    allowed = staticmethod(lambda user: False)

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class ReidentifyView(PrivacyAdminView):
    page_title = _("Re-identify a pseudonym")
    template_name = "consent/admin/reidentify.html"
    allowed = staticmethod(permissions.can_reidentify)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ReidentifyForm(recipients=pseudonyms.recipients().values()))
        return context

    def post(self, request):
        known = pseudonyms.recipients()
        form = ReidentifyForm(request.POST, recipients=known.values())
        member = recipient = None
        if form.is_valid():
            try:
                member = services.pseudonym_reidentify(
                    actor=request.user,
                    pseudonym=form.cleaned_data["pseudonym"],
                    reason=form.cleaned_data["reason"],
                    recipient=form.cleaned_data["recipient"],
                )
                recipient = pseudonyms.recipient_of(form.cleaned_data["pseudonym"], known)
            except ValidationError as exc:
                form.add_error(None, exc)
        return self.render_to_response(
            self.get_context_data(form=form, member=member, recipient=recipient),
            status=200 if form.is_valid() else 400,
        )


class RecordOfProcessingView(PrivacyAdminView):
    page_title = _("Record of processing")
    template_name = "consent/admin/record.html"
    allowed = staticmethod(permissions.can_view_record_of_processing)

    def get(self, request, *args, **kwargs):
        record = record_of_processing()
        fmt = request.GET.get("format")
        if fmt == "json":
            response = HttpResponse(json.dumps(record, indent=2, ensure_ascii=False), content_type="application/json")
            response["Content-Disposition"] = 'attachment; filename="record-of-processing.json"'
            return response
        if fmt == "csv":
            response = HttpResponse(record_as_csv(record), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="record-of-processing.csv"'
            return response
        return self.render_to_response(self.get_context_data(record=record))


class AuditLogView(PrivacyAdminView):
    page_title = _("Audit log")
    template_name = "consent/admin/audit_log.html"
    allowed = staticmethod(permissions.can_view_audit_log)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_obj"] = Paginator(selectors.audit_log(), 50).get_page(page_number(self.request, "p"))
        return context


class LedgerView(PrivacyAdminView):
    page_title = _("Consent ledger")
    template_name = "consent/admin/ledger.html"
    allowed = staticmethod(permissions.can_verify_ledger)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["head"] = LedgerHead.objects.filter(pk=1).first()
        context["checkpoints"] = LedgerCheckpoint.objects.order_by("-tree_size")[:10]
        context["witnesses"] = witness.witness_labels()
        return context

    def post(self, request):
        try:  # the witness file, when this process can read it, is compared too
            result = ledger.verify(witnessed=witness.file_witnessed_roots())
        except witness.WitnessError as exc:
            result = Verification().fail(None, str(exc))
        services.audit_record(actor=request.user, subject=None, action="verify_ledger", target=f"size {result.size}")
        return self.render_to_response(self.get_context_data(result=result))


class NoticeListView(PrivacyAdminView):
    page_title = _("Notices")
    template_name = "consent/admin/notices.html"
    allowed = staticmethod(lambda user: user.has_perm("consent.view_noticeversion"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notices: dict[int, list[NoticeVersion]] = {}
        for notice in NoticeVersion.objects.order_by("-version"):
            notices.setdefault(notice.purpose_id, []).append(notice)
        context["rows"] = [(p, notices.get(p.pk, [])) for p in Purpose.objects.all()]
        return context


class NoticePublishView(PrivacyAdminView):
    page_title = _("Publish a new notice version")
    template_name = "consent/admin/notice_publish.html"
    allowed = staticmethod(lambda user: user.has_perm("consent.add_noticeversion"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        purpose = get_object_or_404(Purpose, code=self.kwargs["code"])
        current = purpose.notices.order_by("-version").first()
        context["purpose"] = purpose
        context["current"] = current
        context.setdefault(
            "form", NoticeForm(initial={"text_en": current.text_en, "text_de": current.text_de} if current else None)
        )
        return context

    def post(self, request, code):
        purpose = get_object_or_404(Purpose, code=code)
        form = NoticeForm(request.POST)
        if form.is_valid():
            try:
                notice = services.notice_publish(purpose=purpose, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Notice version %(version)s published.") % {"version": notice.version})
                return redirect(reverse("consent_admin:notices"))
        return self.render_to_response(self.get_context_data(form=form), status=400)
