"""Reading values out of requests strictly, so odd input is a clear 4xx and never a 500."""

import json
import re

from django.core.exceptions import BadRequest
from django.http import Http404

BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint: ids, sequence numbers
_INTEGER = re.compile(r"-?[0-9]{1,19}")


def parse_int(value, *, minimum: int = 0, maximum: int = BIGINT_MAX) -> int | None:
    """A whole number typed in ASCII digits within [minimum, maximum], or None. Python's int() also takes
    full-width and other scripts' digits ('１２', '١٢'), underscores and spaces; none of those reach a query."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if minimum <= number <= maximum else None


def int_or_404(value, **bounds) -> int:
    """An id from a URL, form or query string: anything that is not one is a 404, like an id not there."""
    number = parse_int(value, **bounds)
    if number is None:
        raise Http404
    return number


MAX_JSON_BYTES = 16 * 1024
MAX_JSON_DEPTH = 8


def json_object(body: bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> dict:
    """A small JSON object from a request body. Too large, too deeply nested (100,000 '[' made the parser
    recurse until Python gave up), not JSON, or not an object: BadRequest (400)."""
    if len(body) > max_bytes:
        raise BadRequest("request body too large")
    depth = deepest = 0
    in_string = escaped = False
    for char in body.decode("utf-8", errors="replace"):
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > max_depth:
                raise BadRequest("JSON nested too deeply")
        elif char in "]}":
            depth -= 1
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("not JSON") from None
    if not isinstance(value, dict):
        raise BadRequest("a JSON object is expected")
    return value
