from django import template

from ..selectors import due_by_exam, plan_for, study_log

register = template.Library()


@register.inclusion_tag("study/_today.html", takes_context=True)
def study_today(context):
    """The home page's 今日の学習: reviews due per exam, today's set, the plan's countdown and the streak."""
    user = context["request"].user
    plan = plan_for(user=user)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "due": due_by_exam(user=user),
        "plan": plan,
        "exam_code": plan.plan.session.exam.code if plan else "g_kentei",
        "log": study_log(user=user),
    }
