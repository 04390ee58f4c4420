"""The passage of a document that best shows why it matched, with the matching words marked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.library.textnorm import fold, stem

# Scanning stops here: a snippet from the first 200,000 characters is good enough, and a
# page of results must not stem a whole book.
SCAN_LIMIT = 200_000


@dataclass(frozen=True)
class Segment:
    text: str
    highlighted: bool = False


_ACCENTED = {
    "a": "aàâäáã",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîïí",
    "n": "nñ",
    "o": "oôöóõ",
    "u": "uùûüú",
    "y": "yÿ",
}


@lru_cache(maxsize=1024)
def _candidates(stems: frozenset[str]) -> re.Pattern[str] | None:
    """A regex finding, at C speed, the words that may stem to one of ``stems``: words
    starting like the stem (accents and case ignored); each is then checked with stem()."""
    alternatives = []
    for s in sorted(stems):
        # Plural and derivation rules may change the last letters ("journaux" -> "journal").
        head = s[: max(3, len(s) - 2)]
        pattern = "".join(
            f"[{_ACCENTED[ch]}]" if ch in _ACCENTED else re.escape(ch) for ch in head
        ).replace("[oôöóõ][eéèêë]", "(?:[oôöóõ][eéèêë]|œ)")
        alternatives.append(pattern)
    if not alternatives:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")[^\W_]*", re.IGNORECASE)


def _matches(text: str, stems: set[str]) -> list[tuple[int, int]]:
    pattern = _candidates(frozenset(stems))
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text) if stem(fold(m.group())) in stems]


def make_snippet(text: str, stems: set[str], width: int = 200) -> list[Segment]:
    """About ``width`` characters of ``text`` around the densest cluster of matching words,
    as segments to render (highlighted ones are the matches). Empty if ``text`` is."""
    text = " ".join(text[:SCAN_LIMIT].split())
    if not text:
        return []
    matches = _matches(text, stems)
    if not matches:
        return [Segment(_cut(text, 0, width))]
    # The window holding the most matches; ties go to the earliest.
    best_start, best_count = matches[0][0], 0
    right = 0
    for left, (start, _end) in enumerate(matches):
        while right < len(matches) and matches[right][1] <= start + width:
            right += 1
        if right - left > best_count:
            best_start, best_count = start, right - left
    window_start = max(0, best_start - width // 4)
    # Start on a word boundary.
    if window_start > 0:
        space = text.find(" ", window_start)
        window_start = space + 1 if 0 <= space < best_start else window_start
    window_end = min(len(text), window_start + width)
    if window_end < len(text):
        space = text.rfind(" ", window_start, window_end)
        window_end = space if space > window_start else window_end

    segments: list[Segment] = []
    if window_start > 0:
        segments.append(Segment("…"))
    cursor = window_start
    for start, end in matches:
        if start < window_start or end > window_end:
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], highlighted=True))
        cursor = end
    if cursor < window_end:
        segments.append(Segment(text[cursor:window_end]))
    if window_end < len(text):
        segments.append(Segment("…"))
    return segments


def _cut(text: str, start: int, width: int) -> str:
    if len(text) - start <= width:
        return text[start:]
    end = text.rfind(" ", start, start + width)
    return text[start : end if end > start else start + width] + " …"
