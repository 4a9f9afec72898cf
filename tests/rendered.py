"""What a reader must never see in rendered text: a raw org or manager id, a snake_case code, None / nan,
and in the Chinese interface English words other than the proper names and abbreviations below."""

from __future__ import annotations

import re

RAW_ID = re.compile(r"(?<![A-Za-z0-9])(?:HO|R\d{2}(?:B\d{2})?(?:T\d+)?(?:M\d+)?)(?![A-Za-z0-9])")
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
BLANKS = re.compile(r"(?<![A-Za-z])(?:None|nan|NaN|NaT|null|undefined)(?![A-Za-z])")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Proper names and abbreviations a Chinese banker reads as they are.
ALLOWED_IN_ZH = {"SICAS", "AUM", "App", "SLA", "PDF", "Excel", "CSV", "ID", "KPI"}


def problems(text: str, lang: str, allowed: set[str] = frozenset()) -> list[str]:
    """Every offending token of `text` (empty when it reads clean), each with a little context."""
    found = []

    def note(m: re.Match) -> None:
        found.append(text[max(0, m.start() - 20) : m.end() + 20].replace("\n", " "))

    for pattern in (RAW_ID, SNAKE, BLANKS):
        for m in pattern.finditer(text):
            note(m)
    if lang == "zh":
        for m in LATIN_WORD.finditer(text):
            if m.group() not in ALLOWED_IN_ZH | set(allowed):
                note(m)
    return found
