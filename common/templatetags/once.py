"""{% once_per_language %}…{% endonce_per_language %}: a block rendered once per process and language.

The exam page and the site's frame hold dozens of {% translate %}, {% url %} and {% static %} tags whose output
is the same for every request in a language; rendering them is most of a template's CPU on exam day's hot path.
The block's output is kept on its node (so a template recompiled in development starts afresh), per language
and URL script prefix (set per request from SCRIPT_NAME, which a proxy may pass on: a prefix sent by one client
must never reach another's links); past MAX_VARIANTS the block is rendered without keeping it. Only for content
that reads nothing from the context: text, {% translate %}, {% static %} and {% url %} without arguments;
anything else in the block is refused when the template is compiled.
"""

from django import template
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_VARIANTS = 8  # languages × script prefixes kept per block: odd prefixes sent by clients cannot grow it


class OncePerLanguageNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered: dict[tuple[str, str], str] = {}

    def render(self, context):
        key = (get_language() or "", get_script_prefix())
        output = self.rendered.get(key)
        if output is None:
            output = self.nodelist.render(context)
            if len(self.rendered) < MAX_VARIANTS:
                self.rendered[key] = output
        return mark_safe(output)  # noqa: S308 - the block's own rendered (escaped) output


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
        context_literal = node.message_context is None or _literal(node.message_context)
        return _literal(node.filter_expression) and context_literal and not node.asvar
    if isinstance(node, StaticNode):
        return _literal(node.path) and not node.varname
    if isinstance(node, URLNode):
        return _literal(node.view_name) and not node.args and not node.kwargs and not node.asvar
    return False


def _literal(expression) -> bool:
    """A quoted string with no filters ({% translate %} keeps its message as a Variable with a literal)."""
    var = expression.var
    return not expression.filters and (isinstance(var, str) or getattr(var, "literal", None) is not None)
