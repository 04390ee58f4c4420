import io
import zipfile

import pytest

from bot.library import generate
from bot.library.errors import LibraryError
from bot.library.extraction import (
    MAX_FILENAME_CHARS,
    check_and_extract,
    detect_kind,
    safe_filename,
)

PARAS = ["Mise à jour de situation sur caf.fr : déclarer un changement de revenus."]


@pytest.mark.parametrize(
    ("maker", "name", "kind"),
    [
        (lambda: generate.make_pdf("Procédure CAF", PARAS), "proc.pdf", "pdf"),
        (lambda: generate.make_docx("Procédure CAF", PARAS), "proc.docx", "docx"),
        (lambda: generate.make_odt("Procédure CAF", PARAS), "proc.odt", "odt"),
        (lambda: generate.make_markdown("Procédure CAF", PARAS), "proc.md", "md"),
        (lambda: generate.make_xlsx([["Procédure CAF", PARAS[0]]]), "grille.xlsx", "xlsx"),
        (lambda: generate.make_ods([["Procédure CAF", PARAS[0]]]), "grille.ods", "ods"),
        (lambda: generate.make_pptx([("Procédure CAF", PARAS[0])]), "diapo.pptx", "pptx"),
    ],
)
def test_real_files_are_recognised_and_their_text_extracted(maker, name, kind) -> None:
    result = check_and_extract(maker(), name)
    assert result.kind.key == kind
    assert result.filename == name
    assert "Procédure CAF" in result.text
    assert "changement de revenus" in result.text


def test_type_comes_from_the_content_when_the_name_has_no_extension() -> None:
    result = check_and_extract(generate.make_docx("Charte", ["Texte"]), "charte")
    assert result.kind.key == "docx"
    assert result.filename == "charte.docx"


def test_a_name_that_lies_about_the_type_is_refused() -> None:
    with pytest.raises(LibraryError) as err:
        check_and_extract(generate.make_docx("Charte", ["Texte"]), "charte.pdf")
    assert err.value.key == "library.error.type_mismatch"
    assert err.value.params["claimed"] == "PDF"
    assert "DOCX" in err.value.params["actual"]


def test_a_program_renamed_as_pdf_is_refused() -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
    with pytest.raises(LibraryError) as err:
        check_and_extract(exe, "facture.pdf")
    assert err.value.key == "library.error.unsupported_type"


def test_binary_garbage_is_refused() -> None:
    with pytest.raises(LibraryError) as err:
        check_and_extract(bytes(range(256)) * 10, "notes.txt")
    assert err.value.key == "library.error.unsupported_type"


def test_text_with_a_text_extension_is_accepted_whatever_the_flavour() -> None:
    assert detect_kind(b"nom;commune\nCCAS;M\xc3\xa9rignac\n", "liste.csv").key == "csv"
    assert detect_kind("Réunion du réseau".encode("cp1252"), "notes.txt").key == "txt"


def test_oversized_and_empty_files_are_refused() -> None:
    with pytest.raises(LibraryError) as err:
        check_and_extract(b"x" * 2000, "a.txt", max_bytes=1000)
    assert err.value.key == "library.error.too_large"
    with pytest.raises(LibraryError) as err:
        check_and_extract(b"", "a.txt")
    assert err.value.key == "library.error.empty_file"


def test_corrupt_pdf_is_refused() -> None:
    pdf = generate.make_pdf("Titre", PARAS)
    broken = pdf[:200] + b"garbage" * 50
    with pytest.raises(LibraryError) as err:
        check_and_extract(broken, "casse.pdf")
    assert err.value.key in {"library.error.corrupt"}


def test_encrypted_pdf_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(generate.make_pdf("Secret", PARAS))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="motdepasse", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(LibraryError) as err:
        check_and_extract(out.getvalue(), "secret.pdf")
    assert err.value.key == "library.error.pdf_encrypted"


def test_pdf_protected_only_against_printing_opens() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(generate.make_pdf("Public", PARAS))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="proprietaire", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    assert "revenus" in check_and_extract(out.getvalue(), "public.pdf").text


def _docx_bomb() -> bytes:
    """A valid-looking DOCX whose document.xml expands to 64 MB of zeros (ratio ~1000)."""
    source = zipfile.ZipFile(io.BytesIO(generate.make_docx("Bombe", ["x"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            if item.filename == "word/document.xml":
                with bomb.open(item.filename, "w", force_zip64=True) as member:
                    chunk = b"\x00" * (1024 * 1024)
                    for _ in range(64):
                        member.write(chunk)
            else:
                bomb.writestr(item, source.read(item.filename))
    return out.getvalue()


def test_docx_zip_bomb_is_refused_before_anything_is_inflated() -> None:
    bomb = _docx_bomb()
    assert len(bomb) < 1024 * 1024
    with pytest.raises(LibraryError) as err:
        check_and_extract(bomb, "bombe.docx")
    assert err.value.key == "library.error.zip_bomb"


def test_corrupt_docx_is_refused() -> None:
    data = generate.make_docx("Titre", PARAS)
    with pytest.raises(LibraryError) as err:
        check_and_extract(data[: len(data) // 2], "moitie.docx")
    assert err.value.key == "library.error.corrupt"


def test_plain_zip_archive_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "bonjour")
    with pytest.raises(LibraryError) as err:
        check_and_extract(out.getvalue(), "docs.zip")
    assert err.value.key == "library.error.unsupported_type"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\system.ini.txt", "system.ini.txt"),
        ("/absolu/rapport.txt", "rapport.txt"),
        (".cache.txt", "cache.txt"),
        ('bad<>:"|?*name.txt', "bad_______name.txt"),
        ("ligne\nsaut\x00.txt", "lignesaut.txt"),
        ("", "document.txt"),
        ("..", "document.txt"),
    ],
)
def test_path_tricks_in_file_names_are_neutralised(raw: str, expected: str) -> None:
    assert check_and_extract(b"bonjour", raw).filename == expected


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("é" * 500 + ".pdf")
    assert len(name) <= MAX_FILENAME_CHARS and name.endswith(".pdf")


def test_html_pages_are_kept_as_html_and_indexed_without_tags() -> None:
    page = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><h1>Lettre n°4</h1><p>Ateliers &amp; permanences</p></body></html>"
    ).encode()
    result = check_and_extract(page, "lettre-4.html")
    assert result.kind.key == "html" and result.filename == "lettre-4.html"
    assert "Ateliers & permanences" in result.text
    assert "alert" not in result.text and "color" not in result.text


def test_library_errors_reach_people_through_the_runtime_handler() -> None:
    from bot.errors import UserError, describe_error

    error = LibraryError("library.error.pdf_encrypted", filename="a.pdf")
    assert isinstance(error, UserError)
    message, unexpected = describe_error(error, "fr")
    assert "protégé par un mot de passe" in message and not unexpected


def test_categories_given_by_label_are_stored_by_key() -> None:
    from bot.library.fields import clean_category

    assert clean_category("Charte") == "charte"
    assert clean_category("Lettre d'information") == "lettre"
    assert clean_category("compte-rendu") == "compte-rendu"
    assert clean_category("COPIL") == "COPIL"
