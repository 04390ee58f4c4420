"""The charter's text, taken from the uploaded file (PDF, DOCX, Markdown or plain text),
so that /charte shows the bot's own copy rather than a link that expires."""

from __future__ import annotations

import io
import re
from pathlib import PurePath

from cogs.charter.errors import CharterError

MAX_BYTES = 10 * 1024 * 1024
SUPPORTED = (".pdf", ".docx", ".md", ".markdown", ".txt")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    return "\n\n".join(p.text.strip() for p in document.paragraphs if p.text.strip())


def _plain_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def extract_text(filename: str, data: bytes) -> str:
    """Readable text of the charter; refused with a catalogue key when the file cannot
    serve as a charter (unsupported type, too big, unreadable, empty)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED:
        raise CharterError("charter.bad_format", formats=", ".join(SUPPORTED))
    if len(data) > MAX_BYTES:
        raise CharterError("charter.too_big", max_mb=MAX_BYTES // (1024 * 1024))
    try:
        if suffix == ".pdf":
            text = _pdf_text(data)
        elif suffix == ".docx":
            text = _docx_text(data)
        else:
            text = _plain_text(data)
    except CharterError:
        raise
    except Exception as exc:  # a corrupt upload is the member's problem to fix, not a crash
        raise CharterError("charter.unreadable", filename=filename) from exc
    text = re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip()
    if not text:
        raise CharterError("charter.empty_text", filename=filename)
    return text


def excerpt_pages(text: str, page_size: int = 3800) -> list[str]:
    """Split the text into embed-sized pages on paragraph boundaries when possible."""
    pages: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        while len(paragraph) > page_size:
            if current:
                pages.append(current)
                current = ""
            pages.append(paragraph[:page_size])
            paragraph = paragraph[page_size:]
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) > page_size:
            pages.append(current)
            current = paragraph
        else:
            current = candidate
    if current:
        pages.append(current)
    return pages or [""]
