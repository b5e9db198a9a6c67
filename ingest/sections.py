"""Sections from heading blocks: each heading opens a section that runs to the next heading.

The section path of a heading is the chain of open headings above it
(``("7 Support", "7.5 Documented information")``); text before the first heading has the
empty path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qmsgap.ingest.blocks import Block, BlockKind

_MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Section:
    """``text[start:end]`` is the section including its heading; ``blocks`` are its content."""

    path: tuple[str, ...]
    level: int
    heading: Block | None
    start: int
    end: int
    blocks: tuple[Block, ...]


def heading_title(text: str, block: Block) -> str:
    """The title shown in a section path: the bookmark title or the printed heading."""
    title = block.title if block.title is not None else text[block.start : block.end]
    title = " ".join(title.split())
    return title if len(title) <= _MAX_TITLE_CHARS else title[: _MAX_TITLE_CHARS - 1] + "…"


def build_sections(text: str, blocks: Sequence[Block]) -> list[Section]:
    """Split ``blocks`` into sections at every heading block."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    heading: Block | None = None
    content: list[Block] = []
    start = 0

    def close(end: int) -> None:
        if heading is not None or content:
            sections.append(
                Section(
                    path=tuple(title for _, title in stack) if heading is not None else (),
                    level=heading.level if heading is not None else 0,
                    heading=heading,
                    start=start,
                    end=end,
                    blocks=tuple(content),
                )
            )

    for block in blocks:
        if block.kind is not BlockKind.HEADING:
            content.append(block)
            continue
        close(content[-1].end if content else (heading.end if heading else block.start))
        level = max(block.level, 1)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading_title(text, block)))
        heading, content, start = block, [], block.start
    close(content[-1].end if content else (heading.end if heading else len(text)))
    return sections
