"""The audit log page (/org/audit/) and its CSV: org admins only, their own organization only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common.csv_export import csv_response
from organizations.selectors import manager_membership

from . import presenting, selectors, services
from .forms import AuditFilterForm, RetentionForm
from .models import AuditEvent

EVENTS_PER_PAGE = 50


@never_cache
@login_required
def audit_log(request):
    """Who viewed or exported members' data, and who changed the organization's people; filterable by actor,
    action and days. The org admin also sets how long events are kept here."""
    membership = manager_membership(user=request.user, admin=True)
    organization = membership.organization
    retention_form = RetentionForm(initial={"days": organization.audit_retention_days})
    if request.method == "POST":
        retention_form = RetentionForm(request.POST)
        if retention_form.is_valid():
            try:
                services.retention_set(
                    organization=organization, days=retention_form.cleaned_data["days"], by=request.user
                )
            except ValidationError as error:
                retention_form.add_error("days", error)
            else:
                messages.success(request, _("監査ログの保存期間を保存しました。"))
                return redirect("audit:log")
    form = AuditFilterForm(request.GET or None, organization_id=organization.pk)
    events = selectors.audit_events_of(organization_id=organization.pk, **form.query())
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    retention_form.fields["days"].widget.attrs["placeholder"] = services.retention_days(organization)
    rows = [
        (event, presenting.actor_label(event), presenting.target_label(event), presenting.details_text(event))
        for event in page
    ]
    return render(
        request,
        "audit/log.html",
        {
            "user_membership": membership,
            "organization": organization,
            "form": form,
            "page": page,
            "rows": rows,
            "retention_form": retention_form,
            "retention_days": services.retention_days(organization),
            "query": request.GET.urlencode(),
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
def audit_log_csv(request):
    """The filtered log as CSV; exporting it is itself an event."""
    membership = manager_membership(user=request.user, admin=True)
    form = AuditFilterForm(request.GET or None, organization_id=membership.organization_id)
    query = form.query()
    services.record(
        organization_id=membership.organization_id,
        action=AuditEvent.Action.AUDIT_EXPORT,
        actor=request.user,
        details={key: str(value) for key, value in query.items() if value},
    )
    events = selectors.audit_events_of(organization_id=membership.organization_id, **query)
    return csv_response(_csv_rows(events), f"moshi-audit-{timezone.localdate():%Y%m%d}.csv")


def _csv_rows(events):
    yield [_("日時"), _("操作"), _("実行者"), _("対象"), _("詳細"), _("IPアドレス")]
    for event in events.iterator(chunk_size=2000):
        yield [
            f"{timezone.localtime(event.at):%Y-%m-%d %H:%M:%S}",
            event.get_action_display(),
            presenting.actor_label(event),
            presenting.target_label(event),
            presenting.details_text(event),
            event.ip or "",
        ]
