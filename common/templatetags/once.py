"""{% once_per_language %}…{% endonce_per_language %}: a block rendered once per process and language.

The exam page and the site's frame hold dozens of {% translate %}, {% url %} and {% static %} tags whose output
is the same for every request in a language; rendering them is most of a template's CPU on exam day's hot path.
The block's output is kept on its node (so a template recompiled in development starts afresh). Only for
content that reads nothing from the context: text, {% translate %}, {% static %} and {% url %} without
arguments; anything else in the block is refused when the template is compiled.
"""

from django import template
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()


class OncePerLanguageNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered: dict[str, str] = {}

    def render(self, context):
        language = get_language() or ""
        if language not in self.rendered:
            self.rendered[language] = self.nodelist.render(context)
        return mark_safe(self.rendered[language])  # noqa: S308 - the block's own rendered (escaped) output


@register.tag
def once_per_language(parser, token):
    nodelist = parser.parse(("endonce_per_language",))
    parser.delete_first_token()
    for node in nodelist:
        if not _constant(node):
            raise template.TemplateSyntaxError(f"once_per_language holds only constant content, not {node!r}")
    return OncePerLanguageNode(nodelist)


def _constant(node) -> bool:
    if isinstance(node, template.base.TextNode | CommentNode):
        return True
    if isinstance(node, TranslateNode):
        return _literal(node.filter_expression) and not node.asvar
    if isinstance(node, StaticNode):
        return _literal(node.path) and not node.varname
    if isinstance(node, URLNode):
        return _literal(node.view_name) and not node.args and not node.kwargs and not node.asvar
    return False


def _literal(expression) -> bool:
    """A quoted string with no filters ({% translate %} keeps its message as a Variable with a literal)."""
    var = expression.var
    return not expression.filters and (isinstance(var, str) or getattr(var, "literal", None) is not None)
