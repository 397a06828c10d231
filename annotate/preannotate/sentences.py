"""Sentence spans for stance evidence: a regex over boundary candidates, abbreviation-aware.

Why not a model: evidence only needs a sentence that a reader accepts; news prose ends
sentences with . ! ? (optionally followed by a closing quote) or a line break, and the
few abbreviations that break that ("U.S.", "Mr.") are checked explicitly.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)]*(?=\s+[\"“'‘(]?[A-Z0-9])|\n+")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Lt|Col|Sgt|Rep|Sen|Gov|Prof|Mt|Ft|Capt|Maj|Adm|Rev|"
    r"Brig|No|Nos|Inc|Corp|Co|Ltd|vs|etc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
    r"|\b[A-Z]|(?:\b[A-Za-z]\.)+[A-Za-z])$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Half-open (start, end) spans of the sentences, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group()[0] == "." and _ABBREV.search(text, max(0, m.start() - 12), m.start()):
            continue
        end = m.end() if m.group()[0] != "\n" else m.start()
        _push(text, start, end, spans)
        start = m.end()
    _push(text, start, len(text), spans)
    return spans


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
