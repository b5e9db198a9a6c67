"""Span matching: find gold quotes in ingested text, and decide when a prediction hits one.

Quotes are matched whitespace-insensitively and then mapped back to exact character offsets of
the document's ``canonical_text``:

1. *normalised* match: runs of whitespace become one space, a hyphen followed by a line break
   (a word broken across lines) disappears together with the break, soft hyphens vanish, and
   each character is NFKC-normalised (ligatures like "ﬁ" become "fi") with typographic quotes
   and dashes folded to ASCII.
2. if that fails, a *compact* match: the same, but all whitespace, hyphens and bullets are
   dropped and case is folded (PDF text extraction sometimes merges or splits words).

A quote found more than once is matched at its first occurrence and reported as ambiguous; a
quote found nowhere is reported as unlocated (with the documents where it does occur, if any).

The hit rule, the same for every system: a predicted evidence span hits a gold span when it is
in the same document (path relative to the corpus root) and overlaps at least half of the gold
span's characters. The IR view counts a passage as relevant when it overlaps a gold span at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qmsgap.eval.gold import GoldSet
from qmsgap.eval.metrics import Judgement
from qmsgap.ingest.models import ParsedDocument

_TOKENS = re.compile(r"(?P<hy>[-\u2010\u2011][ \t]*\r?\n\s*)|(?P<ws>\s+)|(?P<ch>.)", re.DOTALL)
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_COMPACT_DROP = frozenset("-•·▪◦‣●○■□*")


@dataclass(frozen=True)
class NormalisedText:
    """A normalised text and, for each of its characters, the offset it came from."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, length: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised slice ``[start, start + length)``."""
        return self.origin[start], self.origin[start + length - 1] + 1


def _pieces(match: re.Match[str]) -> str:
    """What one token of :data:`_TOKENS` becomes before spacing and case rules apply."""
    if match.group("hy") is not None:
        return ""
    if match.group("ws") is not None:
        return " "
    ch = match.group("ch")
    return "" if ch == "\u00ad" else unicodedata.normalize("NFKC", ch).translate(_FOLD)


def normalise(text: str, compact: bool = False) -> NormalisedText:
    """Normalise ``text`` for matching (see the module docstring), keeping the offset map."""
    chars: list[str] = []
    origin: list[int] = []
    for match in _TOKENS.finditer(text):
        pos = match.start()
        for out in _pieces(match):
            if out.isspace():
                if not compact and chars and chars[-1] != " ":
                    chars.append(" ")
                    origin.append(pos)
            elif compact:
                if out not in _COMPACT_DROP:
                    folded = out.casefold()
                    chars.extend(folded)
                    origin.extend([pos] * len(folded))
            else:
                chars.append(out)
                origin.append(pos)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return NormalisedText("".join(chars), tuple(origin))


class QuoteLocator:
    """Finds quotes in documents' canonical texts; normalised texts are computed once each."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = dict(texts)
        self._cache: dict[tuple[str, bool], NormalisedText] = {}

    def _normalised(self, document: str, compact: bool) -> NormalisedText:
        key = (document, compact)
        if key not in self._cache:
            self._cache[key] = normalise(self._texts[document], compact)
        return self._cache[key]

    def locate(self, document: str, quote: str) -> tuple[tuple[int, int] | None, int]:
        """``((start, end), occurrences)`` of ``quote`` in ``document``, or ``(None, 0)``.

        Raises:
            KeyError: ``document`` is not one of the texts given.
        """
        if document not in self._texts:
            raise KeyError(document)
        for compact in (False, True):
            needle = normalise(quote, compact).text
            if not needle:
                return None, 0
            hay = self._normalised(document, compact)
            first = hay.text.find(needle)
            if first < 0:
                continue
            count = hay.text.count(needle)
            return hay.span(first, len(needle)), count
        return None, 0

    def documents_containing(self, quote: str) -> list[str]:
        """Every document in which ``quote`` occurs (compact match), for error messages."""
        needle = normalise(quote, compact=True).text
        if not needle:
            return []
        return [doc for doc in self._texts if needle in self._normalised(doc, True).text]


@dataclass(frozen=True)
class GoldSpan:
    """A located gold quote: ``canonical_text[start:end]`` of ``document``."""

    practice_id: str
    document: str
    start: int
    end: int


@dataclass(frozen=True)
class QuoteProblem:
    """A gold quote that could not be located exactly once (a labelling problem)."""

    practice_id: str
    document: str
    quote: str
    problem: str
    found_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocatedGold:
    """Gold spans per practice, plus every quote that was not found or found repeatedly."""

    spans: dict[str, tuple[GoldSpan, ...]]
    unlocated: tuple[QuoteProblem, ...]
    ambiguous: tuple[QuoteProblem, ...]


def locate_gold(gold: GoldSet, documents: Sequence[ParsedDocument]) -> LocatedGold:
    """Locate every evidence quote of ``gold`` in the ingested ``documents`` (keyed by path).

    A quote whose document was not ingested (it failed to parse) is unlocated with that reason.
    """
    locator = QuoteLocator({doc.path: doc.canonical_text for doc in documents})
    known = {doc.path for doc in documents}
    spans: dict[str, tuple[GoldSpan, ...]] = {}
    unlocated: list[QuoteProblem] = []
    ambiguous: list[QuoteProblem] = []
    for pid, label in gold.labels.items():
        found: list[GoldSpan] = []
        for item in label.evidence:
            if item.document not in known:
                unlocated.append(
                    QuoteProblem(pid, item.document, item.quote, "document was not ingested")
                )
                continue
            where, count = locator.locate(item.document, item.quote)
            if where is None:
                elsewhere = tuple(d for d in locator.documents_containing(item.quote))
                unlocated.append(
                    QuoteProblem(pid, item.document, item.quote, "quote not found", elsewhere)
                )
                continue
            if count > 1:
                ambiguous.append(
                    QuoteProblem(pid, item.document, item.quote, f"found {count} times; first used")
                )
            found.append(GoldSpan(pid, item.document, where[0], where[1]))
        spans[pid] = tuple(found)
    return LocatedGold(spans, tuple(unlocated), tuple(ambiguous))


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    """Characters shared by the half-open ranges [a_start, a_end) and [b_start, b_end)."""
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def hits(document: str, start: int, end: int, gold: GoldSpan) -> bool:
    """The hit rule: same document and at least half of the gold span overlapped."""
    if document != gold.document or gold.end <= gold.start:
        return False
    return 2 * overlap(start, end, gold.start, gold.end) >= gold.end - gold.start


def judge(predicted: Iterable[tuple[str, int, int]], gold: Sequence[GoldSpan]) -> Judgement:
    """The :class:`Judgement` of a ranked list of ``(document, start, end)`` predictions."""
    ranked = tuple(
        frozenset(i for i, span in enumerate(gold) if hits(doc, start, end, span))
        for doc, start, end in predicted
    )
    return Judgement(ranked, len(gold))


class PassageWidener:
    """Widens an evidence span to the ingested passages it overlaps (a diagnostic view).

    A sentence quoted from the right passage then counts like the passage itself; a chunk
    spanning several passages becomes their union. Spans overlapping no passage are unchanged.
    """

    def __init__(self, documents: Sequence[ParsedDocument]) -> None:
        self._spans = {
            doc.path: sorted((p.start, p.end) for p in doc.passages) for doc in documents
        }

    def __call__(self, document: str, start: int, end: int) -> tuple[str, int, int]:
        touched = [
            (a, b)
            for a, b in self._spans.get(document, ())
            if overlap(a, b, start, max(end, start + 1)) > 0
        ]
        if not touched:
            return document, start, end
        return document, min(start, touched[0][0]), max(end, *(b for _, b in touched))


@dataclass(frozen=True)
class IRView:
    """The sentence-transformers InformationRetrievalEvaluator shape of the gold set."""

    queries: dict[str, str]
    corpus: dict[str, str]
    relevant_docs: dict[str, set[str]]

    def to_json(self) -> dict[str, object]:
        return {
            "queries": self.queries,
            "corpus": self.corpus,
            "relevant_docs": {k: sorted(v) for k, v in self.relevant_docs.items()},
        }


def ir_view(
    queries: Mapping[str, str], located: LocatedGold, documents: Sequence[ParsedDocument]
) -> IRView:
    """Queries by practice id, passages by passage id, and the passages overlapping gold spans.

    Practices without located gold spans (gaps) have an empty relevant set.
    """
    corpus: dict[str, str] = {}
    by_document: dict[str, list[tuple[str, int, int]]] = {}
    for doc in documents:
        for passage in doc.passages:
            corpus[passage.id] = passage.text
            by_document.setdefault(doc.path, []).append((passage.id, passage.start, passage.end))
    relevant: dict[str, set[str]] = {}
    for pid in queries:
        found: set[str] = set()
        for span in located.spans.get(pid, ()):
            for passage_id, start, end in by_document.get(span.document, ()):
                if overlap(start, end, span.start, span.end) > 0:
                    found.add(passage_id)
        relevant[pid] = found
    return IRView(dict(queries), corpus, relevant)
