"""What a report will hold before it is downloaded: its sections in order, and page 1 as a small image
(rendered by poppler's pdftoppm, the same tool the tests read the PDF with)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SECTIONS = ("report.kpis", "report.charts", "report.guidance", "report.actions")


class PreviewUnavailable(RuntimeError):
    """pdftoppm is missing or failed; the message says what to install."""


def first_page(pdf: bytes, dpi: int = 50) -> bytes:
    """Page 1 of `pdf` as a PNG at `dpi` dots per inch."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise PreviewUnavailable("pdftoppm not found: install poppler-utils (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "r.pdf"
        src.write_bytes(pdf)
        done = subprocess.run(
            [
                tool,
                "-f",
                "1",
                "-l",
                "1",
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                str(src),
                str(Path(tmp) / "p"),
            ],
            capture_output=True,
            timeout=60,
        )
        out = Path(tmp) / "p.png"
        if done.returncode != 0 or not out.exists():
            raise PreviewUnavailable(f"pdftoppm failed: {done.stderr.decode(errors='replace')[:200]}")
        return out.read_bytes()
