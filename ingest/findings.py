"""Document-control findings an auditor raises on a Stage 1 document review.

Each finding that points at text cites it: ``quote == canonical_text[start:end]``, with the
page and section path. Findings about something missing (no revision, no date) cite nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Sequence

from qmsgap.ingest.blocks import RawDocument
from qmsgap.ingest.metadata import ExtractedMetadata
from qmsgap.ingest.models import DocumentFormat, Finding, FindingCode
from qmsgap.ingest.sections import Section, heading_title
from qmsgap.ingest.standards import WITHDRAWN_STANDARDS, WithdrawnStandard

_PLACEHOLDER = re.compile(
    r"\bTBD\b|\bTBA\b|\bTBC\b|\bTODO\b|\bFIXME\b|\bX{3,}\b"
    r"|(?i:\bto\s+be\s+(?:defined|determined|decided|completed|confirmed|clarified|"
    r"specified|added)\b)"
    r"|(?i:\[\s*(?:insert|enter|add|tbd|placeholder|name|date)\b[^\]\n]{0,80}\])"
    r"|(?i:<\s*(?:insert|enter|add)\b[^>\n]{0,80}>)"
    r"|\{\{[^{}\n]{1,80}\}\}"
    r"|(?i:\blorem\s+ipsum\b)"
    r"|(?i:\bnoch\s+(?:festzulegen|zu\s+definieren|offen)\b)"
)
_MAX_PER_CODE = 50


class DocumentControlReview:
    """Finds document-control problems. Options: the age limit, the reference date (injectable
    for tests), the withdrawn-standards table and how many findings of one kind are listed."""

    def __init__(
        self,
        *,
        max_age_days: int,
        today: dt.date | None = None,
        standards: Sequence[WithdrawnStandard] = WITHDRAWN_STANDARDS,
        max_per_code: int = _MAX_PER_CODE,
    ) -> None:
        self.max_age_days = max_age_days
        self.today = today
        self.standards = standards
        self.max_per_code = max_per_code

    def __call__(
        self, raw: RawDocument, sections: Sequence[Section], extracted: ExtractedMetadata
    ) -> list[Finding]:
        cite = _Citer(raw, sections)
        findings: list[Finding] = []
        findings += self._control(extracted, cite)
        findings += self._capped(self._withdrawn(raw.text, cite), FindingCode.WITHDRAWN_STANDARD)
        if raw.format is not DocumentFormat.PPTX:  # title-only slides are section dividers
            findings += self._capped(_empty_sections(raw.text, sections, cite),
                                     FindingCode.EMPTY_SECTION)  # fmt: skip
        findings += self._capped(_placeholders(raw.text, cite), FindingCode.UNRESOLVED_PLACEHOLDER)
        findings += _scans(raw)
        return findings

    def _control(self, extracted: ExtractedMetadata, cite: _Citer) -> list[Finding]:
        meta = extracted.metadata
        out: list[Finding] = []
        if meta.revision is None:
            out.append(
                Finding(
                    code=FindingCode.MISSING_REVISION,
                    severity="minor",
                    message="no revision found (such as 'Rev. C' or 'Version 2.1') in the "
                    "properties, headers, footers or title block: the document's status "
                    "cannot be verified",
                )
            )
        if meta.issue_date is None:
            out.append(
                Finding(
                    code=FindingCode.MISSING_DATE,
                    severity="minor",
                    message="no issue or effective date found in the properties, headers, "
                    "footers or title block",
                )
            )
            return out
        today = self.today or dt.date.today()
        age = (today - meta.issue_date).days
        if age > self.max_age_days:
            years = age / 365.25
            where = extracted.date_at
            located = where is not None and where.start is not None and where.end is not None
            out.append(
                cite.finding(
                    FindingCode.OUTDATED,
                    "minor",
                    f"issued {meta.issue_date.isoformat()}, {years:.1f} years ago: older than "
                    f"the {self.max_age_days}-day review interval; confirm it was reviewed "
                    "and is still valid",
                    where.start if located and where else None,
                    where.end if located and where else None,
                )
            )
        return out

    def _withdrawn(self, text: str, cite: _Citer) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for standard in self.standards:
            for match in standard.pattern.finditer(text):
                key = (standard.name, cite.section(match.start()))
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    cite.finding(
                        FindingCode.WITHDRAWN_STANDARD,
                        standard.severity,
                        f"cites {standard.name}, which is withdrawn or superseded: "
                        f"replace the reference with {standard.replacement}",
                        match.start(),
                        match.end(),
                    )
                )
        return sorted(out, key=lambda f: f.start or 0)

    def _capped(self, findings: list[Finding], code: FindingCode) -> list[Finding]:
        if len(findings) <= self.max_per_code:
            return findings
        extra = len(findings) - self.max_per_code
        return [
            *findings[: self.max_per_code],
            Finding(
                code=code,
                severity="info",
                message=f"{extra} more findings of this kind are not listed",
            ),
        ]


class _Citer:
    """Builds findings with page and section for an offset range of the canonical text."""

    def __init__(self, raw: RawDocument, sections: Sequence[Section]) -> None:
        self.text = raw.text
        self.pages = raw.pages
        self.page_starts = [page.start for page in raw.pages]
        self.sections = list(sections)
        self.section_starts = [section.start for section in sections]

    def section(self, offset: int) -> tuple[str, ...]:
        index = bisect_right(self.section_starts, offset) - 1
        return self.sections[index].path if index >= 0 else ()

    def page(self, offset: int) -> int | None:
        if not self.pages:
            return None
        index = bisect_right(self.page_starts, offset) - 1
        return self.pages[max(index, 0)].number

    def finding(
        self, code: FindingCode, severity: str, message: str, start: int | None, end: int | None
    ) -> Finding:
        if start is None or end is None:
            return Finding(code=code, severity=severity, message=message)
        return Finding(
            code=code,
            severity=severity,
            message=message,
            page=self.page(start),
            section=self.section(start),
            quote=self.text[start:end],
            start=start,
            end=end,
        )


def _empty_sections(text: str, sections: Sequence[Section], cite: _Citer) -> list[Finding]:
    """A printed heading followed directly by a heading of the same or a higher level, or by
    nothing at all."""
    out: list[Finding] = []
    for index, section in enumerate(sections):
        heading = section.heading
        if heading is None or heading.end <= heading.start or section.blocks:
            continue
        following = sections[index + 1] if index + 1 < len(sections) else None
        if following is not None and following.level > section.level:
            continue  # a chapter heading directly followed by its first sub-section
        title = heading_title(text, heading)
        out.append(
            cite.finding(
                FindingCode.EMPTY_SECTION,
                "minor",
                f"the section '{title}' has no content",
                heading.start,
                heading.end,
            )
        )
    return out


def _placeholders(text: str, cite: _Citer) -> list[Finding]:
    return [
        cite.finding(
            FindingCode.UNRESOLVED_PLACEHOLDER,
            "minor",
            f"unresolved placeholder '{match.group()}': the document is not complete",
            match.start(),
            match.end(),
        )
        for match in _PLACEHOLDER.finditer(text)
    ]


def _scans(raw: RawDocument) -> list[Finding]:
    out = [
        Finding(
            code=FindingCode.NO_TEXT_LAYER,
            severity="major",
            message=f"page {number} has no text layer: OCR needed (it is an image; its "
            "content cannot be cited)",
            page=number,
        )
        for number in raw.pages_without_text
    ]
    out += [
        Finding(
            code=FindingCode.NO_TEXT_LAYER,
            severity="info",
            message=f"page {number} has no text layer; its text was recognised by OCR and "
            "may contain recognition errors",
            page=number,
        )
        for number in raw.ocr_pages
    ]
    return out
