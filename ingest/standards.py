"""Withdrawn or superseded standards that a Stage 1 document review flags.

Data, not logic: each entry is a pattern matched in the canonical text, the edition it names,
and what replaced it (named in the finding's message). Extend the tuple to add more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class WithdrawnStandard:
    """``pattern`` matches a citation of the withdrawn edition ``name``."""

    name: str
    replacement: str
    pattern: re.Pattern[str]
    severity: str = "minor"


_YEAR = r"\s*[:/]\s*|\s*\(\s*|\s+"  # "ISO 9001:2008", "ISO 9001 (2008)", "ISO 9001 2008"
_OLD_VDA_63 = r"(?:19\d\d|20(?:0\d|1\d|2[0-2]))"
_ASPICE = r"(?:Automotive\s*SPICE|ASPICE)(?:®)?\s*(?:PAM\s*)?(?:v(?:ersion)?\.?\s*)?"

# (withdrawn edition, replacement, pattern, severity)
_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("ISO/TS 16949", "IATF 16949:2016",
     r"\bISO\s*/\s*TS\s*16949(?:\s*:\s*\d{4})?\b|\bTS\s*16949\b", "major"),
    ("QS-9000", "IATF 16949:2016", r"\bQS[\s-]?9000\b", "major"),
    ("ISO 9001:2008", "ISO 9001:2015", rf"\bISO\s*9001(?:{_YEAR})2008\b", "major"),
    ("ISO 9001:2000", "ISO 9001:2015", rf"\bISO\s*9001(?:{_YEAR})2000\b", "major"),
    ("ISO 9001:1994", "ISO 9001:2015", rf"\bISO\s*900[123](?:{_YEAR})1994\b", "major"),
    ("VDA 6.3 (edition before 2023)", "VDA 6.3:2023",
     rf"\bVDA\s*6\.3\s*(?:[:/(]\s*|\s+|,\s*)(?:edition\s+|ausgabe\s+)?{_OLD_VDA_63}\b", "minor"),
    ("ISO 14001:2004", "ISO 14001:2015", rf"\bISO\s*14001(?:{_YEAR})2004\b", "minor"),
    ("ISO/IEC 27001:2013 or :2005", "ISO/IEC 27001:2022",
     rf"\b(?:ISO\s*/\s*IEC\s*|ISO\s*)27001(?:{_YEAR})(?:2013|2005)\b", "minor"),
    ("ISO 26262:2011", "ISO 26262:2018", rf"\bISO\s*26262(?:-\d+)?(?:{_YEAR})2011\b", "minor"),
    ("ISO 19011:2011", "ISO 19011:2018", rf"\bISO\s*19011(?:{_YEAR})(?:2011|2002)\b", "minor"),
    ("ISO 13485:2003", "ISO 13485:2016", rf"\bISO\s*13485(?:{_YEAR})2003\b", "minor"),
    ("ISO 14971:2007", "ISO 14971:2019", rf"\bISO\s*14971(?:{_YEAR})2007\b", "minor"),
    ("ISO/IEC 17025:2005", "ISO/IEC 17025:2017",
     rf"\b(?:ISO\s*/\s*IEC\s*)?17025(?:{_YEAR})2005\b", "minor"),
    ("ISO 31000:2009", "ISO 31000:2018", rf"\bISO\s*31000(?:{_YEAR})2009\b", "minor"),
    ("AIAG FMEA 4th edition", "AIAG & VDA FMEA Handbook (2019)",
     r"\bFMEA[^\n]{0,30}\b(?:4th|fourth)\s+edition\b|\bAIAG\s+FMEA[-\s]*4\b", "minor"),
    ("Automotive SPICE 3.0 or earlier", "Automotive SPICE 4.0",
     rf"\b{_ASPICE}(?:2\.\d|3\.0)\b", "minor"),
)  # fmt: skip

WITHDRAWN_STANDARDS: tuple[WithdrawnStandard, ...] = tuple(
    WithdrawnStandard(name, replacement, re.compile(pattern, re.IGNORECASE), severity)
    for name, replacement, pattern, severity in _TABLE
)
