from django import template

from exams.selectors import assignments_for

register = template.Library()


@register.inclusion_tag("exams/_my_assignments.html", takes_context=True)
def my_assignments(context):
    """The signed-in member's assignments, for the home page (accounts' template, exams' data)."""
    user = context["request"].user
    return {"items": assignments_for(user=user) if user.is_authenticated else []}
