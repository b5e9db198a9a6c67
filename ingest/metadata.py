"""Document-control metadata: title, number, revision, issue date, approver, author, kind.

Sources, most trusted first: Markdown front matter; headers, footers and the first page's
title block (``RawDocument.control_text``); the start of the canonical text; document
properties (Word core properties, PDF info, HTML meta). Values found in the canonical text
keep their offsets so findings can cite them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qmsgap.ingest.blocks import BlockKind, RawDocument
from qmsgap.ingest.dates import find_dates, parse_date
from qmsgap.ingest.models import DocumentKind, DocumentMetadata

_HEAD_CHARS = 2500
_SEP = r"\s*(?:\([^)\n]{0,40}\))?\s*[:|#–-]?\s*"
_DOC_ID = r"[A-Z][A-Z0-9]{0,7}(?:[-_./][A-Z0-9]{1,8}){1,5}"
_NUMBER_LABEL = re.compile(
    r"(?i:\b(?:document|doc|dok(?:ument)?|form|procedure|sop)\.?\s*"
    r"(?:no|number|nr|num|id|#|-nr)\b\.?|\bdokumentennummer\b|\bdocument id\b)"
    + _SEP
    + rf"(?P<value>{_DOC_ID}|\d{{2,8}})(?![\w-])"
)
_STANDARDS = {"ISO", "IEC", "IATF", "VDA", "DIN", "EN", "SAE", "GB", "UNECE", "ASPICE", "TS",
              "ASQMS", "IEEE", "AIAG", "CQI", "ECE", "UN", "PPAP", "APQP", "FMEA", "MSA", "SPC",
              "CC", "TSC", "RFC", "ISTQB", "ASIL", "QM"}  # fmt: skip
_BARE_NUMBER = re.compile(
    r"(?<![\w-])(?P<value>(?P<prefix>[A-Z]{1,5})(?:-[A-Z]{1,4})?-\d{1,3}(?:\.\d{1,3}){0,3}"
    r"(?:-\d{1,4})?)(?![\w-])"
)
_REVISION = re.compile(
    r"(?i:\b(?:rev(?:ision)?|version|ver|issue|index|ausgabe|revisionsstand|änderungsstand)\b)"
    r"\.?\s*(?i:(?:no|nr|level|#)\.?)?"
    + _SEP
    + r"(?P<value>\d{1,3}(?:\.\d{1,3}){0,2}[a-z]?|[A-Z]{1,2}\d{0,2})(?![\w]|[-/.]\d)"
)
_DATE_LABEL = re.compile(
    r"(?i:\b(?:effective(?:\s+date)?|issue\s+date|date\s+of\s+issue|issued(?:\s+on)?|"
    r"release\s+date|released(?:\s+on)?|valid\s+from|gültig\s+ab|ausgabedatum|"
    r"freigabedatum|approval\s+date|approved\s+on|date\s+of\s+approval|revision\s+date|"
    r"rev\.?\s+date|last\s+updated|stand|datum|date)\b)" + _SEP
)
_PERSON = (
    r"(?P<value>[^\n|:]{2,80}?)(?=\s*(?:\||\n|$)|\s{2,}|\s+\d{1,4}[./-]\d|\s+(?i:(?:date|datum|on|"
    r"approved|prepared|reviewed|released|process\s+owner|revision|effective)\b))"
)
_BY_SEP = r"\s*(?:\([^)\n]{0,40}\))?\s*[:|]?\s*"  # "Approved by (Freigabe) | Name"
_COLON_SEP = r"\s*(?:\([^)\n]{0,40}\))?\s*[:|]\s*"  # "Author: Name"
_APPROVER = re.compile(
    r"(?i:\b(?:approved|released|freigegeben|genehmigt)\s+(?:by|durch)\b)"
    + _BY_SEP
    + _PERSON
    + r"|(?i:\b(?:approver|approval|freigabe)\b)"
    + _COLON_SEP
    + _PERSON.replace("value", "value2"),
    re.MULTILINE,
)
_AUTHOR = re.compile(
    r"(?i:\b(?:prepared|created|written|erstellt)\s+(?:by|durch|von)\b)"
    + _BY_SEP
    + _PERSON
    + r"|(?i:\b(?:author|verfasser|erstellt)\b)"
    + _COLON_SEP
    + _PERSON.replace("value", "value2"),
    re.MULTILINE,
)
_DATE_PRIORITY = ("effective", "issue", "date of issue", "valid", "gültig", "release", "freigabe")

_KIND_PREFIXES: dict[str, DocumentKind] = {
    "QM": DocumentKind.MANUAL, "QMH": DocumentKind.MANUAL, "MAN": DocumentKind.MANUAL,
    "QP": DocumentKind.PROCEDURE, "P": DocumentKind.PROCEDURE, "PR": DocumentKind.PROCEDURE,
    "SOP": DocumentKind.PROCEDURE, "VA": DocumentKind.PROCEDURE, "QPR": DocumentKind.PROCEDURE,
    "WI": DocumentKind.WORK_INSTRUCTION, "AA": DocumentKind.WORK_INSTRUCTION,
    "F": DocumentKind.FORM, "FM": DocumentKind.FORM, "FRM": DocumentKind.FORM,
    "FORM": DocumentKind.FORM, "FB": DocumentKind.FORM, "CL": DocumentKind.FORM,
    "R": DocumentKind.RECORD, "REC": DocumentKind.RECORD,
    "PL": DocumentKind.PLAN, "CP": DocumentKind.PLAN, "PLAN": DocumentKind.PLAN,
    "POL": DocumentKind.POLICY,
}  # fmt: skip
_KIND_WORDS: tuple[tuple[str, DocumentKind], ...] = (
    (r"manual|handbook|handbuch", DocumentKind.MANUAL),
    (r"polic(?:y|ies)|leitlinie|politik", DocumentKind.POLICY),
    (r"procedure|sop|process description|verfahrensanweisung|prozessbeschreibung",
     DocumentKind.PROCEDURE),
    (r"work instruction|instruction|arbeitsanweisung|prüfanweisung", DocumentKind.WORK_INSTRUCTION),
    (r"plan|programme|program|schedule|roadmap", DocumentKind.PLAN),
    (r"form|template|checklist|formblatt|vorlage|questionnaire", DocumentKind.FORM),
    (r"record|report|minutes|log|protokoll|bericht|register|list", DocumentKind.RECORD),
)  # fmt: skip


@dataclass(frozen=True)
class Located:
    """A metadata value; ``start``/``end`` are set when it was read from the canonical text."""

    value: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class ExtractedMetadata:
    """The metadata, and where the issue date was read (cited by the age finding)."""

    metadata: DocumentMetadata
    date_at: Located | None


class MetadataExtractor:
    """Reads document-control metadata from a :class:`RawDocument`."""

    def __call__(self, raw: RawDocument) -> ExtractedMetadata:
        front = {str(k).lower(): v for k, v in raw.front_matter.items()}
        control = "\n".join(raw.control_text)
        head = raw.text[:_HEAD_CHARS]
        props = raw.properties

        number = (
            _front_text(front, "document_number", "doc_no", "document_id", "doc_id", "id", "number")
            or _labeled(_NUMBER_LABEL, control)
            or _labeled(_NUMBER_LABEL, head, located=True)
            or _bare_number(control)
            or _bare_number(props.get("title", ""))
            or _bare_number(head, located=True)
            or _front_text(props, "identifier", "document_number")
        )
        revision = (
            _front_text(front, "revision", "rev", "version")
            or _labeled(_REVISION, control)
            or _labeled(_REVISION, head, located=True)
            or _front_text(props, "version", "revision")
        )
        date_at, issue_date = _issue_date(front, control, head)
        date_at = _locate(date_at, head)
        approver = (
            _front_text(front, "approver", "approved_by", "approval")
            or _labeled(_APPROVER, control)
            or _labeled(_APPROVER, head)
        )
        author = (
            _front_text(front, "author", "prepared_by", "owner")
            or _labeled(_AUTHOR, control)
            or _labeled(_AUTHOR, head)
            or _front_text(props, "author")
        )
        title = _title(front, props, raw)
        number_value = _clean_value(number.value) if number else None
        metadata = DocumentMetadata(
            title=title,
            document_number=number_value,
            revision=_clean_value(revision.value) if revision else None,
            issue_date=issue_date,
            approver=_clean_person(approver.value) if approver else None,
            author=_clean_person(author.value) if author else None,
            last_modified=_timestamp(props.get("modified")),
            kind=guess_kind(title, number_value, raw.text[: _HEAD_CHARS * 2]),
            properties=dict(props),
        )
        return ExtractedMetadata(metadata, date_at)


def _front_value(front: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = front.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _front_text(front: Mapping[str, Any], *keys: str) -> Located | None:
    value = _front_value(front, *keys)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return Located(str(value).strip()[:200])
    return None


def _locate(found: Located | None, head: str) -> Located | None:
    """Give a value read from headers or properties the offsets of its first occurrence in the
    canonical text's opening, when it is printed there too."""
    if found is None or found.start is not None or not found.value:
        return found
    index = head.find(found.value)
    if index < 0:
        return found
    return Located(found.value, index, index + len(found.value))


def _labeled(pattern: re.Pattern[str], text: str, *, located: bool = False) -> Located | None:
    match = pattern.search(text)
    if not match:
        return None
    group = "value" if match.group("value") is not None else "value2"
    value = match.group(group).strip()
    if not value:
        return None
    value = _complete_parenthesis(value, text[match.end(group) :])
    if located:
        return Located(value, match.start(group), match.start(group) + len(value))
    return Located(value)


def _complete_parenthesis(value: str, rest: str) -> str:
    """ "Dr. A. Roe (Managing" + next line "Director)": a cell wrapped onto two lines."""
    if value.count("(") <= value.count(")"):
        return value
    closing = re.match(r"\s*\n?([^\n()]{1,40}\))", rest)
    return f"{value} {closing.group(1).strip()}" if closing else value


def _bare_number(text: str, *, located: bool = False) -> Located | None:
    for match in _BARE_NUMBER.finditer(text):
        if match.group("prefix") in _STANDARDS:
            continue
        if located:
            return Located(match.group("value"), match.start("value"), match.end("value"))
        return Located(match.group("value"))
    return None


def _issue_date(
    front: Mapping[str, Any], control: str, head: str
) -> tuple[Located | None, dt.date | None]:
    value = _front_value(
        front, "effective_date", "effective", "issue_date", "issued", "release_date", "date",
        "last_updated", "updated",
    )  # fmt: skip
    history = front.get("majorrevisions") or front.get("revisions") or front.get("history")
    if value is None and isinstance(history, list):
        dates = [parse_date(str(entry.get("date", ""))) for entry in history[:200]
                 if isinstance(entry, dict)]  # fmt: skip
        known = [d for d in dates if d is not None]
        value = max(known) if known else None
    if isinstance(value, dt.datetime):
        return Located(value.date().isoformat()), value.date()
    if isinstance(value, dt.date):
        return Located(value.isoformat()), value
    if isinstance(value, str) and (parsed := parse_date(value)):
        return Located(value), parsed
    for text, located in ((control, False), (head, True)):
        found = _labeled_date(text, located=located)
        if found is not None:
            return found
    return None, None


def _labeled_date(text: str, *, located: bool) -> tuple[Located, dt.date] | None:
    best: tuple[int, Located, dt.date] | None = None
    for label in _DATE_LABEL.finditer(text):
        found = next(find_dates(text[label.end() : label.end() + 40]), None)
        if found is None or found.start > 3:
            continue
        start, end = label.end() + found.start, label.end() + found.end
        word = label.group(0).lower()
        rank = next((i for i, key in enumerate(_DATE_PRIORITY) if key in word), 99)
        where = Located(text[start:end], start, end) if located else Located(text[start:end])
        if best is None or rank < best[0]:
            best = (rank, where, found.value)
    return (best[1], best[2]) if best else None


def _title(front: Mapping[str, Any], props: Mapping[str, str], raw: RawDocument) -> str | None:
    named = _front_text(front, "title", "name")
    if named:
        return named.value
    if props.get("title"):
        return props["title"]
    first = raw.blocks[0] if raw.blocks else None
    if first is not None and first.kind is not BlockKind.HEADING:
        line = raw.text[first.start : first.end].split("\n", 1)[0].strip()
        if 3 <= len(line) <= 120 and ":" not in line:
            return line  # a title line above the first heading
    for block in raw.blocks[:40]:
        if block.kind is BlockKind.HEADING and block.level <= 1 and block.start < _HEAD_CHARS:
            text = block.title or raw.text[block.start : block.end]
            return " ".join(text.split())[:200] or None
    return None


def _clean_value(value: str) -> str:
    return value.strip(" .,;:|")


def _clean_person(value: str) -> str | None:
    value = re.sub(r"\s+", " ", value).strip(" .,;:|-")
    if not value or value.lower() in {"n/a", "na", "tbd", "-", "name", "signature"}:
        return None
    return value[:80]


def _timestamp(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def guess_kind(title: str | None, number: str | None, content: str) -> DocumentKind:
    """The document's role from its number prefix, then its title, then its content."""
    if number:
        prefix = re.match(r"[A-Z]+", number)
        if prefix and prefix.group() in _KIND_PREFIXES:
            return _KIND_PREFIXES[prefix.group()]
    if title:
        kind = _kind_from_words(title)
        if kind is not None:
            return kind
    lowered = content.lower()
    if lowered.count("☐") + lowered.count("[ ]") + lowered.count("____") >= 3:
        return DocumentKind.FORM
    if all(word in lowered for word in ("purpose", "scope")) and "responsib" in lowered:
        return DocumentKind.PROCEDURE
    return DocumentKind.OTHER


def _kind_from_words(title: str) -> DocumentKind | None:
    """The kind named last in the title ("Audit plan form" is a form)."""
    best: tuple[int, DocumentKind] | None = None
    lowered = title.lower()
    for words, kind in _KIND_WORDS:
        for match in re.finditer(rf"\b(?:{words})\b", lowered):
            if best is None or match.end() > best[0]:
                best = (match.end(), kind)
    return best[1] if best else None
