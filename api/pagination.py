from rest_framework import pagination


class Cursor(pagination.CursorPagination):
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = "pk"


class UpdatedCursor(pagination.CursorPagination):
    """Ordered by last change, so a dashboard can sync with updated_since and keep the last cursor."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = ("updated_at", "pk")
