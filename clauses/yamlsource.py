"""Reading catalog YAML safely while remembering where every value came from.

Catalog files are data: they are parsed with PyYAML's safe loader only, YAML aliases are refused
(they serve no purpose in a catalog and invite exponential "billion laughs" documents), duplicate
mapping keys are refused instead of silently keeping the last one, and every value's line is
recorded so that validation errors can say ``chapter-5.yaml:123``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qmsgap.errors import CatalogError

#: A path into parsed YAML data: mapping keys and sequence indexes, e.g. ("clauses", 3, "id").
DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Location:
    """A place in a source file, for error messages."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass
class SourceDocument:
    """Parsed YAML data plus the line of every value in it (1-based)."""

    name: str
    data: Any
    lines: dict[DataPath, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that exists in the file."""
        current = tuple(path)
        while True:
            if current in self.lines:
                return self.lines[current]
            if not current:
                return None
            current = current[:-1]

    def location(self, path: Sequence[str | int]) -> Location:
        return Location(self.name, self.line_of(path))


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors/aliases (``*name``) with a located message."""

    source_name = "<yaml>"

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
            line = event.start_mark.line + 1 if event.start_mark is not None else "?"
            raise CatalogError(
                f"{self.source_name}:{line}: YAML aliases (*name) are not "
                "allowed in catalog files; write the value out"
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str, name: str) -> SourceDocument:
    """Parse one YAML document, recording value lines.

    Raises:
        CatalogError: on a YAML syntax error (with line and column), an alias, an unsupported
            tag, or a duplicate key in a mapping.
    """
    loader = _NoAliasLoader(text)
    loader.source_name = name
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise CatalogError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{name}: YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
    document = SourceDocument(name=name, data=data)
    if node is not None:
        _index_lines(node, (), document.lines, name)
    return document


def read_yaml_file(
    path: Path, name: str | None = None, max_bytes: int | None = None
) -> SourceDocument:
    """Read and parse a UTF-8 YAML file. ``name`` is how messages refer to it.

    Raises:
        CatalogError: if the file is missing, too large, not UTF-8, or not valid YAML.
    """
    label = name or str(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise CatalogError(f"{label}: file is {size} bytes, the limit is {max_bytes}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{label}: file not found") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{label}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CatalogError(f"{label}: cannot read file ({exc.strerror})") from None
    return parse_yaml(text, label)


def _index_lines(node: yaml.Node, path: DataPath, lines: dict[DataPath, int], name: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Hashable, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                raise CatalogError(
                    f"{name}:{key_node.start_mark.line + 1}: mapping keys must be plain text"
                )
            line = key_node.start_mark.line + 1
            if key in seen:
                raise CatalogError(
                    f"{name}:{line}: duplicate key '{key}' (first at line {seen[key]})"
                )
            seen[key] = line
            _index_lines(value_node, (*path, key), lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, name)
