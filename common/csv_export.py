"""CSV for people's spreadsheets: UTF-8 with a BOM so Excel opens Japanese correctly, streamed row by row, and
no cell that Excel would run as a formula. The HR dashboard's CSVs and the audit log's write through here."""

import csv
import io

from django.http import StreamingHttpResponse

# What makes a spreadsheet read a cell as a formula, in ASCII and in full width (Japanese Excel takes both).
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r")


def inert(value):
    """A cell Excel will not run: text that starts like a formula, after any spaces, gets a leading
    apostrophe, so a member named "=HYPERLINK(…)" or "　＝1+1" stays text in HR's spreadsheet."""
    if isinstance(value, str) and (value[:1] in FORMULA_STARTS or value.lstrip(" \u3000")[:1] in FORMULA_STARTS):
        return "'" + value
    return value


def csv_stream(rows, *, bom: bool = True):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        yield "\ufeff"
    for row in rows:
        writer.writerow([inert(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
