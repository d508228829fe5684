"""A block rendered once per language: the same output as without it, in each language, and nothing that could
differ between requests allowed inside."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse, set_script_prefix
from django.utils import translation

BLOCK = '{% translate "解答済み" %} <a href="{% url \'home\' %}">{% static "css/exam.css" %}</a>'


def _render(source: str, language: str) -> str:
    with translation.override(language):
        return Template("{% load i18n static once %}" + source).render(Context({}))


def test_each_language_gets_its_own_rendering_identical_to_the_plain_block():
    template = Template("{% load i18n static once %}{% once_per_language %}" + BLOCK + "{% endonce_per_language %}")
    for language in ("ja", "en", "ja", "en"):
        with translation.override(language):
            assert template.render(Context({})) == _render(BLOCK, language)
    assert _render(BLOCK, "ja") != _render(BLOCK, "en")


def test_a_script_prefix_one_request_sent_never_reaches_another_requests_links():
    """Django sets the prefix per request from SCRIPT_NAME, which a proxy may pass on from a client's header."""
    template = Template("{% load once %}{% once_per_language %}{% url 'home' %}{% endonce_per_language %}")
    home = reverse("home")
    try:
        set_script_prefix("/evil/")
        assert template.render(Context({})) == "/evil" + home
        set_script_prefix("/")
        assert template.render(Context({})) == home
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize(
    "inside",
    [
        "{{ user }}",
        "{% csrf_token %}",
        "{% if user %}x{% endif %}",
        "{% translate message %}",
        "{% url 'exams:attempt' attempt.pk %}",
        "{% static path %}",
        '{% translate "解答済み" as label %}',
        '{% translate "解答済み" context kind %}',
    ],
)
def test_anything_read_from_the_request_is_refused_when_the_template_is_compiled(inside):
    with pytest.raises(TemplateSyntaxError, match="only constant content"):
        Template("{% load i18n static once %}{% once_per_language %}" + inside + "{% endonce_per_language %}")
