from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import selectors, services
from .forms import DepartmentForm, InviteCsvForm, InviteForm, JoinForm, MembershipForm, SignUpForm
from .models import ApiToken, Department, Invitation, User
from .selectors import membership_for
from .services import api_token_create, api_token_revoke, user_set_language, user_signup
from .tasks import send_invitations


def home(request):
    return render(request, "home.html", {"membership": membership_for(user=request.user)})


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            preferred_language=form.cleaned_data["preferred_language"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("登録しました。ようこそ Moshi へ。"))
        response = redirect("home")
        _remember_language(response, user.preferred_language)
        return response
    return render(request, "registration/signup.html", {"form": form})


class LoginView(DjangoLoginView):
    """Django's login, plus the user's preferred language from then on."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        _remember_language(response, form.get_user().preferred_language)
        return response


@require_POST
def language_switch(request):
    """The language switcher: Django's set_language, remembered on the account for signed-in users."""
    response = set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)
    return response


def _remember_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )


@login_required
def api_tokens(request):
    """An org admin issues and revokes the organization's API tokens. A new key is shown once, here."""
    organization = selectors.manager_membership(user=request.user, admin=True).organization
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token = get_object_or_404(ApiToken, pk=request.POST.get("revoke"), organization=organization)
            api_token_revoke(token=token, by=request.user)
            messages.success(request, _("トークン「%(name)s」を失効しました。") % {"name": token.name})
            return redirect("api_tokens")
        name = request.POST.get("name", "").strip()[:100]
        if name:
            _token, new_key = api_token_create(organization=organization, name=name, by=request.user)
        else:
            messages.error(request, _("トークンの名前を入力してください（例: 人事ダッシュボード）。"))
    tokens = ApiToken.objects.filter(organization=organization).order_by("-created_at")
    response = render(
        request, "accounts/api_tokens.html", {"organization": organization, "tokens": tokens, "new_key": new_key}
    )
    response["Cache-Control"] = "no-store"  # the page may hold a key shown once
    return response


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
            invitation = get_object_or_404(Invitation, pk=_id(request.POST["cancel"]), organization=organization)
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
                rows = [services.InvitationRow(
                    email=data["email"], display_name=data["display_name"], role=data["role"],
                    department=department.name if department else "", employee_code=data["employee_code"],
                )]  # fmt: skip
        if rows is not None:
            try:
                issued = services.members_invite(organization=organization, rows=rows, by=request.user)
            except services.InvitationsRejected as rejected:
                import_errors = rejected.errors
            else:
                _mail_invitations(request, issued)
                invite_form = InviteForm(organization=organization)
    query = request.GET.get("q", "").replace("\x00", "").strip()
    department_id = _int_or_none(request.GET.get("department"))
    active = {"active": True, "inactive": False, "all": None}.get(request.GET.get("status", "active"), True)
    members = selectors.members_of(
        organization_id=organization.pk, query=query, department_id=department_id, active=active
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    response = render(request, "accounts/org_members.html", {
        "organization": organization, "page": page, "invite_form": invite_form, "csv_form": csv_form,
        "issued": [(i.invitation, request.build_absolute_uri(reverse("join", args=[i.key]))) for i in issued],
        "import_errors": import_errors,
        "invitations": selectors.pending_invitations(organization_id=organization.pk)[:100],
        "departments": selectors.departments_of(organization_id=organization.pk),
        "query": query, "department_id": department_id, "status": request.GET.get("status", "active"),
    })  # fmt: skip
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


def _int_or_none(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**63 else None


def _id(value) -> int:
    """An id from a form; anything else is a 404, like an id that is not there."""
    number = _int_or_none(value)
    if number is None:
        raise Http404
    return number


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
                    membership=member, role=data["role"], department=data["department"],
                    employee_code=data["employee_code"], by=request.user,
                )  # fmt: skip
                messages.success(request, _("保存しました。"))
                return redirect("org_member", membership_id=member.pk)
        except ValidationError as error:
            form.add_error(None, error)
        member.refresh_from_db()
    return render(request, "accounts/org_member.html", {"member": member, "form": form})


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
                department = get_object_or_404(Department, pk=_id(request.POST["delete"]), organization=organization)
                services.department_delete(department=department, by=request.user)
                messages.success(request, _("部署「%(name)s」を削除しました。") % {"name": department.name})
                return redirect("org_departments")
            if form.is_valid():
                name = form.cleaned_data["name"]
                if "rename" in request.POST:
                    department = get_object_or_404(
                        Department, pk=_id(request.POST["rename"]), organization=organization
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
        "accounts/org_departments.html",
        {"organization": organization, "form": form,
         "departments": selectors.departments_of(organization_id=organization.pk)},
    )  # fmt: skip


def join(request, key):
    """An invitation's one-time link: a new person creates an account here; someone with an account logs
    in first and then joins with one click."""
    invitation = selectors.invitation_for_key(key=key)
    if invitation is None:
        return render(request, "accounts/join_unusable.html", status=410)
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    form = None if has_account else JoinForm(request.POST or None, email=invitation.email)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                services.invitation_accept(key=key, user=request.user)
            elif form is not None and form.is_valid():
                user = services.invitee_signup(
                    key=key, display_name=form.cleaned_data["display_name"], password=form.cleaned_data["password1"],
                    preferred_language=request.LANGUAGE_CODE,
                )  # fmt: skip
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                return render(request, "accounts/join.html", {"invitation": invitation, "form": form})
        except services.InvitationUnusable as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(request, _("%(org)s に参加しました。") % {"org": invitation.organization.name})
        return redirect("home")
    invited = request.user.is_authenticated and request.user.email.lower() == invitation.email
    context = {"invitation": invitation, "form": form, "has_account": has_account, "is_invited_person": invited}
    return render(request, "accounts/join.html", context)
