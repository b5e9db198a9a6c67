"""Word's automatic numbering ("4.2.1" in front of a heading), rendered as Word shows it.

The number is not part of a paragraph's text: it comes from ``numbering.xml`` through the
paragraph's (or its style's) ``w:numPr``. :class:`WordNumbering` keeps Word's counters per
abstract list while the body is walked in order and renders ``w:lvlText`` ("%1.%2.") with each
level's ``w:numFmt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_LEVELS = 9


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str
    style: str | None


def _val(element: Any, tag: str) -> str | None:
    child = element.find(_W + tag) if element is not None else None
    return None if child is None else child.get(_W + "val")


def _roman(number: int) -> str:
    pairs = (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    )  # fmt: skip
    out = []
    for value, letters in pairs:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def _letters(number: int) -> str:
    if number <= 0:
        return ""
    letter = chr(ord("a") + (number - 1) % 26)
    return letter * ((number - 1) // 26 + 1)


def format_number(value: int, fmt: str) -> str:
    """One counter in Word's number format (decimal, letters, roman, decimalZero)."""
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt in ("upperLetter", "lowerLetter"):
        text = _letters(value)
        return text.upper() if fmt == "upperLetter" else text
    if fmt in ("upperRoman", "lowerRoman"):
        text = _roman(value)
        return text.upper() if fmt == "upperRoman" else text
    if fmt in ("none", "bullet"):
        return ""
    return str(value)


class WordNumbering:
    """Renders list numbers for paragraphs, in document order. Tolerates missing parts."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, _Level]] = {}
        self._abstract_of: dict[str, str] = {}
        self._start_override: dict[tuple[str, int], int] = {}
        self._counters: dict[str, list[int]] = {}
        self._style_numpr: dict[str, tuple[str | None, int | None]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is not None:
            self._load(root)
        try:
            styles = document.styles.element
        except (KeyError, AttributeError):
            styles = None
        if styles is not None:
            for style in styles.iterfind(_W + "style"):
                numpr = style.find(f"{_W}pPr/{_W}numPr")
                if numpr is not None:
                    ilvl = _val(numpr, "ilvl")
                    self._style_numpr[style.get(_W + "styleId", "")] = (
                        _val(numpr, "numId"),
                        int(ilvl) if ilvl and ilvl.isdigit() else None,
                    )

    def _load(self, root: Any) -> None:
        for abstract in root.iterfind(_W + "abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in abstract.iterfind(_W + "lvl"):
                ilvl = int(lvl.get(_W + "ilvl", "0"))
                start = _val(lvl, "start")
                levels[ilvl] = _Level(
                    start=int(start) if start and start.lstrip("-").isdigit() else 1,
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                    style=_val(lvl, "pStyle"),
                )
            self._levels[abstract.get(_W + "abstractNumId", "")] = levels
        for num in root.iterfind(_W + "num"):
            num_id = num.get(_W + "numId", "")
            abstract_id = _val(num, "abstractNumId")
            if abstract_id is not None:
                self._abstract_of[num_id] = abstract_id
            for override in num.iterfind(_W + "lvlOverride"):
                start = _val(override, "startOverride")
                if start and start.isdigit():
                    self._start_override[(num_id, int(override.get(_W + "ilvl", "0")))] = int(start)

    def label(self, paragraph: Any, style_chain: list[str]) -> tuple[str, bool]:
        """``(label, is_bullet)`` for ``paragraph``: "4.2", "a)", "" when not numbered.

        Advances the counters, so call it once per paragraph in document order.
        """
        num_id, ilvl = self._numpr(paragraph, style_chain)
        if not num_id or num_id == "0" or num_id not in self._abstract_of:
            return "", False
        abstract_id = self._abstract_of[num_id]
        levels = self._levels.get(abstract_id, {})
        if ilvl is None:
            ilvl = next(
                (i for i, lvl in levels.items() if lvl.style in style_chain),
                0,
            )
        ilvl = min(max(ilvl, 0), _MAX_LEVELS - 1)
        level = levels.get(ilvl)
        if level is None:
            return "", False
        counters = self._counters.setdefault(
            abstract_id, [self._start(num_id, i, levels) - 1 for i in range(_MAX_LEVELS)]
        )
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, _MAX_LEVELS):
            counters[deeper] = self._start(num_id, deeper, levels) - 1
        if level.fmt == "bullet":
            return "•", True
        text = level.text
        for k in range(_MAX_LEVELS):
            if f"%{k + 1}" in text:
                fmt = levels[k].fmt if k in levels else "decimal"
                text = text.replace(f"%{k + 1}", format_number(max(counters[k], 0), fmt))
        return text.strip(), False

    def _start(self, num_id: str, ilvl: int, levels: dict[int, _Level]) -> int:
        if (num_id, ilvl) in self._start_override:
            return self._start_override[(num_id, ilvl)]
        return levels[ilvl].start if ilvl in levels else 1

    def _numpr(self, paragraph: Any, style_chain: list[str]) -> tuple[str | None, int | None]:
        ppr = paragraph._p.pPr
        numpr = ppr.find(_W + "numPr") if ppr is not None else None
        if numpr is not None:
            ilvl = _val(numpr, "ilvl")
            num_id = _val(numpr, "numId")
            if num_id is not None:
                return num_id, int(ilvl) if ilvl and ilvl.isdigit() else 0
        for style_id in style_chain:
            if style_id in self._style_numpr:
                return self._style_numpr[style_id]
        return None, None
