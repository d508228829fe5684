"""Markdown with code and formulas to safe HTML, done once when a version is published.

- Fenced code blocks are highlighted by Pygments into <span class="..."> (styles in static/css).
- $...$ and $$...$$ are LaTeX, turned into MathML on the server: browsers render it natively,
  so there is no JavaScript and no CDN.
- The result is sanitized with nh3 (ammonia): an author's <script>, event handlers, javascript:
  URLs and styles never reach a candidate's browser.
"""

import html
import re

import latex2mathml.converter
import markdown
import nh3

MATH_TAGS = {
    "math",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "semantics",
    "annotation",
}
HTML_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "code",
    "pre",
    "span",
    "div",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "sub",
    "sup",
    "h3",
    "h4",
    "h5",
    "h6",
    "del",
}
MATH_ATTRIBUTES = {
    "display",
    "xmlns",
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "accent",
    "accentunder",
    "linethickness",
    "columnalign",
    "rowspacing",
    "columnspacing",
    "width",
    "height",
    "depth",
    "notation",
    "movablelimits",
    "symmetric",
    "largeop",
    "form",
    "encoding",
}
ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    **{tag: MATH_ATTRIBUTES for tag in MATH_TAGS},
}

# Code spans and fences are protected first so a "$" inside code is never read as math.
_CODE = re.compile(r"(^```.*?^```[ \t]*$|`[^`\n]+`)", re.S | re.M)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")

_md = markdown.Markdown(
    extensions=["fenced_code", "codehilite", "tables", "sane_lists", "nl2br"],
    extension_configs={"codehilite": {"css_class": "highlight", "guess_lang": False}},
)


def _latex_to_mathml(latex: str, display: bool) -> str:
    try:
        return latex2mathml.converter.convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # a malformed formula shows as its source rather than breaking the page
        return f'<code class="math-error">{html.escape(latex)}</code>'


def render_markdown(text: str) -> str:
    """Author Markdown to sanitized HTML."""
    if not text:
        return ""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    # Protect code, then replace formulas by placeholders that Markdown leaves alone.
    codes: list[str] = []

    def protect_code(m: re.Match) -> str:
        codes.append(m.group(0))
        return f"\x01{len(codes) - 1}\x01"

    source = _CODE.sub(protect_code, text)
    source = _DISPLAY_MATH.sub(lambda m: "\n\n" + keep(_latex_to_mathml(m.group(1), True)) + "\n\n", source)
    source = _INLINE_MATH.sub(lambda m: keep(_latex_to_mathml(m.group(1), False)), source)
    source = re.sub("\x01(\\d+)\x01", lambda m: codes[int(m.group(1))], source)

    _md.reset()
    rendered = _md.convert(source)
    rendered = re.sub("\x00(\\d+)\x00", lambda m: stash[int(m.group(1))], rendered)
    return sanitize(rendered)


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=HTML_TAGS | MATH_TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
