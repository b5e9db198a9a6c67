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


#: libyaml's safe loader when PyYAML was built with it (7x faster), else the pure-Python one.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, name: str) -> SourceDocument:
    """Parse one YAML document, recording value lines.

    The node tree is checked before any Python object is built: a node reached twice is an
    alias (refused: composition never expands aliases, so this also stops "billion laughs"
    documents), and a mapping key given twice is refused.

    Raises:
        CatalogError: on a YAML syntax error (with line and column), an alias, an unsupported
            tag, or a duplicate key in a mapping.
    """
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[DataPath, int] = {}
        if node is not None:
            _index_lines(node, (), lines, name=name, seen=set(), used_at=node.start_mark.line + 1)
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
    return SourceDocument(name=name, data=data, lines=lines)


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


def _index_lines(
    node: yaml.Node,
    path: DataPath,
    lines: dict[DataPath, int],
    *,
    name: str,
    seen: set[int],
    used_at: int,
) -> None:
    if id(node) in seen:
        raise CatalogError(
            f"{name}:{used_at}: YAML aliases (*name) are not allowed in catalog files; write the "
            f"value out (anchor at line {node.start_mark.line + 1})"
        )
    seen.add(id(node))
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: dict[Hashable, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise CatalogError(f"{name}:{line}: mapping keys must be plain text")
            key = key_node.value
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise CatalogError(f"{name}:{line}: YAML merge keys (<<) are not allowed")
            if key in keys:
                raise CatalogError(
                    f"{name}:{line}: duplicate key '{key}' (first at line {keys[key]})"
                )
            keys[key] = line
            _index_lines(value_node, (*path, key), lines, name=name, seen=seen, used_at=line)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            # an aliased item carries its anchor's position: report the sequence instead
            line = node.start_mark.line + 1 if id(item) in seen else item.start_mark.line + 1
            _index_lines(item, (*path, index), lines, name=name, seen=seen, used_at=line)
