"""Tables as readable lines: one line per row, each value next to its column header.

"Step: 3 | Responsible: Quality manager | Record: F-8.7-01" reads on its own in a passage or
a quote, wherever the passage was cut, which a grid of bare cells does not.
"""

from __future__ import annotations

from collections.abc import Sequence

_MAX_HEADER_CHARS = 60


def looks_like_header(rows: Sequence[Sequence[str]]) -> bool:
    """Guess whether the first row names the columns: several short, filled, non-numeric
    cells above at least one more row."""
    if len(rows) < 2:
        return False
    first = list(rows[0])
    filled = [cell for cell in first if cell]
    if len(filled) < 2 or len(filled) < len(first):
        return False
    if any(len(cell) > _MAX_HEADER_CHARS for cell in filled):
        return False
    if any(cell.replace(".", "").replace(",", "").strip().isdigit() for cell in filled):
        return False
    return len(set(filled)) == len(filled)


def render_rows(rows: Sequence[Sequence[str]], *, header: bool | None = None) -> list[str]:
    """One line per non-empty row.

    With a header row (``header=True``, or guessed when ``None``) every later row reads
    "Header: value | Header: value" (empty values are left out; a column without a header
    shows the bare value); the header row itself is not repeated as a line of its own.
    Without one, the cells are joined with " | ".
    """
    if header is None:
        header = looks_like_header(rows)
    lines: list[str] = []
    if header and rows:
        names = list(rows[0])
        for row in rows[1:]:
            parts = []
            for index, value in enumerate(row):
                if not value:
                    continue
                name = names[index] if index < len(names) else ""
                parts.append(f"{name}: {value}" if name and name != value else value)
            if parts:
                lines.append(" | ".join(parts))
        if not lines:  # an empty form: the column names are all there is
            line = " | ".join(cell for cell in names if cell)
            return [line] if line else []
        return lines
    for row in rows:
        line = " | ".join(cell for cell in row if cell)
        if line:
            lines.append(line)
    return lines
