"""What drf-spectacular cannot see by itself: every operation's error answers, in the one error format."""

ERROR_ANSWERS = {
    "400": "Invalid query parameters (`fields` names each problem).",
    "401": "Missing, unknown or revoked token.",
    "404": "No such object in your organization, or an invalid cursor.",
    "429": "Too many requests for this token; retry after the `Retry-After` header's seconds.",
}
API_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
        }
    },
}


def document_errors(result, generator, **kwargs):
    """A postprocessing hook: add the error answers (see api.errors) to every /api/v1 operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = API_ERROR
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_ANSWERS.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
                    },
                )
    return result
