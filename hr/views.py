"""Pages of the company side: the HR dashboard and its CSVs, assignments, real exam results."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action, record
from common.http import int_or_404
from exams.models import Blueprint
from exams.selectors import blueprints_for, drill_areas
from organizations.selectors import manager_membership, member_of

from . import reports, selectors, services, webhooks
from .forms import AssignmentForm, RealResultForm, ReminderSettingsForm
from .models import RealResult


@login_required
def assignments(request):
    """HR: the organization's assignments with completion; links to a new one."""
    membership = manager_membership(user=request.user)
    organization = membership.organization
    if request.method == "POST" and "delete" in request.POST:
        assignment = selectors.assignment_of(
            organization_id=organization.pk, assignment_id=int_or_404(request.POST["delete"])
        )
        services.assignment_delete(assignment=assignment, by=request.user)
        messages.success(request, _("課題を削除しました。"))
        return redirect("hr:assignments")
    if request.method == "POST":
        raise BadRequest  # new assignments are posted to assignment_new
    return render(
        request,
        "hr/assignments.html",
        {
            "user_membership": membership,
            "assignments": selectors.assignments_of(organization_id=organization.pk),
            "drills": [b for b in blueprints_for(user=request.user) if b.is_drill],
        },
    )


DRILL_DUE_DAYS = 14  # a pre-filled drill is due in two weeks: HR reads the dashboard between fortnightly meetings


@login_required
def assignment_new(request):
    """HR: set a new assignment. From the dashboard's weak areas it comes pre-filled
    (?exam=<code>&department=<id>&areas=<code>…): the exam's drill, the department, the areas and a due date.
    A department or an area that is not this organization's or this exam's is a 404."""
    membership = manager_membership(user=request.user)
    organization = membership.organization
    blueprints = blueprints_for(user=request.user)
    params = request.POST if request.method == "POST" else request.GET
    drill = _drill_asked_for(params.get("exam"), blueprints)
    initial = {} if request.method == "POST" else _prefill(request.GET, organization, drill)
    form = AssignmentForm(
        request.POST or None,
        organization=organization,
        blueprints=blueprints,
        drill_exam=drill.exam if drill else None,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.assignment_create(
                organization=organization,
                blueprint=data["blueprint"],
                due_on=data["due_on"],
                opens_on=data["opens_on"],
                departments=list(data["departments"]),
                members=data["people"],
                note=data["note"],
                hold_keys=data.get("hold_keys", False),
                drill_areas=list(data.get("areas") or []),
                drill_count=data.get("drill_count"),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("課題を登録しました。対象のメンバーのホームに表示されます。"))
            return redirect("hr:assignment_detail", assignment_id=assignment.pk)
    return render(
        request,
        "hr/assignment_new.html",
        {"user_membership": membership, "form": form, "drill": drill},
        status=400 if request.method == "POST" else 200,
    )


def _drill_asked_for(exam_code: str | None, blueprints: list[Blueprint]) -> Blueprint | None:
    """The drill of the exam named in the query (?exam=g_kentei) among the blueprints HR may assign."""
    if not exam_code:
        return None
    drills = [b for b in blueprints if b.is_drill and b.exam.code == exam_code]
    if not drills:
        raise Http404
    return drills[0]


def _prefill(query, organization, drill: Blueprint | None) -> dict:
    ours = {d.pk: d for d in reports.departments(organization_id=organization.pk)}
    department_ids = {int_or_404(v) for v in query.getlist("department")}
    if not department_ids <= ours.keys():
        raise Http404  # another organization's department, or none
    initial: dict = {"departments": [ours[pk] for pk in department_ids]}
    if drill is None:
        return initial
    codes = set(query.getlist("areas"))
    if not codes <= {a.code for a in drill_areas(blueprint=drill)}:
        raise Http404
    return initial | {
        "blueprint": drill.pk,
        "areas": sorted(codes),
        "drill_count": min(services.DRILL_COUNT * max(len(codes), 1), services.MAX_DRILL_COUNT),
        "due_on": timezone.localdate() + timedelta(days=DRILL_DUE_DAYS),
    }


@login_required
def assignment_detail(request, assignment_id):
    """HR: who has done an assignment, who has not, and who did it late."""
    membership = manager_membership(user=request.user)
    assignment = selectors.assignment_of(organization_id=membership.organization_id, assignment_id=assignment_id)
    targets = selectors.assignment_targets(assignment=assignment)
    show = request.GET.get("show", "")
    if show == "pending":
        targets = targets.filter(done_at__isnull=True)
    page = Paginator(targets, 100).get_page(request.GET.get("page"))
    record(
        organization_id=membership.organization_id,
        action=Action.ASSIGNMENT_VIEW,
        actor=request.user,
        details={"assignment": assignment.pk, "show": show, "page": page.number},
    )
    return render(
        request,
        "hr/assignment_detail.html",
        {
            "user_membership": membership,
            "assignment": assignment,
            "page": page,
            "show": show,
            "completion": selectors.assignments_of(organization_id=membership.organization_id, only=[assignment.pk])[0],
        },
    )


@login_required
def reminder_settings(request):
    """HR managers and org admins: the organization's reminders (督促) on or off, when, the weekly digest and the
    Teams / Slack webhooks. Another organization's settings cannot be named: the page is the asker's own."""
    membership = manager_membership(user=request.user)
    organization = membership.organization
    saved = selectors.reminder_settings_of(organization_id=organization.pk)
    initial = {"enabled": saved.enabled, "due_soon_days": saved.due_soon_days, "weekly_digest": saved.weekly_digest}
    form = ReminderSettingsForm(
        request.POST or None,
        initial=initial,
        saved_teams=webhooks.masked(saved.teams_webhook_url),
        saved_slack=webhooks.masked(saved.slack_webhook_url),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reminder_settings_update(
                organization=organization,
                enabled=data["enabled"],
                due_soon_days=data["due_soon_days"],
                weekly_digest=data["weekly_digest"],
                teams_webhook_url=form.webhook_url("teams_webhook_url", "clear_teams"),
                slack_webhook_url=form.webhook_url("slack_webhook_url", "clear_slack"),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("督促の設定を保存しました。"))
            return redirect("hr:reminder_settings")
    return render(
        request,
        "hr/reminder_settings.html",
        {"user_membership": membership, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def real_results(request):
    """A member's real JDLA exam results. HR opens it with ?member=<membership id> to record for someone
    in their organization; any other id is a 404."""
    person, member = request.user, None
    if "member" in request.GET:
        manager = manager_membership(user=request.user)
        member = member_of(organization_id=manager.organization_id, membership_id=int_or_404(request.GET["member"]))
        person = member.user
        if request.method == "GET":
            record(
                organization_id=manager.organization_id,
                action=Action.REAL_RESULTS_VIEW,
                actor=request.user,
                target_id=member.pk,
            )
    form = RealResultForm(request.POST or None, sessions=selectors.exam_sessions_held(day=timezone.localdate()))
    if request.method == "POST" and "delete" in request.POST:
        result = get_object_or_404(RealResult, pk=int_or_404(request.POST["delete"]), user=person)
        services.real_result_delete(result=result, by=request.user)
        messages.success(request, _("記録を削除しました。"))
        return redirect(request.get_full_path())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.real_result_record(
                user=person,
                exam=data["exam"],
                session=data["session"],
                taken_on=data["taken_on"],
                passed=data["passed"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("本番試験の結果を記録しました。"))
            return redirect(request.get_full_path())
    return render(
        request,
        "hr/real_results.html",
        {
            "form": form,
            "member": member,
            "person": person,
            "results": selectors.real_results_of(user=person),
        },
    )
