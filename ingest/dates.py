"""Dates as QMS documents write them: 2024-03-15, 15.03.2024, 15/03/2024, 15 March 2024,
March 15, 2024, 15-Mar-2024, Jun 1 2018, 15. März 2024.

Slashed dates are read day first (15/03/2024) unless that is impossible (03/15/2024): the
documents are mostly European. Years outside 1980-2100 are not dates of a QMS document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

_MONTHS = {
    "january": 1, "jan": 1, "januar": 1, "jänner": 1, "janvier": 1,
    "february": 2, "feb": 2, "februar": 2, "février": 2,
    "march": 3, "mar": 3, "märz": 3, "maerz": 3, "mrz": 3, "mars": 3,
    "april": 4, "apr": 4, "avril": 4,
    "may": 5, "mai": 5,
    "june": 6, "jun": 6, "juni": 6, "juin": 6,
    "july": 7, "jul": 7, "juli": 7, "juillet": 7,
    "august": 8, "aug": 8, "août": 8,
    "september": 9, "sep": 9, "sept": 9, "septembre": 9,
    "october": 10, "oct": 10, "oktober": 10, "okt": 10, "octobre": 10,
    "november": 11, "nov": 11, "novembre": 11,
    "december": 12, "dec": 12, "dezember": 12, "dez": 12, "décembre": 12,
}  # fmt: skip
_MONTH = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"

_PATTERNS = (
    ("ymd", re.compile(r"(?<![\d.])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")),
    ("dmy", re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4})(?!\d)")),
    ("slash", re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?!\d)")),
    (
        "d_month_y",
        re.compile(
            rf"(?<![\d])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?[\s-]+(?P<mon>{_MONTH})[\s,-]+(?P<y>\d{{4}})(?!\d)",
            re.IGNORECASE,
        ),
    ),
    (
        "month_d_y",
        re.compile(
            rf"(?<![\w])(?P<mon>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True)
class FoundDate:
    """A date and where it was written (``start``/``end`` in the searched text)."""

    value: dt.date
    start: int
    end: int


def _make(year: int, month: int, day: int) -> dt.date | None:
    if not 1980 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _convert(kind: str, match: re.Match[str]) -> dt.date | None:
    year = int(match.group("y"))
    if kind == "slash":
        a, b = int(match.group("a")), int(match.group("b"))
        return _make(year, b, a) if b <= 12 else _make(year, a, b)
    if kind in ("d_month_y", "month_d_y"):
        month = _MONTHS.get(match.group("mon").lower().rstrip("."))
        return _make(year, month, int(match.group("d"))) if month else None
    return _make(year, int(match.group("m")), int(match.group("d")))


def find_dates(text: str) -> Iterator[FoundDate]:
    """Every date in ``text``, in order of position (overlapping readings removed)."""
    found: list[FoundDate] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = _convert(kind, match)
            if value is not None:
                found.append(FoundDate(value, match.start(), match.end()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    last_end = -1
    for item in found:
        if item.start >= last_end:
            yield item
            last_end = item.end


def parse_date(text: str) -> dt.date | None:
    """The first date in ``text``, or ``None``."""
    return next((found.value for found in find_dates(text)), None)
