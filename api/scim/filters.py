"""The part of SCIM's filter language identity providers use to find a resource before creating it:
`attribute eq "value"` (Entra ID: userName, externalId, displayName; Okta: userName, displayName)."""

import json
import re

from django.utils.translation import gettext as _

from .errors import ScimError

MAX_FILTER_LENGTH = 1000
EQUALS = re.compile(r'^\s*(?P<attribute>[A-Za-z][\w.:\-]*)\s+eq\s+(?P<value>"(?:[^"\\]|\\.)*")\s*$', re.IGNORECASE)


def parse_filter(text: str | None, attributes: dict[str, str]) -> tuple[str, str] | None:
    """(the selector's keyword for the attribute, the value), or None without a filter. `attributes` maps each
    supported SCIM attribute to that keyword (names compare case-insensitively, as SCIM's do); anything else
    is a 400 invalidFilter naming the supported ones."""
    if text is None or not text.strip():
        return None
    supported = ", ".join(f'{name} eq "…"' for name in attributes)
    match = EQUALS.match(text) if len(text) <= MAX_FILTER_LENGTH else None
    by_lower = {name.lower(): keyword for name, keyword in attributes.items()}
    keyword = by_lower.get(match["attribute"].lower()) if match else None
    if keyword is None:
        raise ScimError(
            _("このフィルタは使えません。使えるもの: %(supported)s") % {"supported": supported},
            scim_type="invalidFilter",
        )
    try:
        value = json.loads(match["value"])
    except ValueError:
        raise ScimError(_("フィルタの値の文字列が正しくありません。"), scim_type="invalidFilter") from None
    return keyword, value
