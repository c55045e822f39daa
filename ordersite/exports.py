"""Every CSV the project writes: streamed, and safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a tab or carriage return) as a formula: a customer named
``=HYPERLINK(…)`` would become a link, or worse, in the clerk's spreadsheet.
Such text cells are written with a leading apostrophe, which spreadsheets show
as plain text; numbers stay numbers.
"""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as a CSV cell a spreadsheet will not run."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """A streamed CSV download (a large export never sits in memory), every cell made safe."""
    writer = csv.writer(_Echo())

    def lines():
        # Rows go out in blocks of a few hundred: one write per block, not per row.
        block = [writer.writerow(header)]
        for row in rows:
            block.append(writer.writerow([safe_cell(cell) for cell in row]))
            if len(block) >= 500:
                yield "".join(block)
                block = []
        yield "".join(block)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
