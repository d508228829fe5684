"""自分のデータ (a person's download and deletion of their own data) and an org admin's removal of a member's
personal data on request."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from organizations.selectors import manager_membership, member_of

from . import selectors, services
from .forms import AccountDeleteForm


@never_cache
@login_required
def my_data(request):
    """The person's data page: what Moshi keeps, the download, and deleting the account."""
    return render(
        request,
        "privacy/my_data.html",
        {"form": AccountDeleteForm(user=request.user), "sole_admin_of": selectors.sole_admin_of(user=request.user)},
    )


@never_cache
@login_required
def my_data_export(request):
    data = selectors.own_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="moshi-my-data-{timezone.localdate():%Y%m%d}.json"'
    return response


@never_cache
@login_required
@require_POST
def account_delete(request):
    form = AccountDeleteForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.account_delete(user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, _("アカウントを削除しました。ご利用ありがとうございました。"))
            return redirect("login")
    return render(
        request,
        "privacy/my_data.html",
        {"form": form, "sole_admin_of": selectors.sole_admin_of(user=request.user)},
        status=400,
    )


@never_cache
@login_required
def member_remove_data(request, membership_id):
    """Org admin: remove a member's personal data from the organization's records, after a confirmation step.
    Another organization's member is a 404."""
    admin = manager_membership(user=request.user, admin=True)
    member = member_of(organization_id=admin.organization_id, membership_id=membership_id)
    error = None
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.member_personal_data_remove(membership=member, by=request.user)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, _("個人情報を削除しました。この組織の記録では「退会者」と表示されます。"))
            return redirect("org_member", membership_id=member.pk)
    return render(
        request,
        "privacy/member_remove_data.html",
        {"user_membership": admin, "member": member, "error": error},
        status=400 if error else 200,
    )
