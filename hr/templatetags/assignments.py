from django import template

from hr.selectors import assignments_for

register = template.Library()


@register.inclusion_tag("hr/_my_assignments.html", takes_context=True)
def my_assignments(context):
    """The signed-in member's assignments, for the home page (accounts' template, hr's data)."""
    user = context["request"].user
    return {"items": assignments_for(user=user) if user.is_authenticated else []}
