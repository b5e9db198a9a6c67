"""Matching a practice's evidence terms (concept groups) against passage text.

A practice's ``evidence_terms`` are groups of alternative terms; evidence must mention one term of
every group ("tool" or "compiler", and "validation" or "qualif*"). Terms match case-insensitively
on word stems, multi-word terms as consecutive words, and a trailing ``*`` matches any word that
starts with the given letters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9äöüß]+")


def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Tokens:
    """A text as lower-case words and their stems, indexed for fast lookups."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    positions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """stem -> where it occurs"""
    vocabulary: tuple[str, ...] = ()
    """the distinct words, sorted (prefix lookups bisect it)"""

    def has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.vocabulary, prefix)
        return i < len(self.vocabulary) and self.vocabulary[i].startswith(prefix)

    @classmethod
    def of(cls, words: tuple[str, ...], stems: tuple[str, ...]) -> Tokens:
        positions: dict[str, list[int]] = {}
        for i, stem in enumerate(stems):
            positions.setdefault(stem, []).append(i)
        return cls(
            words,
            stems,
            {stem: tuple(at) for stem, at in positions.items()},
            tuple(sorted(set(words))),
        )


class TermMatcher:
    """Compiles terms once and matches them against tokenised texts."""

    def __init__(self) -> None:
        stemmer = _stemmer()
        self._stem = stemmer.stemWords  # type: ignore[attr-defined]
        self._terms: dict[str, tuple[tuple[str, ...], str | None]] = {}

    def tokens(self, text: str) -> Tokens:
        words = tuple(_WORD.findall(text.lower()))
        return Tokens.of(words, tuple(self._stem(list(words))))

    def _compile(self, term: str) -> tuple[tuple[str, ...], str | None]:
        found = self._terms.get(term)
        if found is None:
            raw = term.strip().lower()
            prefix = None
            if raw.endswith("*"):
                raw = raw[:-1]
                words = _WORD.findall(raw)
                prefix = words[-1] if words else None
                words = words[:-1]
            else:
                words = _WORD.findall(raw)
            found = (tuple(self._stem(words)), prefix)
            self._terms[term] = found
        return found

    def matches(self, term: str, text: Tokens) -> bool:
        """True when ``term`` occurs in ``text``."""
        stems, prefix = self._compile(term)
        if not stems:
            return prefix is not None and text.has_prefix(prefix)
        n = len(stems) + (1 if prefix else 0)
        for i in text.positions.get(stems[0], ()):
            if i + n > len(text.stems) or text.stems[i : i + len(stems)] != stems:
                continue
            if prefix is None or text.words[i + len(stems)].startswith(prefix):
                return True
        return False

    def satisfied(self, groups: Sequence[Sequence[str]], text: Tokens) -> int:
        """How many of ``groups`` have a term in ``text``."""
        return sum(1 for group in groups if any(self.matches(t, text) for t in group))
