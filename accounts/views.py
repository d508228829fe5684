from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import services
from .forms import CompanyAwareLoginForm, SignUpForm
from .services import user_set_language


def home(request):
    # The organization's links come from the `user_membership` context (organizations.context_processors).
    return render(request, "home.html")


def signup(request):
    """The same answer whether or not the address has an account (a mail tells its owner which)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.signup_request(
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
            preferred_language=data["preferred_language"],
            link_for=_absolute_link(request),
        )
        response = redirect("signup_sent")
        _remember_language(response, data["preferred_language"])
        return response
    return render(request, "registration/signup.html", {"form": form})


def signup_sent(request):
    return render(request, "registration/signup_sent.html")


def _absolute_link(request):
    def link_for(url_name: str, token: str) -> str:
        return request.build_absolute_uri(reverse(url_name, args=[token] if token else []))

    return link_for


def email_confirm(request, token):
    """The link mailed at sign-up. Opening it only confirms the address (mail scanners open links too);
    signing in stays a separate step."""
    try:
        user = services.email_confirm(token=token)
    except services.ConfirmationInvalid as error:
        return render(request, "registration/email_confirm_invalid.html", {"error": error}, status=400)
    messages.success(request, _("メールアドレスを確認しました。"))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("home")
    return redirect(f"{reverse('login')}?email_confirmed=1")


@login_required
@require_POST
def email_confirm_resend(request):
    if services.email_confirmation_resend(user=request.user, link_for=_absolute_link(request)):
        messages.success(request, _("確認メールを %(email)s に送りました。") % {"email": request.user.email})
    return redirect("home")


class LoginView(DjangoLoginView):
    """Django's login, plus the user's preferred language from then on, and the company sign-in (SSO) beside
    the password form; addresses whose organization requires SSO are refused here (accounts.forms)."""

    redirect_authenticated_user = True
    form_class = CompanyAwareLoginForm

    def get_context_data(self, **kwargs):
        from organizations.sso_forms import CompanyLoginForm

        return {**super().get_context_data(**kwargs), "company_form": CompanyLoginForm()}

    def form_valid(self, form):
        response = super().form_valid(form)
        _remember_language(response, form.get_user().preferred_language)
        return response


def sign_in(request, user, *, redirect_to: str):
    """Sign in someone another path has already authenticated (the organization's IdP): Django's login, so
    django-axes and the session work as for a password, and the user's language from then on."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    response = redirect(redirect_to)
    _remember_language(response, user.preferred_language)
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
