"""Pages of an organization's people: members, departments, invitations and their join links, API tokens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User, normalize_email
from audit.services import Action, record
from common.http import int_or_404, parse_int

from . import selectors, services
from .forms import DepartmentForm, InviteCsvForm, InviteForm, JoinForm, MembershipForm
from .models import ApiToken, Department, Invitation
from .tasks import send_invitations


@login_required
def api_tokens(request):
    """An org admin issues the organization's API tokens and picks one to revoke. A new key is shown once, here."""
    membership = selectors.manager_membership(user=request.user, admin=True)
    organization = membership.organization
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            # A revocation is confirmed on its own page first (a page from before that step posts here).
            token = selectors.api_token_of(
                organization_id=organization.pk, token_id=int_or_404(request.POST.get("revoke"))
            )
            return redirect("api_token_revoke", token_id=token.pk)
        name = request.POST.get("name", "").strip()[:100]
        if name:
            try:
                _token, new_key = services.api_token_create(
                    organization=organization, name=name, scopes=request.POST.getlist("scopes"), by=request.user
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        else:
            messages.error(request, _("トークンの名前を入力してください（例: 人事ダッシュボード）。"))
    tokens = selectors.api_tokens_of(organization_id=organization.pk)
    context = {
        "user_membership": membership,
        "organization": organization,
        "tokens": tokens,
        "new_key": new_key,
        "scopes": ApiToken.Scope.choices,
    }
    response = render(request, "organizations/api_tokens.html", context)
    response["Cache-Control"] = "no-store"  # the page may hold a key shown once
    return response


@login_required
def api_token_revoke(request, token_id):
    """Revoking stops every system that reads the API with the token, at once and for good: the org admin
    confirms here (or in the token list's dialog, which posts the same form) before anything changes."""
    membership = selectors.manager_membership(user=request.user, admin=True)
    organization = membership.organization
    token = selectors.api_token_of(organization_id=organization.pk, token_id=int_or_404(token_id))
    if token.revoked_at is not None:
        messages.info(request, _("トークン「%(name)s」はすでに失効しています。") % {"name": token.name})
        return redirect("api_tokens")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.api_token_revoke(token=token, by=request.user)
        messages.success(request, _("トークン「%(name)s」を失効しました。") % {"name": token.name})
        return redirect("api_tokens")
    context = {"user_membership": membership, "organization": organization, "token": token}
    return render(request, "organizations/api_token_revoke.html", context)


MEMBERS_PER_PAGE = 50


@login_required
def org_members(request):
    """Org admin: the member list, inviting one person or a CSV of them, and pending invitations."""
    membership = selectors.manager_membership(user=request.user, admin=True)
    organization = membership.organization
    invite_form = InviteForm(organization=organization)
    csv_form = InviteCsvForm()
    issued, import_errors = [], []
    if request.method == "POST":
        if "cancel" in request.POST:
            invitation = get_object_or_404(Invitation, pk=int_or_404(request.POST["cancel"]), organization=organization)
            services.invitation_cancel(invitation=invitation, by=request.user)
            messages.success(request, _("%(email)s への招待を取り消しました。") % {"email": invitation.email})
            return redirect("org_members")
        rows = None
        if "csv" in request.POST:
            csv_form = InviteCsvForm(request.POST, request.FILES)
            if csv_form.is_valid():
                try:
                    rows = services.invitation_rows_from_csv(csv_form.cleaned_data["file"].read())
                except services.InvitationsRejected as rejected:
                    import_errors = rejected.errors
        else:
            invite_form = InviteForm(request.POST, organization=organization)
            if invite_form.is_valid():
                data = invite_form.cleaned_data
                department = data["department"]
                rows = [
                    services.InvitationRow(
                        email=data["email"],
                        display_name=data["display_name"],
                        role=data["role"],
                        department=department.name if department else "",
                        employee_code=data["employee_code"],
                    )
                ]
        if rows is not None:
            try:
                issued = services.members_invite(organization=organization, rows=rows, by=request.user)
            except services.InvitationsRejected as rejected:
                import_errors = rejected.errors
            else:
                _mail_invitations(request, issued)
                invite_form = InviteForm(organization=organization)
    query = request.GET.get("q", "").replace("\x00", "").strip()
    department_id = parse_int(request.GET.get("department"))
    active = {"active": True, "inactive": False, "all": None}.get(request.GET.get("status", "active"), True)
    members = selectors.members_of(
        organization_id=organization.pk, query=query, department_id=department_id, active=active
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    record(
        organization_id=organization.pk,
        action=Action.MEMBERS_VIEW,
        actor=request.user,
        details={"q": query, "department": department_id, "status": request.GET.get("status", "active")},
    )
    response = render(
        request,
        "organizations/org_members.html",
        {
            "user_membership": membership,
            "organization": organization,
            "page": page,
            "invite_form": invite_form,
            "csv_form": csv_form,
            "issued": [(i.invitation, request.build_absolute_uri(reverse("join", args=[i.key]))) for i in issued],
            "import_errors": import_errors,
            "invitations": selectors.pending_invitations(organization_id=organization.pk)[:100],
            "departments": selectors.departments_of(organization_id=organization.pk),
            "query": query,
            "department_id": department_id,
            "status": request.GET.get("status", "active"),
        },
    )
    response["Cache-Control"] = "no-store"  # the page may list one-time links
    return response


def _mail_invitations(request, issued) -> None:
    links = {str(i.invitation.pk): request.build_absolute_uri(reverse("join", args=[i.key])) for i in issued}
    transaction.on_commit(lambda: send_invitations.delay(links))
    message = ngettext(
        "%(n)d 人に招待メールを送ります。下のリンクはこの画面でだけ表示されます。",
        "%(n)d 人に招待メールを送ります。下のリンクはこの画面でだけ表示されます。",
        len(issued),
    )
    messages.success(request, message % {"n": len(issued)})


@login_required
def org_member(request, membership_id):
    """Org admin: one member's role, department and employee code; deactivate or reactivate."""
    admin = selectors.manager_membership(user=request.user, admin=True)
    member = selectors.member_of(organization_id=admin.organization_id, membership_id=membership_id)
    form = MembershipForm(instance=member)
    if request.method == "POST":
        try:
            if "active" in request.POST:
                active = request.POST["active"] == "1"
                services.membership_set_active(membership=member, active=active, by=request.user)
                messages.success(
                    request, _("有効にしました。") if active else _("無効にしました。受験履歴は残ります。")
                )
                return redirect("org_member", membership_id=member.pk)
            form = MembershipForm(request.POST, instance=member)
            if form.is_valid():
                data = form.cleaned_data
                services.membership_update(
                    membership=member,
                    role=data["role"],
                    department=data["department"],
                    employee_code=data["employee_code"],
                    by=request.user,
                )
                messages.success(request, _("保存しました。"))
                return redirect("org_member", membership_id=member.pk)
        except ValidationError as error:
            form.add_error(None, error)
        member.refresh_from_db()
    else:
        record(
            organization_id=admin.organization_id, action=Action.MEMBER_VIEW, actor=request.user, target_id=member.pk
        )
    return render(request, "organizations/org_member.html", {"user_membership": admin, "member": member, "form": form})


@login_required
def org_departments(request):
    """Org admin: create, rename and delete (empty) departments."""
    membership = selectors.manager_membership(user=request.user, admin=True)
    organization = membership.organization
    form = DepartmentForm()
    if request.method == "POST":
        form = DepartmentForm(request.POST)
        try:
            if "delete" in request.POST:
                department_id = int_or_404(request.POST["delete"])
                department = get_object_or_404(Department, pk=department_id, organization=organization)
                services.department_delete(department=department, by=request.user)
                messages.success(request, _("部署「%(name)s」を削除しました。") % {"name": department.name})
                return redirect("org_departments")
            if form.is_valid():
                name = form.cleaned_data["name"]
                if "rename" in request.POST:
                    department = get_object_or_404(
                        Department, pk=int_or_404(request.POST["rename"]), organization=organization
                    )
                    services.department_rename(department=department, name=name, by=request.user)
                else:
                    services.department_create(organization=organization, name=name, by=request.user)
                messages.success(request, _("部署「%(name)s」を保存しました。") % {"name": name})
                return redirect("org_departments")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return render(
        request,
        "organizations/org_departments.html",
        {
            "user_membership": membership,
            "organization": organization,
            "form": form,
            "departments": selectors.departments_of(organization_id=organization.pk),
        },
    )


def join(request, key):
    """An invitation's one-time link: a new person creates an account here; someone with an account logs
    in first and then joins with one click."""
    invitation = selectors.invitation_for_key(key=key)
    if invitation is None:
        return render(request, "organizations/join_unusable.html", status=410)
    has_account = User.objects.filter(email=invitation.email).exists()
    form = None if has_account else JoinForm(request.POST or None, email=invitation.email)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                services.invitation_accept(key=key, user=request.user)
            elif form is not None and form.is_valid():
                user = services.invitee_signup(
                    key=key,
                    display_name=form.cleaned_data["display_name"],
                    password=form.cleaned_data["password1"],
                    preferred_language=request.LANGUAGE_CODE,
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                return render(request, "organizations/join.html", {"invitation": invitation, "form": form})
        except services.InvitationUnusable as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(request, _("%(org)s に参加しました。") % {"org": invitation.organization.name})
        return redirect("home")
    invited = request.user.is_authenticated and normalize_email(request.user.email) == invitation.email
    context = {"invitation": invitation, "form": form, "has_account": has_account, "is_invited_person": invited}
    return render(request, "organizations/join.html", context)
