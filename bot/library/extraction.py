"""What a file really is, whether it is safe to keep, and its text for the search index.

Everything here works on bytes and never trusts the file name: the type comes from the
content (magic numbers via ``filetype``, then the members of a ZIP container for OOXML and
OpenDocument files). Every refusal is a ``LibraryError`` whose key names a French message.
"""

from __future__ import annotations

import html
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype

from bot.library.errors import LibraryError

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
# Zip-bomb guard: what a container may expand to, in total and per member.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 150
MAX_ZIP_MEMBERS = 10_000
MAX_PDF_PAGES = 1_000
MAX_SHEET_CELLS = 200_000
MAX_TEXT_CHARS = 1_000_000
MAX_FILENAME_CHARS = 120


@dataclass(frozen=True)
class FileKind:
    key: str  # "pdf", "docx", ...
    mime: str
    extension: str
    label: str  # shown to people ("document Word (DOCX)")
    has_text: bool = True


KINDS: dict[str, FileKind] = {
    k.key: k
    for k in (
        FileKind("pdf", "application/pdf", "pdf", "PDF"),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            "document Word (DOCX)",
        ),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            "classeur Excel (XLSX)",
        ),
        FileKind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
            "présentation PowerPoint (PPTX)",
        ),
        FileKind(
            "odt", "application/vnd.oasis.opendocument.text", "odt", "texte OpenDocument (ODT)"
        ),
        FileKind(
            "ods",
            "application/vnd.oasis.opendocument.spreadsheet",
            "ods",
            "classeur OpenDocument (ODS)",
        ),
        FileKind(
            "odp",
            "application/vnd.oasis.opendocument.presentation",
            "odp",
            "présentation OpenDocument (ODP)",
        ),
        FileKind("png", "image/png", "png", "image PNG", has_text=False),
        FileKind("jpg", "image/jpeg", "jpg", "image JPEG", has_text=False),
        FileKind("gif", "image/gif", "gif", "image GIF", has_text=False),
        FileKind("webp", "image/webp", "webp", "image WebP", has_text=False),
        FileKind("md", "text/markdown", "md", "texte Markdown"),
        FileKind("html", "text/html", "html", "page HTML"),
        FileKind("csv", "text/csv", "csv", "tableau CSV"),
        FileKind("txt", "text/plain", "txt", "texte"),
    )
}

# What a file name's extension claims, to catch names that lie about the content.
_EXTENSION_CLAIMS = {
    "pdf": "pdf",
    "docx": "docx",
    "docm": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "odt": "odt",
    "ods": "ods",
    "odp": "odp",
    "png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "gif": "gif",
    "webp": "webp",
    "md": "md",
    "markdown": "md",
    "html": "html",
    "htm": "html",
    "txt": "txt",
    "text": "txt",
    "csv": "csv",
}
_TEXT_KINDS = {"md", "txt", "csv", "html"}
# Executables and archives are refused even when they pretend to be something else.
_EXTENSION_LABELS = {"exe": "programme Windows", "zip": "archive ZIP", "doc": "Word 97 (DOC)"}

_ODF_MIMES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_OOXML_MAIN_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}


@dataclass(frozen=True)
class ExtractedFile:
    kind: FileKind
    filename: str  # safe, with the extension of the real type
    size: int
    text: str


def safe_filename(name: str | None, kind: FileKind | None = None) -> str:
    """A file name safe to store and to send back: no directories, no control or reserved
    characters, no leading dot, bounded length, and the extension of the real type."""
    name = unicodedata.normalize("NFC", name or "")
    # Both separators: a Windows path ("..\\..\\x.pdf") is a path trick too.
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if kind is not None and ext.lower() not in _extensions_of(kind):
        # The name says nothing (or something harmless) about the type: give it the real one.
        stem, ext = (name if ext.lower() not in _EXTENSION_CLAIMS else stem), kind.extension
    stem = stem.strip(" .") or "document"
    ext = ext.lower()
    budget = MAX_FILENAME_CHARS - (len(ext) + 1 if ext else 0)
    stem = stem[:budget].rstrip(" .") or "document"
    return f"{stem}.{ext}" if ext else stem


def _extensions_of(kind: FileKind) -> set[str]:
    return {ext for ext, key in _EXTENSION_CLAIMS.items() if key == kind.key}


def _claimed_kind(filename: str) -> str | None:
    ext = PurePosixPath(re.split(r"[\\/]", filename or "")[-1]).suffix.lower().lstrip(".")
    return _EXTENSION_CLAIMS.get(ext)


def _check_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LibraryError("library.error.corrupt", filename=filename) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise LibraryError("library.error.zip_bomb", filename=filename)
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        # Small members compress well legitimately (XML boilerplate); big ones must not explode.
        if member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise LibraryError("library.error.zip_bomb", filename=filename)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise LibraryError("library.error.zip_bomb", filename=filename)
    return archive


def _zip_kind(archive: zipfile.ZipFile) -> str | None:
    names = set(archive.namelist())
    if "mimetype" in names:
        try:
            mime = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        except (zipfile.BadZipFile, OSError, RuntimeError):
            return None
        return _ODF_MIMES.get(mime)
    if "[Content_Types].xml" in names:
        for part, key in _OOXML_MAIN_PARTS.items():
            if part in names:
                return key
    return None


def _decode_text(data: bytes) -> str | None:
    """The text of a plain-text file, or None if it is binary."""
    if b"\x00" in data[:8192]:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:8192]
        controls = sum(
            1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f"
        )
        if controls <= len(sample) // 100:
            return text
        return None
    return None


def detect_kind(data: bytes, filename: str) -> FileKind:
    """The real type of ``data``; refuses unknown types and names that lie about the type."""
    guessed = filetype.guess(data)
    key: str | None = None
    if data[:4] == b"PK\x03\x04":
        key = _zip_kind(_check_zip(data, filename))
        if key is None:
            raise LibraryError("library.error.unsupported_type", filename=filename)
    elif guessed is not None:
        key = {
            "pdf": "pdf",
            "png": "png",
            "jpg": "jpg",
            "gif": "gif",
            "webp": "webp",
        }.get(guessed.extension)
        if key is None:
            raise LibraryError("library.error.unsupported_type", filename=filename)
    elif data.lstrip()[:5] == b"%PDF-":
        key = "pdf"
    elif _decode_text(data) is not None:
        claimed = _claimed_kind(filename)
        key = claimed if claimed in _TEXT_KINDS else "txt"
    else:
        raise LibraryError("library.error.unsupported_type", filename=filename)

    claimed = _claimed_kind(filename)
    # A text file may carry any text extension; any other claim must match the content.
    if (
        claimed is not None
        and claimed != key
        and not (claimed in _TEXT_KINDS and key in _TEXT_KINDS)
    ):
        raise LibraryError(
            "library.error.type_mismatch",
            filename=filename,
            claimed=KINDS[claimed].label,
            actual=KINDS[key].label,
        )
    return KINDS[key]


def _html_text(page: str) -> str:
    """Visible text of an HTML page (newsletter archives): no scripts, styles or tags."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", page)
    page = re.sub(r"(?s)<[^>]*>", " ", page)
    return html.unescape(re.sub(r"[ \t]+", " ", page))


def _pdf_text(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many "protected" PDFs only restrict printing and open with an empty password.
            try:
                if not reader.decrypt(""):
                    raise LibraryError("library.error.pdf_encrypted", filename=filename)
            except (DependencyError, FileNotDecryptedError, NotImplementedError) as exc:
                raise LibraryError("library.error.pdf_encrypted", filename=filename) from exc
        parts: list[str] = []
        size = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PDF_PAGES or size >= MAX_TEXT_CHARS:
                break
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
        return "\n".join(parts)
    except LibraryError:
        raise
    except FileNotDecryptedError as exc:
        raise LibraryError("library.error.pdf_encrypted", filename=filename) from exc
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as exc:
        raise LibraryError("library.error.corrupt", filename=filename) from exc
    except Exception as exc:  # pypdf raises many kinds on broken files
        log.warning("PDF extraction failed for %s: %r", filename, exc)
        raise LibraryError("library.error.corrupt", filename=filename) from exc


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _xlsx_text(data: bytes) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parts: list[str] = []
    cells = 0
    try:
        for sheet in workbook.worksheets:
            parts.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None]
                cells += len(row)
                if values:
                    parts.append(" ".join(values))
                if cells > MAX_SHEET_CELLS:
                    return "\n".join(parts)
    finally:
        workbook.close()
    return "\n".join(parts)


def _pptx_text(data: bytes) -> str:
    from pptx import Presentation

    presentation = Presentation(io.BytesIO(data))
    parts: list[str] = []
    for slide in presentation.slides:
        for shape in slide.shapes:
            if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                parts.append(shape.text_frame.text)
    return "\n".join(parts)


def _odf_text(data: bytes) -> str:
    from odf import teletype
    from odf import text as odf_text
    from odf.opendocument import load

    document = load(io.BytesIO(data))
    parts = [
        teletype.extractText(element)
        for element_type in (odf_text.H, odf_text.P)
        for element in document.getElementsByType(element_type)
    ]
    return "\n".join(parts)


def extract_text(data: bytes, kind: FileKind, filename: str) -> str:
    """Searchable text of a checked file ("" for images)."""
    if not kind.has_text:
        return ""
    if kind.key == "html":
        return _html_text(_decode_text(data) or "")[:MAX_TEXT_CHARS]
    if kind.key in _TEXT_KINDS:
        return (_decode_text(data) or "")[:MAX_TEXT_CHARS]
    if kind.key == "pdf":
        return _pdf_text(data, filename)[:MAX_TEXT_CHARS]
    readers = {
        "docx": _docx_text,
        "xlsx": _xlsx_text,
        "pptx": _pptx_text,
        "odt": _odf_text,
        "ods": _odf_text,
        "odp": _odf_text,
    }
    try:
        return readers[kind.key](data)[:MAX_TEXT_CHARS]
    except LibraryError:
        raise
    except Exception as exc:  # office readers raise anything on broken files
        log.info("%s extraction failed for %s: %r", kind.key, filename, exc)
        raise LibraryError("library.error.corrupt", filename=filename) from exc


def check_and_extract(data: bytes, filename: str, max_bytes: int = MAX_FILE_BYTES) -> ExtractedFile:
    """Validate ``data`` (size, real type, container safety) and extract its text.

    Pure and synchronous (CPU-bound): callers on the event loop run it in a thread.
    """
    shown_name = safe_filename(filename) if filename else "document"
    if not data:
        raise LibraryError("library.error.empty_file", filename=shown_name)
    if len(data) > max_bytes:
        raise LibraryError(
            "library.error.too_large",
            filename=shown_name,
            size_mb=f"{len(data) / 1024 / 1024:.1f}",
            max_mb=f"{max_bytes / 1024 / 1024:.0f}",
        )
    kind = detect_kind(data, shown_name)
    text = extract_text(data, kind, shown_name)
    return ExtractedFile(
        kind=kind, filename=safe_filename(filename, kind), size=len(data), text=text
    )
