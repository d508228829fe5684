from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .forms import SignUpForm
from .models import ApiToken
from .selectors import membership_for
from .services import api_token_create, api_token_revoke, user_set_language, user_signup


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
    membership = membership_for(user=request.user)
    if membership is None or not membership.can_manage_people:
        raise PermissionDenied
    organization = membership.organization
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
