from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .forms import SignUpForm
from .selectors import membership_for
from .services import user_set_language, user_signup


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
