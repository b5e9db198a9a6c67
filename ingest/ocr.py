"""Optional OCR of scanned PDF pages with the Tesseract command-line program.

Never required: used only when ``settings.ingest.ocr`` is on *and* a ``tesseract`` binary is
on the PATH (Debian: ``apt-get install tesseract-ocr``). The page is rendered with PDFium and
the binary is run as a subprocess with a timeout; no Python OCR wrapper is involved.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol


class OcrEngine(Protocol):
    """Recognises the text of one PDF page. Returns "" when nothing could be recognised;
    never raises for a page it cannot read."""

    def page_text(self, data: bytes, page_index: int) -> str: ...


class TesseractOcr:
    """Renders a page at ``dpi`` and runs ``tesseract <png> stdout -l <language>``."""

    def __init__(
        self, binary: str, *, language: str = "eng", dpi: int = 300, timeout: float = 60.0
    ) -> None:
        self.binary = binary
        self.language = language
        self.dpi = dpi
        self.timeout = timeout
        self.errors: list[str] = []

    @classmethod
    def find(cls, language: str = "eng") -> TesseractOcr | None:
        """The engine when a ``tesseract`` binary is installed, else ``None``."""
        binary = shutil.which("tesseract")
        return cls(binary, language=language) if binary else None

    def page_text(self, data: bytes, page_index: int) -> str:
        import pypdfium2 as pdfium

        with tempfile.TemporaryDirectory(prefix="qmsgap-ocr-") as tmp:
            image = Path(tmp) / "page.png"
            document = pdfium.PdfDocument(data)
            try:
                page = document[page_index]
                try:
                    bitmap = page.render(scale=self.dpi / 72)
                    bitmap.to_pil().save(image)
                finally:
                    page.close()
            finally:
                document.close()
            try:
                done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                    [self.binary, str(image), "stdout", "-l", self.language],
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                self.errors.append(f"OCR of page {page_index + 1} failed: {exc}")
                return ""
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()[:200]
            self.errors.append(f"OCR of page {page_index + 1} failed: {message}")
            return ""
        return done.stdout.decode("utf-8", "replace")
